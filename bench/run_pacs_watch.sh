#!/usr/bin/env bash
# `deeptirp pacs watch` end to end on this machine: a temporary Orthanc on loopback ports,
# RADIOGRAPHS synthetic radiographs sent by storescu (C-STORE), one `pacs watch --once` over
# them, then every stored result checked (tools/check_pacs_results.py, dciodvfy).
# Prints the CPU, the seconds and the radiographs per second. Run by hand:
#   bench/run_pacs_watch.sh BUILD_DIR OUT        (OUT keeps the demo study and bundle for reruns)
#   RADIOGRAPHS=100 BUNDLE=dir HEAT_MAP=gradcam CLINICAL="site=BodyPartExamined ..." (--clinical)
set -euo pipefail
build=${1:?usage: run_pacs_watch.sh BUILD_DIR OUT}
out=${2:?usage: run_pacs_watch.sh BUILD_DIR OUT}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
n=${RADIOGRAPHS:-100}
bundle=$("$(dirname "$0")/demo_bundle.sh" "$build" "$out")

port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
orthanc_dir=$out/orthanc
rm -rf "$orthanc_dir" && mkdir -p "$orthanc_dir"
http=$(port); dicom=$(port)
cat > "$orthanc_dir/orthanc.json" <<JSON
{"Name": "bench", "StorageDirectory": "$orthanc_dir/storage", "IndexDirectory": "$orthanc_dir/index",
 "HttpPort": $http, "DicomPort": $dicom, "DicomAet": "ORTHANC", "RemoteAccessAllowed": false,
 "AuthenticationEnabled": false, "Plugins": []}
JSON
Orthanc "$orthanc_dir/orthanc.json" > "$orthanc_dir/orthanc.log" 2>&1 &
orthanc_pid=$!
trap 'kill $orthanc_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$http/system" > /dev/null && break; sleep 0.1; done
images=("$out"/data/images/*.dcm)
n=$((n < ${#images[@]} ? n : ${#images[@]}))
# -xr: some synthetic radiographs are RLE, which dcmtk would otherwise have to decompress.
storescu -xr -aec ORTHANC 127.0.0.1 "$dicom" "${images[@]:0:$n}"

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "bundle: $bundle"
start=$(date +%s.%N)
"$build/deeptirp" pacs watch --once --orthanc "http://127.0.0.1:$http" --bundle "$bundle" \
  --state "$orthanc_dir/state.json" --heat-map "${HEAT_MAP:-gradcam}" \
  $(for c in ${CLINICAL:-}; do echo --clinical "$c"; done) 2> "$out/pacs-watch.log"
end=$(date +%s.%N)
tail -1 "$out/pacs-watch.log"
/usr/bin/python3 -c "print(f'{$n} radiographs in {$end - $start:.1f} s: {$n / ($end - $start):.2f} radiographs/s')"

stored=$out/stored
rm -rf "$stored" && mkdir -p "$stored"
for id in $(curl -s "http://127.0.0.1:$http/instances" | /usr/bin/python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)))'); do
  curl -s "http://127.0.0.1:$http/instances/$id/file" > "$stored/$id.dcm"
done
/usr/bin/python3 "$here/tools/check_pacs_results.py" "$stored"
errors=0
for f in "$stored"/*.dcm; do
  if grep -q deeptirp "$f"; then errors=$((errors + $(dciodvfy "$f" 2>&1 | grep -c '^Error' || true))); fi
done
echo "dciodvfy errors in deeptirp's results: $errors"

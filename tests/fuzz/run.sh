#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan, in ./build-fuzz) and runs each for a fixed
# time, seeded with the files in ../shared, the tests' kept regression inputs and a few generated
# ones (a synthetic study's DICOMs, YAML and CSV; safetensors, .pth and bundle metadata written by
# the Python reference). Prints one line per harness: time, executions, crashes.
#
#   tests/fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS...]   (default: 20 s, every harness)
#
# The mutations start from a fixed seed (FUZZ_SEED, default 1), so that CI's short runs retrace
# the same path; set FUZZ_SEED=0 for a random one on a long run.
#
# A crash leaves its input in build-fuzz/findings/<harness>/; once fixed, keep it in
# tests/fuzz/regressions/<harness>/ so that test_fuzz_regressions replays it in every test run
# (as a patch, tests/fuzz/keep_finding.py, when it derives from a file of ../shared).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
shift || true
all=(dicom radiograph csv study_yaml safetensors pth pickle bundle_metadata deidentify)
harnesses=("${@:-${all[@]}}")
root=$PWD
build=$root/build-fuzz
shared=${DEEPTIRP_SHARED:-$root/../shared}

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_C_COMPILER=clang -DDEEPTIRP_FUZZ=ON -DDEEPTIRP_BUILD_TESTS=OFF \
  -DDEEPTIRP_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${harnesses[@]/#/fuzz_}"

seeds=$build/seeds-$$
rm -rf "$seeds" && mkdir -p "$seeds"
for h in "${all[@]}"; do
  mkdir -p "$seeds/$h"
  # Kept findings as they are, hex text as its bytes; those kept as patches of ../shared files
  # are left to the tests.
  for kept in tests/fuzz/regressions/$h/*; do
    if [[ $kept == *.hex ]]; then
      /usr/bin/python3 -c 'import sys; open(sys.argv[2], "wb").write(bytes.fromhex("".join(
        l for l in open(sys.argv[1]) if not l.startswith("#"))))' "$kept" \
        "$seeds/$h/$(basename "${kept%.hex}")"
    elif [[ -f $kept && $kept != *.patch ]]; then
      cp "$kept" "$seeds/$h/"
    fi
  done
done
python=/usr/bin/python3
"$python" tests/fuzz/write_seeds.py "$seeds"
if [[ -d $shared/data ]]; then
  cp "$shared"/data/dicom/*.dcm "$seeds/dicom/"
  cp "$shared"/data/dicom/*.dcm "$seeds/deidentify/"
  cp "$shared"/data/dicom/{JPEGwithIcon,Issue1097_FailToOpenDeflatedFileWithSQ,CR-MONO1-10-chest}.dcm \
    "$seeds/radiograph/"
  cp "$shared"/data/btxrd/images/IMG00000[1-9].png "$seeds/radiograph/"
  cp "$shared"/data/stats/*.csv "$seeds/csv/"
  sed -n 1,50p "$shared/data/btxrd/dataset.csv" >"$seeds/csv/btxrd_head.csv"
else
  echo "fuzz: no $shared/data: seeding with generated inputs only" >&2
fi

printf '%-16s %8s %12s %8s\n' harness seconds executions crashes
status=0
for h in "${harnesses[@]}"; do
  corpus=$build/corpus/$h findings=$build/findings/$h
  mkdir -p "$corpus" "$findings"
  log=$build/fuzz_$h.log
  # Large radiographs decode slowly; inputs past max_len are cut, which the DICOM reader must also
  # survive.
  max_len=65536
  [[ $h == dicom || $h == radiograph || $h == deidentify ]] && max_len=400000
  started=$build/.started_$h  # findings of earlier runs stay for keeping, but count only once
  touch "$started"
  set +e
  ASAN_OPTIONS=detect_leaks=0 "$build/tests/fuzz/fuzz_$h" "$corpus" "$seeds/$h" \
    -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=6000 -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$findings/" -seed="${FUZZ_SEED:-1}" >"$log" 2>&1
  rc=$?
  set -e
  # -a: the log quotes the inputs' bytes. slow-unit-* files are a note, not a finding.
  runs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  crashes=$(find "$findings" -type f -newer "$started" \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \
    -o -name 'leak-*' \) | wc -l)
  printf '%-16s %8s %12s %8s\n' "$h" "$seconds" "${runs:-0}" "$crashes"
  if [[ $rc -ne 0 || $crashes -ne 0 ]]; then
    status=1
    echo "fuzz_$h: exit $rc; see $log and $findings/" >&2
    grep -a -m5 -E 'ERROR|runtime error|escaped|Assertion' "$log" >&2 || true
  fi
done
exit $status

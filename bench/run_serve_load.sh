#!/usr/bin/env bash
# The inference service under load, on loopback: images/s and p50 / p99 latency of `deeptirp
# serve` at 1, 4 and 16 concurrent clients, without and with dynamic batching, against one
# `deeptirp predict --bundle` call per image (what a script would do without the service); then
# the server's resident memory after 100 and after LEAK_REQUESTS requests (a leak shows as
# growth). The load generator (bench_serve) shares the machine's cores with the server.
#
#   bench/run_serve_load.sh BUILD_DIR OUT
#   BUNDLE=dir (default: a 1-epoch EfficientNet-B0 demo study at 128 px, made here)
#   REQUESTS=300 LEAK_REQUESTS=10000 MAX_BATCH=16 MAX_WAIT_MS=5
set -euo pipefail
build=${1:?usage: run_serve_load.sh BUILD_DIR OUT}
out=${2:?usage: run_serve_load.sh BUILD_DIR OUT}
deeptirp=$build/deeptirp
mkdir -p "$out"
out=$(cd "$out" && pwd)
bundle=$("$(dirname "$0")/demo_bundle.sh" "$build" "$out")
ls "$out"/data/images/*.dcm > "$out/images.txt"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "bundle: $bundle ($(grep -o '"architecture": "[a-z0-9_]*"' "$bundle/metadata.json" | head -1))"

# One `deeptirp predict --bundle` process per image: load the bundle, read, predict, write.
/usr/bin/python3 - "$deeptirp" "$bundle" "$out" << 'PY'
import json, subprocess, sys, time
deeptirp, bundle, out = sys.argv[1:4]
images = open(f"{out}/images.txt").read().split()[:20]
times = []
for i, image in enumerate(images):
    manifest = f"{out}/one.csv"
    open(manifest, "w").write(f"image\n{image}\n")
    t0 = time.perf_counter()
    subprocess.run([deeptirp, "predict", "--bundle", bundle, "--manifest", manifest,
                    "--out", f"{out}/one_predictions.csv", "--progress", "quiet"], check=True,
                   capture_output=True)
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({"mode": "predict per image", "clients": 1, "requests": len(times),
                  "failed": 0, "images_per_s": len(times) / (sum(times) / 1000),
                  "p50_ms": times[len(times) // 2], "p99_ms": times[-1]}))
PY

serve() {  # log file, then serve's options; sets pid and port
  local log=$1
  shift
  "$deeptirp" serve --bundle "$bundle" --port 0 "$@" 2> "$log" &
  pid=$!
  port=""
  for _ in $(seq 600); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [[ -n "$port" ]] && curl -sf "http://127.0.0.1:$port/v1/health" > /dev/null 2>&1 && return
    sleep 0.1
  done
  echo "serve did not become ready: $(cat "$log")" >&2
  exit 1
}
rss_kib() { grep VmRSS "/proc/$1/status" | awk '{print $2}'; }

for mode in off on; do
  if [[ $mode == off ]]; then opts=(--max-batch 1); else
    opts=(--max-batch "${MAX_BATCH:-16}" --max-wait-ms "${MAX_WAIT_MS:-5}"); fi
  serve "$out/serve-$mode.log" "${opts[@]}"
  # Warm-up, not reported (the server has already run each batch size once: warm_up).
  "$build/bench/bench_serve" --port "$port" --images "$out/images.txt" --clients 16 \
    --requests 200 > /dev/null
  for clients in 1 4 16; do
    "$build/bench/bench_serve" --port "$port" --images "$out/images.txt" --clients "$clients" \
      --requests "${REQUESTS:-300}" --seconds 120 |
      sed "s/^{/{\"mode\": \"serve, batching $mode\", /"
  done
  if [[ $mode == on ]]; then
    "$build/bench/bench_serve" --port "$port" --images "$out/images.txt" --clients 4 \
      --requests 100 > /dev/null
    after_100=$(rss_kib "$pid")
    "$build/bench/bench_serve" --port "$port" --images "$out/images.txt" --clients 4 \
      --requests "${LEAK_REQUESTS:-10000}" --seconds 1200 |
      sed "s/^{/{\"mode\": \"leak check\", /"
    echo "{\"rss_mib_after_100_more\": $((after_100 / 1024)), \"rss_mib_after_${LEAK_REQUESTS:-10000}_more\": $(($(rss_kib "$pid") / 1024))}"
  fi
  kill -TERM "$pid"
  wait "$pid"
done

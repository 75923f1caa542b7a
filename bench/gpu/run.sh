#!/usr/bin/env bash
# The GPU check, to run once whenever a GPU is at hand (a session has about 15 minutes of one, so
# this ends within 10): on the machine's PyTorch wheel,
#   1. builds deeptirp against the wheel's LibTorch (scripts/build.sh --libtorch) in ./build-libtorch,
#   2. checks each architecture's logits on the GPU against the CPU's (bench_models --device cuda),
#   3. times training (bench_train) and inference (bench_models) against PyTorch on the same card
#      in the same run (tools/reference_train.py, bench/models_reference.py): images/s, and peak
#      GPU memory of each process as nvidia-smi sees it (CUDA context included, on both sides),
#   4. says whether 2-process NCCL training could run (two GPUs and a build with NCCL).
# Everything goes to one results file, bench/gpu/results-<date>.txt unless OUT names another.
#
#   bench/gpu/run.sh                 on the GPU machine
#   bench/gpu/run.sh --cpu BUILD     the same steps on the CPU with an existing build, at a tiny
#                                    size: what a machine without a GPU can check of this script
#   ARCHS="efficientnet_b3 efficientnet_b4 vit_b_16 swin_t", BATCH=64, STEPS=10, SECONDS_PER_POINT=3
set -uo pipefail
cd "$(dirname "$0")/../.."
here=bench/gpu
python=${PYTHON:-python3}
out=${OUT:-$here/results-$(date +%Y%m%d-%H%M).txt}
read -r -a archs <<< "${ARCHS:-efficientnet_b3 efficientnet_b4 vit_b_16 swin_t}"
if [[ "${1:-}" == "--cpu" ]]; then
  build=${2:?"--cpu needs a build folder"}
  device=cpu size=64 batch=${BATCH:-2} steps=${STEPS:-1} seconds=${SECONDS_PER_POINT:-0.2}
  python=${PYTHON:-/usr/bin/python3}
  precisions=(fp32)
else
  device=cuda size=224 batch=${BATCH:-64} steps=${STEPS:-10} seconds=${SECONDS_PER_POINT:-3}
  precisions=(bf16 fp32)
  build=build-libtorch
fi
: > "$out"
say() { echo "$*" | tee -a "$out"; }

say "# deeptirp GPU check, $(date -u +%Y-%m-%dT%H:%MZ), device $device"
say "# $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi')"
say "# $("$python" -c 'import torch; print("PyTorch", torch.__version__, "CUDA", torch.version.cuda)')"
if [[ "$device" == cuda ]]; then
  start=$(date +%s)
  scripts/build.sh --libtorch "$python" -DDEEPTIRP_BUILD_TESTS=OFF -DDEEPTIRP_BUILD_BENCH=ON \
    > "$out.build.log" 2>&1 || { say "build failed: see $out.build.log"; tail -20 "$out.build.log" >> "$out"; exit 1; }
  say "# built in $(( $(date +%s) - start )) s"
fi

# Peak GPU memory of the process that "$@" starts, sampled every 100 ms (0 on the CPU).
peak_mib=0
measure() {
  local samples
  samples=$(mktemp)
  "$@" &
  local pid=$!
  if [[ "$device" == cuda ]]; then
    while kill -0 "$pid" 2>/dev/null; do
      nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits >> "$samples" 2>/dev/null
      sleep 0.1
    done
  fi
  wait "$pid"
  local rc=$?
  peak_mib=$(awk -F', ' -v pid="$pid" '$1 == pid && $2 > max {max = $2} END {print max + 0}' "$samples")
  rm -f "$samples"
  return $rc
}

say ""
say "## training: images/s (peak GPU MiB), batch $batch, ${size}px, SGD, autocast as named"
say "arch precision cpp python"
for arch in "${archs[@]}"; do
  for precision in "${precisions[@]}"; do
    row="$arch $precision"
    for impl in cpp python; do
      if [[ $impl == cpp ]]; then
        cmd=("$build/bench/bench_train" --arch "$arch" --precision "$precision" --device "$device"
             --batch "$batch" --size "$size" --steps "$steps" --warmup 2 --threads 4)
      else
        cmd=("$python" tools/reference_train.py --arch "$arch" --precision "$precision"
             --device "$device" --batch "$batch" --size "$size" --steps "$steps" --warmup 2 --threads 4)
      fi
      measure "${cmd[@]}" > "$out.json" 2>> "$out.stderr" || echo '{}' > "$out.json"
      rate=$(cat "$out.json" | "$python" -c 'import json,sys; print("%.1f" % json.load(sys.stdin).get("images_per_s", float("nan")))' 2>/dev/null || echo failed)
      row="$row $rate(${peak_mib})"
    done
    say "$row"
  done
done

say ""
say "## inference: images/s (peak GPU MiB) at batch 1 and $batch, 224px; the cuda logits checked against the CPU's"
say "arch precision batch cpp python"
for arch in "${archs[@]}"; do
  for precision in "${precisions[@]}"; do
    measure "$build/bench/bench_models" --arch "$arch" --precision "$precision" --device "$device" \
      --batch "1,$batch" --seconds "$seconds" --threads 4 > "$out.cpp" 2>> "$out.stderr"
    cpp_peak=$peak_mib
    measure "$python" bench/models_reference.py --arch "$arch" --precision "$precision" \
      --device "$device" --batch "1,$batch" --seconds "$seconds" --threads 4 > "$out.py" 2>> "$out.stderr"
    py_peak=$peak_mib
    for b in 1 "$batch"; do
      c=$(awk -F'\t' -v b="$b" '$4 == b {print $5}' "$out.cpp")
      p=$(awk -F'\t' -v b="$b" '$4 == b {print $5}' "$out.py")
      say "$arch $precision $b ${c:-n/a}(${cpp_peak}) ${p:-n/a}(${py_peak})"
    done
  done
done
grep "logits within" "$out.stderr" >> "$out" 2>/dev/null
rm -f "$out.cpp" "$out.py" "$out.json"

say ""
gpus=$(nvidia-smi -L 2>/dev/null | wc -l)
if [[ "$gpus" -ge 2 ]]; then
  say "## 2-process NCCL training: not run; this deeptirp's data-parallel training has Gloo only"
else
  say "## 2-process NCCL training: not run (${gpus} GPU)"
fi
say "# done; errors, if any, in $out.stderr"

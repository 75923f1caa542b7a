#!/usr/bin/env bash
# Data-parallel training on one machine: one process on every core against `deeptirp train
# --nproc N` (N processes of cores/N threads each, so the same cores), the same global batch, on
# the synthetic demo study. Per run and epoch: training images/s, the time rank 0 spent summing
# gradients (waiting for the slower rank included) and validation AUC. The two runs take the same
# steps but for batch norm, whose statistics each process keeps over its own share of a batch (as
# PyTorch's DDP does by default): their validation AUCs show what that changes.
#
#   bench/run_parallel.sh BUILD_DIR OUT [N]
#   MODEL=efficientnet_b0 EPOCHS=3 CASES=300 SIZE=128 BATCH=32
set -euo pipefail
build=${1:?usage: run_parallel.sh BUILD_DIR OUT [N]}
out=${2:?usage: run_parallel.sh BUILD_DIR OUT [N]}
n=${3:-2}
deeptirp=$build/deeptirp
cores=$(nproc)
mkdir -p "$out"
"$deeptirp" synth --out "$out/data" --cases "${CASES:-300}" --seed 2025 > /dev/null 2>&1
"$deeptirp" import table --table "$out/data/clinical.csv" --config "$out/data/study.yaml" \
  --out "$out/manifest.csv" > /dev/null
"$deeptirp" split --manifest "$out/manifest.csv" --config "$out/data/study.yaml" > /dev/null

train() {  # run folder, threads, then any extra arguments
  local run=$1 threads=$2
  shift 2
  rm -rf "$run"
  /usr/bin/time -f "%e s wall" "$deeptirp" train --config "$out/data/study.yaml" \
    --manifest "$out/manifest.csv" --preset cpu-quick --model "${MODEL:-efficientnet_b0}" \
    --image_size "${SIZE:-128}" --epochs "${EPOCHS:-3}" --batch_size "${BATCH:-32}" \
    --threads "$threads" --workers "$threads" --cache_dir "$out/cache" --quiet --out "$run" "$@"
}

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores"
train "$out/one" "$cores"
train "$out/parallel" $((cores / n > 0 ? cores / n : 1)) --nproc "$n"
/usr/bin/python3 - "$out" "$n" << 'EOF'
import json, sys
out, n = sys.argv[1], sys.argv[2]
def log(run):
    return [json.loads(line) for line in open(f"{out}/{run}/train_log.jsonl")]
one, par = log("one"), log("parallel")
print(f"{'epoch':>5} {'1 proc img/s':>13} {n + ' proc img/s':>13} {'all-reduce %':>13} "
      f"{'val AUC 1':>10} {'val AUC ' + n:>10}")
for a, b in zip(one, par):
    share = 100 * b.get("allreduce_seconds", 0) / b["seconds"]
    print(f"{a['epoch']:>5} {a['images_per_second']:>13.1f} {b['images_per_second']:>13.1f} "
          f"{share:>13.1f} {a['val_auc']:>10.4f} {b['val_auc']:>10.4f}")
EOF

#!/usr/bin/env bash
# Data-parallel training on one machine: one process on every core against `deeptirp train
# --nproc N` (N processes of cores/N threads each, so the same cores), the same global batch, on
# the synthetic demo study. Per run and epoch: training images/s, the time rank 0 spent summing
# gradients (waiting for the slower rank included) and validation AUC. The runs take the same
# steps but for batch norm: with per-rank statistics (PyTorch's DDP default) each process
# normalises its own share of a batch; with --distributed.sync_batch_norm the whole batch, as one
# process does. One process on one thread as well shows how far rounding alone (another summation
# order) moves the same run.
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
train "$out/one-thread" 1
train "$out/parallel" $((cores / n > 0 ? cores / n : 1)) --nproc "$n"
train "$out/sync" $((cores / n > 0 ? cores / n : 1)) --nproc "$n" --distributed.sync_batch_norm true
/usr/bin/python3 - "$out" "$n" << 'EOF'
import json, sys
out, n = sys.argv[1], sys.argv[2]
def log(run):
    return [json.loads(line) for line in open(f"{out}/{run}/train_log.jsonl")]
runs = {"1 proc": log("one"), "1 proc 1 thr": log("one-thread"),
        f"{n} proc": log("parallel"), f"{n} proc sync": log("sync")}
print(f"{'epoch':>5} " + " ".join(f"{name + ' img/s':>17}" for name in runs) +
      f" {'all-reduce %':>12} " + " ".join(f"{'AUC ' + name:>17}" for name in runs))
for epoch in zip(*runs.values()):
    share = 100 * epoch[2].get("allreduce_seconds", 0) / epoch[2]["seconds"]
    print(f"{epoch[0]['epoch']:>5} " + " ".join(f"{e['images_per_second']:>17.1f}" for e in epoch) +
          f" {share:>12.1f} " + " ".join(f"{e['val_auc']:>17.4f}" for e in epoch))
base = runs["1 proc"]
for name, run in runs.items():
    if run is base:
        continue
    worst = max(abs(a["val_auc"] - b["val_auc"]) for a, b in zip(base, run))
    loss = max(abs(a["train_loss"] - b["train_loss"]) for a, b in zip(base, run))
    print(f"{name:>14} vs 1 proc: largest val AUC difference {worst:.4f}, train loss {loss:.2e}")
EOF

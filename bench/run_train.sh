#!/bin/bash
# Training images/s, C++ (bench_train: the trainer's own step) against torchvision in Python
# (tools/reference_train.py: eager, as users run it), same model, loss (BCE-with-logits on one
# logit) and optimiser (SGD lr 0.1, momentum 0.9, wd 1e-4), batch 8, 224x224, 2 threads, fp32 and
# bf16 autocast. The sides alternate within one run; each point runs REPEATS times and the best
# is kept (on a shared machine noise only slows a run down). A run's rate is batch / its median
# step. Both sides apply torchvision's dropout and stochastic depth (ViT has none at its
# defaults), drawing the same random numbers. Both
# sides start from the same weights (torchvision's initialisation) and the same random batch, and
# by default run at lr 0: the optimiser still does all its work, and every timed step computes the
# same numbers on both sides (at lr 0.1 the repeated batch is memorised within a few steps, the
# two trajectories part, and gradients sink into denormals, slow on x86, at different steps).
# Where both sides compute the same thing, their last_loss (in RAW) agrees.
#
#   bench/run_train.sh BUILD_DIR [STEPS]      (timed steps per run, default 5, after 2 warm-up)
#   ARCHS="a b ..." (default below), REPEATS=2, LR=0, CPUS=0,1 (taskset), BENCH_TRAIN=path of
#   bench_train, RAW=file to keep the JSON lines
set -uo pipefail
build=${1:?usage: run_train.sh BUILD_DIR [STEPS]}
steps=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
default_archs="efficientnet_b0 efficientnet_b3 efficientnet_b4 vit_ti_16 vit_s_16 vit_b_16 swin_t"
read -r -a archs <<< "${ARCHS:-$default_archs}"
# OpenMP waiting as each side runs for its users (see run_models.sh): Python with libgomp's
# default, C++ with deeptirp's GOMP_SPINCOUNT=10000; PY_ENV / CPP_ENV override. A quiet machine.
read -r -a py_env <<< "${PY_ENV:-}"
read -r -a cpp_env <<< "${CPP_ENV:-GOMP_SPINCOUNT=10000}"
unset OMP_WAIT_POLICY GOMP_SPINCOUNT
cpus=${CPUS:-0,1}
bench=${BENCH_TRAIN:-$build/bench/bench_train}
results=${RAW:-$(mktemp)}
weights=$(mktemp -d)
trap 'rm -rf "$weights"; [ -z "${RAW:-}" ] && rm -f "$results"' EXIT
common=(--batch 8 --size 224 --threads 2 --warmup 2 --steps "$steps" --lr "${LR:-0}")

# run IMPL ARCH PRECISION COMMAND...: its JSON line, or one that records the failure.
run() {
  local impl=$1 arch=$2 precision=$3
  shift 3
  taskset -c "$cpus" "$@" >> "$results" 2> /dev/null ||
    printf '{"impl": "%s", "arch": "%s", "precision": "%s", "failed": true}\n' \
      "$impl" "$arch" "$precision" >> "$results"
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for arch in "${archs[@]}"; do
  # Both sides start from torchvision's initialisation of the model, so they compute on the same
  # numbers (the first step's loss agrees; training then diverges chaotically at lr 0.1).
  /usr/bin/python3 "$here/../tools/write_reference_weights.py" --arch "$arch" --num-classes 1 \
    --no-perturb --out "$weights" > /dev/null
  same=("${common[@]}" --weights "$weights/$arch.pth")
  for repeat in $(seq "${REPEATS:-2}"); do
    for precision in fp32 bf16; do
      run cpp "$arch" "$precision" env "${cpp_env[@]}" "$bench" --arch "$arch" \
        --precision "$precision" "${same[@]}"
      run python "$arch" "$precision" env "${py_env[@]}" /usr/bin/python3 \
        "$here/../tools/reference_train.py" \
        --arch "$arch" --precision "$precision" "${same[@]}"
    done
  done
  rm -f "$weights/$arch".*
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$results" <<'PY'
import json, sys
runs, order = {}, []
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault((r["arch"], r["impl"], r["precision"]), []).append(
        None if r.get("failed") else r["images_per_s"])
    if r["arch"] not in order:
        order.append(r["arch"])
def best(*key):
    rates = [v for v in runs.get(key, []) if v is not None]
    return max(rates) if rates else None
def cell(v):
    return "fails" if v is None else f"{v:.2f}"
def ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.2f}x"
def all_runs(*key):
    return " / ".join(cell(v) for v in runs.get(key, []))
print("| arch | C++ fp32 | Python fp32 | C++ / Py | C++ bf16 | Python bf16 | C++ / Py bf16 "
      "| C++ bf16 / Py fp32 | runs C++ ; Py fp32 |")
print("|---|---|---|---|---|---|---|---|---|")
for a in order:
    cf, pf, cb, pb = (best(a, "cpp", "fp32"), best(a, "python", "fp32"), best(a, "cpp", "bf16"),
                      best(a, "python", "bf16"))
    print(f"| {a} | {cell(cf)} | {cell(pf)} | {ratio(cf, pf)} | {cell(cb)} | {cell(pb)} | "
          f"{ratio(cb, pb)} | {ratio(cb, pf)} | {all_runs(a, 'cpp', 'fp32')} ; "
          f"{all_runs(a, 'python', 'fp32')} |")
print("training images/s, best of the runs of batch / median step; batch 8, 224x224, 2 threads; "
      "failing runs print 'fails'")
PY

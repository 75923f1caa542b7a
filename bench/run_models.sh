#!/bin/bash
# Inference images/s of the image models, C++ (bench_models) against torchvision (Python eager,
# as users run it), fp32 and bf16, batch 1 and 16, 224x224, 2 threads, in one run on this machine.
#
#   bench/run_models.sh BUILD_DIR [ARCH...]     (default: all eight study architectures)
#   SECONDS_PER_POINT=5 (minimum timing per point), BATCHES=1,16, BENCH_MODELS=path of bench_models
set -euo pipefail
build=${1:?usage: run_models.sh BUILD_DIR [ARCH...]}
shift
archs=("$@")
[ ${#archs[@]} -eq 0 ] && archs=(efficientnet_b3 efficientnet_b4 vit_b_16 vit_s_16 vit_ti_16 swin_t swin_s swin_b)
here=$(cd "$(dirname "$0")" && pwd)
# Each side waits between OpenMP regions as it does for its users: Python with libgomp's default
# (spin ~300,000 times, then sleep), C++ with the short spin `deeptirp` sets for itself
# (GOMP_SPINCOUNT=10000, src/cli/main.cpp). Run on a quiet machine: spinning processes slow each
# other down (efficientnet_b3 fell from 12 to 0.5 images/s under load). PY_ENV and CPP_ENV
# (VAR=value ...) override, e.g. PY_ENV=OMP_WAIT_POLICY=PASSIVE.
read -r -a py_env <<< "${PY_ENV:-}"
read -r -a cpp_env <<< "${CPP_ENV:-GOMP_SPINCOUNT=10000}"
unset OMP_WAIT_POLICY GOMP_SPINCOUNT
seconds=${SECONDS_PER_POINT:-5}
batches=${BATCHES:-1,16}
bench=${BENCH_MODELS:-$build/bench/bench_models}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for arch in "${archs[@]}"; do
  for precision in fp32 bf16; do
    env "${py_env[@]}" /usr/bin/python3 "$here/models_reference.py" --arch "$arch" --precision "$precision" \
      --seconds "$seconds" --batch "$batches" >> "$results"
    env "${cpp_env[@]}" "$bench" --arch "$arch" --precision "$precision" \
      --seconds "$seconds" --batch "$batches" >> "$results"
  done
done
/usr/bin/python3 - "$results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    impl, arch, prec, batch, rate, mib = line.split("\t")
    rows[(arch, int(batch), impl, prec)] = (float(rate), float(mib))
keys = sorted({(a, b) for a, b, _, _ in rows}, key=lambda k: (list(dict.fromkeys(
    a for a, *_ in rows)).index(k[0]), k[1]))
print("| arch | batch | py fp32 | py bf16 | C++ fp32 | C++ bf16 | C++ fp32 / py fp32 | "
      "C++ bf16 / py fp32 | peak MiB py fp32 / C++ fp32 / C++ bf16 |")
print("|---|---|---|---|---|---|---|---|---|")
for arch, batch in keys:
    g = lambda impl, prec: rows.get((arch, batch, impl, prec), (float("nan"), float("nan")))
    pf, pb, cf, cb = g("python", "fp32"), g("python", "bf16"), g("cpp", "fp32"), g("cpp", "bf16")
    # n/a: not run (bench_models reports no precision that the architecture refuses)
    f = lambda x, spec, unit="": "n/a" if x != x else f"{x:{spec}}{unit}"
    print(f"| {arch} | {batch} | {f(pf[0], '.2f')} | {f(pb[0], '.2f')} | {f(cf[0], '.2f')} | "
          f"{f(cb[0], '.2f')} | {f(cf[0] / pf[0], '.2f', 'x')} | {f(cb[0] / pf[0], '.2f', 'x')} | "
          f"{f(pf[1], '.0f')} / {f(cf[1], '.0f')} / {f(cb[1], '.0f')} |")
print("images/s, 224x224, 2 threads; peak = getrusage ru_maxrss of each process "
      "(one architecture and precision per process)")
PY

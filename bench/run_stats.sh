#!/bin/bash
# Benchmark of the statistics against scikit-learn / numpy (Debian python3), in the same run and on
# one core (taskset -c 0). Goals: DeLong on 10^6 subjects under 1 s; the 2000-replicate stratified
# bootstrap on 10^4 subjects at least 10x faster than the numpy loop.
#
# usage: bench/run_stats.sh BUILD_DIR [N_DELONG] [N_BOOT] [REPLICATES]
set -euo pipefail
build=${1:?usage: run_stats.sh BUILD_DIR [N_DELONG] [N_BOOT] [REPLICATES]}
n_delong=${2:-1000000}
n_boot=${3:-10000}
replicates=${4:-2000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

py=$(taskset -c 0 /usr/bin/python3 "$here/stats_reference.py" "$work" "$n_delong" "$n_boot" "$replicates")
cpp=$(taskset -c 0 "$build/bench/bench_stats" "$work" "$replicates")
echo "python: $py"
echo "c++:    $cpp"
/usr/bin/python3 - "$py" "$cpp" <<'PY'
import json, sys
py, cpp = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"DeLong AUC+variance, n={cpp['delong_n']}: deeptirp {cpp['delong_s']*1e3:.1f} ms "
      f"(goal < 1000 ms); sklearn roc_auc_score (AUC only) {py['sklearn_auc_s']*1e3:.1f} ms; "
      f"AUC difference {abs(cpp['delong_auc'] - py['sklearn_auc']):.2e}")
r = cpp['boot_replicates']
print(f"Bootstrap {r} replicates, n={cpp['boot_n']}: deeptirp {cpp['boot_s']*1e3:.1f} ms; "
      f"numpy loop {py['numpy_boot_s']*1e3:.1f} ms ({py['numpy_boot_s']/cpp['boot_s']:.1f}x, goal >= 10x); "
      f"sklearn loop {py['sklearn_boot_s']*1e3:.1f} ms ({py['sklearn_boot_s']/cpp['boot_s']:.1f}x)")
print(f"95% CIs: deeptirp {cpp['boot_ci']}, numpy {[round(x, 6) for x in py['numpy_boot_ci']]}")
PY

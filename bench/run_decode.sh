#!/bin/sh
# Decode + preprocess throughput, C++ (bench_decode) against the Python stack users would otherwise
# use (bench/decode_reference.py: pydicom + python3-gdcm + numpy + PIL), on the same machine in the
# same run, each pinned to one core (taskset -c 0) with every codec single-threaded.
#
#   bench/run_decode.sh [BUILD_DIR] [SECONDS_PER_FILE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
seconds=${2:-5}
shared=${DEEPTIRP_SHARED:-$here/../../shared}
dicom=$shared/data/dicom
files="$dicom/RG2_JLSL.dcm $dicom/RG2_J2KR.dcm $dicom/RG2_RLE.dcm $dicom/RG3_JPLL.dcm
$dicom/CR-MONO1-10-chest.dcm $shared/data/btxrd/images/IMG000001.png"
bench=$build/bench/bench_decode
[ -x "$bench" ] || { echo "run_decode.sh: $bench not built" >&2; exit 1; }

export OMP_NUM_THREADS=1 OPJ_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
cpp=$(mktemp) && py=$(mktemp) && trap 'rm -f "$cpp" "$py"' EXIT
# shellcheck disable=SC2086
taskset -c 0 "$bench" --seconds "$seconds" $files >"$cpp"
# shellcheck disable=SC2086
taskset -c 0 /usr/bin/python3 "$here/decode_reference.py" --seconds "$seconds" $files >"$py"

printf '%-28s %12s %12s %8s\n' file "C++ img/s" "Python img/s" ratio
paste "$cpp" "$py" | while IFS="$(printf '\t')" read -r file c _ p; do
  ratio=$(awk -v c="$c" -v p="$p" 'BEGIN { printf "%.1fx", c / p }')
  printf '%-28s %12s %12s %8s\n' "$(basename "$file")" "$c" "$p" "$ratio"
done

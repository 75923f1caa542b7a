#!/usr/bin/env bash
# The benchmarks' radiographs (a synthetic study under OUT/data) and bundle: $BUNDLE when set,
# else a 1-epoch EfficientNet-B0 demo study at 128 px (the forward pass does not depend on the
# weights). Both made once under OUT and kept. Prints the bundle's folder.
#   bench/demo_bundle.sh BUILD_DIR OUT
set -euo pipefail
build=${1:?usage: demo_bundle.sh BUILD_DIR OUT}
out=${2:?usage: demo_bundle.sh BUILD_DIR OUT}
if [[ ! -f "$out/data/study.yaml" ]]; then
  "$build/deeptirp" synth --out "$out/data" --cases 200 --seed 3 > /dev/null 2>&1
fi
if [[ -n "${BUNDLE:-}" ]]; then
  echo "$BUNDLE"
  exit 0
fi
if [[ ! -d "$out/study/bundle" ]]; then
  # A larger validation split leaves the ensemble's 5 folds enough patients.
  sed -i 's/train: {epochs: 20}.*/train: {epochs: 1}/; s/  train: 0.7/  train: 0.5/;
    s/  validation: 0.1/  validation: 0.3/' "$out/data/study.yaml"
  "$build/deeptirp" study run "$out/data/study.yaml" --out "$out/study" > "$out/study.log" 2>&1
fi
echo "$out/study/bundle"

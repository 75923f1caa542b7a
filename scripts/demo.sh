#!/usr/bin/env bash
# README command 1: install what deeptirp needs, build it, and run the study's steps on the built-in
# synthetic demo (radiographs of primary bone tumours and bone infections, with clinical data).
# Everything lands in ./demo; a rerun starts the demo afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh -DDEEPTIRP_BUILD_TESTS=OFF -DDEEPTIRP_BUILD_BENCH=OFF

deeptirp=build/deeptirp
out=demo
rm -rf "$out"
mkdir -p "$out"
set -x
"$deeptirp" synth --out "$out/data" --cases "${DEMO_CASES:-300}" --seed 2025
"$deeptirp" import table --table "$out/data/clinical.csv" --config "$out/data/study.yaml" \
  --out "$out/manifest.csv"
"$deeptirp" split --manifest "$out/manifest.csv" --config "$out/data/study.yaml"
"$deeptirp" preview --manifest "$out/manifest.csv" --config "$out/data/study.yaml" \
  --out "$out/preview.png"
set +x
echo "demo: done. Manifest: $out/manifest.csv; what the models will see: $out/preview.png"

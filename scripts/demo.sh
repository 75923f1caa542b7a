#!/usr/bin/env bash
# README command 1: install what deeptirp needs, build it, and run the whole study on the built-in
# synthetic demo (radiographs of primary bone tumours and bone infections, with clinical data and
# simulated radiologists). Everything lands in ./demo; a rerun starts the demo afresh.
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
# Every step of the study from one YAML: import, split, image model, clinical model, ensemble,
# heat maps, evaluation, reader study, bundle, report. A rerun skips the finished steps.
"$deeptirp" study run "$out/data/study.yaml" --out "$out/study"
# The deployable bundle on radiographs as a PACS would send them (the spreadsheet's cases).
"$deeptirp" predict --bundle "$out/study/bundle" --manifest "$out/data/clinical.csv" \
  --out "$out/bundle_predictions.csv"
set +x
echo "demo: done. The report: $out/study/report.html (results: $out/study/evaluate/results.json)"

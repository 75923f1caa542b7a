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
"$deeptirp" train --config "$out/data/study.yaml" --manifest "$out/manifest.csv" \
  --preset cpu-quick --out "$out/efficientnet_b0"
"$deeptirp" predict --model "$out/efficientnet_b0" --manifest "$out/manifest.csv" \
  --out "$out/efficientnet_b0/preds.csv"
"$deeptirp" clinical train --config "$out/data/study.yaml" --manifest "$out/manifest.csv" \
  --out "$out/clinical"
"$deeptirp" clinical predict --model "$out/clinical" --manifest "$out/manifest.csv" \
  --out "$out/clinical/preds.csv"
"$deeptirp" ensemble fit --config "$out/data/study.yaml" --manifest "$out/manifest.csv" \
  --image "b0=$out/efficientnet_b0/preds.csv" --clinical "$out/clinical" --out "$out/ensemble"
"$deeptirp" ensemble predict --model "$out/ensemble" --manifest "$out/manifest.csv" \
  --image "b0=$out/efficientnet_b0/preds.csv" --clinical "$out/clinical" \
  --out "$out/ensemble/preds.csv"
set +x
# The study's headline numbers: AUC with 95% CI of each part on the internal and external test sets.
scripts/auc_table.sh "$deeptirp" "$out/ensemble/preds.csv" diagnosis tumour b0 clinical ensemble
echo "demo: done in $out/ (manifest.csv, preview.png, efficientnet_b0/, clinical/, ensemble/)"

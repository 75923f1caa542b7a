#!/usr/bin/env bash
# The study's comparison on real data, sized for a CPU: BTXRD benign vs malignant, centre 1 split
# 7:1:2 by pseudo-patient, centre 2 external; one image model (EfficientNet-B0, cpu-quick, 128 px),
# the clinical model (age, sex, site, region), the ensemble, and each one's AUC with a 95% CI.
#   bench/run_btxrd_cpu.sh [BUILD_DIR] [SHARED_DIR] [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
shared=${2:-$here/../shared}
out=${3:-btxrd-cpu}
deeptirp=$(cd "$build" && pwd)/deeptirp
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out" && cd "$out"
cat > study.yaml <<'YAML'
target: label
positive: malignant
classes: [benign, malignant]
clinical:
  numeric: [age]
  categorical: [sex, site, region]
centres:
  external: ["2"]
split: {train: 0.7, validation: 0.1, test: 0.2, seed: 2025}
image: {size: 128, channels: 3, roi_margin: 0.1}
YAML
"$deeptirp" import btxrd --root "$shared/data/btxrd" --out manifest.csv --task benign-vs-malignant
"$deeptirp" split --manifest manifest.csv --config study.yaml
time "$deeptirp" train --config study.yaml --manifest manifest.csv --preset cpu-quick \
  --model efficientnet_b0 --image_size 128 --epochs 10 --batch_size 32 --class_balance pos-weight \
  --out b0 --log plain
"$deeptirp" predict --model b0 --manifest manifest.csv --out b0_preds.csv
"$deeptirp" clinical train --config study.yaml --manifest manifest.csv --out clinical
"$deeptirp" clinical predict --model clinical --manifest manifest.csv --out clinical_preds.csv
"$deeptirp" ensemble fit --config study.yaml --manifest manifest.csv --image b0=b0_preds.csv \
  --clinical clinical --out ensemble
"$deeptirp" ensemble predict --model ensemble --manifest manifest.csv --image b0=b0_preds.csv \
  --clinical clinical --out ensemble_preds.csv
"$here/scripts/auc_table.sh" "$deeptirp" ensemble_preds.csv label malignant b0 clinical ensemble

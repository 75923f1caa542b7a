#!/usr/bin/env bash
# The study on real data, sized for a CPU: BTXRD benign vs malignant, centre 1 split 7:1:2 by
# pseudo-patient, centre 2 external; image models (EfficientNet-B0 at 128 px, the cpu-quick
# preset, from three seeds), the clinical model (age, sex, site, region and the share of the radiograph inside the
# lesion's mask), the ensemble, heat maps, the report and the bundle, all by `deeptirp study run`,
# once per training seed (the split stays seed 2025's). Prints each part's validation,
# internal-test and centre-2 AUC as the mean and range over the seeds, with the mean 95% CI, and
# each seed's wall time.
#   bench/run_btxrd_cpu.sh [BUILD_DIR] [SHARED_DIR] [OUT_DIR]      SEEDS="1 2 3" MEMBERS="b0 b0 b0"
# Other studies on the same data and split (bench/run_btxrd_bf16.sh, ablations) replace sections
# of the YAML: TITLE, MODELS (the `models:` list), TRAIN (the `train:` mapping's keys, without
# braces; the seed is added), IMAGE (the `image:` mapping's keys), EXPLAIN and CLINICAL_NUMERIC
# (the clinical model's numeric columns: `age` alone was the clinical model before the lesion's
# size; `age, lesion_area` takes the box's share instead of the mask's).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
shared=$(cd "${2:-$here/../shared}" && pwd)
out=${3:-btxrd-cpu}
# The defaults are the configuration of the README's table ("The real data: BTXRD"): CLAHE,
# standard augmentation, the mask's share in the clinical model, and B0 three times, from three
# seeds (the study's, and 1000 and 2000 past it), whose mean is the ensemble's image half
# (`halves`): on validation that beat one B0 (0.955 vs 0.945) and the four parts weighted alike
# (`zmean`, 0.944). ENSEMBLE replaces the `ensemble:` mapping. MEMBERS lists the image models by
# architecture (`b0`: EfficientNet-B0, `vit-ti`: ViT-Ti/16 with AdamW 5e-4 and weight decay 0.05;
# MEMBERS="b0 vit-ti" is the README's B0 + ViT-Ti row); an architecture's k-th model is named
# `b0-k` and trained from the seed 1000 (k - 1) past the study's.
member() {  # architecture token, study seed, repeat k (1: the study's own seed)
  local name=$1 arch train='epochs: 10'
  case $1 in
    b0) arch=efficientnet_b0 ;;
    vit-ti) arch=vit_ti_16 train='epochs: 10, lr: 0.0005, weight_decay: 0.05' ;;
    *) echo "MEMBERS: unknown architecture '$1' (b0, vit-ti)" >&2; exit 2 ;;
  esac
  [ "$3" = 1 ] || { name="$1-$3"; train="$train, seed: $(( $2 + 1000 * ($3 - 1) ))"; }
  printf '  - name: %s\n    architecture: %s\n    preset: cpu-quick\n    train: {%s}\n' \
    "$name" "$arch" "$train"
}
members() {  # study seed: the `models:` list of MEMBERS
  local -A seen=()
  local token
  for token in ${MEMBERS:-b0 b0 b0}; do
    seen[$token]=$(( ${seen[$token]:-0} + 1 ))
    member "$token" "$1" "${seen[$token]}"
  done
}
default_train='image_size: 128, batch_size: 32, class_balance: pos-weight, log: plain, augment: standard'
default_image='size: 128, channels: 3, roi_margin: 0.1, intensity: clahe'
default_explain='{methods: [gradcam], cases: 1}'
default_ensemble='{kinds: [halves]}'
for seed in ${SEEDS:-1 2 3}; do
  dir="$out/seed-$seed"
  default_models=$(members "$seed")
  mkdir -p "$dir"
  cat > "$dir/study.yaml" <<YAML
study:
  title: "${TITLE:-BTXRD: benign vs malignant bone tumours (centre 1 internal, centre 2 external)}"
  btxrd: $shared/data/btxrd
  task: benign-vs-malignant
  out: study
models:
${MODELS:-$default_models}
train: {${TRAIN:-$default_train}, seed: $seed}
explain: ${EXPLAIN:-$default_explain}
ensemble: ${ENSEMBLE:-$default_ensemble}
evaluate: {sets: [validation, test, external_test]}
target: label
positive: malignant
classes: [benign, malignant]
clinical:
  numeric: [${CLINICAL_NUMERIC:-age, lesion_mask_area}]
  categorical: [sex, site, region]
centres:
  external: ["2"]
split: {train: 0.7, validation: 0.1, test: 0.2, seed: 2025}
image: {${IMAGE:-$default_image}}
YAML
  started=$(date +%s)
  "$build/deeptirp" study run "$dir/study.yaml"
  echo $(( $(date +%s) - started )) > "$dir/wall_seconds"
done
/usr/bin/python3 "$here/bench/btxrd_summary.py" "$out"

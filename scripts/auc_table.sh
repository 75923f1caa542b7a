#!/usr/bin/env bash
# The study's headline table from an ensemble predictions CSV: AUC with its 95% DeLong CI of each
# part on the internal test and the external test sets.
#   scripts/auc_table.sh DEEPTIRP PREDS.csv LABEL_COLUMN POSITIVE PART...
set -euo pipefail
deeptirp=$1 preds=$2 label=$3 positive=$4
shift 4
for split in test external_test; do
  rows="${preds%.csv}_$split.csv"
  awk -F, -v s="$split" 'NR == 1 || $3 == s' "$preds" > "$rows"
  for part in "$@"; do
    printf '%-14s %-9s ' "$split" "$part"
    "$deeptirp" stats auc --csv "$rows" --score "$part" --label "$label" --positive "$positive" |
      awk '$1 == "auc" {a = $2} $1 == "ci_low" {l = $2} $1 == "ci_high" {h = $2}
           END {printf "AUC %.3f (95%% CI %.3f-%.3f)\n", a, l, h}'
  done
done

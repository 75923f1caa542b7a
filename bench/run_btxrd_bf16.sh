#!/usr/bin/env bash
# Does bf16 training reach fp32's validation AUC? One architecture trained twice on BTXRD (benign
# vs malignant, run_btxrd_cpu.sh's study with other models), in fp32 and with bf16 autocast, same
# seed, by `deeptirp study run`; prints each run's best validation AUC, epoch seconds and the
# test AUCs. ViT and Swin are where bf16 pays on the CPU (EfficientNet's bf16 steps are slower).
#   bench/run_btxrd_bf16.sh [BUILD_DIR] [SHARED_DIR] [OUT_DIR]     ARCH=vit_ti_16 EPOCHS=10
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
shared=$(cd "${2:-$here/../shared}" && pwd)
out=${3:-btxrd-bf16}
arch=${ARCH:-vit_ti_16}
TITLE="BTXRD: $arch trained in fp32 and in bf16" \
MODELS="  - {name: fp32, architecture: $arch, preset: cpu-quick}
  - {name: bf16, architecture: $arch, preset: cpu-quick, train: {precision: bf16}}" \
TRAIN="image_size: 128, batch_size: 32, epochs: ${EPOCHS:-10}, class_balance: pos-weight, log: quiet" SEEDS=${SEEDS:-1} \
EXPLAIN="{methods: [gradcam], cases: 1, sets: [test]}" \
  "$here/bench/run_btxrd_cpu.sh" "$build" "$shared" "$out"
/usr/bin/python3 - "$out/seed-${SEEDS:-1}/study" <<'PY'
import json, sys, pathlib
root = pathlib.Path(sys.argv[1])
results = json.loads((root / "evaluate/results.json").read_text())
auc = {(e["model"], e["set"]): e["auc"] for e in results["evaluation"]}
print("| run | best epoch | best validation AUC | mean epoch s | train img/s | test AUC | external AUC |")
print("|---|---|---|---|---|---|---|")
for name in ("fp32", "bf16"):
    log = [json.loads(l) for l in (root / "models" / name / "run/train_log.jsonl").open()]
    best = max(log, key=lambda r: r["val_auc"])
    seconds = sum(r["seconds"] for r in log) / len(log)
    rate = sum(r["images_per_second"] for r in log) / len(log)
    print(f"| {name} | {best['epoch']} | {best['val_auc']:.3f} | {seconds:.1f} | {rate:.1f} | "
          f"{auc[(name, 'test')]:.3f} | {auc[(name, 'external_test')]:.3f} |")
PY

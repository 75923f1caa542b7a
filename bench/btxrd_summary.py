"""The table of bench/run_btxrd_cpu.sh: per part and set, the AUC's mean and range over the seed
folders of one benchmark, with the mean of the 95% CIs; then each seed's wall time.
    /usr/bin/python3 bench/btxrd_summary.py OUT_DIR"""
import json
import pathlib
import sys

SETS = [("validation", "validation"), ("test", "internal test"), ("external_test", "centre 2")]


def main(out):
    seeds = sorted(p for p in pathlib.Path(out).glob("seed-*") if (p / "study/evaluate/results.json").exists())
    if not seeds:
        sys.exit(f"{out}: no seed-N/study/evaluate/results.json")
    auc = {}
    parts = []
    for seed in seeds:
        results = json.loads((seed / "study/evaluate/results.json").read_text())
        for e in results["evaluation"]:
            auc.setdefault((e["model"], e["set"]), []).append((e["auc"], *e["auc_ci"]))
            if e["model"] not in parts:
                parts.append(e["model"])
    print(f"AUC over {len(seeds)} seeds ({', '.join(s.name for s in seeds)}): mean [min, max] (mean 95% CI)\n")
    print("| part | " + " | ".join(title for _, title in SETS) + " |")
    print("|---|" + "---|" * len(SETS))
    for part in parts:
        cells = []
        for key, _ in SETS:
            runs = auc.get((part, key), [])
            if not runs:
                cells.append("-")
                continue
            mean = lambda i: sum(r[i] for r in runs) / len(runs)
            values = [r[0] for r in runs]
            cells.append(f"{mean(0):.3f} [{min(values):.3f}, {max(values):.3f}] ({mean(1):.2f}-{mean(2):.2f})")
        print(f"| {part} | " + " | ".join(cells) + " |")
    walls = [(s.name, int((s / "wall_seconds").read_text())) for s in seeds if (s / "wall_seconds").exists()]
    print("\nwall time: " + ", ".join(f"{name} {secs / 60:.1f} min" for name, secs in walls))


if __name__ == "__main__":
    main(sys.argv[1])

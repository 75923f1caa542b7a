#!/usr/bin/python3
"""Reference timings for bench/run_stats.sh: scikit-learn's roc_auc_score on the DeLong data set,
and a numpy loop of stratified bootstrap replicates on the bootstrap data set. Writes the data
sets as raw float64 scores and uint8 labels for bench_stats, so both time the same numbers.

usage: stats_reference.py DIR N_DELONG N_BOOT REPLICATES
"""
import json
import sys
import time

import numpy as np
from sklearn.metrics import roc_auc_score


def make(n, seed):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.5).astype(np.uint8)
    scores = rng.normal(size=n) + labels  # a binormal ROC with AUC near 0.76
    return scores, labels


def numpy_auc(cases, controls):
    """Mann-Whitney AUC with ties one half, by binary search in the sorted controls."""
    sorted_controls = np.sort(controls)
    below = np.searchsorted(sorted_controls, cases, side="left")
    not_above = np.searchsorted(sorted_controls, cases, side="right")
    return (below.sum() + 0.5 * (not_above - below).sum()) / (len(cases) * len(controls))


def bootstrap(cases, controls, replicates, rng, auc):
    values = np.empty(replicates)
    for r in range(replicates):
        c = cases[rng.integers(0, len(cases), len(cases))]
        k = controls[rng.integers(0, len(controls), len(controls))]
        values[r] = auc(c, k)
    return np.percentile(values, [2.5, 97.5])


def main():
    folder, n_delong, n_boot, replicates = sys.argv[1], *map(int, sys.argv[2:5])
    out = {}
    scores, labels = make(n_delong, 1)
    scores.tofile(f"{folder}/delong_scores.f64")
    labels.tofile(f"{folder}/delong_labels.u8")
    t = time.perf_counter()
    out["sklearn_auc"] = roc_auc_score(labels, scores)
    out["sklearn_auc_s"] = time.perf_counter() - t

    scores, labels = make(n_boot, 2)
    scores.tofile(f"{folder}/boot_scores.f64")
    labels.tofile(f"{folder}/boot_labels.u8")
    cases, controls = scores[labels == 1], scores[labels == 0]
    t = time.perf_counter()
    ci = bootstrap(cases, controls, replicates, np.random.default_rng(3), numpy_auc)
    out["numpy_boot_s"] = time.perf_counter() - t
    out["numpy_boot_ci"] = ci.tolist()
    sk = lambda c, k: roc_auc_score(np.r_[np.ones(len(c)), np.zeros(len(k))], np.r_[c, k])
    t = time.perf_counter()
    ci = bootstrap(cases, controls, replicates, np.random.default_rng(3), sk)
    out["sklearn_boot_s"] = time.perf_counter() - t
    out["sklearn_boot_ci"] = ci.tolist()
    print(json.dumps(out))


if __name__ == "__main__":
    main()

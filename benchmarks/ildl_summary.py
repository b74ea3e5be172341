"""Paired tests of the ILDL reproduction's per-fold records: against the uniform prediction,
against OFR-DB, and against the papers' reported means.

Reads the fold records that ``ldlkit reproduce ildl`` and ``ildl-ablation`` save
(``results.jsonl`` in their results folders) and writes, for each dataset, method and metric,
the mean and (population) standard deviation over the test folds; a paired t-test and the
number of folds won against ``Uniform`` and against ``OFR-DB`` (same folds); and a one-sample
t-test of the fold values against the paper's reported mean where a paper reports one (AMEMA
Tables 1-3, DILDL Tables 3 and 5). Nothing is fitted here.

Run::

    python benchmarks/ildl_summary.py benchmarks/results/ildl/ildl_records \
        benchmarks/results/ildl/ildl-ablation_records --out benchmarks/results/ildl/summary.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

METRICS = (
    "chebyshev",
    "clark",
    "canberra",
    "kl_divergence",
    "cosine",
    "intersection",
    "euclidean_all",
    "euclidean_head",
    "euclidean_tail",
    "uniform_kl",
    "prediction_spread",
)
GREATER_IS_BETTER = {"cosine", "intersection"}
TESTED = ("chebyshev", "kl_divergence", "cosine", "intersection", "euclidean_tail")
PAPER_TABLES = (
    ("amema", "table1"),
    ("amema", "table2"),
    ("amema", "table3"),
    ("dildl", "table3"),
    ("dildl", "table5"),
)


def _reported():
    from ldlkit.papers import reported_table

    values: dict[tuple, tuple] = {}
    for paper, table in PAPER_TABLES:
        results = reported_table(paper, table)["results"]
        for dataset, methods in results.items():
            for method, metrics in methods.items():
                for metric, (mean, _) in metrics.items():
                    values.setdefault((dataset, method, metric), (mean, f"{paper} {table}"))
    return values


def _load(folders) -> dict[tuple, dict[int, dict]]:
    runs: dict[tuple, dict[int, dict]] = {}
    for folder in folders:
        for line in (Path(folder) / "results.jsonl").read_text().splitlines():
            r = json.loads(line)
            if r.get("status") != "ok":
                continue
            runs.setdefault((r["dataset"], r["method"]), {})[r["fold"]] = r["metrics"]
    return runs


def _paired(a: dict, b: dict, metric: str) -> dict | None:
    from scipy.stats import ttest_rel

    folds = sorted(set(a) & set(b))
    if len(folds) < 2:
        return None
    x = np.array([a[f][metric] for f in folds])
    y = np.array([b[f][metric] for f in folds])
    if np.allclose(x, y):
        return {"folds": len(folds), "mean_difference": 0.0, "better_on_folds": 0, "p": 1.0}
    better = np.sum(x > y) if metric in GREATER_IS_BETTER else np.sum(x < y)
    return {
        "folds": len(folds),
        "mean_difference": float(np.mean(x - y)),
        "better_on_folds": int(better),
        "p": float(ttest_rel(x, y).pvalue),
    }


def summarise(folders, against=("Uniform", "OFR-DB")) -> dict:
    from scipy.stats import ttest_1samp

    runs = _load(folders)
    reported = _reported()
    out: dict[str, dict] = {}
    for (dataset, method), by_fold in sorted(runs.items()):
        entry = {"folds": len(by_fold)}
        for metric in METRICS:
            if metric not in next(iter(by_fold.values())):
                continue
            values = np.array([by_fold[f][metric] for f in sorted(by_fold)])
            cell = {"mean": float(values.mean()), "std": float(values.std())}
            if metric in TESTED:
                for other in against:
                    if other != method and (dataset, other) in runs:
                        cell[f"vs_{other}"] = _paired(by_fold, runs[(dataset, other)], metric)
            paper = reported.get((dataset, method, metric))
            if paper is not None:
                test = ttest_1samp(values, paper[0])
                cell["paper"] = {
                    "mean": paper[0],
                    "table": paper[1],
                    "difference": float(values.mean() - paper[0]),
                    "p": float(test.pvalue),
                }
            entry[metric] = cell
        out.setdefault(dataset, {})[method] = entry
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--against",
        nargs="+",
        default=["Uniform", "OFR-DB"],
        help="methods every method is paired with (default: Uniform OFR-DB)",
    )
    args = parser.parse_args(argv)
    document = {
        "benchmark": "ildl_summary",
        "records": args.folders,
        "tests": (
            "paired t-tests over the same test folds (vs_<method> for each method of --against: "
            "mean difference method - other, folds where the method is better); one-sample "
            "t-test of the fold values against the paper's reported mean (paper)"
        ),
        "summary": summarise(args.folders, tuple(args.against)),
    }
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

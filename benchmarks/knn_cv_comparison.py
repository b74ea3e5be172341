"""Repeated k-fold comparison of the kNN family on the UAKNN paper's datasets and a few others.

Protocol: ``RepeatedKFold(n_splits=5, n_repeats=R, random_state=0)`` (the paper's 10 x 5-fold CV
with R=10; plain shuffled folds — the paper's "hierarchical (cluster)" fold construction is not
specified well enough to reproduce). Every method sees the same folds. Reported per metric: the
mean over all folds, the standard deviation of the R per-repeat means (``std_repeats``) and over
folds (``std_folds``). Results are written to JSON after each dataset, so a partial run is usable.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/knn_cv_comparison.py \
        --repeats 10 --out benchmarks/results/knn_cv_comparison.json
    python benchmarks/knn_cv_comparison.py --render benchmarks/results/knn_cv_comparison.json

The four provided Yeast sets left out of the first run were measured afterwards, as a held-out
check of TunedUAKNN's grid (fixed before either run)::

    python benchmarks/knn_cv_comparison.py --repeats 10 --datasets Yeast_diau Yeast_elu \
        Yeast_spo Yeast_spoem --out benchmarks/results/knn_cv_comparison_heldout.json

``--render`` prints Markdown tables of a result file beside the paper's reported numbers.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import RepeatedKFold

from ldlkit.datasets import load_dataset
from ldlkit.dummy import MeanPredictor
from ldlkit.metrics import PAPER_METRICS, evaluate
from ldlkit.neighbors import AAKNN, UAKNN, WUAKNN, TunedUAKNN

PAPER_DATASETS = ["SJAFFE", "SBU_3DFE", "Movie", "M2B", "SCUT_FBP"]
EXTRA_DATASETS = ["Yeast_alpha", "Yeast_cdc", "Yeast_heat", "Yeast_spo5", "emotion6"]


def methods(seed: int) -> dict:
    return {
        "MeanPredictor": lambda: MeanPredictor(),
        "AA-kNN": lambda: AAKNN(),
        "UAKNN": lambda: UAKNN(random_state=seed),
        "UAKNN (expected weights)": lambda: UAKNN(weights="expected"),
        "UAKNN (weight_mean=cosine)": lambda: UAKNN(weight_mean="cosine", random_state=seed),
        "UAKNN w/o prototype matching": lambda: UAKNN(prototype_matching=False, random_state=seed),
        "UAKNN w/o micro-perturbation": lambda: UAKNN(perturbation=False, random_state=seed),
        "WUAKNN": lambda: WUAKNN(),
        "TunedUAKNN": lambda: TunedUAKNN(random_state=seed),
    }


def run_dataset(name: str, repeats: int, seed: int) -> dict:
    X, D = load_dataset(name, return_X_y=True)
    splitter = RepeatedKFold(n_splits=5, n_repeats=repeats, random_state=seed)
    makers = methods(seed)
    scores = {m: {k: [] for k in PAPER_METRICS} for m in makers}
    seconds = dict.fromkeys(makers, 0.0)
    chosen = []
    for fold, (train, test) in enumerate(splitter.split(X)):
        for method, make in makers.items():
            start = time.perf_counter()
            model = make().fit(X[train], D[train])
            pred = model.predict(X[test])
            seconds[method] += time.perf_counter() - start
            for metric, value in evaluate(D[test], pred).items():
                scores[method][metric].append(float(value))
            if method == "TunedUAKNN":
                chosen.append(model.best_params_)
        if fold % 5 == 4:
            print(f"  {name}: repeat {fold // 5 + 1}/{repeats} done", flush=True)
    summary = {}
    for method, per_metric in scores.items():
        summary[method] = {"seconds_total": seconds[method]}
        for metric, values in per_metric.items():
            values = np.asarray(values)
            per_repeat = values.reshape(repeats, 5).mean(axis=1)
            summary[method][metric] = {
                "mean": float(values.mean()),
                "std_repeats": float(per_repeat.std(ddof=1)) if repeats > 1 else None,
                "std_folds": float(values.std(ddof=1)),
            }
    return {
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "n_labels": int(D.shape[1]),
        "methods": summary,
        "tuned_choices": chosen,
    }


def render(path: str) -> str:
    """Markdown tables: measured mean (std over repeats) beside the paper's reported numbers."""
    from ldlkit.metrics import get_metric
    from ldlkit.papers import reported_table

    report = json.loads(Path(path).read_text())
    reported = reported_table("uaknn", "table2")["results"]
    lines = [f"Protocol: {report['protocol']}.", ""]
    header = "| dataset | method | " + " | ".join(
        f"{get_metric(m).label} {get_metric(m).arrow}" for m in PAPER_METRICS
    )
    for name, result in report["datasets"].items():
        lines += [header + " |", "|---|---|" + "---|" * len(PAPER_METRICS)]
        for method, values in result["methods"].items():
            cells = []
            for metric in PAPER_METRICS:
                v = values[metric]
                std = f" ± {v['std_repeats']:.4f}" if v["std_repeats"] is not None else ""
                cells.append(f"{v['mean']:.4f}{std}")
            lines.append(f"| {name} | {method} | " + " | ".join(cells) + " |")
        for method in ("UAKNN", "WUAKNN"):
            paper = reported.get(name, {}).get(method)
            if paper:
                cells = [f"{paper[m][0]:.4f} ± {paper[m][1]:.4f}" for m in PAPER_METRICS]
                lines.append(f"| {name} | *{method} (paper)* | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["Wins of TunedUAKNN over AA-kNN (mean over folds):", ""]
    lines += ["| dataset | KL: Tuned / AA-kNN | Cosine: Tuned / AA-kNN | beats on both |"]
    lines += ["|---|---|---|---|"]
    for name, result in report["datasets"].items():
        t, a = result["methods"]["TunedUAKNN"], result["methods"]["AA-kNN"]
        kl_t, kl_a = t["kl_divergence"]["mean"], a["kl_divergence"]["mean"]
        cos_t, cos_a = t["cosine"]["mean"], a["cosine"]["mean"]
        both = "yes" if kl_t < kl_a and cos_t > cos_a else "no"
        lines.append(f"| {name} | {kl_t:.4f} / {kl_a:.4f} | {cos_t:.4f} / {cos_a:.4f} | {both} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets", nargs="*", default=PAPER_DATASETS + EXTRA_DATASETS)
    parser.add_argument("--out", default="benchmarks/results/knn_cv_comparison.json")
    parser.add_argument("--render", metavar="RESULT_JSON", help="print Markdown tables and exit")
    args = parser.parse_args()
    if args.render:
        print(render(args.render))
        return
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "protocol": f"RepeatedKFold(n_splits=5, n_repeats={args.repeats}, "
        f"random_state={args.seed})",
        "metrics": list(PAPER_METRICS),
        "datasets": {},
    }
    for name in args.datasets:
        start = time.perf_counter()
        print(f"{name} ...", flush=True)
        report["datasets"][name] = run_dataset(name, args.repeats, args.seed)
        report["datasets"][name]["wall_s"] = time.perf_counter() - start
        out.write_text(json.dumps(report, indent=1))
        res = report["datasets"][name]["methods"]
        for method in res:
            kl, cos = res[method]["kl_divergence"]["mean"], res[method]["cosine"]["mean"]
            print(f"  {method:32s} KL {kl:.4f}  cosine {cos:.4f}", flush=True)


if __name__ == "__main__":
    main()

"""Why the literal UAKNN loses to AA-kNN and to the training mean: each step taken apart.

For every dataset, one shuffled 5-fold CV (``--repeats`` for more) scores the literal UAKNN beside
predictors that remove or replace one of its steps, all on the same folds:

* ``oracle through Softmax*``: Eq. 3's output Softmax* (base 2) applied to the *true* test
  distributions. If this already scores worse than the training mean, Eq. 3 alone makes the
  method lose there, whatever the search and the weights do.
* ``UAKNN without the output Softmax*``: UAKNN's weights and matched rows, combined linearly
  (``sum_i w_i D_i / sum_i w_i``).
* ``mean of the L matched rows``: equal weights, the prototype matching alone.
* ``UAKNN on z-scored features``: the same method after standardising the features with the
  training statistics (cosine similarity on un-centred features is close to 1 for every pair).
* readings exposed as parameters: ``draws="per_query"`` (independent Monte-Carlo draws for every
  query instead of shared ones), ``prototypes="argmax"`` and WUAKNN ``output_softmax=True``.

It also records what the weights look like: the per-query spread (max - min over the L prototypes)
of the cosine similarities, of their softmax ``p`` and of the weights ``w``, the share of empty
prototypes, the range of the entries of ``sum_i w_i D_i`` (the input of Eq. 3's Softmax*), the
largest ratio between two degrees of one UAKNN prediction (both over all folds), and how peaked
the predictions are (mean largest degree) against the truth.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/uaknn_diagnosis.py \
        --out benchmarks/results/uaknn_diagnosis.json
    python benchmarks/uaknn_diagnosis.py --render benchmarks/results/uaknn_diagnosis.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import RepeatedKFold

from ldlkit.datasets import load_dataset, make_artificial
from ldlkit.dummy import MeanPredictor
from ldlkit.metrics import evaluate
from ldlkit.neighbors import AAKNN, UAKNN, WUAKNN, softmax_base

DATASETS = ["artificial", "SJAFFE", "SBU_3DFE", "Movie", "M2B", "SCUT_FBP"]
METRICS = ("chebyshev", "kl_divergence", "cosine")
SEEDS = 5


def _load(name: str):
    if name == "artificial":
        return make_artificial(500, random_state=0)  # the data of the `ldlkit run` demo
    return load_dataset(name, return_X_y=True)


def _fold(X, D, train, test, seed: int) -> tuple[dict, dict]:
    Xtr, Dtr, Xte, Dte = X[train], D[train], X[test], D[test]
    preds = {}
    preds["training mean"] = MeanPredictor().fit(Xtr, Dtr).predict(Xte)
    preds["uniform"] = np.full_like(Dte, 1.0 / D.shape[1])
    preds["oracle through Softmax*"] = softmax_base(Dte, 2.0)
    preds["AA-kNN"] = AAKNN().fit(Xtr, Dtr).predict(Xte)
    model = UAKNN(random_state=seed).fit(Xtr, Dtr)
    preds["UAKNN"] = model.predict(Xte)
    expected = UAKNN(weights="expected").fit(Xtr, Dtr)
    preds["UAKNN (expected weights)"] = expected.predict(Xte)
    preds["UAKNN (draws=per_query)"] = (
        UAKNN(draws="per_query", random_state=seed).fit(Xtr, Dtr).predict(Xte)
    )
    mu, index = expected._neighbours(Xte)
    w = expected._uncertainty_weights(mu)
    matched = expected._distributions[np.maximum(index, 0)]
    valid = np.isfinite(mu)
    linear = np.einsum("nk,nkj->nj", w, matched)
    preds["UAKNN without the output Softmax*"] = linear / linear.sum(1, keepdims=True)
    equal = valid / valid.sum(1, keepdims=True)
    preds["mean of the L matched rows"] = np.einsum("nk,nkj->nj", equal, matched)
    preds["WUAKNN"] = WUAKNN().fit(Xtr, Dtr).predict(Xte)
    preds["WUAKNN (output_softmax=True)"] = WUAKNN(output_softmax=True).fit(Xtr, Dtr).predict(Xte)
    preds["UAKNN (prototypes=argmax)"] = (
        UAKNN(prototypes="argmax", random_state=seed).fit(Xtr, Dtr).predict(Xte)
    )
    mean, std = Xtr.mean(0), Xtr.std(0)
    std = np.where(std > 0, std, 1.0)
    preds["UAKNN on z-scored features"] = (
        UAKNN(random_state=seed).fit((Xtr - mean) / std, Dtr).predict((Xte - mean) / std)
    )
    scores = {name: evaluate(Dte, P, metrics=METRICS) for name, P in preds.items()}
    # Seed-to-seed spread of the test-fold KL: shared draws vs per-query draws.
    for draws in ("shared", "per_query"):
        kl = [
            evaluate(Dte, UAKNN(draws=draws, random_state=r).fit(Xtr, Dtr).predict(Xte))[
                "kl_divergence"
            ]
            for r in range(SEEDS)
        ]
        scores[f"UAKNN (draws={draws}), KL over {SEEDS} seeds"] = {
            "kl_mean": float(np.mean(kl)),
            "kl_std": float(np.std(kl, ddof=1)),
        }
    p = softmax_base(mu)

    def spread(a):
        a = np.where(valid, a, np.nan)
        return float(np.nanmean(np.nanmax(a, 1) - np.nanmin(a, 1)))

    shape = {
        "cosine_mean": float(mu[valid].mean()),
        "cosine_spread": spread(mu),
        "p_spread": spread(p),
        "w_spread": spread(w),
        "w_mean": float(w[valid].mean()),
        "empty_prototype_share": float(1 - valid.mean()),
        "combined_min": float(linear.min()),
        "combined_max": float(linear.max()),
        "uaknn_degree_ratio_max": float((preds["UAKNN"].max(1) / preds["UAKNN"].min(1)).max()),
        "max_degree_truth": float(Dte.max(1).mean()),
        "max_degree_uaknn": float(preds["UAKNN"].max(1).mean()),
        "max_degree_oracle_softmax": float(preds["oracle through Softmax*"].max(1).mean()),
    }
    return scores, shape


def run(name: str, repeats: int, seed: int) -> dict:
    X, D = _load(name)
    folds = RepeatedKFold(n_splits=5, n_repeats=repeats, random_state=seed).split(X)
    per_fold = [_fold(X, D, tr, te, seed) for tr, te in folds]
    methods = per_fold[0][0].keys()
    scores = {
        m: {k: float(np.mean([f[0][m][k] for f in per_fold])) for k in per_fold[0][0][m]}
        for m in methods
    }
    # Extremes over all folds for the *_min/*_max entries, means over folds for the others.
    reduce = {"_min": np.min, "_max": np.max}
    shape = {
        k: float(reduce.get(k[-4:], np.mean)([f[1][k] for f in per_fold])) for k in per_fold[0][1]
    }
    return {"shape": list(D.shape) + [int(X.shape[1])], "scores": scores, "weights": shape}


def render(path: str) -> str:
    report = json.loads(Path(path).read_text())
    names = list(report["datasets"])
    lines = [f"Protocol: {report['protocol']}. Cells: Chebyshev / KL / Cosine.", ""]
    lines.append("| predictor | " + " | ".join(names) + " |")
    lines.append("|---|" + "---|" * len(names))
    methods = report["datasets"][names[0]]["scores"]
    for method in methods:
        cells = []
        for name in names:
            v = report["datasets"][name]["scores"][method]
            if "kl_std" in v:  # mean over folds of the per-fold mean and std over seeds
                cells.append(f"KL {v['kl_mean']:.4f} ± {v['kl_std']:.4f}")
            else:
                cells.append(f"{v['chebyshev']:.3f} / {v['kl_divergence']:.3f} / {v['cosine']:.3f}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += ["", "| weights and sharpness | " + " | ".join(names) + " |"]
    lines.append("|---|" + "---|" * len(names))
    for key in report["datasets"][names[0]]["weights"]:
        cells = [f"{report['datasets'][n]['weights'][key]:.4f}" for n in names]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--datasets", nargs="*", default=DATASETS)
    parser.add_argument("--out", default="benchmarks/results/uaknn_diagnosis.json")
    parser.add_argument("--render", metavar="RESULT_JSON", help="print Markdown tables and exit")
    args = parser.parse_args()
    if args.render:
        print(render(args.render))
        return
    report = {
        "protocol": f"RepeatedKFold(n_splits=5, n_repeats={args.repeats}, "
        f"random_state={args.seed})",
        "datasets": {},
    }
    for name in args.datasets:
        start = time.perf_counter()
        report["datasets"][name] = run(name, args.repeats, args.seed)
        print(f"{name}: {time.perf_counter() - start:.1f} s", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(render(args.out))


if __name__ == "__main__":
    main()

"""SA-BFGS and LDL-LRR: previous defaults, the Newton solver run to convergence, and the new
defaults (Newton + early stopping on held-out rows), on the same folds, alternating.

Part ``folds``: the first ``--folds`` folds of ``KFold(10, shuffle=True, random_state=0)`` on
each dataset, raw features; per fit the test KL, the fit time, the iterations and whether the
solver converged. Part ``patience``: SJAFFE, one 80/20 split (``random_state=0``, the split of
``tests/linear/test_sa.py``), ten held-out draws (``random_state`` 0-9) with
``n_iter_no_change`` 3 and 5: the test KL over the training mean's. Writes
``benchmarks/results/linear_solver_defaults.json`` with the machine's load. Usage::

    OMP_NUM_THREADS=1 LDLKIT_DATA=... PYTHONPATH=src python benchmarks/linear_solver_defaults.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold, train_test_split

from ldlkit.datasets import load_dataset
from ldlkit.linear import LDLLRR, SABFGS
from ldlkit.metrics import kl_divergence

CONFIGS = {
    "SABFGS previous (L-BFGS, 500 iterations)": (
        SABFGS,
        {"solver": "lbfgs", "early_stopping": False},
    ),
    "SABFGS Newton to convergence": (SABFGS, {"early_stopping": False}),
    "SABFGS default (Newton + early stopping)": (SABFGS, {"random_state": 0}),
    "LDLLRR previous (beta=1e-3, L-BFGS)": (
        LDLLRR,
        {"solver": "lbfgs", "early_stopping": False, "beta": 1e-3},
    ),
    "LDLLRR Newton to convergence": (LDLLRR, {"early_stopping": False}),
    "LDLLRR default (Newton + early stopping)": (LDLLRR, {"random_state": 0}),
}


def fit(cls, params, X, D, X_test, D_test) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model = cls(**params).fit(X, D)
        seconds = time.perf_counter() - start
    return {
        "fit_s": seconds,
        "kl_divergence": float(kl_divergence(D_test, model.predict(X_test))),
        "n_iter": int(model.n_iter_),
        "converged": bool(model.converged_),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["SJAFFE", "M2B", "SBU_3DFE"])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/linear_solver_defaults.json")
    args = parser.parse_args()
    result = {
        "command": "python benchmarks/linear_solver_defaults.py " + " ".join(sys.argv[1:]),
        "cpus": os.cpu_count(),
        "threads": os.environ.get("OMP_NUM_THREADS", "unset"),
        "load_average_before": os.getloadavg(),
        "folds": {},
    }
    for name in args.datasets:
        X, D = load_dataset(name, return_X_y=True, download=False)
        X, D = np.asarray(X, dtype=np.float64), np.asarray(D, dtype=np.float64)
        splits = list(KFold(10, shuffle=True, random_state=0).split(X))[: args.folds]
        runs = {config: [] for config in CONFIGS}
        for k, (train, test) in enumerate(splits):
            order = list(CONFIGS) if k % 2 == 0 else list(reversed(CONFIGS))
            for config in order:
                cls, params = CONFIGS[config]
                runs[config].append(fit(cls, params, X[train], D[train], X[test], D[test]))
        result["folds"][name] = {
            config: {
                "per_fold": rows,
                "kl_mean": float(np.mean([r["kl_divergence"] for r in rows])),
                "fit_s_median": float(np.median([r["fit_s"] for r in rows])),
            }
            for config, rows in runs.items()
        }
        print(name, json.dumps(result["folds"][name], indent=0)[:2000], flush=True)
    X, D = load_dataset("SJAFFE", return_X_y=True, download=False)
    Xa, Xb, Da, Db = train_test_split(X, D, test_size=0.2, random_state=0)
    mean = kl_divergence(Db, np.tile(Da.mean(axis=0), (len(Db), 1)))
    patience = {}
    for n_iter_no_change in (3, 5):
        ratios = []
        for seed in range(10):
            params = {"random_state": seed, "n_iter_no_change": n_iter_no_change}
            ratios.append(fit(SABFGS, params, Xa, Da, Xb, Db)["kl_divergence"] / mean)
        patience[str(n_iter_no_change)] = {
            "kl_over_training_mean": ratios,
            "draws_within_5_percent_of_the_mean": int(sum(r > 0.95 for r in ratios)),
        }
    result["patience_sjaffe"] = patience
    result["load_average_after"] = os.getloadavg()
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(patience, indent=1))


if __name__ == "__main__":
    main()

"""Where SA-BFGS's and LDL-LRR's time goes: objective evaluations against their BLAS floor.

Both fit ``softmax(X W)`` with scipy's L-BFGS; an iteration costs about one objective-and-gradient
evaluation, and an evaluation cannot cost less than its two matrix products ``X @ W`` and
``X.T @ G`` (float64, one pass each). Per dataset (first fold of ``KFold(10, shuffle=True,
random_state=0)``, raw features) this records the time of those two products, of one evaluation
of each objective, and of a default fit with its iteration and evaluation counts, in the same run
and process. Writes ``benchmarks/results/linear_timing.json``. Usage::

    LDLKIT_DATA=... OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/linear_timing.py SBU_3DFE
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.special import xlogy
from sklearn.model_selection import KFold

import ldlkit.linear._solvers as solvers
from ldlkit.datasets import load_dataset
from ldlkit.linear import LDLLRR, SABFGS
from ldlkit.linear._lrr import _pair_targets, lrr_loss_grad
from ldlkit.linear._maxent import maxent_kl_loss_grad

OUT = Path(__file__).parent / "results" / "linear_timing.json"


def per_call_ms(fn, repeats: int) -> float:
    """Median of five timings of ``repeats`` calls, in milliseconds per call."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        times.append((time.perf_counter() - start) / repeats * 1e3)
    return float(np.median(times))


def counted_fit(estimator, X, D) -> dict:
    """Fit, recording scipy's iteration and evaluation counts."""
    original = solvers.minimize
    seen = {}

    def minimize(*args, **kwargs):
        result = original(*args, **kwargs)
        seen.update(nit=int(result.nit), nfev=int(result.nfev))
        return result

    solvers.minimize = minimize
    try:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(X, D)
        seen["fit_s"] = time.perf_counter() - start
    finally:
        solvers.minimize = original
    return seen


def measure(name: str, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    X, D = load_dataset(name, return_X_y=True, download=False)
    train, _ = next(KFold(10, shuffle=True, random_state=0).split(X))
    X, D = np.ascontiguousarray(X[train], dtype=np.float64), D[train]
    W = rng.normal(scale=1.0 / np.abs(X).sum(axis=1).mean(), size=(X.shape[1], D.shape[1]))
    G = rng.normal(size=D.shape)
    order, weight = _pair_targets(D)
    entropy = float(xlogy(D, D).sum())
    w = W.ravel()
    record = {
        "shape": list(X.shape) + [D.shape[1]],
        "two_products_ms": per_call_ms(lambda: (X @ W, X.T @ G), repeats),
        "sabfgs_objective_ms": per_call_ms(
            lambda: maxent_kl_loss_grad(w, X, D, entropy=entropy), repeats
        ),
        "lrr_objective_ms": per_call_ms(
            lambda: lrr_loss_grad(w, X, D, order, weight, 1e-3, 100.0, 1e-3, entropy=entropy),
            repeats,
        ),
        "sabfgs_fit": counted_fit(SABFGS(), X, D),
        "lrr_fit_default": counted_fit(LDLLRR(), X, D),
        "lrr_fit_reference_params": counted_fit(LDLLRR(beta=0.0, max_iter=50), X, D),
    }
    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("datasets", nargs="+")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    results = json.loads(OUT.read_text()) if OUT.exists() else {}
    for name in args.datasets:
        record = measure(name, args.repeats)
        results[name] = record
        print(name, json.dumps(record), flush=True)
        OUT.write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""What ``ldlkit reproduce uaknn`` costs: one fold of every (method, dataset) pair, extrapolated.

Each (method, dataset) pair of the reproduction (its registered methods and datasets, its
splitter) fits and predicts the first split of ``RepeatedKFold(5, 10, random_state=0)`` in a
fresh child process with every BLAS pool at one thread (``OMP_NUM_THREADS=1`` and friends), the
setting of one joblib worker of ``reproduce --n-jobs 2`` on two cores. A pair whose fold runs past
``--timeout`` seconds is killed and recorded as at least that long. The JSON holds per pair the
fit and predict seconds, the test KL, the load average before and after, and the extrapolation
to the paper's protocol (``n_splits * n_repeats`` = 50 folds per pair):

* ``n_jobs=1``: the sum over pairs of 50 x the fold time;
* ``n_jobs=2``: the makespan of the runner's task order (dataset, method, split) dispatched to
  two workers as they become free (what joblib does), each task taking its pair's fold time;
  this assumes the two workers do not slow each other down (true for single-threaded BLAS on
  two free cores; a loaded machine is slower).

Run (about 10-15 minutes on a quiet 2-core machine)::

    LDLKIT_DATA=/path/to/datasets PYTHONPATH=src \
        python benchmarks/uaknn_reproduction_cost.py \
        --out benchmarks/results/uaknn_reproduction_cost.json

``--methods`` / ``--datasets`` rerun only those pairs and keep the output's other pairs (after a
speed change, rerun the changed methods); ``--resume`` also keeps the selected pairs the output
already holds and runs only the missing ones.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
    "LDLKIT_SOLVER_BLAS_THREADS": "1",
}


def one_pair(method: str, dataset: str) -> dict:
    """Fit and predict the reproduction's first split of ``dataset`` with ``method``."""
    import warnings

    import numpy as np

    from ldlkit.datasets import load_dataset
    from ldlkit.experiments import get_reproduction
    from ldlkit.experiments._reproduce import build_methods
    from ldlkit.metrics import kl_divergence

    repro = get_reproduction("uaknn")
    methods, notes = build_methods(repro)
    if method not in methods:  # its class is not in this installation: the run skips it
        return {"skipped": " ".join(notes), "fit_s": 0.0, "predict_s": 0.0, "fold_s": 0.0}
    X, D = load_dataset(dataset, return_X_y=True, download=False)
    cv = repro.make_cv()
    if not hasattr(cv, "split"):
        cv = cv(dataset)
    train, test = next(iter(cv.split(X, D)))
    # how fast this core runs right now: best of 3 float64 512^3 products (0.01-0.02 s on a
    # free core), so that a fold timed on a loaded machine can be read against a quiet one
    A = np.random.default_rng(0).standard_normal((512, 512))
    calibration = []
    for _ in range(3):
        start = time.perf_counter()
        A @ A
        calibration.append(time.perf_counter() - start)
    model = methods[method]
    if "random_state" in model.get_params():
        model.set_params(random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(X[train], D[train])
        fit = time.perf_counter() - start
        start = time.perf_counter()
        P = model.predict(X[test])
        predict = time.perf_counter() - start
    return {
        "fit_s": fit,
        "predict_s": predict,
        "fold_s": fit + predict,
        "kl": float(np.mean(kl_divergence(D[test], P))),
        "n_iter": int(getattr(model, "n_iter_", -1)) if hasattr(model, "n_iter_") else None,
        "warnings": sorted({type(w.message).__name__ for w in caught}),
        "n_train": int(len(train)),
        "calibration_matmul_s": min(calibration),
    }


def makespan(times: list[float], workers: int) -> float:
    """Finish time of tasks dispatched in order to the first free of ``workers`` workers."""
    free = [0.0] * workers
    heapq.heapify(free)
    for t in times:
        heapq.heappush(free, heapq.heappop(free) + t)
    return max(free)


def extrapolate(pairs: list[dict], repro, datasets, methods) -> dict:
    folds = repro.n_splits * repro.n_repeats
    by_key = {(p["dataset"], p["method"]): p for p in pairs}
    order = []  # the runner's task order: dataset, method, split
    for dataset in datasets:
        for method in methods:
            pair = by_key.get((dataset, method))
            if pair is not None:
                order.extend([pair["fold_s"]] * folds)
    totals = {
        "folds_per_pair": folds,
        "n_jobs_1_s": sum(order),
        "n_jobs_2_s": makespan(order, 2),
        "lower_bounds": any(p.get("timed_out") for p in pairs),
    }
    per_method: dict[str, float] = {}
    per_dataset: dict[str, float] = {}
    for p in pairs:
        per_method[p["method"]] = per_method.get(p["method"], 0.0) + folds * p["fold_s"]
        per_dataset[p["dataset"]] = per_dataset.get(p["dataset"], 0.0) + folds * p["fold_s"]
    totals["per_method_s"] = dict(sorted(per_method.items(), key=lambda kv: -kv[1]))
    totals["per_dataset_s"] = dict(sorted(per_dataset.items(), key=lambda kv: -kv[1]))
    totals["dominant_pairs"] = [
        {"dataset": p["dataset"], "method": p["method"], "full_s": folds * p["fold_s"]}
        for p in sorted(pairs, key=lambda p: -p["fold_s"])[:10]
    ]
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+")
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per pair")
    parser.add_argument("--out", default="benchmarks/results/uaknn_reproduction_cost.json")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "DATASET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_pair(*args.one)))
        return

    from ldlkit.experiments import get_reproduction

    repro = get_reproduction("uaknn")
    datasets = args.datasets or list(repro.datasets)
    methods = args.methods or list(repro.methods)
    out = Path(args.out)
    previous = json.loads(out.read_text()).get("pairs", []) if out.exists() else []
    selected = {(d, m) for d in datasets for m in methods}
    # pairs outside the selection are kept; inside it, only with --resume
    pairs = [p for p in previous if args.resume or (p["dataset"], p["method"]) not in selected]
    done = {(p["dataset"], p["method"]) for p in pairs}
    env = {**os.environ, **SINGLE_THREAD_ENV}
    for dataset in datasets:
        for method in methods:
            if (dataset, method) in done:
                continue
            record = {"dataset": dataset, "method": method, "load_before": os.getloadavg()}
            start = time.perf_counter()
            try:
                child = subprocess.run(
                    [sys.executable, __file__, "--one", method, dataset],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                )
                if child.returncode != 0:
                    record.update(error=child.stderr.strip().splitlines()[-1:], fold_s=0.0)
                else:
                    record.update(json.loads(child.stdout.strip().splitlines()[-1]))
            except subprocess.TimeoutExpired:
                record.update(timed_out=True, fold_s=args.timeout)
            record["wall_s"] = time.perf_counter() - start
            record["load_after"] = os.getloadavg()
            pairs.append(record)
            print(
                f"{dataset:9s} {method:30s} fold {record['fold_s']:8.2f}s "
                f"KL {record.get('kl', float('nan')):.4f} load {record['load_before'][0]:.1f}",
                flush=True,
            )
            result = {
                "command": " ".join(sys.argv),
                "cpu_count": os.cpu_count(),
                "protocol": repro.protocol,
                "pairs": pairs,
                "extrapolation": extrapolate(
                    pairs, repro, list(repro.datasets), list(repro.methods)
                ),
            }
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=1))
    summary = extrapolate(pairs, repro, list(repro.datasets), list(repro.methods))
    print(
        f"full protocol: n_jobs=1 {summary['n_jobs_1_s'] / 3600:.2f} h, "
        f"n_jobs=2 {summary['n_jobs_2_s'] / 3600:.2f} h"
        + (" (lower bounds: some pairs timed out)" if summary["lower_bounds"] else "")
    )


if __name__ == "__main__":
    main()

"""Fit time of the linear baselines with single-threaded BLAS (the default) and with BLAS as
configured, in the same process, alternating, on the first training fold of each dataset.

``ldlkit._blas`` limits BLAS to one thread during every linear baseline's fit (L-BFGS,
Newton-CG, ADMM and alternating solvers alike; ``LDLKIT_SOLVER_BLAS_THREADS``, default 1; 0
leaves BLAS alone). This script measures both
settings back to back and checks that they reach the same model (largest difference of the
predicted training distributions, and both training KLs), so the speed-up is not bought with a
different answer. Writes ``benchmarks/results/solver_threads.json``. Usage::

    LDLKIT_DATA=... PYTHONPATH=src python benchmarks/solver_threads.py \
        --datasets SJAFFE M2B SBU_3DFE --methods SABFGS LDLLRR

The ADMM and alternating solvers (``benchmarks/results/solver_threads_admm.json``)::

    LDLKIT_DATA=... PYTHONPATH=src python benchmarks/solver_threads.py --datasets SBU_3DFE M2B \
        --methods LDLSF LDLLCLR LDLSCL SABFGS LDLLRR --repeats 2 \
        --out benchmarks/results/solver_threads_admm.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_info

import ldlkit.enhancement as enhancement
import ldlkit.linear as linear
from ldlkit._blas import SOLVER_BLAS_THREADS_ENV
from ldlkit.datasets import load_dataset
from ldlkit.metrics import kl_divergence

OUT = Path(__file__).parent / "results" / "solver_threads.json"
DEFAULT_METHODS = ["SABFGS", "LDLLRR", "LDLLCLR", "LALOT", "EDLLRL", "LDLLDM"]
DEFAULT_DATASETS = ["SJAFFE", "M2B", "Yeast_cdc", "SCUT_FBP", "emotion6", "SBU_3DFE"]


def fit_once(
    name: str, X: np.ndarray, D: np.ndarray, threads: str
) -> tuple[float, np.ndarray, object]:
    os.environ[SOLVER_BLAS_THREADS_ENV] = threads
    if name == "GLLE":  # label enhancement: recovers distributions from logical labels
        logical = (D >= D.max(axis=1, keepdims=True)).astype(float)
        start = time.perf_counter()
        estimator = enhancement.GLLE()
        out = estimator.fit_transform(X, logical)
        return time.perf_counter() - start, out, getattr(estimator, "n_iter_", None)
    estimator = getattr(linear, name)()
    if "random_state" in estimator.get_params():
        # k-means initialisation (LDL-LCLR, EDL-LRL, LDL-LDM): the same clustering both ways
        estimator.set_params(random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: both settings hit the same limits
        estimator.fit(X, D)
    seconds = time.perf_counter() - start
    return seconds, estimator.predict(X), getattr(estimator, "n_iter_", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=DEFAULT_DATASETS)
    parser.add_argument("--methods", nargs="+", default=DEFAULT_METHODS)
    parser.add_argument("--repeats", type=int, default=1, help="alternating pairs per fit")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    out = Path(args.out)
    results = json.loads(out.read_text()) if out.exists() else {}
    results["machine"] = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "blas": [
            {k: info[k] for k in ("internal_api", "filepath", "num_threads", "version")}
            for info in threadpool_info()
            if info["user_api"] == "blas"
        ],
        "load_average_before": os.getloadavg(),
    }
    runs = results.setdefault("runs", {})
    for dataset in args.datasets:
        X, D = load_dataset(dataset, return_X_y=True, download=False)
        train, _ = next(KFold(10, shuffle=True, random_state=0).split(X))
        X, D = X[train], D[train]
        for method in args.methods:
            times: dict[str, list[float]] = {"1": [], "0": []}
            predictions, iterations = {}, {}
            for _ in range(args.repeats):
                for threads in ("1", "0"):  # alternate, so load drift hits both
                    seconds, predictions[threads], n_iter = fit_once(method, X, D, threads)
                    iterations[threads] = None if n_iter is None else np.asarray(n_iter).tolist()
                    times[threads].append(seconds)
            single, configured = min(times["1"]), min(times["0"])
            record = {
                "shape": [*X.shape, D.shape[1]],
                "random_state": 0,  # where the estimator has one
                "single_thread_blas_s": round(single, 3),
                "blas_as_configured_s": round(configured, 3),
                "speedup": round(configured / single, 2),
                # the solver's iteration count (outer loop for the ADMM/alternating methods):
                # a speed-up from stopping earlier would show here
                "n_iter": {"single": iterations["1"], "as_configured": iterations["0"]},
                "max_abs_prediction_difference": float(
                    np.abs(predictions["1"] - predictions["0"]).max()
                ),
                "train_kl": {
                    "single": float(kl_divergence(D, predictions["1"])),
                    "as_configured": float(kl_divergence(D, predictions["0"])),
                },
                "load_average": os.getloadavg()[0],
            }
            record["load_average_after"] = os.getloadavg()
            runs[f"{dataset}/{method}"] = record
            print(dataset, method, json.dumps(record), flush=True)
            out.write_text(json.dumps(results, indent=1) + "\n")
    os.environ.pop(SOLVER_BLAS_THREADS_ENV, None)


if __name__ == "__main__":
    main()

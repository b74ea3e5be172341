"""Throughput, roofline fraction, memory and incremental-update cost of the kNN family.

Measures, in one run (so ratios are against a baseline taken on the same machine at the same time):

* predictions per second on Movie (fit on 90 %, predict the other 10 %, best of several repeats) for
  UAKNN (also with expected weights and with per-query draws), WUAKNN, AA-kNN, TunedUAKNN and
  scikit-learn's ``KNeighborsRegressor(algorithm="brute")``;
* the machine's float32 matrix-multiply throughput (GFLOP/s) on the same shapes, and the fraction
  of it UAKNN's search reaches (matrix-product FLOPs / time of the whole search);
* the alternatives for the per-prototype reduction (gather + argmax, ``np.take`` + argmax, masked
  add + argmax, duplicated per-prototype matrices);
* peak memory (tracemalloc, numpy's allocations) while UAKNN predicts 1,000,000 synthetic queries;
* the time of ``partial_fit`` with 1,000 new rows into a fitted Movie model.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/knn_throughput.py --out results.json

Targets (reported, never asserted): UAKNN >= 3,000 predictions/s on Movie on 2 cores and >= 50 %
of the matmul roofline; 1e6 queries under 2 GB peak; ``partial_fit`` of 1,000 rows under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.neighbors import KNeighborsRegressor

from ldlkit.datasets import load_dataset
from ldlkit.neighbors import AAKNN, UAKNN, WUAKNN, TunedUAKNN


def best_time(function, repeats: int) -> float:
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def throughput(args, X, D) -> dict:
    n_train = int(0.9 * len(X))
    Xtr, Dtr, Xte = X[:n_train], D[:n_train], X[n_train:]
    models = {
        "UAKNN": UAKNN(random_state=0),
        "UAKNN (expected weights)": UAKNN(weights="expected"),
        "UAKNN (draws=per_query)": UAKNN(draws="per_query", random_state=0),
        "WUAKNN": WUAKNN(),
        "AA-kNN": AAKNN(),
        "TunedUAKNN": TunedUAKNN(random_state=0),
        "sklearn KNeighborsRegressor(brute)": KNeighborsRegressor(4, algorithm="brute"),
    }
    out = {}
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(Xtr, Dtr)
        fit_s = time.perf_counter() - start
        seconds = best_time(lambda m=model: m.predict(Xte), args.repeats)
        out[name] = {
            "fit_s": fit_s,
            "predict_s": seconds,
            "predictions_per_s": len(Xte) / seconds,
        }
        print(f"{name:40s} {len(Xte) / seconds:10.0f} predictions/s")
    # Roofline: the same float32 product the search does, timed alone.
    uaknn = models["UAKNN"]
    T = uaknn.index_.rows
    Q = uaknn.index_._prepare_queries(Xte)
    flops = 2.0 * Q.shape[0] * T.shape[0] * T.shape[1]
    matmul_s = best_time(lambda: Q @ T.T, args.repeats)
    search_s = best_time(
        lambda: uaknn.index_.prototype_topk(Xte, uaknn._members(), 1), args.repeats
    )
    sq = np.ascontiguousarray(np.random.default_rng(0).standard_normal((2048, 2048), np.float32))
    square_s = best_time(lambda: sq @ sq, args.repeats)
    roofline = {
        "n_train": int(T.shape[0]),
        "n_queries": int(Q.shape[0]),
        "n_features": int(T.shape[1]),
        "matmul_gflops_same_shape": flops / matmul_s / 1e9,
        "matmul_gflops_2048_square": 2.0 * 2048**3 / square_s / 1e9,
        "uaknn_search_s": search_s,
        "uaknn_search_gflops": flops / search_s / 1e9,
        "uaknn_search_fraction_of_matmul": matmul_s / search_s,
        "uaknn_predict_fraction_of_matmul": matmul_s / out["UAKNN"]["predict_s"],
    }
    print(json.dumps(roofline, indent=1))
    return {"predict": out, "roofline": roofline}


def reduction_alternatives(args, X, D) -> dict:
    """Time the ways of taking a per-prototype argmax of one block's similarity matrix."""
    n_train = int(0.9 * len(X))
    L = D.shape[1]
    T = X[:n_train] / np.linalg.norm(X[:n_train], axis=1, keepdims=True)
    T = T.astype(np.float32)
    Q = X[n_train:] / np.linalg.norm(X[n_train:], axis=1, keepdims=True)
    Q = Q.astype(np.float32)
    members = [np.flatnonzero(D[:n_train, i] > 1.0 / L) for i in range(L)]
    S = Q @ T.T
    mask_add = np.where(
        np.stack([np.isin(np.arange(n_train), m) for m in members]), 0.0, -np.inf
    ).astype(np.float32)
    dup = [np.ascontiguousarray(T[m]) for m in members]
    options = {
        "gather S[:, rows] + argmax": lambda: [S[:, m].argmax(1) for m in members],
        "np.take(S, rows, axis=1) + argmax (used)": lambda: [
            np.take(S, m, axis=1).argmax(1) for m in members
        ],
        "masked add + argmax": lambda: [(S + mask_add[i]).argmax(1) for i in range(L)],
        "duplicated per-prototype matmul + argmax": lambda: [(Q @ p.T).argmax(1) for p in dup],
    }
    result = {
        "overlap_factor": sum(len(m) for m in members) / n_train,
        "matmul_s": best_time(lambda: Q @ T.T, args.repeats),
    }
    for name, fn in options.items():
        result[name + " _s"] = best_time(fn, args.repeats)
    print(json.dumps(result, indent=1))
    return result


def memory(args) -> dict:
    """Peak memory while predicting many synthetic queries (24 features, 6 labels)."""
    rng = np.random.default_rng(0)
    d, L, n_train = 24, 6, 5000
    Xtr = rng.random((n_train, d)) + 0.01
    Dtr = rng.dirichlet(np.ones(L), size=n_train)
    model = UAKNN(random_state=0).fit(Xtr, Dtr)
    queries = rng.random((args.n_queries, d)) + 0.01
    tracemalloc.start()
    base_current, _ = tracemalloc.get_traced_memory()
    start = time.perf_counter()
    pred = model.predict(queries)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result = {
        "n_queries": args.n_queries,
        "n_features": d,
        "n_labels": L,
        "n_train": n_train,
        "input_bytes": int(queries.nbytes),
        "output_bytes": int(pred.nbytes),
        "peak_traced_bytes_during_predict": int(peak - base_current),
        "process_max_rss_bytes": int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024),
        "seconds": seconds,
        "predictions_per_s": args.n_queries / seconds,
    }
    print(json.dumps(result, indent=1))
    return result


def incremental(args, X, D) -> dict:
    n_new = 1000
    base_rows = len(X) - n_new
    timings = {}
    makers = {
        "UAKNN": lambda: UAKNN(random_state=0),
        "AA-kNN": AAKNN,
        "TunedUAKNN(retune=False)": lambda: TunedUAKNN(random_state=0, retune=False),
        "TunedUAKNN(retune=True)": lambda: TunedUAKNN(random_state=0),
    }
    for name, make in makers.items():
        times = []
        for _ in range(args.repeats):
            model = make().fit(X[:base_rows], D[:base_rows])
            start = time.perf_counter()
            model.partial_fit(X[base_rows:], D[base_rows:])
            times.append(time.perf_counter() - start)
        timings[name] = {"n_base": base_rows, "n_new": n_new, "best_s": min(times)}
    print(json.dumps(timings, indent=1))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/knn_throughput.json")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-queries", type=int, default=1_000_000)
    args = parser.parse_args()
    X, D = load_dataset("Movie", return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(X))
    X, D = X[perm], D[perm]
    report = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
        },
        "throughput_movie": throughput(args, X, D),
        "reduction_alternatives_movie": reduction_alternatives(args, X, D),
        "memory_1e6_queries": memory(args),
        "partial_fit_1000_rows_movie": incremental(args, X, D),
    }
    t = report["throughput_movie"]
    report["targets"] = {
        "uaknn_predictions_per_s >= 3000": t["predict"]["UAKNN"]["predictions_per_s"] >= 3000,
        "uaknn_search_fraction_of_matmul >= 0.5": t["roofline"]["uaknn_search_fraction_of_matmul"]
        >= 0.5,
        "peak_memory_1e6 < 2GB": report["memory_1e6_queries"]["peak_traced_bytes_during_predict"]
        < 2 * 1024**3,
        "partial_fit_1000 < 50ms": report["partial_fit_1000_rows_movie"]["UAKNN"]["best_s"] < 0.05,
    }
    print(json.dumps(report["targets"], indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

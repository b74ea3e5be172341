"""Throughput, roofline fraction, memory and incremental-update cost of the kNN family.

Measures, in one run (so ratios are against a baseline taken on the same machine at the same time):

* predictions per second on Movie (fit on 90 %, predict the other 10 %, best of several repeats) for
  UAKNN (also with expected weights and with per-query draws), WUAKNN, AA-kNN, TunedUAKNN and
  scikit-learn's ``KNeighborsRegressor(algorithm="brute")``;
* the machine's float32 matrix-multiply throughput (GFLOP/s) on the same shapes, and the fraction
  of it UAKNN's search reaches (matrix-product FLOPs / time of the whole search);
* the alternatives for the per-prototype reduction (gather + argmax, ``np.take`` + argmax, masked
  add + argmax, duplicated per-prototype matrices);
* peak memory (tracemalloc, numpy's allocations) while UAKNN and AA-kNN predict 1,000,000
  Movie-width queries (1,869 features, a float32 memory-mapped file, so the input itself is not
  an allocation), and while UAKNN/WUAKNN predict on 500-label data;
* the time of ``partial_fit`` with 1,000 new rows into a fitted Movie model;
* the cost of exact re-ranking: predictions/s of this code against the code before it (a git
  revision, ``--baseline-rev``), each timed in a child process, alternating, best of the rounds;
* copy-on-write against a lock: append latency and 1-row predict latency with a concurrent
  writer/reader, for the copy-on-write snapshot (used) and for the same model behind one lock;
* AA-kNN's exact predict against faiss ``IndexFlatL2`` (float32 brute force) plus the averaging
  of the neighbours' distributions, and against the float32 product of its screen alone (its
  roofline), alternating, on Movie as loaded (column-major float64) and C-ordered; UAKNN against
  its own float32 product in the same rounds.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/knn_throughput.py --out results.json

AA-kNN and UAKNN against their float32 matmul roofline and faiss ``IndexFlatL2`` (the figures
quoted in README.md and docs/knn.md; 15 alternating rounds, fractions as the median over rounds)::

    LDLKIT_DATA=/path/to/datasets python benchmarks/knn_throughput.py \
        --only aaknn_vs_faiss_flat_movie --merge --repeats 15

Each section records the load average; on a shared machine compare ratios within one run.

Targets (reported, never asserted): UAKNN >= 3,000 predictions/s on Movie on 2 cores and >= 50 %
of the matmul roofline; 1e6 queries under 2 GB peak; ``partial_fit`` of 1,000 rows under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.neighbors import KNeighborsRegressor

from ldlkit.datasets import load_dataset
from ldlkit.neighbors import AAKNN, UAKNN, WUAKNN, TunedUAKNN, _search


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
    Q = uaknn.index_._prepare_queries(Xte)[1]
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


def _traced_peak(function) -> tuple[int, float]:
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    start = time.perf_counter()
    function()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before, seconds


def memory(args, X, D) -> dict:
    """Peak numpy allocations while predicting 1e6 Movie-width queries and 500-label data."""
    rng = np.random.default_rng(0)
    n, d = args.n_queries, X.shape[1]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "queries.f32"
        queries = np.memmap(path, dtype=np.float32, mode="w+", shape=(n, d))
        for start in range(0, n, 50_000):  # Movie rows plus noise, written block by block
            rows = X[rng.integers(0, len(X), min(50_000, n - start))]
            queries[start : start + len(rows)] = rows + rng.random(rows.shape) * 0.01
        queries.flush()
        train = rng.choice(len(X), args.memory_train_rows, replace=False)
        for name, model in {"UAKNN": UAKNN(random_state=0), "AA-kNN": AAKNN()}.items():
            model.fit(X[train], D[train])
            holder = {}
            peak, seconds = _traced_peak(
                lambda m=model, h=holder, q=queries: h.update(p=m.predict(q))
            )
            results[f"{name}, {n} x {d} float32 queries"] = {
                "n_train": int(len(train)),
                "input_bytes_float32_memmap": int(queries.nbytes),
                "output_bytes": int(holder["p"].nbytes),
                "peak_traced_bytes_during_predict": int(peak),
                "seconds": seconds,
                "predictions_per_s": n / seconds,
            }
            holder.clear()
            print(json.dumps(results, indent=1), flush=True)
        del queries
    L, n_train, width, n_q = 500, 2000, 64, 20_000
    Xl = rng.random((n_train, width)) + 0.01
    Dl = rng.dirichlet(np.full(L, 0.05), size=n_train)
    Ql = rng.random((n_q, width)) + 0.01
    for name, model in {"UAKNN": UAKNN(random_state=0), "WUAKNN": WUAKNN()}.items():
        model.fit(Xl, Dl)
        peak, seconds = _traced_peak(lambda m=model: m.predict(Ql))
        results[f"{name}, {L} labels, {n_q} queries"] = {
            "n_train": n_train,
            "n_features": width,
            "output_bytes": n_q * L * 8,
            "automatic_block": model.index_._block(n_q, model._extra_bytes_per_query()),
            "peak_traced_bytes_during_predict": int(peak),
            "seconds": seconds,
        }
    results["process_max_rss_bytes (includes mapped input pages)"] = int(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    )
    print(json.dumps(results, indent=1), flush=True)
    return results


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


CHILD_MODELS = {
    "UAKNN": "UAKNN(random_state=0)",
    "UAKNN (expected weights)": "UAKNN(weights='expected')",
    "WUAKNN": "WUAKNN()",
    "AA-kNN": "AAKNN()",
}


def child_timing(args) -> None:
    """Run in a child process (PYTHONPATH picks the code): best predict time per model."""
    from ldlkit import neighbors

    X, D = load_dataset("Movie", return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(X))
    X, D = X[perm], D[perm]
    n = int(0.9 * len(X))
    out = {}
    for name, expr in CHILD_MODELS.items():
        model = eval(expr, vars(neighbors)).fit(X[:n], D[:n])  # noqa: S307 - fixed strings
        out[name] = best_time(lambda m=model: m.predict(X[n:]), args.repeats)
    print(json.dumps({"n_queries": len(X) - n, "predict_s": out}))


def rerank_cost(args) -> dict:
    """Throughput of this code against ``--baseline-rev``, alternating child processes."""
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as folder:
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", args.baseline_rev, "src/ldlkit"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        sources = {"baseline": str(Path(folder) / "src"), "current": str(root / "src")}
        best: dict[str, dict[str, float]] = {"baseline": {}, "current": {}}
        for _ in range(args.rounds):
            for which, src in sources.items():
                env = dict(os.environ, PYTHONPATH=src)
                result = subprocess.run(
                    [sys.executable, __file__, "--child-timing", "--repeats", str(args.repeats)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env=env,
                )
                timing = json.loads(result.stdout.strip().splitlines()[-1])
                for name, seconds in timing["predict_s"].items():
                    best[which][name] = min(best[which].get(name, np.inf), seconds)
    n_queries = timing["n_queries"]
    report = {"baseline_rev": args.baseline_rev, "rounds": args.rounds, "n_queries": n_queries}
    for name in CHILD_MODELS:
        old, new = best["baseline"][name], best["current"][name]
        report[name] = {
            "baseline_predictions_per_s": n_queries / old,
            "current_predictions_per_s": n_queries / new,
            "throughput_loss": 1.0 - old / new,
        }
    print(json.dumps(report, indent=1), flush=True)
    return report


class _Locked:
    """The same model behind one lock: the alternative to copy-on-write that was measured."""

    def __init__(self, model) -> None:
        self.model, self.lock = model, threading.Lock()

    def predict(self, X):
        with self.lock:
            return self.model.predict(X)

    def partial_fit(self, X, D):
        with self.lock:
            return self.model.partial_fit(X, D)


def cow_versus_lock(args, X, D) -> dict:
    """Append latency beside 256-row predictions, and 1-row predict latency beside appends."""
    n = int(0.9 * len(X))
    Xtr, Dtr, Xnew, Dnew = X[: n - 500], D[: n - 500], X[n - 500 : n], D[n - 500 : n]
    Q = X[n:]
    report = {}
    for design in ("copy-on-write (used)", "one lock"):
        model = UAKNN(random_state=0).fit(Xtr, Dtr)
        target = model if design.startswith("copy") else _Locked(model)
        stop = threading.Event()

        def batch_reader(t=target, stop=stop):
            while not stop.is_set():
                t.predict(Q[:256])

        reader = threading.Thread(target=batch_reader)
        reader.start()
        appends = []
        for i in range(0, 200, 10):
            start = time.perf_counter()
            target.partial_fit(Xnew[i : i + 10], Dnew[i : i + 10])
            appends.append(time.perf_counter() - start)
            time.sleep(0.02)
        stop.set()
        reader.join()
        stop.clear()

        def writer(t=target, stop=stop):
            i = 200
            while not stop.is_set() and i < 500:
                t.partial_fit(Xnew[i : i + 10], Dnew[i : i + 10])
                i += 10
                time.sleep(0.1)  # 100 rows/s

        thread = threading.Thread(target=writer)
        thread.start()
        latencies = []
        for i in range(300):
            start = time.perf_counter()
            target.predict(Q[i % len(Q) : i % len(Q) + 1])
            latencies.append(time.perf_counter() - start)
        stop.set()
        thread.join()
        report[design] = {
            "append_10_rows_beside_256_row_predicts_s": {
                "p50": float(np.percentile(appends, 50)),
                "p99": float(np.percentile(appends, 99)),
            },
            "predict_1_row_beside_appends_s": {
                "p50": float(np.percentile(latencies, 50)),
                "p99": float(np.percentile(latencies, 99)),
            },
        }
    print(json.dumps(report, indent=1), flush=True)
    return report


def aaknn_versus_flat(args, X, D) -> dict:
    """AA-kNN exact predict beside faiss IndexFlatL2 + averaging and beside its own matmul; UAKNN
    beside its own matmul, in the same alternating rounds.

    Each round times every candidate once, in turn, so load drift hits all of them; a model's
    fraction of the roofline is taken per round (the matmul's time over the predict's time in
    that round) and reported as the median over rounds, beside the ratio of the best times.
    """
    import faiss

    n_train = int(0.9 * len(X))
    Xtr, Dtr, Xte = X[:n_train], D[:n_train], X[n_train:]
    fortran = AAKNN().fit(np.asfortranarray(Xtr), Dtr)
    c_order = AAKNN().fit(np.ascontiguousarray(Xtr), Dtr)
    uaknn = UAKNN(random_state=0).fit(Xtr, Dtr)
    T32 = np.ascontiguousarray(Xtr, dtype=np.float32)
    Q32 = np.ascontiguousarray(Xte, dtype=np.float32)
    flat = faiss.IndexFlatL2(T32.shape[1])
    flat.add(T32)
    rows, queries = c_order.index_.rows, c_order.index_._prepare_queries(Xte)[1]
    u_rows, u_queries = uaknn.index_.rows, uaknn.index_._prepare_queries(Xte)[1]

    def faiss_flat_and_average():
        _, neighbours = flat.search(Q32, 4)
        return Dtr[neighbours].mean(axis=1)

    def single(model):
        before = _search.SEARCH_THREADS
        _search.SEARCH_THREADS = 1
        try:
            return model.predict(Xte)
        finally:
            _search.SEARCH_THREADS = before

    aaknn_roofline = "float32 matmul of the screen (roofline)"
    uaknn_roofline = "UAKNN: float32 matmul of its screen (its roofline)"
    candidates = {
        "AA-kNN exact (fitted on column-major rows)": lambda: fortran.predict(Xte),
        "AA-kNN exact (fitted on C-ordered rows)": lambda: c_order.predict(Xte),
        "faiss IndexFlatL2 k=4 + averaging": faiss_flat_and_average,
        aaknn_roofline: lambda: queries @ rows.T,
        "UAKNN exact": lambda: uaknn.predict(Xte),
        uaknn_roofline: lambda: u_queries @ u_rows.T,
        # the window and exact re-scoring in the calling thread only (SEARCH_THREADS=1)
        "AA-kNN exact (C-ordered), search steps on 1 thread": lambda: single(c_order),
        "UAKNN exact, search steps on 1 thread": lambda: single(uaknn),
    }
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for fn in candidates.values():
        fn()  # warm-up
    for _ in range(args.repeats):  # alternate, so load drift hits every candidate
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    best = {name: min(v) for name, v in times.items()}
    flat_s = best["faiss IndexFlatL2 k=4 + averaging"]
    aaknn = [name for name in candidates if name.startswith("AA-kNN")]
    roofline_of = {name: aaknn_roofline for name in aaknn} | {
        name: uaknn_roofline for name in candidates if name.startswith("UAKNN exact")
    }

    def per_round(name: str, reference: str) -> list[float]:
        return [r / t for r, t in zip(times[reference], times[name], strict=True)]

    same = np.array_equal(fortran.predict(Xte), c_order.predict(Xte))
    same_threads = np.array_equal(single(c_order), c_order.predict(Xte)) and np.array_equal(
        single(uaknn), uaknn.predict(Xte)
    )
    index = c_order.index_
    Q64, Qs, norms = index._prepare_queries(Xte)
    S = index._screen_numpy(Qs)
    qi, cols = index._window_numpy(S, 4, index._window(norms))
    narrowed = index._narrowed(S[qi, cols], qi, cols, norms[qi], 4)[0] if len(qi) else qi
    result = {
        "n_train": int(n_train),
        "n_queries": int(len(Xte)),
        "n_features": int(X.shape[1]),
        "rounds": int(args.repeats),
        "faiss_threads": int(faiss.omp_get_max_threads()),
        "aaknn_rescored_rows_per_query": {
            "window": len(qi) / len(Xte),
            "after_per_row_bound": len(narrowed) / len(Xte),
        },
        "best_s": best,
        "median_s": {name: float(np.median(v)) for name, v in times.items()},
        "all_s": times,
        "aaknn_over_faiss_flat": {name: best[name] / flat_s for name in aaknn},
        "aaknn_over_faiss_flat_median_per_round": {
            name: float(np.median(per_round("faiss IndexFlatL2 k=4 + averaging", name)))
            for name in aaknn
        },
        "aaknn_fraction_of_matmul_roofline": {
            name: best[aaknn_roofline] / best[name] for name in aaknn
        },
        "fraction_of_roofline_median_per_round": {
            name: float(np.median(per_round(name, ref))) for name, ref in roofline_of.items()
        },
        "fraction_of_roofline_best_over_best": {
            name: best[ref] / best[name] for name, ref in roofline_of.items()
        },
        "identical_predictions_column_major_vs_c_ordered": bool(same),
        "identical_predictions_search_threads_1_vs_default": bool(same_threads),
        "search_threads_default": _search._blas_threads(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    print(json.dumps({k: v for k, v in result.items() if k != "all_s"}, indent=1))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/knn_throughput.json")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-queries", type=int, default=1_000_000)
    parser.add_argument("--memory-train-rows", type=int, default=500)
    parser.add_argument("--baseline-rev", default="feb6106")  # before exact re-ranking
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child-timing", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="*", default=None, help="sections to run (default: all)")
    parser.add_argument("--merge", action="store_true", help="update --out, keep other sections")
    args = parser.parse_args()
    if args.child_timing:
        child_timing(args)
        return
    X, D = load_dataset("Movie", return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(X))
    X, D = X[perm], D[perm]
    sections = {
        "rerank_cost_movie": lambda: rerank_cost(args),
        "throughput_movie": lambda: throughput(args, X, D),
        "reduction_alternatives_movie": lambda: reduction_alternatives(args, X, D),
        "memory": lambda: memory(args, X, D),
        "partial_fit_1000_rows_movie": lambda: incremental(args, X, D),
        "copy_on_write_vs_lock_movie": lambda: cow_versus_lock(args, X, D),
        "aaknn_vs_faiss_flat_movie": lambda: aaknn_versus_flat(args, X, D),
    }
    report = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
            "numpy": np.__version__,
        }
    }
    if args.merge and Path(args.out).exists():  # keep sections measured by an earlier run
        previous = json.loads(Path(args.out).read_text())
        report = {**previous, **report, "machine_of_earlier_sections": previous.get("machine")}
    for name, run in sections.items():
        if args.only is None or name in args.only:
            report[name] = run()
    targets = {}
    if "rerank_cost_movie" in report:
        worst = max(
            v["throughput_loss"]
            for k, v in report["rerank_cost_movie"].items()
            if isinstance(v, dict)
        )
        targets["exact re-ranking costs < 15 % of throughput"] = worst < 0.15
    if "memory" in report:
        peaks = [
            v["peak_traced_bytes_during_predict"]
            for v in report["memory"].values()
            if isinstance(v, dict)
        ]
        targets["peak memory < 2 GB (1e6 Movie-width queries, 500 labels)"] = max(peaks) < 2**31
    if "partial_fit_1000_rows_movie" in report:
        targets["partial_fit_1000 < 50ms"] = (
            report["partial_fit_1000_rows_movie"]["UAKNN"]["best_s"] < 0.05
        )
    report["targets"] = targets
    print(json.dumps(targets, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

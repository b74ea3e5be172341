"""Exact (numpy) against approximate (faiss) search for the kNN family on a large training set.

Measures, in one run on one synthetic data set (so that ratios compare like with like):

* for UAKNN with ``backend="numpy"`` (exact) and ``backend="faiss"`` with an IVF index (default
  ``nprobe`` and ``nprobe=8``) and an HNSW index:
  the index build time (faiss builds lazily; the benchmark triggers it with
  ``SearchIndex.build_faiss``), predictions per second (best of ``--repeats``), recall@1 of the
  per-prototype best row against the exact search (per prototype and overall), the KL divergence
  of the predictions to the true distributions and its gap to the exact backend's, and the mean
  absolute difference between the two backends' predictions;
* the same for AA-kNN's whole-set Euclidean top-``k`` (IVF only): build, predictions/s, recall@k;
* the alternatives for the per-prototype structure: one IVF index per prototype (used), one IVF
  index over all rows searched once per prototype with an ``IDSelectorBitmap``, and one search of
  the ``k * 64`` nearest rows filtered by membership (prototypes without a member among them count
  as misses).

The data: ``n_train + n_queries`` rows of ``n_features`` features that are a random linear image of
a 12-dimensional Gaussian latent plus isotropic noise; the label distribution is the softmax of
1.5 x the first ``L`` latent coordinates. Each row belongs to about two of the six prototypes.

Usage::

    PYTHONPATH=src python benchmarks/knn_faiss.py --out benchmarks/results/knn_faiss.json

Runs in about three minutes on 2 CPU cores with the defaults (300,000 x 64, L = 6).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import faiss
import numpy as np

from ldlkit.metrics import get_metric
from ldlkit.neighbors import AAKNN, UAKNN


def make_data(n: int, d: int, L: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, 12))
    W = rng.normal(size=(12, d))
    X = (Z @ W + 0.5 * rng.normal(size=(n, d))).astype(np.float32)
    logits = 1.5 * Z[:, :L]
    D = np.exp(logits - logits.max(axis=1, keepdims=True))
    return X, D / D.sum(axis=1, keepdims=True)


def best_time(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def uaknn_section(args, Xtr, Dtr, Xte, Dte) -> dict:
    kl = get_metric("kl_divergence").function
    out: dict = {}
    reference = None
    configs = {
        "numpy (exact)": {"backend": "numpy"},
        "faiss IVF (defaults)": {"backend": "faiss"},
        "faiss IVF (nprobe=8)": {"backend": "faiss", "index_params": {"nprobe": 8}},
        "faiss HNSW (defaults)": {"backend": "faiss", "index_params": {"index": "hnsw"}},
    }
    for name, params in configs.items():
        model = UAKNN(random_state=0, **params).fit(Xtr, Dtr)
        members = model._members()
        start = time.perf_counter()
        if params["backend"] == "faiss":
            model.index_.build_faiss(members)
        build = time.perf_counter() - start
        seconds, pred = best_time(lambda m=model: m.predict(Xte), args.repeats)
        _, found = model.index_.prototype_topk(Xte, members, 1)
        entry = {
            "build_s": build,
            "predict_s": seconds,
            "predictions_per_s": len(Xte) / seconds,
            "kl_divergence": float(kl(Dte, pred)),
        }
        if params["backend"] == "faiss":
            kinds = {str(i.kind) for i in model.index_._faiss_cache.values()}
            entry["index_kinds"] = sorted(kinds)
            entry["nlist_per_prototype"] = [
                int(i.index.nlist) for i in model.index_._faiss_cache.values() if i.kind == "ivf"
            ]
        if reference is None:
            reference = {
                "pred": pred,
                "found": found,
                "seconds": seconds,
                "kl": entry["kl_divergence"],
            }
        else:
            hits = found[:, :, 0] == reference["found"][:, :, 0]
            entry["recall_at_1_per_prototype"] = hits.mean(axis=0).round(4).tolist()
            entry["recall_at_1"] = float(hits.mean())
            entry["kl_gap_vs_exact"] = entry["kl_divergence"] - reference["kl"]
            entry["mean_abs_prediction_diff_vs_exact"] = float(
                np.abs(pred - reference["pred"]).mean()
            )
            entry["speedup_vs_exact"] = reference["seconds"] / seconds
        out[name] = entry
        print(name, {k: v for k, v in entry.items() if not isinstance(v, list)}, flush=True)
    out["prototype_sizes"] = [int(len(m)) for m in members]
    out["mean_prototypes_per_row"] = float(sum(len(m) for m in members) / len(Xtr))
    return out


def aaknn_section(args, Xtr, Dtr, Xte) -> dict:
    out: dict = {}
    found_exact, exact_seconds = None, None
    for name, backend in (("numpy (exact)", "numpy"), ("faiss IVF (defaults)", "faiss")):
        model = AAKNN(k=args.k, backend=backend).fit(Xtr, Dtr)
        start = time.perf_counter()
        if backend == "faiss":
            model.index_.build_faiss()
        build = time.perf_counter() - start
        seconds, _ = best_time(lambda m=model: m.predict(Xte), args.repeats)
        _, found = model.index_.topk(Xte, args.k)
        entry = {"build_s": build, "predict_s": seconds, "predictions_per_s": len(Xte) / seconds}
        if found_exact is None:
            found_exact, exact_seconds = found, seconds
        else:
            hits = [len(np.intersect1d(a, e)) for a, e in zip(found, found_exact, strict=True)]
            entry[f"recall_at_{args.k}"] = float(np.sum(hits) / found_exact.size)
            entry["speedup_vs_exact"] = exact_seconds / seconds
        out[name] = entry
        print("AA-kNN", name, entry, flush=True)
    return out


def structure_section(args, Xtr, Dtr, Xte) -> dict:
    """Per-prototype indexes vs one index with an ID selector vs one larger search + filter."""
    L = Dtr.shape[1]
    T = Xtr / np.linalg.norm(Xtr, axis=1, keepdims=True)
    Q = np.ascontiguousarray(Xte[: args.structure_queries], dtype=np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    T = np.ascontiguousarray(T, dtype=np.float32)
    mask = Dtr > 1.0 / L
    members = [np.flatnonzero(mask[:, i]) for i in range(L)]
    S = Q @ T.T
    exact = np.stack([m[np.argmax(S[:, m], axis=1)] for m in members], axis=1)
    del S
    ip = faiss.METRIC_INNER_PRODUCT
    out: dict = {}

    def ivf(data: np.ndarray):
        nlist = max(1, min(int(np.sqrt(len(data))), len(data) // 39))
        quantizer = faiss.IndexFlat(data.shape[1], ip)
        index = faiss.IndexIVFFlat(quantizer, data.shape[1], nlist, ip)
        index.train(data)
        index.add(data)
        index.nprobe = min(nlist, max(8, int(np.ceil(nlist / 16))))
        return index, quantizer

    start = time.perf_counter()
    per = [ivf(T[m]) for m in members]
    build = time.perf_counter() - start
    seconds, found = best_time(
        lambda: np.stack([m[ix.search(Q, 1)[1][:, 0]] for (ix, _), m in zip(per, members)], 1),
        args.repeats,
    )
    out["one IVF index per prototype (used)"] = {
        "build_s": build,
        "search_s": seconds,
        "recall_at_1": float(np.mean(found == exact)),
    }
    per = None  # free the per-prototype copies before the next build

    start = time.perf_counter()
    whole, _quantizer = ivf(T)
    build = time.perf_counter() - start
    bitmaps = []
    for m in members:
        bits = np.zeros(len(T), dtype=bool)
        bits[m] = True
        packed = np.packbits(bits, bitorder="little")
        bitmaps.append((faiss.IDSelectorBitmap(packed), packed))
    for nprobe in (whole.nprobe, 2 * whole.nprobe):

        def selected(nprobe=nprobe):
            return np.stack(
                [
                    whole.search(Q, 1, params=faiss.SearchParametersIVF(sel=sel, nprobe=nprobe))[1][
                        :, 0
                    ]
                    for sel, _ in bitmaps
                ],
                axis=1,
            )

        seconds, found = best_time(selected, args.repeats)
        out[f"one IVF index, IDSelectorBitmap per prototype (nprobe={nprobe})"] = {
            "build_s": build,
            "search_s": seconds,
            "recall_at_1": float(np.mean(found == exact)),
        }

    wide = 64

    def filtered():
        _, idx = whole.search(Q, wide)
        got = np.full((len(Q), L), -1)
        for label in range(L):
            ok = (idx >= 0) & mask[np.maximum(idx, 0), label]
            first = ok.argmax(axis=1)
            got[:, label] = np.where(ok.any(axis=1), idx[np.arange(len(Q)), first], -1)
        return got

    seconds, found = best_time(filtered, args.repeats)
    out[f"one IVF index, top-{wide} filtered by membership"] = {
        "build_s": build,
        "search_s": seconds,
        "recall_at_1": float(np.mean(found == exact)),
        "prototypes_without_a_candidate": float(np.mean(found < 0)),
    }
    for name, entry in out.items():
        print("structure", name, entry, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-train", type=int, default=300_000)
    parser.add_argument("--n-queries", type=int, default=2_000)
    parser.add_argument("--n-features", type=int, default=64)
    parser.add_argument("--n-labels", type=int, default=6)
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--structure-queries", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/knn_faiss.json")
    args = parser.parse_args()

    X, D = make_data(args.n_train + args.n_queries, args.n_features, args.n_labels, args.seed)
    Xtr, Dtr = X[: args.n_train], D[: args.n_train]
    Xte, Dte = X[args.n_train :], D[args.n_train :]
    start = time.perf_counter()
    results = {
        "settings": vars(args),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "faiss": faiss.__version__,
            "numpy": np.__version__,
            "faiss_threads": faiss.omp_get_max_threads(),
        },
        "uaknn": uaknn_section(args, Xtr, Dtr, Xte, Dte),
        "aaknn": aaknn_section(args, Xtr, Dtr, Xte),
        "prototype_structure": structure_section(args, Xtr, Dtr, Xte),
    }
    results["total_s"] = time.perf_counter() - start
    path = Path(args.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {path} in {results['total_s']:.0f} s")


if __name__ == "__main__":
    main()

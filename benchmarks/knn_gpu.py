"""The torch backend of the kNN search on CPU and CUDA, beside the numpy backend, in one run.

Measures, on the machine it runs on (meant for a machine with a CUDA GPU; without one the CUDA
rows are reported as skipped):

* predictions per second on Movie (fit on 90 %, predict the other 10 %, best of several repeats)
  for UAKNN and AA-kNN with ``backend="numpy"``, ``backend="torch", device="cpu"`` and
  ``backend="torch", device="cuda"``;
* the same on a large synthetic problem (``--n-train`` x ``--n-features`` training rows,
  ``--n-queries`` queries) where brute-force search is heavy enough for a GPU to matter;
* the largest absolute difference between each backend's predictions and numpy's, so a speed-up
  that changed the answers would show.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/knn_gpu.py --out results.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from ldlkit.datasets import load_dataset
from ldlkit.neighbors import AAKNN, UAKNN


def synchronize() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def best_time(function, repeats: int) -> float:
    function()  # warm-up (CUDA context, kernels, cached training rows on the device)
    times = []
    for _ in range(repeats):
        synchronize()
        start = time.perf_counter()
        function()
        synchronize()
        times.append(time.perf_counter() - start)
    return min(times)


def backends() -> dict[str, dict]:
    import torch

    configs = {
        "numpy": {"backend": "numpy"},
        "torch-cpu": {"backend": "torch", "device": "cpu"},
    }
    if torch.cuda.is_available():
        configs["torch-cuda"] = {"backend": "torch", "device": "cuda"}
    return configs


def compare(name: str, Xtr, Dtr, Xte, repeats: int, block_size: int | None) -> dict:
    makers = {
        "UAKNN": lambda **kw: UAKNN(random_state=0, block_size=block_size, **kw),
        "AA-kNN": lambda **kw: AAKNN(block_size=block_size, **kw),
    }
    out: dict[str, dict] = {}
    for method, make in makers.items():
        reference = None
        for backend, params in backends().items():
            model = make(**params)
            start = time.perf_counter()
            model.fit(Xtr, Dtr)
            fit_s = time.perf_counter() - start
            pred = model.predict(Xte)
            if reference is None:
                reference = pred
            seconds = best_time(lambda m=model: m.predict(Xte), repeats)
            row = {
                "fit_s": fit_s,
                "predict_s": seconds,
                "predictions_per_s": len(Xte) / seconds,
                "max_abs_diff_vs_numpy": float(np.abs(pred - reference).max()),
            }
            out[f"{method} [{backend}]"] = row
            print(
                f"{name:10s} {method:7s} {backend:11s} {row['predictions_per_s']:12.0f} pred/s"
                f"   max|diff| {row['max_abs_diff_vs_numpy']:.2e}",
                flush=True,
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/knn_gpu.json")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-train", type=int, default=200_000)
    parser.add_argument("--n-features", type=int, default=256)
    parser.add_argument("--n-labels", type=int, default=8)
    parser.add_argument("--n-queries", type=int, default=20_000)
    parser.add_argument("--block-size", type=int, default=None)
    args = parser.parse_args()

    import torch

    report: dict = {
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        },
        "block_size": args.block_size,
    }
    if not torch.cuda.is_available():
        print("no CUDA device: the torch-cuda rows are skipped")

    X, D = load_dataset("Movie", return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(X))
    X, D = X[perm], D[perm]
    n = int(0.9 * len(X))
    report["movie"] = compare("Movie", X[:n], D[:n], X[n:], args.repeats, args.block_size)

    rng = np.random.default_rng(0)
    # Clustered synthetic rows: distributions follow the cluster, so prototypes are uneven as in
    # real data (uniform noise would make every prototype hold about half the rows).
    centres = rng.standard_normal((64, args.n_features)).astype(np.float32)

    def rows(count):
        which = rng.integers(0, len(centres), count)
        return centres[which] + 0.5 * rng.standard_normal((count, args.n_features)).astype(
            np.float32
        ), which

    Xtr, ctr = rows(args.n_train)
    Xte, _ = rows(args.n_queries)
    label_of_centre = rng.dirichlet(np.full(args.n_labels, 0.3), size=len(centres))
    Dtr = label_of_centre[ctr]
    report["synthetic"] = {
        "n_train": args.n_train,
        "n_features": args.n_features,
        "n_labels": args.n_labels,
        "n_queries": args.n_queries,
        "results": compare("synthetic", Xtr, Dtr, Xte, max(1, args.repeats // 2), args.block_size),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

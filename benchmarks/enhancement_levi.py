"""LEVI as its authors' code sets it up against ldlkit's earlier compact variant.

All rows of each dataset, logical labels from :func:`ldlkit.enhancement.binarize`, seed 0, one
torch thread. ``code`` is ``LEVI()`` (the authors' networks, initialisation, optimiser, schedule,
full batch and global min-max scaling, 200 epochs); ``compact`` is the network ldlkit used before
(``architecture="compact"``, z-scored features, batches of 256, 100 epochs, no weight decay).
``python-ldl`` is the LEVI of the independent package python-ldl 0.1.2 at its defaults (its own
network and loss: latent of ``n_labels`` dimensions, 64 softplus hidden units, loss
``sum((L - z)^2) + sum(KL + MSE(x) + BCE)``, 1,000 full-batch Adam epochs, output
``softmax(mean)``), run in its own interpreter (``/work/venv-pyldl/bin/python``, keras on the
torch backend, one thread) on the same rows and logical labels; its distributions come back as
``.npy`` files and are scored with ldlkit's metrics. CPU seconds (``time.process_time``; for
python-ldl the worker's) are recorded beside the wall time because the machine is shared.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/enhancement_levi.py \
        --out benchmarks/results/enhancement_levi.json [--datasets SJAFFE Movie Yeast_alpha] \
        [--variants code compact python-ldl]

About 25 CPU minutes for the three data sets and three variants (Movie's ``code`` is most of it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

REFERENCE_PYTHON = os.environ.get("PYLDL_PYTHON", "/work/venv-pyldl/bin/python")
WORKER = """
import sys, time, numpy as np, torch
torch.set_num_threads(1)
from pyldl.algorithms import LEVI
X_path, L_path, out_path = sys.argv[1:]
X, L = np.load(X_path), np.load(L_path)
wall, cpu = time.perf_counter(), time.process_time()
est = LEVI(random_state=0)
est.fit(X, L.copy())
D = np.asarray(est.transform(), dtype=float)
print(time.perf_counter() - wall, time.process_time() - cpu)
np.save(out_path, D)
"""


def run_reference(X: np.ndarray, logical: np.ndarray) -> tuple[np.ndarray, float, float]:
    """python-ldl's LEVI on ``(X, logical)`` in its own interpreter: distributions, wall, CPU s."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, f) for f in ("X.npy", "L.npy", "R.npy")]
        np.save(paths[0], X)
        np.save(paths[1], logical)
        env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
        env.pop("PYTHONPATH", None)
        done = subprocess.run(
            [REFERENCE_PYTHON, "-c", WORKER, *paths],
            capture_output=True, text=True, env=env, timeout=3600, check=True,
        )  # fmt: skip
        wall, cpu = (float(v) for v in done.stdout.strip().splitlines()[-1].split())
        return np.load(paths[2]), wall, cpu


VARIANTS = {
    "code": {},
    "compact": {
        "architecture": "compact",
        "scaling": "standard",
        "batch_size": 256,
        "max_epochs": 100,
        "weight_decay": 0.0,
    },
    "python-ldl": None,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/enhancement_levi.json")
    parser.add_argument("--datasets", nargs="+", default=["SJAFFE", "Yeast_alpha", "Movie"])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from ldlkit.datasets import load_dataset
    from ldlkit.enhancement import LEVI, binarize
    from ldlkit.metrics import PAPER_METRICS, evaluate

    out = Path(args.out)
    document = json.loads(out.read_text()) if out.exists() else {"results": {}}
    for name in args.datasets:
        X, D = load_dataset(name, return_X_y=True, download=False)
        logical = binarize(D)
        softmax_L = np.exp(logical) / np.exp(logical).sum(axis=1, keepdims=True)
        for variant in args.variants:
            if VARIANTS[variant] is None:
                recovered, wall, cpu = run_reference(X, logical)
                extra = {"params": "python-ldl 0.1.2 LEVI(random_state=0) defaults"}
            else:
                wall, cpu = time.perf_counter(), time.process_time()
                est = LEVI(random_state=0, **VARIANTS[variant])
                recovered = est.fit_transform(X, logical)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                extra = {
                    "params": VARIANTS[variant],
                    "epochs": est.n_epochs_,
                    "final_loss": est.loss_curve_[-1],
                }
            record = {
                **extra,
                "scores": {
                    k: round(float(v), 4) for k, v in evaluate(D, recovered, PAPER_METRICS).items()
                },
                # how far the output is from the row softmax of the logical labels
                "max_abs_difference_from_softmax_L": round(
                    float(np.abs(recovered - softmax_L).max()), 4
                ),
                "wall_seconds": round(wall, 1),
                "cpu_seconds": round(cpu, 1),
                "load_average": os.getloadavg(),
            }
            document["results"].setdefault(name, {})[variant] = record
            print(name, variant, record["scores"]["cosine"], record["cpu_seconds"], flush=True)
            document.update(
                {
                    "benchmark": "LEVI: authors' code settings against the compact variant",
                    "script": "benchmarks/enhancement_levi.py",
                    "rows": "all rows of each dataset, strict > 0.5 binarisation, seed 0",
                    "machine": {
                        "platform": platform.platform(),
                        "cpu_count": os.cpu_count(),
                        "torch_threads": 1,
                    },
                }
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()

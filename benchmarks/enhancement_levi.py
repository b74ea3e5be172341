"""LEVI at its authors' recovery command, at its code's argparse defaults, compact, and python-ldl.

All rows of each dataset, logical labels from :func:`ldlkit.enhancement.binarize`, seed 0, one
torch thread. ``recovery`` is ``LEVI()``: the authors' networks, initialisation, optimiser,
schedule, full batch and global min-max scaling with the settings of the README's recovery-task
command (``run_main.py -t recovery -e 45 -lr 0.001 -hidden 128 -dim_z 50 -a 0.5 -beta 1``);
``code-defaults`` is the same network at ``run_main.py``'s argparse defaults (hidden 500,
``dim_z`` 200, alpha = beta = 0.01, 200 epochs; ``LEVI_SETTINGS["code-defaults"]``, ldlkit's
``LEVI()`` before); ``compact`` is the network ldlkit used before following the code
(``LEVI_SETTINGS["compact"]``: z-scored features, batches of 256, 100 epochs, no weight decay).
``python-ldl`` is the LEVI of the independent package python-ldl 0.1.2 at its defaults (its own
network and loss: latent of ``n_labels`` dimensions, 64 softplus hidden units, loss
``sum((L - z)^2) + sum(KL + MSE(x) + BCE)``, 1,000 full-batch Adam epochs, output
``softmax(mean)``), run in its own interpreter (``/work/venv-pyldl/bin/python``, keras on the
torch backend, one thread) on the same rows and logical labels; its distributions come back as
``.npy`` files and are scored with ldlkit's metrics. CPU seconds (``time.process_time``; for
python-ldl the worker's) are recorded beside the wall time and the load average because the
machine may be shared.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/enhancement_levi.py \
        --out benchmarks/results/enhancement_levi.json \
        [--datasets SJAFFE SBU_3DFE Movie Yeast_alpha] \
        [--variants recovery code-defaults compact python-ldl] [--note TEXT] [--random-state N]

Results are merged into ``--out`` by (dataset, variant). The default variants are the three of
ldlkit, about 10 CPU minutes for the four data sets (``code-defaults`` on Movie is about 6 of
them); ``--variants python-ldl`` adds the reference, which on all of Movie did not finish within
50 minutes on a loaded 2-core machine.
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


VARIANTS = ("recovery", "code-defaults", "compact", "python-ldl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/enhancement_levi.json")
    parser.add_argument(
        "--datasets", nargs="+", default=["SJAFFE", "SBU_3DFE", "Movie", "Yeast_alpha"]
    )
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS[:3]), choices=VARIANTS)
    parser.add_argument("--note", default=None, help="stored as the JSON's 'note'")
    parser.add_argument(
        "--random-state", type=int, default=0, help="seed; other than 0 stored as VARIANT@seedN"
    )
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from ldlkit.datasets import load_dataset
    from ldlkit.enhancement import LEVI, LEVI_SETTINGS, binarize
    from ldlkit.metrics import PAPER_METRICS, evaluate

    out = Path(args.out)
    document = json.loads(out.read_text()) if out.exists() else {"results": {}}
    for name in args.datasets:
        X, D = load_dataset(name, return_X_y=True, download=False)
        logical = binarize(D)
        softmax_L = np.exp(logical) / np.exp(logical).sum(axis=1, keepdims=True)
        for variant in args.variants:
            if variant == "python-ldl":
                recovered, wall, cpu = run_reference(X, logical)
                extra = {"params": "python-ldl 0.1.2 LEVI(random_state=0) defaults"}
            else:
                wall, cpu = time.perf_counter(), time.process_time()
                est = LEVI(random_state=args.random_state, **LEVI_SETTINGS[variant])
                recovered = est.fit_transform(X, logical)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                extra = {
                    "params": {k: v for k, v in est.get_params().items() if k != "device"},
                    "latent_dimensions": est._latent(logical.shape[1]),
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
            key = variant if args.random_state == 0 else f"{variant}@seed{args.random_state}"
            document["results"].setdefault(name, {})[key] = record
            print(name, key, record["scores"]["cosine"], record["cpu_seconds"], flush=True)
            document.update(
                {
                    "benchmark": (
                        "LEVI: the authors' recovery command (ldlkit's default), their "
                        "code's argparse defaults, ldlkit's compact variant, python-ldl"
                    ),
                    "script": "benchmarks/enhancement_levi.py",
                    **({"note": args.note} if args.note else {}),
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

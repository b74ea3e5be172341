"""ML and LIBLE beside python-ldl's implementations: recovery of SJAFFE and one Yeast set.

Both sides run at their defaults on the same logical labels (``ldlkit.enhancement.binarize`` of
the true distributions, all rows). python-ldl runs in its own interpreter
(``/work/venv-pyldl/bin/python``, keras on the torch backend); its distributions come back as
``.npy`` files and are scored with ldlkit's metrics, as ldlkit's are. Both sides use one torch
thread (small networks; on a loaded machine more threads only contend). The JSON is rewritten
after every run, so an interrupted benchmark keeps what it finished.

Run::

    PYTHONPATH=src LDLKIT_DATA=/work/shared/datasets python benchmarks/le_breadth_vs_reference.py
    python benchmarks/le_breadth_vs_reference.py --table   # the JSON as a markdown table
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from ldlkit.datasets import load_dataset
from ldlkit.enhancement import LIBLE, ML, binarize
from ldlkit.metrics import chebyshev, cosine, kl_divergence

OUT = Path(__file__).parent / "results" / "le_breadth_vs_reference.json"
REFERENCE_PYTHON = os.environ.get("PYLDL_PYTHON", "/work/venv-pyldl/bin/python")
DATASETS = ["SJAFFE", "Yeast_spo5"]
METHODS = ["ML", "LIBLE"]
SEED = 0

WORKER = """
import sys, time, numpy as np, torch
torch.set_num_threads(1)
from pyldl.algorithms import ML, LIBLE
method, X_path, L_path, out_path = sys.argv[1:]
X, L = np.load(X_path), np.load(L_path)
est = ML() if method == "ML" else LIBLE(random_state=0)
started = time.perf_counter()
est.fit(X, L.copy())  # python-ldl's ML overwrites the labels it is given
D = np.asarray(est.transform(), dtype=float)
print(time.perf_counter() - started)
np.save(out_path, D)
"""


def scores(D: np.ndarray, R: np.ndarray) -> dict:
    return {
        "cosine": float(cosine(D, R)),
        "kl": float(kl_divergence(D, R)),
        "chebyshev": float(chebyshev(D, R)),
    }


def run_ldlkit(method: str, X: np.ndarray, L: np.ndarray) -> tuple[np.ndarray, float]:
    est = ML() if method == "ML" else LIBLE(random_state=SEED)
    started = time.perf_counter()
    R = est.fit_transform(X, L)
    return R, time.perf_counter() - started


def run_reference(method: str, X: np.ndarray, L: np.ndarray, tmp: Path) -> tuple[np.ndarray, float]:
    np.save(tmp / "X.npy", X)
    np.save(tmp / "L.npy", L)
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [REFERENCE_PYTHON, "-c", WORKER, method, str(tmp / "X.npy"), str(tmp / "L.npy"),
         str(tmp / "R.npy")],
        capture_output=True, text=True, env=env, timeout=1800, check=True,
    )  # fmt: skip
    return np.load(tmp / "R.npy"), float(done.stdout.strip().splitlines()[-1])


def table() -> str:
    """The JSON as a markdown table (``--table``), for docs/enhancement-breadth.md."""
    result = json.loads(OUT.read_text())
    lines = [
        "| dataset | method | implementation | cosine ↑ | KL ↓ | Chebyshev ↓ | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["runs"]:
        lines.append(
            f"| {r['dataset']} | {r['method']} | {r['side']} | {r['cosine']:.4f} | "
            f"{r['kl']:.4f} | {r['chebyshev']:.4f} | {r['seconds']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    if "--table" in sys.argv:
        print(table())
        return
    import torch

    torch.set_num_threads(1)
    result = {
        "script": "benchmarks/le_breadth_vs_reference.py",
        "cpu_count": os.cpu_count(),
        "loadavg_start": list(os.getloadavg()),
        "torch_threads": 1,
        "seed": SEED,
        "labels": "binarize(D) (strict > 0.5 cumulative mass), all rows",
        "runs": [],
    }
    with tempfile.TemporaryDirectory() as folder:
        for name in DATASETS:
            X, D = load_dataset(name, return_X_y=True)
            L = binarize(D)
            trivial = L / L.sum(axis=1, keepdims=True)
            result["runs"].append({"dataset": name, "method": "normalised logical labels",
                                   "side": "-", **scores(D, trivial), "seconds": 0.0})  # fmt: skip
            for method in METHODS:
                for side in ("ldlkit", "python-ldl"):
                    if side == "ldlkit":
                        R, seconds = run_ldlkit(method, X, L)
                    else:
                        R, seconds = run_reference(method, X, L, Path(folder))
                    row = {"dataset": name, "method": method, "side": side, **scores(D, R),
                           "seconds": seconds}  # fmt: skip
                    result["runs"].append(row)
                    result["loadavg_end"] = list(os.getloadavg())
                    OUT.write_text(json.dumps(result, indent=2) + "\n")
                    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    sys.exit(main())

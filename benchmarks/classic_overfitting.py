"""How far the classic networks fit their training rows: training and test KL by iterations.

One 80/20 split of SJAFFE (``train_test_split(..., random_state=0)``), AA-BP and CPNN at their
defaults except ``max_iter``, beside the training mean. Writes
``benchmarks/results/classic_overfitting.json``::

    LDLKIT_DATA=/path/to/datasets PYTHONPATH=src python benchmarks/classic_overfitting.py
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ldlkit.classic import AABP, CPNN
from ldlkit.datasets import load_dataset
from ldlkit.metrics import kl_divergence


def main() -> None:
    X, D = load_dataset("SJAFFE", return_X_y=True, download=False)
    X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.2, random_state=0)
    out = {
        "dataset": "SJAFFE",
        "split": "train_test_split(test_size=0.2, random_state=0)",
        "cpu_count": os.cpu_count(),
        "loadavg": list(os.getloadavg()),
        "mean": {
            "train_kl": kl_divergence(D_train, np.tile(D_train.mean(0), (len(D_train), 1))),
            "test_kl": kl_divergence(D_test, np.tile(D_train.mean(0), (len(D_test), 1))),
        },
        "runs": [],
    }
    for cls in (AABP, CPNN):
        for max_iter in (30, 100, 500):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = cls(max_iter=max_iter, random_state=0).fit(X_train, D_train)
            out["runs"].append(
                {
                    "method": cls.__name__,
                    "max_iter": max_iter,
                    "train_kl": kl_divergence(D_train, model.predict(X_train)),
                    "test_kl": kl_divergence(D_test, model.predict(X_test)),
                }
            )
            print(out["runs"][-1], flush=True)
    path = Path("benchmarks/results/classic_overfitting.json")
    path.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

"""Scores of the fixed points of ConLE's distance loss, and of the trivial rows, on ConLE's data.

ConLE's ``l_dis`` pulls the recovered distribution towards a target built from the logical labels;
whatever the networks do, the loss is smallest when ``D`` equals that target (the threshold loss
is zero there too). This script scores the candidate targets against the ground truth, all rows
of each dataset, logical labels from :func:`ldlkit.enhancement.binarize` (strict > 0.5):

* ``softmax(L)``: the row softmax of the 0/1 logical labels (Eq. 11's "softmax normalization");
* ``L/k``: the logical labels divided by their row sums (the trivial ``NormalizedLogical`` row);
* ``uniform``: the uniform distribution (no information).

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/enhancement_fixed_points.py \
        --out benchmarks/results/enhancement_fixed_points.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import numpy as np

from ldlkit.datasets import load_dataset
from ldlkit.enhancement import binarize
from ldlkit.enhancement._base import softmax_rows
from ldlkit.metrics import PAPER_METRICS, evaluate

DATASETS = (
    "SJAFFE",
    "SBU_3DFE",
    "Movie",
    "Yeast_alpha",
    "Yeast_cdc",
    "Yeast_diau",
    "Yeast_elu",
    "Yeast_heat",
    "Yeast_spo",
    "Yeast_spo5",
)


def targets(logical: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "softmax(L)": softmax_rows(logical),
        "L/k": logical / logical.sum(axis=1, keepdims=True),
        "uniform": np.full(logical.shape, 1.0 / logical.shape[1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/enhancement_fixed_points.json")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args = parser.parse_args()
    results = {}
    for name in args.datasets:
        X, D = load_dataset(name, return_X_y=True, download=False)
        logical = binarize(D)
        results[name] = {
            target: {k: round(float(v), 4) for k, v in evaluate(D, P, PAPER_METRICS).items()}
            for target, P in targets(logical).items()
        }
        print(name, {t: s["cosine"] for t, s in results[name].items()}, flush=True)
    document = {
        "benchmark": "fixed points of ConLE's distance loss and trivial rows (all rows)",
        "script": "benchmarks/enhancement_fixed_points.py",
        "binarisation": "strict > 0.5 (ldlkit.enhancement.binarize)",
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "load_average": os.getloadavg(),
        },
        "results": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()

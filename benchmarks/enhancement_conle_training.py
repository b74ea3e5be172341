"""ConLE's training: the distance target, the batch size and the loss-plateau stopping rule.

For each (dataset, setting) ConLE is trained with its defaults except the named parameters, seed
0, one torch thread, on a random half of the rows (``--fraction``, the size a 2-fold split gives
the enhancer) or all of them, and scored against the ground truth (logical labels from
:func:`ldlkit.enhancement.binarize`). Recorded: the epochs the plateau rule stopped at, the last
training loss, the six paper metrics and CPU seconds (``time.process_time``; the machine is shared,
so wall times mean little).

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/enhancement_conle_training.py \
        --out benchmarks/results/enhancement_conle_training.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

SETTINGS = {
    "default (softmax target, batch 1024)": {},
    "target L (previous reading)": {"target": "logical"},
    "target L/k": {"target": "normalized"},
    "batch 256": {"batch_size": 256},
    "fixed 100 epochs": {"max_epochs": 100, "n_iter_no_change": None},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/enhancement_conle_training.json")
    parser.add_argument("--datasets", nargs="+", default=["SJAFFE", "SBU_3DFE"])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS))
    parser.add_argument("--fraction", type=float, default=0.5)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    from ldlkit.datasets import load_dataset
    from ldlkit.enhancement import ConLE, binarize
    from ldlkit.metrics import PAPER_METRICS, evaluate

    out = Path(args.out)
    document = json.loads(out.read_text()) if out.exists() else {"results": {}}
    for name in args.datasets:
        X, D = load_dataset(name, return_X_y=True, download=False)
        rows = np.random.default_rng(0).permutation(len(X))[: int(args.fraction * len(X))]
        X, D = X[rows], D[rows]
        logical = binarize(D)
        for setting in args.settings:
            cpu = time.process_time()
            est = ConLE(random_state=0, **SETTINGS[setting])
            recovered = est.fit_transform(X, logical)
            scores = evaluate(D, recovered, PAPER_METRICS)
            record = {
                "params": SETTINGS[setting],
                "n_rows": int(len(X)),
                "epochs": est.n_epochs_,
                "final_loss": round(est.loss_curve_[-1], 5),
                "scores": {k: round(float(v), 4) for k, v in scores.items()},
                "cpu_seconds": round(time.process_time() - cpu, 1),
                "load_average": os.getloadavg(),
            }
            document["results"].setdefault(f"{name} ({args.fraction:g} of rows)", {})[setting] = (
                record
            )
            print(name, setting, record["epochs"], record["scores"]["cosine"], flush=True)
            document.update(
                {
                    "benchmark": "ConLE training: target, batch size, stopping rule",
                    "script": "benchmarks/enhancement_conle_training.py",
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

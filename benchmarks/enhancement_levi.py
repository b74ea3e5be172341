"""LEVI as its authors' code sets it up against ldlkit's earlier compact variant.

All rows of each dataset, logical labels from :func:`ldlkit.enhancement.binarize`, seed 0, one
torch thread. ``code`` is ``LEVI()`` (the authors' networks, initialisation, optimiser, schedule,
full batch and global min-max scaling, 200 epochs); ``compact`` is the network ldlkit used before
(``architecture="compact"``, z-scored features, batches of 256, 100 epochs, no weight decay).
CPU seconds (``time.process_time``) are recorded beside the wall time because the machine is
shared.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/enhancement_levi.py \
        --out benchmarks/results/enhancement_levi.json [--datasets SJAFFE Movie Yeast_alpha]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

VARIANTS = {
    "code": {},
    "compact": {
        "architecture": "compact",
        "scaling": "standard",
        "batch_size": 256,
        "max_epochs": 100,
        "weight_decay": 0.0,
    },
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
        for variant in args.variants:
            wall, cpu = time.perf_counter(), time.process_time()
            est = LEVI(random_state=0, **VARIANTS[variant])
            recovered = est.fit_transform(X, logical)
            record = {
                "params": VARIANTS[variant],
                "scores": {
                    k: round(float(v), 4) for k, v in evaluate(D, recovered, PAPER_METRICS).items()
                },
                "epochs": est.n_epochs_,
                "final_loss": est.loss_curve_[-1],
                "wall_seconds": round(time.perf_counter() - wall, 1),
                "cpu_seconds": round(time.process_time() - cpu, 1),
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

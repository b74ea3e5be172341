"""Selected enhancers under the ConLE reproduction's protocol, for data sets too slow to run whole.

Runs the named methods of the registered ``conle`` reproduction (same parameters, same
:class:`EnhancementProtocol` splits: 2-fold, one repeat, seed 0, the training half recovered)
on one data set, the folds in parallel worker processes, and writes the per-fold metrics and fit
times. Used where the whole ``ldlkit reproduce conle`` did not fit the session's time (Movie on a
loaded machine); the numbers are the same computation as the reproduction's.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/enhancement_protocol_subset.py Movie \
        --methods ConLE "Logical (softmax)" --out benchmarks/results/enhancement_movie.json

``--folds 0`` runs one fold only (a cost measurement: ``fit_cpu_seconds`` per method). CPU
seconds are those of the worker process (``time.process_time``), one torch thread.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path


def run_fold(method: str, dataset: str, fold: int) -> dict:
    import torch

    torch.set_num_threads(1)
    from sklearn.base import clone

    from ldlkit.datasets import load_dataset
    from ldlkit.enhancement import binarize
    from ldlkit.experiments import build_methods, get_reproduction
    from ldlkit.metrics import PAPER_METRICS, evaluate
    from ldlkit.model_selection import EnhancementProtocol

    repro = get_reproduction("conle")
    estimators, _ = build_methods(repro)
    X, D = load_dataset(dataset, return_X_y=True, download=False)
    cv = EnhancementProtocol(n_splits=repro.n_splits, n_repeats=repro.n_repeats, random_state=0)
    train, test = list(cv.split(X, D))[fold]
    rows = cv.enhancement_rows(train, test)
    est = clone(estimators[method])
    if "random_state" in est.get_params() and est.get_params()["random_state"] is None:
        est.set_params(random_state=0)
    wall, cpu = time.perf_counter(), time.process_time()
    recovered = est.fit_transform(X[rows], binarize(D)[rows])
    return {
        "method": method,
        "fold": fold,
        "n_rows": int(len(rows)),
        "metrics": {k: float(v) for k, v in evaluate(D[rows], recovered, PAPER_METRICS).items()},
        "epochs": getattr(est, "n_epochs_", None),
        "fit_wall_seconds": time.perf_counter() - wall,
        "fit_cpu_seconds": time.process_time() - cpu,
        "load_average": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--methods", nargs="+", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--folds", nargs="+", type=int, default=[0, 1], help="which of the 2 folds to run"
    )
    args = parser.parse_args()
    from joblib import Parallel, delayed

    out = Path(args.out)
    document = json.loads(out.read_text()) if out.exists() else {"folds": []}
    for method in args.methods:
        folds = Parallel(n_jobs=args.n_jobs)(
            delayed(run_fold)(method, args.dataset, fold) for fold in args.folds
        )
        document["folds"].extend(folds)
        document.update(
            {
                "benchmark": f"conle reproduction methods on {args.dataset} (2-fold, seed 0)",
                "script": "benchmarks/enhancement_protocol_subset.py",
                "dataset": args.dataset,
                "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
            }
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(document, indent=2) + "\n")
        print(method, [round(f["metrics"]["cosine"], 4) for f in folds], flush=True)


if __name__ == "__main__":
    main()

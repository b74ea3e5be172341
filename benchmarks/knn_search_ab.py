"""The kNN search core of this checkout against an earlier revision's, in one process, alternating.

The earlier revision's ``ldlkit/neighbors/_search.py`` (``git show REV:...``) is loaded as a second
module inside this package; each model is fitted once, and a copy of it whose index is the same
data under the earlier ``SearchIndex`` class predicts beside it. Every round times each (model,
code) pair once, in turn, so load drift hits both; the ratio is taken within each round and the
median over rounds reported (best times beside it). Predictions are checked to be identical.
Movie, fit on 90 %, predict the other 10 % (776 rows), numpy backend, default threads.

Usage::

    LDLKIT_DATA=/path/to/datasets python benchmarks/knn_search_ab.py --baseline-rev 38af636 \\
        --rounds 15 --out benchmarks/results/knn_search_ab.json

Records the load average before and after; on a shared machine compare the ratios only.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ldlkit.datasets import load_dataset
from ldlkit.neighbors import AAKNN, UAKNN, WUAKNN
from ldlkit.neighbors import _search as current

ROOT = Path(__file__).resolve().parents[1]


def earlier_module(rev: str):
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:src/ldlkit/neighbors/_search.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(current.__file__).with_name("_search_ab_baseline.py")
    path.write_text(source)
    try:
        name = "ldlkit.neighbors._search_ab_baseline"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    finally:
        path.unlink()
    return module


def with_earlier_index(model, module):
    """A shallow copy of a fitted model whose index is the same data under the earlier class."""
    twin = object.__new__(type(model))
    twin.__dict__.update(model.__dict__)
    snapshot = model._snapshot
    index = object.__new__(module.SearchIndex)
    index.__dict__.update(snapshot.index.__dict__)
    twin._snapshot = dataclasses.replace(snapshot, index=index)
    return twin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-rev", default="38af636")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", default="benchmarks/results/knn_search_ab.json")
    args = parser.parse_args()
    module = earlier_module(args.baseline_rev)
    X, D = load_dataset("Movie", return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(X))
    X, D = X[perm], D[perm]
    n = int(0.9 * len(X))
    Xtr, Dtr, Xte = X[:n], D[:n], X[n:]
    models = {
        "AA-kNN": AAKNN(),
        "UAKNN": UAKNN(random_state=0),
        "UAKNN (expected weights)": UAKNN(weights="expected"),
        "WUAKNN": WUAKNN(),
    }
    pairs = {}
    identical = {}
    for name, model in models.items():
        model.fit(Xtr, Dtr)
        earlier = with_earlier_index(model, module)
        identical[name] = bool(np.array_equal(model.predict(Xte), earlier.predict(Xte)))
        pairs[name] = {"current": model, "baseline": earlier}
    load_before = os.getloadavg()
    times = {name: {"current": [], "baseline": []} for name in models}
    for _ in range(args.rounds):
        for name, pair in pairs.items():
            for which, model in pair.items():
                start = time.perf_counter()
                model.predict(Xte)
                times[name][which].append(time.perf_counter() - start)
    report = {
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "baseline_rev": args.baseline_rev,
        "rounds": args.rounds,
        "n_train": int(n),
        "n_queries": int(len(Xte)),
        "identical_predictions": identical,
    }
    for name, t in times.items():
        cur, base = np.array(t["current"]), np.array(t["baseline"])
        report[name] = {
            "median_s": {"current": float(np.median(cur)), "baseline": float(np.median(base))},
            "best_s": {"current": float(cur.min()), "baseline": float(base.min())},
            "speedup_median_per_round": float(np.median(base / cur)),
            "speedup_best_over_best": float(base.min() / cur.min()),
            "all_s": {"current": cur.tolist(), "baseline": base.tolist()},
        }
    print(json.dumps({k: v for k, v in report.items()}, indent=1)[:4000])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

"""CPU seconds of one fold of every (method, data set) of ``ldlkit reproduce conle``.

Fits each method of the registered ``conle`` reproduction on fold 0 of each data set (same
parameters, same :class:`EnhancementProtocol` split, seed 0; the fit of
``benchmarks/enhancement_protocol_subset.py``), in worker processes with one torch thread each,
and writes per-task CPU seconds, epochs and cosine, and from them the estimated cost of the
whole default: every task twice (two folds), and the wall time of that work on 1 and 2 workers
taking the tasks in the runner's order (data set, method, split) as each becomes free.

Usage (about half the work of the whole default: some 10 minutes on 2 quiet cores)::

    LDLKIT_DATA=/path/to/datasets OMP_NUM_THREADS=1 nice -n 10 \
        python benchmarks/conle_reproduction_cost.py \
        --out benchmarks/results/conle_reproduction_cost.json
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# slowest first, so that the pool ends with short tasks
_ORDER = (
    "Movie",
    "SBU_3DFE",
    "Yeast_spo5",
    "Yeast_diau",
    "Yeast_heat",
    "Yeast_spo",
    "Yeast_elu",
    "Yeast_cdc",
    "Yeast_alpha",
    "SJAFFE",
)


def makespan(costs: list[float], workers: int) -> float:
    """Wall time of ``costs`` on ``workers``, each task in order onto the first free worker."""
    loads = [0.0] * workers
    for cost in costs:
        heapq.heapreplace(loads, loads[0] + cost)
    return max(loads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--methods", nargs="+", default=None)
    args = parser.parse_args()
    from enhancement_protocol_subset import run_fold
    from joblib import Parallel, delayed

    from ldlkit.experiments import get_reproduction
    from ldlkit.papers.conle.reproductions import ALL_DATASETS

    repro = get_reproduction("conle")
    datasets = args.datasets or sorted(ALL_DATASETS, key=_ORDER.index)
    methods = args.methods or list(repro.methods)
    tasks = [(m, d) for d in datasets for m in methods]
    start, load_start = time.perf_counter(), os.getloadavg()
    folds = Parallel(n_jobs=args.n_jobs)(delayed(run_fold)(m, d, 0) for m, d in tasks)
    wall = time.perf_counter() - start
    rows = []
    for (method, dataset), fold in zip(tasks, folds):
        rows.append(
            {
                "method": method,
                "dataset": dataset,
                "n_rows": fold["n_rows"],
                "epochs": fold["epochs"],
                "cosine": fold["metrics"]["cosine"],
                "kl_divergence": fold["metrics"]["kl_divergence"],
                "fit_cpu_seconds": fold["fit_cpu_seconds"],
                "fit_wall_seconds": fold["fit_wall_seconds"],
                "load_average": fold["load_average"],
            }
        )
        print(method, dataset, fold["epochs"], round(fold["fit_cpu_seconds"], 1), flush=True)
    costs = [r["fit_cpu_seconds"] for r in rows]
    by_task = {(r["dataset"], r["method"]): r["fit_cpu_seconds"] for r in rows}
    runner_order = [
        by_task[d, m]
        for d in ALL_DATASETS
        if d in datasets
        for m in methods
        for _ in range(repro.n_splits * repro.n_repeats)
    ]
    per_dataset = {
        d: sum(r["fit_cpu_seconds"] for r in rows if r["dataset"] == d) for d in datasets
    }
    per_method = {m: sum(r["fit_cpu_seconds"] for r in rows if r["method"] == m) for m in methods}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "benchmark": "CPU seconds of fold 0 of each (method, dataset) of reproduce conle",
                "script": "benchmarks/conle_reproduction_cost.py",
                "n_splits": repro.n_splits,
                "n_repeats": repro.n_repeats,
                "one_fold_cpu_seconds": sum(costs),
                "per_dataset_one_fold_cpu_seconds": per_dataset,
                "per_method_one_fold_cpu_seconds": per_method,
                "estimated_default_cpu_seconds": repro.n_splits * repro.n_repeats * sum(costs),
                "estimated_default_wall_seconds_n_jobs": {
                    str(k): makespan(runner_order, k) for k in (1, 2)
                },
                "this_script_wall_seconds": wall,
                "n_jobs": args.n_jobs,
                "load_average_start": load_start,
                "load_average_end": os.getloadavg(),
                "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
                "torch_threads": 1,
                "tasks": rows,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()

"""Estimated cost of ``ldlkit reproduce conle`` per data-set prefix, from a timed run and costs.

Combines a timed quiet run of the reproduction (its ``results.jsonl``: the fit seconds of every
fold of every (data set, method) it ran) with one-fold CPU costs measured, possibly on a loaded
machine, by ``benchmarks/conle_reproduction_cost.py`` (fold 0 of each (method, data set) it
ran). The loaded costs are put on the quiet run's scale by one factor: the sum of their fold-0
costs over the (data set, method) pairs measured in both, divided by the quiet run's fold-0 fit
seconds of the same pairs. A pair named in ``--changed`` (a method whose code or defaults changed
since the quiet run, e.g. ``LEVI-MLP``) is taken only from the one-fold costs and left out of the
factor. Every fold of a pair that the quiet run did not time is estimated as that scaled fold-0
cost (the two folds of a 2-fold split have the same number of rows, up to one).

For every prefix of ``ALL_DATASETS`` (the paper's order, as ``--datasets`` runs them) it writes
the estimated CPU seconds of the 2-fold x 1 protocol and its wall time on 1 and 2 workers,
taking the fits in the runner's order (data set, method, split) as each worker becomes free,
plus the quiet run's overhead (its measured wall over the wall of its own fits on 2 workers), and
whether it fits the budget (``--budget`` wall seconds on 2 workers and ``--cpu-budget`` CPU
seconds: 20 minutes on 2 cores, with a margin).

Usage::

    python benchmarks/conle_protocol_estimate.py \
        --quiet benchmarks/results/reproduce_conle_quiet/results.jsonl \
        --quiet-wall 834.7 \
        --costs benchmarks/results/conle_reproduction_cost_yeast.json \
                benchmarks/results/conle_reproduction_cost_levi.json \
        --changed LEVI-MLP --out benchmarks/results/conle_protocol_estimate.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conle_reproduction_cost import makespan  # noqa: E402  (the same scheduling model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", required=True, help="results.jsonl of a timed quiet run")
    parser.add_argument("--quiet-wall", type=float, required=True, help="its wall seconds")
    parser.add_argument("--costs", nargs="+", required=True, help="conle_reproduction_cost JSONs")
    parser.add_argument("--changed", nargs="*", default=[], help="methods changed since")
    parser.add_argument("--budget", type=float, default=1200.0, help="wall seconds, 2 workers")
    parser.add_argument(
        "--cpu-budget", type=float, default=2000.0, help="CPU seconds: 2 x 20 minutes less margin"
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    from ldlkit.experiments import get_reproduction
    from ldlkit.papers.conle.reproductions import ALL_DATASETS

    repro = get_reproduction("conle")
    methods = list(repro.methods)
    n_folds = repro.n_splits * repro.n_repeats

    quiet: dict[tuple[str, str, int], float] = {}
    for line in Path(args.quiet).read_text().splitlines():
        row = json.loads(line)
        if row.get("status", "ok") == "ok":
            quiet[row["dataset"], row["method"], int(row["fold"])] = float(row["fit_time"])
    loaded: dict[tuple[str, str], float] = {}
    loads = []
    for path in args.costs:
        document = json.loads(Path(path).read_text())
        loads.append({"file": path, "start": document["load_average_start"],
                      "end": document["load_average_end"]})  # fmt: skip
        for task in document["tasks"]:
            loaded[task["dataset"], task["method"]] = float(task["fit_cpu_seconds"])

    common = [(d, m) for (d, m) in loaded if m not in args.changed and (d, m, 0) in quiet]
    factor = sum(loaded[k] for k in common) / sum(quiet[(*k, 0)] for k in common)

    def fold_cost(dataset: str, method: str, fold: int) -> tuple[float, str]:
        if method not in args.changed and (dataset, method, fold) in quiet:
            return quiet[dataset, method, fold], "quiet run"
        if (dataset, method) in loaded:
            return loaded[dataset, method] / factor, "one-fold cost, scaled"
        raise SystemExit(f"no cost for {method} on {dataset}")

    per_task = {}
    for dataset in ALL_DATASETS:
        for method in methods:
            costs = [fold_cost(dataset, method, f) for f in range(n_folds)]
            per_task[f"{dataset} | {method}"] = {
                "seconds": [round(c, 2) for c, _ in costs],
                "source": sorted({s for _, s in costs}),
            }
    quiet_fits = [quiet[k] for k in sorted(quiet)]
    overhead = args.quiet_wall / makespan(
        [quiet[d, m, f] for d in ALL_DATASETS for m in methods for f in range(n_folds)
         if (d, m, f) in quiet],
        2,
    )  # fmt: skip
    prefixes = {}
    for k in range(1, len(ALL_DATASETS) + 1):
        order = [
            c for d in ALL_DATASETS[:k] for m in methods for c in per_task[f"{d} | {m}"]["seconds"]
        ]
        two = makespan(order, 2)
        prefixes[str(k)] = {
            "datasets": list(ALL_DATASETS[:k]),
            "fits": len(order),
            "cpu_seconds": round(sum(order), 1),
            "wall_seconds_1_worker": round(makespan(order, 1), 1),
            "wall_seconds_2_workers": round(two, 1),
            "wall_seconds_2_workers_with_overhead": round(two * overhead, 1),
            "fits_budget": two * overhead <= args.budget and sum(order) <= args.cpu_budget,
        }
    per_dataset = {
        d: round(sum(sum(per_task[f"{d} | {m}"]["seconds"]) for m in methods), 1)
        for d in ALL_DATASETS
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "benchmark": "estimated cost of reproduce conle (2-fold x 1) per data-set prefix",
                "script": "benchmarks/conle_protocol_estimate.py",
                "quiet_run": args.quiet,
                "quiet_run_wall_seconds": args.quiet_wall,
                "quiet_run_fit_seconds": round(sum(quiet_fits), 1),
                "quiet_run_overhead": round(overhead, 4),
                "cost_files": loads,
                "changed_methods": args.changed,
                "load_factor": round(factor, 4),
                "load_factor_pairs": [" | ".join(k) for k in common],
                "budget_wall_seconds": args.budget,
                "budget_cpu_seconds": args.cpu_budget,
                "per_dataset_cpu_seconds": per_dataset,
                "prefixes": prefixes,
                "per_task": per_task,
            },
            indent=2,
        )
        + "\n"
    )
    for k, row in prefixes.items():
        print(
            k, row["cpu_seconds"], row["wall_seconds_2_workers_with_overhead"], row["fits_budget"]
        )


if __name__ == "__main__":
    main()

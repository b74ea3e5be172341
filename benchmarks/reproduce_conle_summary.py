"""Summarise a run of ``ldlkit reproduce conle``: fold means, the paper beside them, the runtime.

Reads the run's results folder (``results.jsonl``, one line per finished fold), the
``/usr/bin/time -v`` report of the command and a load log (``date load1 load5 load15 ...`` per
line), and writes a JSON with the mean of every metric over the folds per (dataset, method), the
CPU and wall time of the command, the machine's load during the run, and the paper's values
(Table 3 and 4) beside the measured ones. ``--markdown`` prints the cosine and KL tables of
``docs/reproduction-le.md``.

Usage::

    python benchmarks/reproduce_conle_summary.py --results DIR/results.jsonl --time TIME.txt \
        --load LOAD.log --command "..." --out benchmarks/results/reproduce_conle_summary.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections import defaultdict
from pathlib import Path

import numpy as np

METHODS = (
    "FCM",
    "KM",
    "LP",
    "GLLE",
    "LEVI-MLP",
    "LEVI-MLP (compact)",
    "ConLE",
    "ConLE_h",
    "ConLE_l",
    "Logical (normalised)",
    "Logical (softmax)",
    "Uniform",
)
TRIVIAL = ("Logical (normalised)", "Logical (softmax)", "Uniform")


def best_against_paper(means: dict, paper: dict) -> dict:
    """Per dataset: the learned ldlkit enhancer with the highest mean cosine beside the paper's
    ConLE (the trivial rows are not enhancers and are left out)."""
    out = {}
    for dataset in dict.fromkeys(key.split(" | ")[0] for key in means):
        scored = {
            m: means[f"{dataset} | {m}"]["cosine"]
            for m in METHODS
            if m not in TRIVIAL and f"{dataset} | {m}" in means
        }
        reference = paper.get(dataset, {}).get("ConLE", {}).get("cosine")
        if not scored or reference is None:
            continue
        best = max(scored, key=scored.get)
        out[dataset] = {
            "best_method": best,
            "best_cosine": scored[best],
            "paper_conle_cosine": reference,
            "difference": round(scored[best] - reference, 4),
        }
    return out


def reported() -> dict:
    from ldlkit.papers import find_reported_table

    out: dict = {}
    for table in ("table3", "table4"):
        found = find_reported_table("conle", table) or {}
        for dataset, methods in found.get("results", {}).items():
            for method, metrics in methods.items():
                out.setdefault(dataset.replace("-", "_"), {}).setdefault(method, {}).update(
                    {k: v[0] for k, v in metrics.items() if v is not None and v[0] is not None}
                )
    return out


def parse_time(path: Path) -> dict:
    text = path.read_text() if path.exists() else ""

    def grab(label: str) -> float | None:
        match = re.search(re.escape(label) + r":\s*([0-9.:]+)", text)
        if not match:
            return None
        value = match.group(1)
        if ":" in value:
            parts = [float(p) for p in value.split(":")]
            return sum(p * 60**i for i, p in enumerate(reversed(parts)))
        return float(value)

    return {
        "cpu_user_seconds": grab("User time (seconds)"),
        "cpu_system_seconds": grab("System time (seconds)"),
        "wall_seconds": grab("Elapsed (wall clock) time (h:mm:ss or m:ss)"),
        "max_rss_kb": grab("Maximum resident set size (kbytes)"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", nargs="+", required=True, help="results.jsonl files")
    parser.add_argument(
        "--subset",
        nargs="*",
        default=[],
        help="DATASET=FILE outputs of benchmarks/enhancement_protocol_subset.py to merge in",
    )
    parser.add_argument(
        "--previous",
        nargs="*",
        default=[],
        help="TAG=FILE summaries of earlier runs of the same protocol and seed: their fold means "
        "fill the (dataset, method) cells this run lacks, marked TAG (use only for methods whose "
        "code has not changed since)",
    )
    parser.add_argument(
        "--previous-methods",
        nargs="*",
        default=None,
        help="TAG=METHOD,METHOD,... : take only these methods from that earlier summary",
    )
    parser.add_argument("--time", nargs="*", default=[], help="/usr/bin/time -v reports")
    parser.add_argument("--load", nargs="*", default=[], help="load logs")
    parser.add_argument("--command", default="ldlkit reproduce conle --n-jobs 2")
    parser.add_argument("--out", default="benchmarks/results/reproduce_conle_summary.json")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--note", default="", help="free text: how the run ended")
    args = parser.parse_args()

    folds: dict = defaultdict(list)
    fit_times: dict = defaultdict(list)
    protocol = None
    for path in args.results:
        for line in Path(path).read_text().splitlines():
            record = json.loads(line)
            if record.get("status") != "ok":
                continue
            key = (record["dataset"], record["method"])
            folds[key].append(record["metrics"])
            fit_times[key].append(record["fit_time"])
            protocol = record.get("protocol", protocol)
    for item in args.subset:
        dataset, path = item.split("=", 1)
        for fold in json.loads(Path(path).read_text())["folds"]:
            key = (dataset, fold["method"])
            if len(folds[key]) < 2:
                folds[key].append(fold["metrics"])
                fit_times[key].append(fold["fit_wall_seconds"])
    means = {
        f"{d} | {m}": {k: round(float(np.mean([f[k] for f in rows])), 4) for k in rows[0]}
        for (d, m), rows in folds.items()
    }
    n_folds = {f"{d} | {m}": len(rows) for (d, m), rows in folds.items()}
    sources = {key: "this run" for key in means}
    allowed = {}
    for item in args.previous_methods or []:
        tag, names = item.split("=", 1)
        allowed[tag] = set(names.split(","))
    for item in args.previous:
        tag, path = item.split("=", 1)
        earlier = json.loads(Path(path).read_text())
        for key, values in earlier["mean_over_folds"].items():
            method = key.split(" | ")[1]
            if key in means or (tag in allowed and method not in allowed[tag]):
                continue
            means[key] = values
            n_folds[key] = earlier.get("n_folds", {}).get(key, 2)
            sources[key] = f"{tag} ({path})"
    loads = []
    for log in args.load:
        for line in Path(log).read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4:
                loads.append(float(parts[1]))
    times = [parse_time(Path(t)) for t in args.time]
    runtime = {
        key: round(sum(t[key] for t in times if t[key] is not None), 1) if times else None
        for key in ("cpu_user_seconds", "cpu_system_seconds", "wall_seconds")
    }
    paper = reported()
    document = {
        "reproduction": "conle",
        "script": "benchmarks/reproduce_conle_summary.py",
        "command": args.command,
        "protocol": protocol,
        "note": args.note,
        "runtime": {
            **runtime,
            "processes": len(times),
            "cpu_count": os.cpu_count(),
            "load_average_1min_during_run": {
                "min": min(loads) if loads else None,
                "mean": round(float(np.mean(loads)), 2) if loads else None,
                "max": max(loads) if loads else None,
                "samples": len(loads),
            },
        },
        "n_folds": n_folds,
        "sources": sources,
        "fit_seconds_mean": {
            f"{d} | {m}": round(float(np.mean(t)), 2) for (d, m), t in fit_times.items()
        },
        "fit_seconds_total_by_method": {
            m: round(float(sum(sum(t) for (d, mm), t in fit_times.items() if mm == m)), 1)
            for m in METHODS
            if any(mm == m for _, mm in fit_times)
        },
        "fit_seconds_total_by_dataset": {
            d: round(float(sum(sum(t) for (dd, _), t in fit_times.items() if dd == d)), 1)
            for d in dict.fromkeys(d for d, _ in fit_times)
        },
        "best_learned_vs_paper_conle": best_against_paper(means, paper),
        "mean_over_folds": means,
        "paper": {f"{d} | {m}": v for d, ms in paper.items() for m, v in ms.items()},
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n")
    if args.markdown:
        from ldlkit.papers.conle.reproductions import ALL_DATASETS

        order = list(ALL_DATASETS)
        datasets = sorted(
            dict.fromkeys(key.split(" | ")[0] for key in means),
            key=lambda d: order.index(d) if d in order else len(order),
        )
        methods = [m for m in METHODS if any(f"{d} | {m}" in means for d in datasets)]
        for metric, label in (("cosine", "Cosine ↑"), ("kl_divergence", "KL ↓")):
            print(f"\n{label}, paper / measured (mean over the folds):\n")
            print("| Dataset | " + " | ".join(methods) + " |")
            print("|---" * (len(methods) + 1) + "|")
            for d in datasets:
                cells = []
                for m in methods:
                    got = means.get(f"{d} | {m}", {}).get(metric)
                    ref = paper.get(d, {}).get(m, {}).get(metric)
                    text = "n.r." if got is None else f"{got:.3f}"
                    source = sources.get(f"{d} | {m}", "this run")
                    if got is not None and source != "this run":
                        text += source.split(" ")[0]
                    if got is not None and n_folds.get(f"{d} | {m}") == 1:
                        text += "¹"
                    cells.append(text if ref is None else f"{ref:.3f} / {text}")
                print(f"| {d} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()

"""Training cost of the neural ILDL family on Movie's ILDL folds (CPU; CUDA when present).

For each method at its default settings (RDA and DILDL 300 epochs, AMEMA 50), a fresh process
loads Movie and fits the imbalanced training folds of ``ImbalancedSplit(dataset="Movie")``, then
predicts the test folds. Recorded per method: total fit time, seconds per epoch, optimiser steps,
the process's peak resident memory (and its value right after loading the data), CUDA peak
memory on a GPU, the test KL per fold, the torch thread setting, and the machine's load average
before and after (the machine is shared: times are upper bounds of an idle machine's).

``--burn N`` starts N busy-loop processes (not niced) for the whole measurement, so that the
timing is taken while another workload keeps the cores busy. ``--threads`` sets
``LDLKIT_TORCH_THREADS`` for the children (default: the library's default, one thread; 0 leaves
torch at its own default, one thread per core). ``--folds`` measures fewer folds.

``--baseline-src DIR`` compares two versions of ldlkit on a loaded machine: for ``--rounds``
rounds, each method runs once with ``DIR`` (another checkout's ``src``) first on ``PYTHONPATH``
and once with this checkout's ``src``, alternately, and the JSON records both CPU times per round
and their ratio (CPU seconds, not wall times, are comparable under load).

Run::

    nice python benchmarks/neural_training.py [--methods RDA DILDL AMEMA] [--burn 2]
        [--threads 0] [--folds 1] [--out benchmarks/results/neural_training.json]
    nice python benchmarks/neural_training.py --folds 2 --rounds 3 --baseline-src OTHER/src \
        --out benchmarks/results/neural_training_ab.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

METHODS = ["RDA", "DILDL", "AMEMA"]
ALL_METHODS = [
    "MLPLDL",
    "OFRFocal",
    "OFRClassBalanced",
    "OFRDistributionBalanced",
    *METHODS,
]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def run_one(method: str, device: str, n_folds: int) -> dict:
    """Fit ``method`` on the Movie ILDL folds in this process; return the measurements."""
    import numpy as np
    import torch

    import ldlkit.neural as neural
    from ldlkit._torch import training_threads
    from ldlkit.datasets import load_dataset
    from ldlkit.experiments import ImbalancedSplit
    from ldlkit.metrics import kl_divergence

    X, D = load_dataset("Movie", return_X_y=True, download=False)
    folds = list(ImbalancedSplit(dataset="Movie").split(X, D))[:n_folds]
    rss_after_load = _peak_rss_mib()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    fit_seconds, cpu_seconds, epochs, steps, kls, predict_seconds = [], [], [], [], [], []
    for fold, (train, test) in enumerate(folds):
        model = getattr(neural, method)(random_state=fold, device=device)
        started, cpu_started = time.perf_counter(), time.process_time()
        model.fit(X[train], D[train])
        fit_seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
        epochs.append(model.history_.n_epochs)
        steps.append(model.history_.n_steps)
        started = time.perf_counter()
        kls.append(kl_divergence(D[test], model.predict(X[test])))
        predict_seconds.append(time.perf_counter() - started)
    total = float(sum(fit_seconds))
    return {
        "method": method,
        "device": device,
        "ldlkit_torch_threads": os.environ.get("LDLKIT_TORCH_THREADS"),
        "torch_threads_in_training": training_threads() or torch.get_num_threads(),
        "folds": len(folds),
        "training_rows": [int(len(t)) for t, _ in folds],
        "epochs_per_fit": int(epochs[0]),
        "total_fit_seconds": total,
        "fit_seconds_per_fold": fit_seconds,
        "total_fit_cpu_seconds": float(sum(cpu_seconds)),
        "fit_cpu_seconds_per_fold": cpu_seconds,
        "seconds_per_epoch": total / float(sum(epochs)),
        "steps_per_fit": int(steps[0]),
        "predict_seconds_total": float(sum(predict_seconds)),
        "peak_rss_mib": _peak_rss_mib(),
        "rss_after_loading_data_mib": rss_after_load,
        "cuda_peak_allocated_mib": (
            torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None
        ),
        "test_kl_per_fold": kls,
        "test_kl_mean": float(np.mean(kls)),
    }


def _burners(n: int) -> list[subprocess.Popen]:
    code = "while True:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", code]) for _ in range(n)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=METHODS, choices=ALL_METHODS)
    parser.add_argument("--devices", nargs="+", default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--burn", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/neural_training.json")
    parser.add_argument("--baseline-src", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "DEVICE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # child process: one method, fresh memory accounting
        print(json.dumps(run_one(*args.one, args.folds)))
        return 0
    if args.baseline_src:
        return compare(args)
    import torch

    devices = args.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    env = dict(os.environ)
    if args.threads is not None:
        env["LDLKIT_TORCH_THREADS"] = str(args.threads)
    rows = []
    burners = _burners(args.burn)
    started = time.perf_counter()
    try:
        for device in devices:
            for method in args.methods:
                load_before = os.getloadavg()
                command = [sys.executable, __file__, "--one", method, device]
                child = subprocess.run(
                    [*command, "--folds", str(args.folds)],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                )
                row = json.loads(child.stdout.strip().splitlines()[-1])
                row["load_average_before"] = load_before
                row["load_average_after"] = os.getloadavg()
                rows.append(row)
                print(
                    f"{device:4s} {method:24s} {row['total_fit_seconds']:7.1f} s for "
                    f"{row['folds']} folds ({row['total_fit_cpu_seconds']:.1f} CPU s), "
                    f"{row['seconds_per_epoch'] * 1e3:6.2f} ms/epoch, "
                    f"peak RSS {row['peak_rss_mib']:.0f} MiB, KL {row['test_kl_mean']:.4f}",
                    flush=True,
                )
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    document = {
        "benchmark": "neural_training",
        "dataset": f"Movie (7755 x 1869 x 5), ImbalancedSplit, {args.folds} folds",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "ldlkit_torch_threads": env.get("LDLKIT_TORCH_THREADS"),
        "niceness": os.nice(0),
        "busy_loop_processes": args.burn,
        "wall_seconds": time.perf_counter() - started,
        "total_fit_seconds_all_methods": sum(r["total_fit_seconds"] for r in rows),
        "total_fit_cpu_seconds_all_methods": sum(r["total_fit_cpu_seconds"] for r in rows),
        "note": (
            "Shared machine (2 cores, several sessions): the load averages before/after each "
            "method show the contention; times are upper bounds of an idle machine's. "
            "busy_loop_processes > 0: that many extra busy-loop processes ran throughout. "
            "CPU seconds (process time, all threads) are what the fits cost a core: on an idle "
            "machine the wall time of a one-thread fit is close to them."
        ),
        "results": rows,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


def compare(args) -> int:
    """Alternate the children between ``--baseline-src`` and this checkout's ``src``."""
    here = str(Path(__file__).resolve().parents[1] / "src")
    sources = {"baseline": str(Path(args.baseline_src).resolve()), "this": here}
    rounds = []
    for round_index in range(args.rounds):
        row = {"round": round_index + 1}
        for side, src in sources.items():
            env = dict(os.environ, PYTHONPATH=src)
            for method in args.methods:
                load_before = os.getloadavg()
                child = subprocess.run(
                    [sys.executable, __file__, "--one", method, "cpu", "--folds", str(args.folds)],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                )
                result = json.loads(child.stdout.strip().splitlines()[-1])
                row[f"{side}_{method}_fit_cpu_seconds"] = result["total_fit_cpu_seconds"]
                row[f"{side}_{method}_test_kl_per_fold"] = result["test_kl_per_fold"]
                row[f"{side}_{method}_load_average_before"] = load_before
            row[f"{side}_fit_cpu_seconds"] = sum(
                row[f"{side}_{m}_fit_cpu_seconds"] for m in args.methods
            )
        row["cpu_ratio_this_over_baseline"] = (
            row["this_fit_cpu_seconds"] / row["baseline_fit_cpu_seconds"]
        )
        rounds.append(row)
        print(
            f"round {round_index + 1}: baseline {row['baseline_fit_cpu_seconds']:.1f} CPU s, "
            f"this {row['this_fit_cpu_seconds']:.1f} CPU s, "
            f"ratio {row['cpu_ratio_this_over_baseline']:.3f}",
            flush=True,
        )
    per_method = {
        m: sum(r[f"this_{m}_fit_cpu_seconds"] for r in rounds)
        / sum(r[f"baseline_{m}_fit_cpu_seconds"] for r in rounds)
        for m in args.methods
    }
    document = {
        "benchmark": "neural_training A/B",
        "dataset": f"Movie ILDL folds, first {args.folds}",
        "baseline_src": sources["baseline"],
        "this_src": "this checkout's src",
        "cpu_count": os.cpu_count(),
        "load_average_end": os.getloadavg(),
        "note": (
            "CPU seconds (process time) of the fits, each method in a fresh process, the two "
            "versions alternating; on a loaded machine only the ratios are meaningful."
        ),
        "cpu_ratio_total": sum(r["this_fit_cpu_seconds"] for r in rounds)
        / sum(r["baseline_fit_cpu_seconds"] for r in rounds),
        "cpu_ratio_per_method": per_method,
        "rounds": rounds,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

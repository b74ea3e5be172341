"""Start-up time of the ``ldlkit`` command (issue 13, item 12).

Times ``ldlkit --version`` and ``ldlkit --help`` (``python -m ldlkit.cli``, a fresh process each
time) against two baselines measured in the same run: the bare interpreter (``python -c pass``,
the floor) and the imports the package made eagerly before it imported lazily
(``ldlkit.datasets``, ``ldlkit.metrics``, ``ldlkit.base``: what every command used to pay).
Reports the median of ``--repeats`` runs and writes JSON to ``benchmarks/results/``.

    PYTHONPATH=src python benchmarks/cli_startup.py --repeats 15
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

CASES = {
    "python -c pass (floor)": ["-c", "pass"],
    "old eager imports (datasets, metrics, base)": [
        "-c",
        "import ldlkit.datasets, ldlkit.metrics, ldlkit.base",
    ],
    "ldlkit --version": ["-m", "ldlkit.cli", "--version"],
    "ldlkit --help": ["-m", "ldlkit.cli", "--help"],
}


def _time(args: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "cli_startup.json")
    )
    args = parser.parse_args()
    results = {}
    for _ in range(1):  # warm the file-system cache once
        for case in CASES.values():
            _time(case, 1)
    for name, case in CASES.items():  # interleaved would be fairer; medians absorb the noise
        times = _time(case, args.repeats)
        results[name] = {
            "median_s": round(statistics.median(times), 4),
            "min_s": round(min(times), 4),
            "max_s": round(max(times), 4),
        }
        print(f"{name:45s} median {results[name]['median_s']:.3f} s  min {min(times):.3f} s")
    document = {
        "benchmark": "cli_startup",
        "repeats": args.repeats,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "results": results,
        "target": "ldlkit --help and --version well under 0.5 s",
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

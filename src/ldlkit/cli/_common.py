"""Helpers shared by the subcommands: the user-error type, option help, name checks."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import warnings
from collections.abc import Sequence

#: The environment variable naming the dataset folders (``ldlkit.datasets.DATA_ENV``; repeated
#: here so that building the parser does not import the datasets package).
DATA_ENV = "LDLKIT_DATA"


class UserError(Exception):
    """A mistake in the command's arguments or environment: one line on stderr, exit status 2."""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)


def _suggest(name: str, known: Sequence[str]) -> str:
    """`` Did you mean 'X'?`` for a misspelled ``name`` (case-insensitive), or ``""``."""
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(str(name).lower(), list(by_lower), n=3, cutoff=0.6)
    if not close:
        return ""
    names = " or ".join(repr(by_lower[c]) for c in close)
    return f" Did you mean {names}?"


def _prepare_out(path: str | None, option: str = "--out") -> None:
    """Create the results folder, or stop with one line saying why it cannot be used."""
    if path is None:
        return
    if not str(path).strip():
        raise UserError(f"{option} is empty; give a folder (it is created if it does not exist).")
    from pathlib import Path

    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UserError(
            f"{option} {path}: a file of that name exists; give a folder (it is created if it "
            "does not exist)."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"{option} {path}: cannot create the folder ({exc.strerror or exc})."
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{option} {path}: the folder is not writable.")


def _data_home_help() -> str:
    return (
        f"an extra folder holding dataset files, searched after ${DATA_ENV} and before the user "
        "cache (downloads go there too)"
    )


_FORMAT_HELP = (
    "table format: md (Markdown, the default), latex, csv (one row per dataset, method and "
    "metric) or json"
)


# The options several commands share, spelled once so their names, defaults and help agree.
def _add_data_home(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-home", default=None, metavar="DIR", help=_data_home_help())


def _add_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the splits and of estimators without their own random_state (default 0)",
    )


def _add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("md", "latex", "csv", "json"), default="md", help=_FORMAT_HELP
    )


# -- datasets -----------------------------------------------------------------------------------
def _looks_like_path(name: str) -> bool:
    from pathlib import Path

    return os.sep in name or "/" in name or Path(name).suffix.lower() in (".mat", ".npz", ".csv")


#: The file in a results folder recording how ``run`` (or ``reproduce``) was called.
_RUN_CONFIG = "run.json"


def _check_method_names(names: Sequence[str]) -> None:
    """Refuse an unknown estimator name at once, suggesting the closest registered names."""
    from ..base import all_estimators

    known = [name for name, _ in all_estimators()]
    lower = {k.lower() for k in known}
    for name in names:
        if name.lower() not in lower:
            raise UserError(
                f"unknown estimator {name!r}.{_suggest(name, known)} Registered: "
                f"{', '.join(known)} (`ldlkit run --list-methods`)."
            )


def _check_metric_names(names: Sequence[str] | None) -> None:
    if not names:
        return
    from ..metrics import DIAGNOSTIC_METRICS, METRICS, split_label_group

    for name in names:
        base, _group = split_label_group(name)
        if base not in METRICS and base not in DIAGNOSTIC_METRICS:
            raise UserError(
                f"unknown metric {name!r}.{_suggest(name, list(METRICS))} Known: "
                f"{', '.join(METRICS)} (head/tail forms such as euclidean_head under "
                "--protocol ildl)."
            )


def _check_dataset_names(names: Sequence[str] | None) -> None:
    """Unknown names fail before the run summary is printed (the loader suggests close names)."""
    from ..datasets import get_dataset_info

    for name in names or []:
        if name.lower() != "artificial" and not _looks_like_path(name):
            get_dataset_info(name)


def _with_data_home(data_home: str | None):
    """``data_home`` checked: a missing folder is a mistake worth one line, not a silent miss."""
    if data_home is not None and not os.path.isdir(data_home):
        raise UserError(f"--data-home {data_home}: no such folder.")
    return data_home


def _finished_keys(out: str | None) -> set[str]:
    """Keys of the folds already saved in ``out`` (to say how many a resumed run reused)."""
    if not out:
        return set()
    from pathlib import Path

    from ..experiments import RESULTS_FILE, Results

    if not (Path(out) / RESULTS_FILE).is_file():
        return set()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the run itself reports damaged lines
            saved = Results.load(out)
    except (ValueError, OSError):
        return set()
    return {r.get("key") for r in saved.records if r.get("status") == "ok"}


def _say_reused(results, before: set[str], out: str, quiet: bool) -> None:
    if quiet or not before:
        return
    from pathlib import Path

    from ..experiments import RESULTS_FILE

    reused = sum(1 for r in results.records if r.get("key") in before)
    total = len(results.records)
    if not reused:  # the folder holds other runs only
        return
    print(
        f"ldlkit: resumed: {reused} of {total} folds were already in "
        f"{Path(out) / RESULTS_FILE} and were reused, {total - reused} computed now.",
        file=sys.stderr,
    )


def _report_methods_that_never_ran(results) -> int:
    """Exit status 1, with one line per method, when a method failed on every fold it ran."""
    by_pair: dict[tuple[str, str], list[dict]] = {}
    for record in results.records:
        by_pair.setdefault((record["dataset"], record["method"]), []).append(record)
    status = 0
    for (dataset, method), records in by_pair.items():
        if all(r.get("status") != "ok" for r in records):
            print(
                f"ldlkit: error: {method} failed on every fold of {dataset} "
                f"({len(records)}): {records[0].get('error')}",
                file=sys.stderr,
            )
            status = 1
    return status

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
#: ``ldlkit.datasets.DATA_HOME_ENV`` and ``DATA_URL_ENV``, repeated for the same reason.
DATA_HOME_ENV = "LDLKIT_DATA_HOME"
DATA_URL_ENV = "LDLKIT_DATA_URL"


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
    """Unknown metric names fail at once; aliases are the Python API's (``kl``, ``neg_kl``)."""
    if not names:
        return
    from ..metrics import METRIC_ALIASES, METRICS, get_metric, split_label_group

    for name in names:
        base, _group = split_label_group(name)
        try:
            get_metric(base)
        except ValueError:
            known = [*METRICS, *METRIC_ALIASES]
            raise UserError(
                f"unknown metric {name!r}.{_suggest(name, known)} Known: {', '.join(METRICS)} "
                f"(aliases: {', '.join(f'{a}={m}' for a, m in METRIC_ALIASES.items())}; head/tail "
                "forms such as euclidean_head under --protocol ildl)."
            ) from None


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


# -- data: every command reads files through ldlkit.datasets.load_dataset ------------------------
def _add_data_options(parser: argparse.ArgumentParser, *, what: str = "datasets") -> None:
    """``--labels N`` and ``--renormalize``: how to read a file of your own (docs/datasets.md)."""
    parser.add_argument(
        "--labels",
        type=int,
        default=None,
        metavar="N",
        help=f"for CSV {what} without a label_<name> header: the last N columns are the label "
        "degrees (for .mat/.npz files it is checked against the file)",
    )
    parser.add_argument(
        "--renormalize",
        action="store_true",
        help="divide label rows that do not sum to 1 by their sum (as stored in some public "
        "files) instead of refusing them",
    )


def _load_data(
    name,
    *,
    data_home=None,
    labels: int | None = None,
    renormalize: bool = False,
    logical: bool = False,
    download: bool = True,
):
    """The one loader (:func:`ldlkit.datasets.load_dataset`), its remedies in option terms."""
    from ..datasets import DatasetFormatError, load_dataset

    if labels is not None and labels < 2:
        raise UserError(f"--labels {labels}: give the number of label columns, at least 2.")
    if download:
        _announce_download(name, data_home)
    try:
        return load_dataset(
            name,
            data_home=data_home,
            n_labels=labels,
            renormalize=renormalize,
            logical=logical,
            download=download,
        )
    except DatasetFormatError as exc:
        raise UserError(exc.command_line_message()) from None


def _announce_download(name, data_home) -> None:
    """One line on stderr before a registered dataset that is not on disk is downloaded."""
    from ..datasets import dataset_url, find_dataset_file, get_data_home
    from ..datasets._registry import DATASETS, registered_name

    owner = registered_name(name) if isinstance(name, str) else None
    if owner is None or _looks_like_path(name) or DATASETS[owner].builtin:
        return
    url = dataset_url(DATASETS[owner])
    if url is not None and find_dataset_file(owner, data_home) is None:
        print(
            f"ldlkit: {owner} is not on disk; downloading it from {url} into "
            f"{get_data_home(data_home)} (verified before use)",
            file=sys.stderr,
        )


def _load_features(path, *, labels: int | None = None, n_features: int | None = None):
    """Feature rows of a file (the loader's layouts, plus .npy), remedies in option terms.

    ``n_features``: the model's; a CSV with more columns than that is told about ``--labels``.
    """
    from ..datasets import DatasetFormatError, load_features

    try:
        X = load_features(path, n_labels=labels)
    except DatasetFormatError as exc:
        raise UserError(exc.command_line_message()) from None
    extra = X.shape[1] - n_features if n_features is not None else 0
    if extra > 0 and labels is None and str(path).lower().endswith(".csv"):
        raise UserError(
            f"{path} has {X.shape[1]} columns but the model was fitted on {n_features} "
            f"features; if its last {extra} columns are label degrees, drop them with "
            f"--labels {extra}."
        )
    return X


def _load_datasets(
    items: Sequence, *, data_home=None, labels=None, renormalize=False, download=True
) -> list:
    """Load every dataset a command names before it prints its plan, so that a bad file or a
    missing option is one line first. Returns what ``run_experiment`` takes: ``(name, X, D)``
    triples, except that a file of your own read without options stays a path (so that the
    experiment's resume key keeps the file's checksum)."""
    out = []
    for item in items:
        if isinstance(item, tuple):
            out.append(item)
            continue
        bunch = _load_data(
            item, data_home=data_home, labels=labels, renormalize=renormalize, download=download
        )
        own = bunch.get("sha256") is not None
        if own and labels is None and not renormalize:
            out.append(item)
        else:
            out.append((bunch.name, bunch.features, bunch.labels))
    return out


def _check_ildl_parameters(parameters, datasets: Sequence) -> None:
    """``--ildl-parameters``' label indices against each loaded dataset's labels."""
    if parameters is None:
        return
    for item in datasets:
        if not isinstance(item, tuple):
            continue
        name, _, D = item
        for what, value in (("LOW", parameters[2]), ("HIGH", parameters[3])):
            if not float(value).is_integer() or not 0 <= int(value) < D.shape[1]:
                raise UserError(
                    f"--ildl-parameters: {what}={value:g} is not a label of {name}, which has "
                    f"{D.shape[1]} labels (give an index from 0 to {D.shape[1] - 1})."
                )


def _check_extras(resolved: dict, remedy: str = "leave {them} out of --methods") -> None:
    """Refuse, before any fold runs, a method whose optional extra (torch) is not installed."""
    from .._optional import torch_available

    if torch_available():
        return
    needing = []
    for display, estimator in resolved.items():
        parts = [estimator]
        if hasattr(estimator, "get_params"):
            parts += [
                value
                for value in estimator.get_params(deep=True).values()
                if hasattr(value, "fit") and not isinstance(value, type)
            ]
        for part in parts:
            try:
                tags = part.__sklearn_tags__()
            except (AttributeError, TypeError):
                continue
            if getattr(getattr(tags, "ldl", None), "requires_torch", False):
                needing.append(display)
                break
    if needing:
        them = "it" if len(needing) == 1 else "them"
        alternative = f", or {remedy.format(them=them)}" if remedy else ""
        raise UserError(
            f"{', '.join(needing)} need{'s' * (len(needing) == 1)} PyTorch, which is not "
            "installed: `pip install 'ldlkit[torch]'` (for a CPU-only build, install torch from "
            f"the PyTorch CPU wheel index first){alternative}."
        )


def _check_counts(args: argparse.Namespace) -> None:
    """``--folds``, ``--repeats`` and ``--n-jobs`` in the options' own names, before anything."""
    if getattr(args, "folds", None) is not None and args.folds < 2:
        raise ValueError(f"--folds {args.folds}: give at least 2 folds.")
    if getattr(args, "repeats", None) is not None and args.repeats < 1:
        raise ValueError(f"--repeats {args.repeats}: give at least 1 repeat.")
    if getattr(args, "n_jobs", None) == 0:
        raise ValueError(
            "--n-jobs 0: give a positive number of parallel jobs, or -1 for all cores."
        )

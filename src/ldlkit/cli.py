"""The ``ldlkit`` command: a thin layer over the library.

Each subcommand is a ``(add_arguments, handler)`` pair registered in :data:`COMMANDS`. A user's
mistake (:class:`UserError`, the library's ``ValueError``, a file-system ``OSError``, a missing
optional extra) prints one ``ldlkit: error: ...`` line to stderr and exits with status 2; any
other exception is a bug in ldlkit and keeps Python's traceback (``ldlkit --traceback ...`` shows
the traceback of a user error as well).

Only the standard library is imported here: numpy, scikit-learn and the estimators are imported
by the handlers, so that ``ldlkit --help`` and ``ldlkit --version`` answer at once.
"""

from __future__ import annotations

import argparse
import difflib
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence

from ._version import __version__

#: The environment variable naming the dataset folders (``ldlkit.datasets.DATA_ENV``; repeated
#: here so that building the parser does not import the datasets package).
DATA_ENV = "LDLKIT_DATA"

#: Optional extras whose absence is the user's to fix (``pip install 'ldlkit[...]'``), not a bug.
_OPTIONAL_MODULES = {"torch", "faiss", "matplotlib", "dask", "distributed", "ray"}


class UserError(Exception):
    """A mistake in the command's arguments or environment: one line on stderr, exit status 2."""


def _is_user_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the user's to fix (one line) rather than a bug in ldlkit (traceback).

    The library reports bad input with ``ValueError`` (its documented contract) and
    ``DatasetNotFoundError`` (a ``FileNotFoundError``); file-system faults (``--out`` naming a
    file, a read-only folder, ``/dev/null/x``) are ``OSError``; a missing optional dependency is
    an ``ImportError`` naming one of the extras. ``TypeError``, ``KeyError``, ``AttributeError``
    and other ``ImportError`` are bugs and keep their traceback.
    """
    if isinstance(exc, UserError | ValueError | OSError):
        return True
    if isinstance(exc, ImportError):
        for candidate in (exc, exc.__cause__):
            name = getattr(candidate, "name", None) or ""
            if name.split(".")[0] in _OPTIONAL_MODULES:
                return True
        return "pip install" in str(exc)  # ldlkit._optional's messages name the extra
    return False


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


# -- datasets -----------------------------------------------------------------------------------
def _looks_like_path(name: str) -> bool:
    from pathlib import Path

    return os.sep in name or "/" in name or Path(name).suffix.lower() in (".mat", ".npz", ".csv")


def _registered(name: str) -> bool:
    from .datasets import get_dataset_info

    try:
        get_dataset_info(name)
    except ValueError:
        return False
    return True


def _datasets_list(args: argparse.Namespace) -> int:
    from .datasets import find_dataset_file, get_dataset_info, list_datasets
    from .datasets._loaders import _search_dirs

    rows = []
    for name in list_datasets():
        info = get_dataset_info(name)
        path = find_dataset_file(name, args.data_home)
        rows.append((name, info.shape, "yes" if path else "no", str(path) if path else ""))
    widths = [max(len(r[i]) for r in rows + [("name", "n×d×L", "local", "path")]) for i in range(4)]
    header = ("name", "n×d×L", "local", "path")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    searched = ", ".join(str(d) for d in _search_dirs(args.data_home))
    print(f"\nsearched, in order: {searched} (set {DATA_ENV} to add folders)")
    print("your own file: give its path wherever a dataset name is accepted (.mat, .npz, .csv)")
    return 0


def _datasets_info(args: argparse.Namespace) -> int:
    import numpy as np

    from .datasets import find_dataset_file, get_dataset_info, load_dataset, load_file

    name = args.name
    info = None
    if _looks_like_path(name):
        bunch = load_file(name, renormalize=True)
        path = name
        print(f"{bunch.name}: {bunch.description}")
    elif name.lower() == "artificial" and not _registered(name):
        from types import SimpleNamespace

        from .datasets import make_artificial

        X, D = make_artificial(500, random_state=0)
        bunch = SimpleNamespace(features=X, labels=D, row_sums=D.sum(axis=1), label_names=None)
        path = None
        print("artificial: the embedded toy data of Geng 2016 (500 rows, seed 0), generated")
    else:
        info = get_dataset_info(name)
        print(f"{info.name}: {info.description}")
        print(f"registered shape (n×d×L): {info.shape}")
        print(f"source: {info.source}")
        if info.reference:
            print(f"reference: {info.reference}")
        if info.aliases:
            print(f"aliases: {', '.join(info.aliases)}")
        path = find_dataset_file(info.name, args.data_home)
        bunch = None
        if path is None and info.name.lower() != "artificial":
            print("local file: not found (`ldlkit datasets list` shows the folders searched)")
            return 0
        bunch = load_dataset(info.name, data_home=args.data_home, renormalize=True, download=False)
    raw = bunch.row_sums
    X, D = bunch.features, bunch.labels
    if path is not None:
        print(f"local file: {path}")
    print(f"features: {X.shape[0]} rows × {X.shape[1]} columns")
    print(f"feature range: [{X.min():.4g}, {X.max():.4g}]")
    off = np.abs(raw - 1.0) > 1e-3
    print(
        f"rows not summing to 1 (|sum-1| > 1e-3): {int(off.sum())}"
        + (f" (sums from {raw.min():.4g} to {raw.max():.4g})" if off.any() else "")
    )
    names = bunch.label_names or [f"label {j}" for j in range(D.shape[1])]
    print("label statistics (degree mean, std, share of rows where it is the largest):")
    dominant = np.bincount(D.argmax(axis=1), minlength=D.shape[1]) / D.shape[0]
    for j, label in enumerate(names):
        print(f"  {label:>12}: {D[:, j].mean():.4f} ± {D[:, j].std():.4f}   {dominant[j]:.3f}")
    print(f"zero degrees: {100 * (D == 0).mean():.1f} %")
    return 0


def _add_datasets(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "datasets",
        help="list and inspect benchmark datasets",
        description=(
            f"List the registered benchmark datasets and inspect one. Files are looked for in the "
            f"folders of ${DATA_ENV} (separated by '{os.pathsep}'), then --data-home, then the "
            "user cache."
        ),
        formatter_class=_formatter,
        epilog="examples:\n  ldlkit datasets list\n  ldlkit datasets info artificial\n",
    )
    inner = parser.add_subparsers(dest="datasets_command", metavar="{list,info}", required=True)
    p_list = inner.add_parser(
        "list",
        help="registered datasets, their shapes, and which are local",
        description="Registered datasets, their shapes, and which files were found locally.",
    )
    p_list.add_argument("--data-home", default=None, metavar="DIR", help=_data_home_help())
    p_list.set_defaults(handler=_datasets_list)
    p_info = inner.add_parser(
        "info",
        help="shape and label statistics of one dataset",
        description="Shape and label statistics of a registered dataset or of a file of yours.",
        formatter_class=_formatter,
        epilog=(
            "examples:\n  ldlkit datasets info artificial\n"
            "  ldlkit datasets info mydata.mat           # a file of your own\n"
        ),
    )
    p_info.add_argument(
        "name", metavar="NAME", help="a registered name or the path of a .mat, .npz or .csv file"
    )
    p_info.add_argument("--data-home", default=None, metavar="DIR", help=_data_home_help())
    p_info.set_defaults(handler=_datasets_info)


#: Subcommand builders: each takes the subparsers object and registers one command whose parser
#: sets ``handler`` (a function of the parsed arguments returning the exit status). Other modules
#: add theirs with ``COMMANDS += [...]``.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_datasets]


# -- experiments: run, report, reproduce (the logic lives in ldlkit.experiments) ----------------
_RUN_CONFIG = "run.json"


def _check_method_names(names: Sequence[str]) -> None:
    """Refuse an unknown estimator name at once, suggesting the closest registered names."""
    from .base import all_estimators

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
    from .metrics import METRICS, split_label_group

    for name in names:
        base, _group = split_label_group(name)
        if base not in METRICS:
            raise UserError(
                f"unknown metric {name!r}.{_suggest(name, list(METRICS))} Known: "
                f"{', '.join(METRICS)} (head/tail forms such as euclidean_head under "
                "--protocol ildl)."
            )


def _check_dataset_names(names: Sequence[str] | None) -> None:
    """Unknown names fail before the run summary is printed (the loader suggests close names)."""
    from .datasets import get_dataset_info

    for name in names or []:
        if name.lower() != "artificial" and not _looks_like_path(name):
            get_dataset_info(name)


def _with_data_home(data_home: str | None):
    """``data_home`` checked: a missing folder is a mistake worth one line, not a silent miss."""
    if data_home is not None and not os.path.isdir(data_home):
        raise UserError(f"--data-home {data_home}: no such folder.")
    return data_home


def _dataset_summary(datasets: list) -> str:
    """``artificial (500 rows, ...)`` for each dataset the command is about to run."""
    parts = []
    for item in datasets:
        if isinstance(item, tuple):
            name, X, D = item
            what = "; the embedded toy data of Geng 2016" if name == "artificial" else ""
            shape = f"{X.shape[0]} rows × {X.shape[1]} features × {D.shape[1]} labels"
            parts.append(f"{name} ({shape}{what})")
            continue
        try:
            from .datasets import get_dataset_info

            info = get_dataset_info(item)
            parts.append(f"{info.name} ({info.shape})")
        except ValueError:  # a path: its shape is known once loaded
            parts.append(str(item))
    return ", ".join(parts)


def _finished_keys(out: str | None) -> set[str]:
    """Keys of the folds already saved in ``out`` (to say how many a resumed run reused)."""
    if not out:
        return set()
    from pathlib import Path

    from .experiments import RESULTS_FILE, Results

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

    from .experiments import RESULTS_FILE

    reused = sum(1 for r in results.records if r.get("key") in before)
    total = len(results.records)
    if not reused:  # the folder holds other runs only
        return
    print(
        f"ldlkit: resumed: {reused} of {total} folds were already in "
        f"{Path(out) / RESULTS_FILE} and were reused, {total - reused} computed now.",
        file=sys.stderr,
    )


def _run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from . import experiments as ex
    from .base import all_estimators
    from .experiments._sweeps import _DEFAULT_FOLDS, _DEFAULT_REPEATS

    if args.list_methods:
        for kind, title in (("ldl", "label distribution learners"), ("le", "label enhancers")):
            names = [name for name, _ in all_estimators(kind)]
            print(f"{title}: {', '.join(names) if names else '(none registered)'}")
        print(f"fast methods used by default: {', '.join(ex.fast_methods())}")
        return 0
    _prepare_out(args.out)
    data_home = _with_data_home(args.data_home)
    _check_metric_names(args.metrics)
    kind = "le" if args.protocol == "le" else "ldl"
    if args.methods:
        methods = {}
        for spec in args.methods:
            name, params = ex.parse_method_spec(spec)
            display = spec.strip().rstrip(":")
            display = display if display not in methods else f"{display}#{len(methods) + 1}"
            methods[display] = (name, params)
        _check_method_names([name for name, _ in methods.values()])
    else:
        methods = ex.fast_methods(kind)
    if not methods:
        raise UserError(
            "--protocol le evaluates label enhancers (estimators with fit_transform(X, logical)), "
            "and none is registered in this installation yet (`ldlkit run --list-methods`)."
            if kind == "le"
            else "no methods given and no fast method is registered; pass --methods."
        )
    if args.protocol == "ildl" and args.ildl_parameters is None:
        if not args.datasets:
            raise UserError(
                "--protocol ildl needs --datasets with built-in parameters "
                f"({', '.join(ex.ILDL_PARAMETERS)}) or --ildl-parameters A B LOW HIGH."
            )
        for name in args.datasets:  # before loading anything
            try:
                ex.imbalanced_parameters(name)
            except ValueError as exc:
                raise UserError(
                    f"{str(exc).split('; pass parameters=')[0]}; give the rule with "
                    "--ildl-parameters A B LOW HIGH (see --help)."
                ) from None
    cv = ex.make_protocol(
        args.protocol,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        ildl_parameters=args.ildl_parameters,
    )
    _check_dataset_names(args.datasets)
    datasets = ex.expand_demo_datasets(args.datasets, random_state=args.seed)
    resolved = ex.resolve_methods(methods)
    _check_method_kinds(resolved, kind)
    if args.reference is not None:
        reference, why = args.reference, "chosen with --reference"
    elif "UAKNN" in resolved:
        reference = "UAKNN"
        why = "the default: UAKNN, the method of the paper this demo follows, when it runs"
    else:
        reference = next(iter(resolved))
        why = "the default: the first method, since UAKNN is not among them"
    if reference not in resolved:
        raise UserError(
            f"--reference {reference!r} is not one of the methods {list(resolved)}."
            f"{_suggest(reference, list(resolved))}"
        )
    if not args.quiet:
        folds = _DEFAULT_FOLDS[args.protocol] if args.folds is None else args.folds
        repeats = _DEFAULT_REPEATS[args.protocol] if args.repeats is None else args.repeats
        fits = len(resolved) * len(datasets) * folds * repeats
        chosen = "" if args.methods else " (the registered fast methods; --methods to choose)"
        protocol = {"kfold": "k-fold CV", "ildl": "ILDL protocol", "le": "LE protocol"}
        print(
            f"ldlkit run: {len(resolved)} method{'s' * (len(resolved) != 1)} × "
            f"{len(datasets)} dataset{'s' * (len(datasets) != 1)} × {folds} folds × {repeats} "
            f"repeat{'s' * (repeats != 1)} ({protocol[args.protocol]}, seed {args.seed}) = "
            f"{fits} fits\n"
            f"  datasets: {_dataset_summary(datasets)}\n"
            f"  methods: {', '.join(resolved)}{chosen}\n"
            f"  •/○ markers compare each method with {reference} ({why})",
            file=sys.stderr,
        )
    before = _finished_keys(args.out)
    results = ex.run_experiment(
        resolved,
        datasets,
        cv=cv,
        metrics=args.metrics,
        n_jobs=args.n_jobs,
        out=args.out,
        random_state=args.seed,
        progress=not args.quiet,
        data_home=data_home,
    )
    if args.out:
        _say_reused(results, before, args.out, args.quiet)
    table = ex.compare(results, reference=reference)
    if args.out:
        config = {
            "reference": reference,
            "protocol": args.protocol,
            "seed": args.seed,
            "configs": results.configs,
        }
        (Path(args.out) / _RUN_CONFIG).write_text(json.dumps(config, indent=2) + "\n")
        ex.save_table(table, Path(args.out) / "table.json")
    if results.ok():
        print(ex.format_table(table, args.format), end="")
        if args.out:
            print(f"\nper-fold results: {Path(args.out) / ex.RESULTS_FILE}")
    return _report_methods_that_never_ran(results)


def _check_method_kinds(resolved: dict, kind: str) -> None:
    """Refuse label enhancers under an LDL protocol and LDL estimators under ``--protocol le``."""
    from .experiments._runner import is_label_enhancer

    if kind == "le":
        wrong = [name for name, est in resolved.items() if not is_label_enhancer(est)]
        if wrong:
            raise UserError(
                f"--protocol le evaluates label enhancers (fit_transform(X, logical)); "
                f"{', '.join(wrong)} predict label distributions instead. Use --protocol kfold "
                "or ildl for them."
            )
    else:
        wrong = [name for name, est in resolved.items() if is_label_enhancer(est)]
        if wrong:
            raise UserError(
                f"{', '.join(wrong)} are label enhancers; evaluate them with --protocol le."
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


_RUN_EXAMPLES = """\
examples:
  ldlkit run                                      # the demo: fast methods, artificial data
  ldlkit run --methods AAKNN:k=4 UAKNN:variance=0.3 --folds 3
  ldlkit run --methods MeanPredictor AAKNN --repeats 2 --out runs/demo --format csv
  ldlkit run --protocol ildl --ildl-parameters 1 2 2 0 --methods MeanPredictor AAKNN
  ldlkit run --datasets mydata.mat --methods MeanPredictor AAKNN:k=4
  ldlkit run --list-methods

Datasets are registered names (`ldlkit datasets list`), 'artificial' (the embedded toy data) or
paths of your own .mat, .npz or .csv files. With --out, every finished fold is saved at once and
rerunning the same command resumes; `ldlkit report DIR` rebuilds the table.
"""


def _add_run(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run",
        help="run methods on datasets under a protocol and print a comparison table",
        description=(
            "Run methods x datasets x folds and print a comparison table (mean ± standard "
            "deviation over the test folds, paired t-test markers, average ranks). With no "
            "arguments, runs the fast methods on the embedded artificial dataset (500 rows, "
            "5-fold CV, one repeat)."
        ),
        formatter_class=_formatter,
        epilog=_RUN_EXAMPLES,
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        metavar="NAME",
        help="registered names, 'artificial' (the embedded toy data, the default) or paths of "
        ".mat/.npz/.csv files",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        metavar="SPEC",
        help="estimator names, optionally with parameters as Name:param=value,param=value "
        "(e.g. AAKNN:k=4 or UAKNN:variance=0.3,perturbation=False; default: the registered "
        "fast methods; `--list-methods` lists them all)",
    )
    parser.add_argument(
        "--protocol",
        choices=("kfold", "ildl", "le"),
        default="kfold",
        help="kfold: repeated k-fold CV (default); ildl: imbalanced training folds (RDA, DILDL, "
        "AMEMA); le: label enhancement (ConLE)",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=None,
        help="folds per repeat (default: 5 for kfold, 10 for ildl and le)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="repeats of the k-fold split (default 1; the papers use 10; ildl has one repeat)",
    )
    parser.add_argument(
        "--ildl-parameters",
        type=float,
        nargs=4,
        metavar=("A", "B", "LOW", "HIGH"),
        default=None,
        help="ILDL rule for a dataset without built-in parameters: keep the training rows whose "
        "degree on label LOW is below A/L and whose degree on label HIGH is above B/L (L: number "
        "of labels; labels counted from 0), plus each label's largest-degree row. Built in for "
        "Movie, SCUT_FBP, emotion6, Flickr_LDL, RAF_ML, Natural_Scene",
    )
    parser.add_argument(
        "--metrics",
        nargs="+",
        default=None,
        metavar="NAME",
        help="metric names (default: the six paper metrics, plus the head/tail Euclidean ones "
        "under ildl)",
    )
    parser.add_argument(
        "--reference",
        default=None,
        metavar="METHOD",
        help="method the •/○ t-test markers compare against (default: UAKNN if it runs, else "
        "the first method)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="folds run in parallel (default 1; -1: all cores; give each worker one thread "
        "with OMP_NUM_THREADS=1)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="save every finished fold in DIR/results.jsonl (created if missing); rerunning "
        "the same command resumes",
    )
    parser.add_argument("--data-home", default=None, metavar="DIR", help=_data_home_help())
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the splits and of estimators without their own random_state (default 0)",
    )
    parser.add_argument(
        "--format", choices=("md", "latex", "csv", "json"), default="md", help=_FORMAT_HELP
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no run summary and no progress bar (on stderr)"
    )
    parser.add_argument("--list-methods", action="store_true",
                        help="list registered methods and exit")  # fmt: skip
    parser.set_defaults(handler=_run)


def _load_report_results(folder):
    """Read ``folder``'s results for ``report``: damaged lines are left out, with a warning."""
    import re

    from .experiments import RESULTS_FILE, Results

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = Results.load(folder)
    for warning in caught:
        # The store's message is written for a resuming run ("the fold will be recomputed");
        # report recomputes nothing, so say what it does instead.
        text = str(warning.message)
        text = re.sub(r"[,;]?\s*the fold will be recomputed\.?", "", text).rstrip(". ")
        warnings.warn(f"{text}; report leaves it out.", UserWarning, stacklevel=2)
    if not results.records:
        damaged = f" ({len(caught)} unreadable line{'s' * (len(caught) != 1)})" if caught else ""
        raise UserError(
            f"{folder / RESULTS_FILE} holds no results{damaged}; give a folder written by "
            "`ldlkit run --out DIR` or `ldlkit reproduce`."
        )
    if not results.ok():
        raise UserError(
            f"{folder / RESULTS_FILE} holds no successful fold ({len(results.records)} failed); "
            "nothing to report."
        )
    return results


def _report(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    if args.plot:  # before printing anything or creating DIR/figures
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise UserError(
                "--plot needs matplotlib, which is not installed: pip install 'ldlkit[plot]'."
            )
    _check_metric_names(args.metrics)
    from . import experiments as ex

    folder = Path(args.directory)
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file; give the folder written by `ldlkit run --out`.")
    results = _load_report_results(folder)
    reference = args.reference
    config = folder / _RUN_CONFIG
    if config.is_file():
        # The folder may hold several runs: report the last one `ldlkit run` made.
        try:
            saved = json.loads(config.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UserError(
                f"{config} is not valid JSON ({exc}); delete it to report all runs."
            ) from None
        reference = reference or saved.get("reference")
        if saved.get("configs"):
            results = results.select(configs=saved["configs"])
    if reference is not None and reference not in results.methods:
        if args.reference is not None:
            raise UserError(
                f"--reference {reference!r} is not one of the methods {results.methods}."
                f"{_suggest(reference, results.methods)}"
            )
        reference = None
    table = ex.compare(results, reference=reference, metrics=args.metrics)
    text = ex.format_table(table, args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    if args.plot:
        paths = ex.save_comparison_figures(table, folder / "figures")
        paths += ex.save_distribution_figures(results, folder / "figures")
        print(f"figures: {', '.join(str(p) for p in paths)}")
    return 0


def _add_report(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help="rebuild tables and figures from saved results",
        description="Rebuild the comparison table (and figures) from a results folder, without "
        "computing anything.",
        formatter_class=_formatter,
        epilog=(
            "examples:\n"
            "  ldlkit report runs/demo\n"
            "  ldlkit report runs/demo --format latex --output table.tex\n"
            "  ldlkit report runs/demo --plot --metrics cosine   # needs ldlkit[plot]\n"
        ),
    )
    parser.add_argument(
        "directory", metavar="DIR", help="folder given to `ldlkit run --out` or `reproduce`"
    )
    parser.add_argument(
        "--format", choices=("md", "latex", "csv", "json"), default="md", help=_FORMAT_HELP
    )
    parser.add_argument(
        "--reference", default=None, metavar="METHOD", help="method for the t-test markers"
    )
    parser.add_argument(
        "--metrics", nargs="+", default=None, metavar="NAME", help="metrics to show (default all)"
    )
    parser.add_argument("--output", default=None, metavar="FILE", help="write the table here")
    parser.add_argument(
        "--plot",
        action="store_true",
        help="save per-metric bar charts and true-vs-predicted distributions of a few test rows "
        "in DIR/figures (needs matplotlib: pip install 'ldlkit[plot]')",
    )
    parser.set_defaults(handler=_report)


def _reproduce_list() -> int:
    from . import experiments as ex
    from .base import all_estimators
    from .experiments._reproduce import describe_estimate, describe_reported_tables

    registered = {name.lower() for name, _ in all_estimators()}
    for entry in ex.list_reproductions():
        classes = [class_name for class_name, _ in entry.methods.values()]
        available = sum(c.lower() in registered for c in classes)
        missing = f"; {available} of {len(classes)} methods available" * (available < len(classes))
        print(f"{entry.name}: {entry.description}")
        print(f"    {entry.protocol}; {', '.join(entry.datasets)}{missing}; "
              f"{describe_estimate(entry)}")  # fmt: skip
        for line in describe_reported_tables(entry):
            print(f"    {line}")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from . import experiments as ex
    from .experiments._reproduce import build_methods, describe_reproduction_plan

    if args.list or not args.name:
        return _reproduce_list()
    repro = ex.get_reproduction(args.name)
    build_methods(repro)  # no estimator available: one line, before anything is created
    repro.make_cv(args.folds, args.repeats)  # --folds 0, --repeats 2 under ILDL: one line
    _check_dataset_names(args.datasets)
    data_home = _with_data_home(args.data_home)
    out = None if args.no_save else (args.out or str(Path("ldlkit-results") / repro.name))
    if not args.dry_run:
        _prepare_out(out)
    datasets = (
        ex.expand_demo_datasets(args.datasets, random_state=args.seed) if args.datasets else None
    )
    if not args.quiet or args.dry_run:
        plan = describe_reproduction_plan(
            repro,
            datasets=datasets,
            n_splits=args.folds,
            n_repeats=args.repeats,
            n_jobs=args.n_jobs,
        )
        if args.dry_run:  # the plan is the output
            print("\n".join(plan))
            return 0
        print("\n".join(plan), file=sys.stderr)
        if out:
            print(f"  results: {out} (rerun the same command to resume)", file=sys.stderr)
    before = _finished_keys(out)
    report = ex.run_reproduction(
        repro.name,
        datasets=datasets,
        n_splits=args.folds,
        n_repeats=args.repeats,
        n_jobs=args.n_jobs,
        out=out,
        random_state=args.seed,
        progress=not args.quiet,
        data_home=data_home,
    )
    if out:
        _say_reused(report.results, before, out, args.quiet)
    text = ex.format_reproduction(report, args.format)
    print(text, end="")
    if out:
        config = {
            "reference": report.table.reference,
            "reproduction": repro.name,
            "seed": args.seed,
            "configs": report.results.configs,
        }
        (Path(out) / _RUN_CONFIG).write_text(json.dumps(config, indent=2) + "\n")
        suffix = {"md": "md", "latex": "tex", "csv": "csv", "json": "json"}[args.format]
        saved = Path(out) / f"{repro.name}.{suffix}"
        saved.write_text(text, encoding="utf-8")
        if not args.quiet:
            print(f"ldlkit: saved {saved} and {Path(out) / ex.RESULTS_FILE}", file=sys.stderr)
    return _report_methods_that_never_ran(report.results)


def _add_reproduce(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "reproduce",
        help="reproduce a paper's table beside its numbers",
        description=(
            "Run a registered paper reproduction under the paper's protocol and print the "
            "measured table (mean ± standard deviation over the test folds, t-test markers "
            "against the paper's method) beside the values the paper reports. Says how long it "
            "should take before starting, and saves every finished fold in "
            "ldlkit-results/NAME/ (rerunning resumes; `ldlkit report` rebuilds the table)."
        ),
        formatter_class=_formatter,
        epilog=(
            "examples:\n"
            "  ldlkit reproduce --list\n"
            "  ldlkit reproduce uaknn --dry-run       # the plan and expected time, no run\n"
            "  ldlkit reproduce uaknn-ablation --datasets artificial --folds 2 --no-save\n"
            "  ldlkit reproduce uaknn --datasets SJAFFE --folds 2 --repeats 1   # a quick check\n"
        ),
    )
    parser.add_argument(
        "name", nargs="?", metavar="NAME", help="the reproduction to run (see --list)"
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="list the registered reproductions, their protocols, expected run times and "
        "which reported tables they compare with",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=None,
        metavar="NAME",
        help="run on these datasets instead of the paper's (names, 'artificial' or file paths)",
    )
    parser.add_argument(
        "--folds", type=int, default=None, help="override the paper's folds (a quick run)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="override the paper's repeats (a quick run)"
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=1,
        help="folds run in parallel (default 1; -1: all cores; OMP_NUM_THREADS=1 per worker)",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="results folder (default: ldlkit-results/NAME in the current folder); rerunning "
        "resumes",
    )
    parser.add_argument(
        "--no-save", action="store_true", help="save nothing (the run cannot be resumed)"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print what would run and the expected time, then stop",
    )
    parser.add_argument("--data-home", default=None, metavar="DIR", help=_data_home_help())
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the splits and of estimators without their own random_state (default 0)",
    )
    parser.add_argument(
        "--format", choices=("md", "latex", "csv", "json"), default="md", help=_FORMAT_HELP
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no plan, estimate or progress bar (on stderr)"
    )
    parser.set_defaults(handler=_reproduce)


COMMANDS += [_add_run, _add_report, _add_reproduce]
COMMANDS += __import__("ldlkit.deploy._cli", fromlist=["_"]).DEPLOY_COMMANDS  # fit/predict/serve

_MAIN_EPILOG = f"""\
datasets:
  {DATA_ENV}   folders holding benchmark dataset files (.mat, .npz, .csv), separated
               by '{os.pathsep}'; searched first, then --data-home, then the user cache. A path
               to a file of your own is accepted wherever a dataset name is.

errors:
  A mistake in the arguments or the environment prints one 'ldlkit: error: ...' line and exits
  with status 2; a method that fails on every fold exits with 1. Anything else is a bug in
  ldlkit and prints Python's traceback: please report it. `ldlkit --traceback COMMAND ...` shows
  the traceback of a one-line error too.

examples:
  ldlkit run
  ldlkit datasets list
  ldlkit reproduce --list
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ldlkit",
        description="Label distribution learning: datasets, methods and paper protocols.",
        epilog=_MAIN_EPILOG,
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"ldlkit {__version__}")
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="show Python's traceback for one-line errors too (for bug reports)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    previous = _handle_sigterm()
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.handler(args) or 0)
    except KeyboardInterrupt as exc:
        out = getattr(args, "out", None)
        resume = (
            f"; finished folds are saved in {out}, rerun the same command to resume" if out else ""
        )
        print(f"ldlkit: interrupted{resume}", file=sys.stderr)
        return 143 if isinstance(exc, _Terminated) else 130
    except Exception as exc:
        if args.traceback or not _is_user_error(exc):
            raise  # a bug: Python's traceback, so that it can be reported and fixed
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"ldlkit: error: {message}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line in the command's own style, without Python's source-line echo."""
    print(f"ldlkit: warning: {message}", file=sys.stderr if file is None else file)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an interruption so that joblib stops its workers on the way out."""


def _raise_terminated(signum, frame):
    raise _Terminated


def _handle_sigterm():
    """Make SIGTERM interrupt like Ctrl-C (workers stopped, message printed); the old handler."""
    try:
        return signal.signal(signal.SIGTERM, _raise_terminated)
    except (ValueError, OSError):  # not the main thread, or no SIGTERM on this platform
        return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

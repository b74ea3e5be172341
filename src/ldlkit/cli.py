"""The ``ldlkit`` command: a thin layer over the library.

Each subcommand is a ``(add_arguments, handler)`` pair registered in :data:`COMMANDS`; a user's
mistake (``ValueError``, ``FileNotFoundError``, ...) prints one line to stderr and exits with
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence

import numpy as np

from . import __version__
from .datasets import (
    DATA_ENV,
    DatasetNotFoundError,
    find_dataset_file,
    get_dataset_info,
    list_datasets,
    load_dataset,
)
from .datasets._loaders import _search_dirs

# Errors that mean "the user asked for something wrong", reported as one line.
USER_ERRORS = (
    ValueError,
    TypeError,
    FileNotFoundError,
    DatasetNotFoundError,
    ImportError,
    KeyError,
)


def _datasets_list(args: argparse.Namespace) -> int:
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
    searched = os.pathsep.join(str(d) for d in _search_dirs(args.data_home))
    print(f"\nsearched: {searched} (set {DATA_ENV} to add folders)")
    return 0


def _datasets_info(args: argparse.Namespace) -> int:
    info = get_dataset_info(args.name)
    print(f"{info.name}: {info.description}")
    print(f"registered shape (n×d×L): {info.shape}")
    print(f"source: {info.source}")
    if info.reference:
        print(f"reference: {info.reference}")
    if info.aliases:
        print(f"aliases: {', '.join(info.aliases)}")
    path = find_dataset_file(info.name, args.data_home)
    if path is None:
        print("local file: not found (`ldlkit datasets list` shows the folders searched)")
        return 0
    bunch = load_dataset(info.name, data_home=args.data_home, renormalize=True, download=False)
    raw = bunch.row_sums
    X, D = bunch.features, bunch.labels
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
    for j, name in enumerate(names):
        print(f"  {name:>12}: {D[:, j].mean():.4f} ± {D[:, j].std():.4f}   {dominant[j]:.3f}")
    print(f"zero degrees: {100 * (D == 0).mean():.1f} %")
    return 0


def _add_datasets(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("datasets", help="list and inspect benchmark datasets")
    inner = parser.add_subparsers(dest="datasets_command", metavar="{list,info}", required=True)
    p_list = inner.add_parser("list", help="registered datasets, their shapes, and which are local")
    p_list.add_argument("--data-home", default=None, help="an extra folder to look in")
    p_list.set_defaults(handler=_datasets_list)
    p_info = inner.add_parser("info", help="shape and label statistics of one dataset")
    p_info.add_argument("name")
    p_info.add_argument("--data-home", default=None, help="an extra folder to look in")
    p_info.set_defaults(handler=_datasets_info)


#: Subcommand builders: each takes the subparsers object and registers one command whose parser
#: sets ``handler`` (a function of the parsed arguments returning the exit status).
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_datasets]


# -- experiments: run, report, reproduce (the logic lives in ldlkit.experiments) ----------------
_RUN_CONFIG = "run.json"


def _run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from . import experiments as ex
    from .base import all_estimators

    if args.list_methods:
        for kind, title in (("ldl", "label distribution learners"), ("le", "label enhancers")):
            names = [name for name, _ in all_estimators(kind)]
            print(f"{title}: {', '.join(names) if names else '(none registered)'}")
        print(f"fast methods used by default: {', '.join(ex.fast_methods())}")
        return 0
    kind = "le" if args.protocol == "le" else "ldl"
    if args.methods:
        methods = {}
        for spec in args.methods:
            name, params = ex.parse_method_spec(spec)
            display = spec.strip().rstrip(":")
            display = display if display not in methods else f"{display}#{len(methods) + 1}"
            methods[display] = (name, params)
    else:
        methods = ex.fast_methods(kind)
    if not methods:
        raise ValueError(
            "--protocol le evaluates label enhancers (estimators with fit_transform(X, logical)), "
            "and none is registered in this installation yet (`ldlkit run --list-methods`)."
            if kind == "le"
            else "no methods given and no fast method is registered; pass --methods."
        )
    if args.protocol == "ildl" and args.ildl_parameters is None:
        if not args.datasets:
            raise ValueError(
                "--protocol ildl needs --datasets with built-in parameters "
                f"({', '.join(ex.ILDL_PARAMETERS)}) or --ildl-parameters A B C D."
            )
        for name in args.datasets:  # before loading anything
            ex.imbalanced_parameters(name)
    cv = ex.make_protocol(
        args.protocol,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        ildl_parameters=args.ildl_parameters,
    )
    datasets = ex.expand_demo_datasets(args.datasets, random_state=args.seed)
    resolved = ex.resolve_methods(methods)
    _check_method_kinds(resolved, kind)
    reference = args.reference or ("UAKNN" if "UAKNN" in resolved else next(iter(resolved)))
    if reference not in resolved:
        raise ValueError(f"--reference {reference!r} is not one of the methods {list(resolved)}.")
    results = ex.run_experiment(
        resolved,
        datasets,
        cv=cv,
        metrics=args.metrics,
        n_jobs=args.n_jobs,
        out=args.out,
        random_state=args.seed,
        progress=not args.quiet,
    )
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
            raise ValueError(
                f"--protocol le evaluates label enhancers (fit_transform(X, logical)); "
                f"{', '.join(wrong)} predict label distributions instead. Use --protocol kfold "
                "or ildl for them."
            )
    else:
        wrong = [name for name, est in resolved.items() if is_label_enhancer(est)]
        if wrong:
            raise ValueError(
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


def _add_run(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run",
        help="run methods on datasets under a protocol and print a comparison table",
        description=(
            "Run methods x datasets x folds and print a comparison table. With no arguments, "
            "runs the fast methods on the embedded artificial dataset (500 rows, 5-fold CV)."
        ),
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        metavar="NAME",
        help="dataset names ('artificial' = the embedded toy data; default)",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        metavar="NAME",
        help="estimator names, optionally with parameters: AAKNN:k=4,metric=cosine "
        "(default: the registered fast methods)",
    )
    parser.add_argument(
        "--protocol",
        choices=("kfold", "ildl", "le"),
        default="kfold",
        help="kfold: repeated k-fold CV; ildl: imbalanced training folds; le: label enhancement",
    )
    parser.add_argument("--folds", type=int, default=None, help="folds per repeat")
    parser.add_argument("--repeats", type=int, default=None, help="repeats (default 1)")
    parser.add_argument(
        "--ildl-parameters",
        type=float,
        nargs=4,
        metavar=("A", "B", "C", "D"),
        default=None,
        help="ILDL subset rule D[:,C] < A/L and D[:,D] > B/L",
    )
    parser.add_argument(
        "--metrics",
        nargs="+",
        default=None,
        metavar="NAME",
        help="metric names (default: the six paper metrics)",
    )
    parser.add_argument(
        "--reference",
        default=None,
        help="method the t-test markers compare against (default UAKNN or first)",
    )
    parser.add_argument("--n-jobs", type=int, default=1, help="parallel jobs (-1: all cores)")
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="write results.jsonl here and resume an interrupted run",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the splits and estimators")
    parser.add_argument("--format", choices=("md", "latex", "csv", "json"), default="md")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--list-methods", action="store_true",
                        help="list registered methods and exit")  # fmt: skip
    parser.set_defaults(handler=_run)


def _report(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from . import experiments as ex

    folder = Path(args.directory)
    results = ex.Results.load(folder)
    reference = args.reference
    config = folder / _RUN_CONFIG
    if config.is_file():
        # The folder may hold several runs: report the last one `ldlkit run` made.
        saved = json.loads(config.read_text())
        reference = reference or saved.get("reference")
        if saved.get("configs"):
            results = results.select(configs=saved["configs"])
    if reference is not None and reference not in results.methods:
        reference = None if args.reference is None else reference
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
    parser = sub.add_parser("report", help="rebuild tables and figures from saved results")
    parser.add_argument("directory", metavar="DIR", help="folder given to `ldlkit run --out`")
    parser.add_argument("--format", choices=("md", "latex", "csv", "json"), default="md")
    parser.add_argument("--reference", default=None, help="method for the t-test markers")
    parser.add_argument("--metrics", nargs="+", default=None, metavar="NAME")
    parser.add_argument("--output", default=None, metavar="FILE", help="write the table here")
    parser.add_argument(
        "--plot",
        action="store_true",
        help="save per-metric bar charts and true-vs-predicted distributions of a few test rows "
        "in DIR/figures (needs matplotlib)",
    )
    parser.set_defaults(handler=_report)


def _reproduce(args: argparse.Namespace) -> int:
    from . import experiments as ex

    if args.list or not args.table:
        from .base import all_estimators

        registered = {name.lower() for name, _ in all_estimators()}
        for entry in ex.list_reproductions():
            classes = [class_name for class_name, _ in entry.methods.values()]
            available = sum(c.lower() in registered for c in classes)
            missing = f"; {available} of {len(classes)} methods available" * (
                available < len(classes)
            )
            print(f"{entry.name}: {entry.description} [{entry.paper} {', '.join(entry.tables)}; "
                  f"{entry.protocol}; {', '.join(entry.datasets)}{missing}]")  # fmt: skip
        return 0
    report = ex.run_reproduction(
        args.table,
        datasets=args.datasets,
        n_splits=args.folds,
        n_repeats=args.repeats,
        n_jobs=args.n_jobs,
        out=args.out,
        random_state=args.seed,
        progress=not args.quiet,
    )
    print(ex.format_reproduction(report, args.format), end="")
    return _report_methods_that_never_ran(report.results)


def _add_reproduce(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("reproduce", help="reproduce a paper's table beside its numbers")
    parser.add_argument("table", nargs="?", help="reproduction name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the registered reproductions")
    parser.add_argument("--datasets", nargs="+", default=None, metavar="NAME")
    parser.add_argument("--folds", type=int, default=None, help="override folds (quick run)")
    parser.add_argument("--repeats", type=int, default=None, help="override repeats (quick run)")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default=None, metavar="DIR", help="results folder (resumable)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=("md", "latex", "csv", "json"), default="md")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_reproduce)


COMMANDS += [_add_run, _add_report, _add_reproduce]
COMMANDS += __import__("ldlkit.deploy._cli", fromlist=["_"]).DEPLOY_COMMANDS  # fit/predict/serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ldlkit",
        description="Label distribution learning: datasets, methods and paper protocols.",
    )
    parser.add_argument("--version", action="version", version=f"ldlkit {__version__}")
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
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"ldlkit: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        out = getattr(args, "out", None)
        resume = (
            f"; finished folds are saved in {out}, rerun the same command to resume" if out else ""
        )
        print(f"ldlkit: interrupted{resume}", file=sys.stderr)
        return 143 if isinstance(exc, _Terminated) else 130
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

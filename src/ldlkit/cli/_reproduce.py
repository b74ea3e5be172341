"""``ldlkit reproduce``: a paper's table beside the numbers we measure."""

from __future__ import annotations

import argparse
import sys

from ._common import (
    _RUN_CONFIG,
    UserError,
    _add_data_home,
    _add_data_options,
    _add_format,
    _add_seed,
    _check_counts,
    _check_dataset_names,
    _check_extras,
    _check_ildl_parameters,
    _finished_keys,
    _formatter,
    _load_datasets,
    _looks_like_path,
    _prepare_out,
    _report_methods_that_never_ran,
    _say_reused,
    _with_data_home,
)


def _reproduce_list() -> int:
    from .. import experiments as ex
    from ..base import all_estimators

    registered = {name.lower() for name, _ in all_estimators()}
    for entry in ex.list_reproductions():
        classes = [class_name for class_name, _ in entry.methods.values()]
        available = sum(c.lower() in registered for c in classes)
        missing = f"; {available} of {len(classes)} methods available" * (available < len(classes))
        print(f"{entry.name}: {entry.description}")
        print(f"    {entry.protocol}; {', '.join(entry.datasets)}{missing}; "
              f"{ex.describe_estimate(entry)}")  # fmt: skip
        for line in ex.describe_reported_tables(entry):
            print(f"    {line}")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from .. import experiments as ex

    if args.list or not args.name:
        return _reproduce_list()
    _check_counts(args)
    repro = ex.get_reproduction(args.name)
    methods, _ = ex.build_methods(repro)  # no estimator available: one line, before anything else
    _check_extras(methods, remedy="")
    repro.make_cv(args.folds, args.repeats)  # --folds 0, --repeats 2 under ILDL: one line
    _check_dataset_names(args.datasets)
    data_home = _with_data_home(args.data_home)
    if repro.protocol_kind != "ildl" and args.ildl_parameters is not None:
        raise UserError(
            f"--ildl-parameters applies to the ILDL protocol; {repro.name} runs {repro.protocol}."
        )
    if repro.protocol_kind == "ildl" and args.ildl_parameters is None:
        for name in args.datasets or repro.datasets:  # what the run checks, before the plan
            try:
                ex.imbalanced_parameters(_stem(name))
            except ValueError as exc:
                raise UserError(
                    f"{str(exc).split('; pass parameters=')[0]}; give the rule with "
                    "--ildl-parameters A B LOW HIGH (see `ldlkit reproduce --help`)."
                ) from None
    default_out = str(Path("ldlkit-results") / repro.name)
    out = None if args.no_save else (default_out if args.out is None else args.out)
    if not args.dry_run:
        _prepare_out(out)
    chosen = ex.expand_demo_datasets(args.datasets or list(repro.datasets), random_state=args.seed)
    # Every dataset is read (a dry run reads the local ones and downloads nothing) so that a bad
    # file, a missing --labels/--renormalize or a wrong --ildl-parameters fails before the plan.
    datasets, to_download = _read_datasets(chosen, args, data_home)
    _check_ildl_parameters(args.ildl_parameters, datasets)
    if not args.quiet or args.dry_run:
        plan = ex.describe_reproduction_plan(
            repro,
            datasets=datasets,
            n_splits=args.folds,
            n_repeats=args.repeats,
            n_jobs=args.n_jobs,
        )
        plan += [f"  {line}" for line in to_download]
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
        ildl_parameters=args.ildl_parameters,
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


def _stem(name) -> str:
    """A dataset's name as experiments record it: the registered name, or a path's file name
    without suffix."""
    from pathlib import Path

    from ..datasets._registry import registered_name

    if _looks_like_path(str(name)):
        return Path(name).stem
    return registered_name(str(name)) or str(name)


def _read_datasets(items: list, args: argparse.Namespace, data_home) -> tuple[list, list[str]]:
    """The datasets loaded as ``run_experiment`` takes them, and one line per dataset a dry
    run did not read because it is not on disk yet (the real run downloads it)."""
    from ..datasets import DatasetNotFoundError, dataset_url, get_dataset_info

    if not args.dry_run:
        return _load_datasets(
            items, data_home=data_home, labels=args.labels, renormalize=args.renormalize
        ), []
    loaded, missing = [], []
    for item in items:
        try:
            loaded += _load_datasets(
                [item],
                data_home=data_home,
                labels=args.labels,
                renormalize=args.renormalize,
                download=False,
            )
        except DatasetNotFoundError:
            if _looks_like_path(str(item)):
                raise
            url = dataset_url(get_dataset_info(item))
            missing.append(f"{item}: not on disk; the run downloads and verifies it from {url}")
            loaded.append(item)
    return loaded, missing


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
            "  ldlkit reproduce ildl --datasets SJAFFE --ildl-parameters 1 2 2 0 --dry-run\n"
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
    _add_data_options(parser)
    parser.add_argument(
        "--ildl-parameters",
        type=float,
        nargs=4,
        metavar=("A", "B", "LOW", "HIGH"),
        default=None,
        help="the ILDL rule, for --datasets without built-in parameters (applied to every "
        "dataset, as in `ldlkit run --protocol ildl`; see `ldlkit run --help`)",
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
        help="check everything the run checks (methods, extras, folds, datasets and their "
        "files, ILDL parameters), print what would run and the expected time, then stop",
    )
    _add_data_home(parser)
    _add_seed(parser)
    _add_format(parser)
    parser.add_argument(
        "--quiet", action="store_true", help="no plan, estimate or progress bar (on stderr)"
    )
    parser.set_defaults(handler=_reproduce)

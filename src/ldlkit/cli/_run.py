"""``ldlkit run``: methods on datasets under a protocol, and a comparison table."""

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
    _check_method_names,
    _check_metric_names,
    _finished_keys,
    _formatter,
    _load_datasets,
    _prepare_out,
    _report_methods_that_never_ran,
    _say_reused,
    _suggest,
    _with_data_home,
)


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
            from ..datasets import get_dataset_info

            info = get_dataset_info(item)
            parts.append(f"{info.name} ({info.shape})")
        except ValueError:  # a path: its shape is known once loaded
            parts.append(str(item))
    return ", ".join(parts)


def _run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from .. import experiments as ex
    from .._spec import parse_method_spec, resolve_methods
    from ..base import all_estimators
    from ..model_selection import PROTOCOLS, builtin_parameters, default_folds, make_protocol

    if args.list_methods:
        for kind, title in (("ldl", "label distribution learners"), ("le", "label enhancers")):
            names = [name for name, _ in all_estimators(kind)]
            print(f"{title}: {', '.join(names) if names else '(none registered)'}")
        print(f"fast methods used by default: {', '.join(ex.fast_methods())}")
        return 0
    _check_counts(args)
    _prepare_out(args.out)
    data_home = _with_data_home(args.data_home)
    _check_metric_names(args.metrics)
    kind = "le" if args.protocol == "le" else "ldl"
    if args.methods:
        methods = {}
        for spec in args.methods:
            name, params = parse_method_spec(spec)
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
                f"({', '.join(builtin_parameters())}) or --ildl-parameters A B LOW HIGH."
            )
        for name in args.datasets:  # before loading anything
            try:
                ex.imbalanced_parameters(name)
            except ValueError as exc:
                raise UserError(
                    f"{str(exc).split('; pass parameters=')[0]}; give the rule with "
                    "--ildl-parameters A B LOW HIGH (see --help)."
                ) from None
    cv = make_protocol(
        args.protocol,
        n_splits=args.folds,
        n_repeats=args.repeats,
        random_state=args.seed,
        ildl_parameters=args.ildl_parameters,
    )
    _check_dataset_names(args.datasets)
    resolved = resolve_methods(methods)
    _check_method_kinds(resolved, kind)
    _check_extras(resolved)
    datasets = _load_datasets(
        ex.expand_demo_datasets(args.datasets, random_state=args.seed),
        data_home=data_home,
        labels=args.labels,
        renormalize=args.renormalize,
    )
    _check_ildl_parameters(args.ildl_parameters, datasets)
    demo_reference, demo_paper = ex.demo_reference(resolved)
    if args.reference is not None:
        reference, why = args.reference, "chosen with --reference"
    elif demo_reference is not None:
        reference = demo_reference
        why = (
            f"the default: {reference}, the method of the paper this demo follows "
            f"({demo_paper}), when it runs"
        )
    else:
        reference = next(iter(resolved))
        why = "the default: the first method, since no paper's demo reference is among them"
    if reference not in resolved:
        raise UserError(
            f"--reference {reference!r} is not one of the methods {list(resolved)}."
            f"{_suggest(reference, list(resolved))}"
        )
    if not args.quiet:
        default_splits, default_repeats = default_folds(args.protocol)
        folds = default_splits if args.folds is None else args.folds
        repeats = default_repeats if args.repeats is None else args.repeats
        fits = len(resolved) * len(datasets) * folds * repeats
        chosen = "" if args.methods else " (the registered fast methods; --methods to choose)"
        protocol = {kind: text for kind, (_, _, text) in PROTOCOLS.items()}
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
    from .._spec import is_label_enhancer

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


_RUN_EXAMPLES = """\
examples:
  ldlkit run                                      # the demo: fast methods, artificial data
  ldlkit run --methods AAKNN:k=4 UAKNN:variance=0.3 --folds 3
  ldlkit run --methods MeanPredictor AAKNN --repeats 2 --out runs/demo --format csv
  ldlkit run --protocol ildl --ildl-parameters 1 2 2 0 --methods MeanPredictor AAKNN
  ldlkit run --datasets mydata.mat --methods MeanPredictor AAKNN:k=4
  ldlkit run --list-methods

Datasets are registered names (`ldlkit datasets list`; a missing file is downloaded and verified,
or fetch it first with `ldlkit datasets fetch NAME`), 'artificial' (the embedded toy data) or
paths of your own .mat, .npz or .csv files (docs/datasets.md: the same files every command reads).
With --out, every finished fold is saved at once and
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
        "of labels; labels counted from 0), plus each label's largest-degree row. The paper "
        "folders give it for their datasets (`--protocol ildl` without --datasets lists them)",
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
        help="method the •/○ t-test markers compare against (default: the demo reference that a "
        "paper folder names, if it runs, else the first method)",
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
    _add_data_options(parser)
    _add_data_home(parser)
    _add_seed(parser)
    _add_format(parser)
    parser.add_argument(
        "--quiet", action="store_true", help="no run summary and no progress bar (on stderr)"
    )
    parser.add_argument("--list-methods", action="store_true",
                        help="list registered methods and exit")  # fmt: skip
    parser.set_defaults(handler=_run)

"""``ldlkit report``: tables and figures rebuilt from saved results."""

from __future__ import annotations

import argparse
import warnings

from ._common import (
    _RUN_CONFIG,
    UserError,
    _add_format,
    _check_metric_names,
    _formatter,
    _suggest,
)


def _load_report_results(folder):
    """Read ``folder``'s results for ``report``: damaged lines are left out, with a warning."""
    import re

    from ..experiments import RESULTS_FILE, Results

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
    from .. import experiments as ex

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
    _add_format(parser)
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

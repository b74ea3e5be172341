"""The ``ldlkit`` command: a thin layer over the library.

Each subcommand is a ``(add_arguments, handler)`` pair registered in :data:`COMMANDS`; a user's
mistake (``ValueError``, ``FileNotFoundError``, ...) prints one line to stderr and exits with
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import numpy as np

from . import __version__
from .datasets import (
    DatasetNotFoundError,
    find_dataset_file,
    get_dataset_info,
    list_datasets,
    load_dataset,
)

# Errors that mean "the user asked for something wrong", reported as one line.
USER_ERRORS = (ValueError, TypeError, FileNotFoundError, DatasetNotFoundError, ImportError, KeyError)


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
    return 0


def _datasets_info(args: argparse.Namespace) -> int:
    info = get_dataset_info(args.name)
    print(f"{info.name}: {info.description}")
    print(f"registered shape (n×d×L): {info.shape}")
    print(f"source: {info.source}")
    if info.aliases:
        print(f"aliases: {', '.join(info.aliases)}")
    path = find_dataset_file(info.name, args.data_home)
    if path is None:
        print("local file: not found (ldlkit datasets list shows where it looks)")
        return 0
    bunch = load_dataset(info.name, data_home=args.data_home, renormalize=True, download=False)
    raw = bunch.row_sums
    X, D = bunch.features, bunch.labels
    print(f"local file: {path}")
    print(f"features: {X.shape[0]} rows × {X.shape[1]} columns, range [{X.min():.4g}, {X.max():.4g}]")
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
    try:
        return int(args.handler(args) or 0)
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"ldlkit: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ldlkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``ldlkit`` command: a thin layer over the library.

Each subcommand is a ``(add_arguments, handler)`` pair registered in :data:`COMMANDS`
(one module per command family: ``_datasets``, ``_run``, ``_report``, ``_reproduce``, and
``ldlkit.deploy._cli`` for fit/predict/serve/compact). A user's
mistake (:class:`UserError`, the library's ``ValueError``, a file-system ``OSError``, a missing
optional extra) prints one ``ldlkit: error: ...`` line to stderr and exits with status 2; any
other exception is a bug in ldlkit and keeps Python's traceback (``ldlkit --traceback ...`` shows
the traceback of a user error as well).

Only the standard library is imported here: numpy, scikit-learn and the estimators are imported
by the handlers, so that ``ldlkit --help`` and ``ldlkit --version`` answer at once.
"""

from __future__ import annotations

#: No estimator is defined here (the command line): ldlkit.base.all_estimators() does not import it.
__ldlkit_no_estimators__ = True

import argparse
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence

from .._version import __version__
from ._common import DATA_ENV, UserError, _formatter
from ._datasets import _add_datasets
from ._report import _add_report
from ._reproduce import _add_reproduce
from ._run import _add_run

__all__ = ["COMMANDS", "DATA_ENV", "UserError", "build_parser", "main"]

#: Optional extras whose absence is the user's to fix (``pip install 'ldlkit[...]'``), not a bug.
_OPTIONAL_MODULES = {"torch", "faiss", "matplotlib", "dask", "distributed", "ray"}


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


#: Subcommand builders: each takes the subparsers object and registers one command whose parser
#: sets ``handler`` (a function of the parsed arguments returning the exit status). Other
#: packages add theirs with ``COMMANDS += [...]``.
COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_datasets,
    _add_run,
    _add_report,
    _add_reproduce,
]
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
            _ignore_benign_warnings()
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


#: Warnings that say nothing the user can act on. loky warns when a worker exits cleanly while
#: tasks are queued (its idle timeout, or its memory-growth guard after large fits) and
#: starts a new one; every fold still runs (seen in long reproductions). A worker that
#: dies is an error (TerminatedWorkerError), not this warning.
BENIGN_WARNINGS = ("A worker stopped while some jobs were given to the executor",)


def _ignore_benign_warnings() -> None:
    for text in BENIGN_WARNINGS:
        warnings.filterwarnings("ignore", message=text, category=UserWarning)


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

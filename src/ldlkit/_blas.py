"""How many BLAS threads ldlkit's iterative solvers use.

scipy's L-BFGS-B driver makes many small BLAS calls between the objective's matrix products, and
numpy and scipy each ship their own OpenBLAS with its own thread pool. With both pools at their
default size the two sets of worker threads fight over the cores: on a 2-core machine SA-BFGS
took 4.9 s on M2B with the defaults and 0.50 s with every BLAS pool limited to one thread (the
same 500 iterations); the L-BFGS-based estimators fitted 1.1-9.8x faster on five mid-sized
datasets and 1.2-1.3x on Movie, whose products do run faster on two threads
(``benchmarks/solver_threads.py``, ``docs/linear.md``). So the solvers run single-threaded
BLAS by default: every linear baseline's whole fit (L-BFGS, Newton-CG, and the ADMM and
alternating solvers, whose many small products and decompositions suffer the same contention)
runs inside :func:`limit_solver_blas`, through the :func:`single_threaded_fit` decorator on
its ``_fit``.

``LDLKIT_SOLVER_BLAS_THREADS`` changes that: a positive number is the thread limit during a
solve, ``0`` leaves BLAS as configured (for very large problems on many cores, where a
multi-threaded product may pay more than the pools' contention costs).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache, wraps
from typing import TypeVar

_F = TypeVar("_F", bound=Callable)

SOLVER_BLAS_THREADS_ENV = "LDLKIT_SOLVER_BLAS_THREADS"


def solver_blas_threads() -> int:
    """The BLAS thread limit for iterative solvers (0: no limit)."""
    raw = os.environ.get(SOLVER_BLAS_THREADS_ENV, "").strip()
    if not raw:
        return 1
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(
            f"{SOLVER_BLAS_THREADS_ENV}={raw!r}: give a thread count (1 or more), or 0 to leave "
            "BLAS threads as configured."
        )
    return value


def limit_solver_blas() -> AbstractContextManager:
    """A context in which BLAS runs at the solvers' thread limit (see the module docstring)."""
    limit = solver_blas_threads()
    if limit == 0:
        return nullcontext()
    return _controller().limit(limits=limit, user_api="blas")


def single_threaded_fit(method: _F) -> _F:
    """Decorate an estimator's ``_fit``: the whole fit runs at the solvers' BLAS thread limit."""

    @wraps(method)
    def pinned(*args, **kwargs):
        with limit_solver_blas():
            return method(*args, **kwargs)

    return pinned  # type: ignore[return-value]


@lru_cache(maxsize=1)
def _controller():
    # Finding the loaded BLAS libraries takes ~2.6 ms; LDL-LCLR solves once per ADMM iteration,
    # so the scan is done once. numpy's and scipy's BLAS are loaded by then (they are imported
    # before any solver runs).
    from threadpoolctl import ThreadpoolController  # a dependency of scikit-learn

    return ThreadpoolController()

"""BLAS threads during the iterative solves (ldlkit._blas): one by default, configurable."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from ldlkit._blas import SOLVER_BLAS_THREADS_ENV, solver_blas_threads
from ldlkit.linear._solvers import minimize_lbfgs


def _blas_threads() -> list[int]:
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


def _threads_seen_by_objective() -> list[int]:
    seen: list[int] = []

    def fun_grad(x):
        if not seen:
            seen.extend(_blas_threads())
        return float(x @ x), 2 * x

    minimize_lbfgs(fun_grad, np.ones(3), max_iter=20, tol=1e-8, owner="demo")
    return seen


@pytest.fixture
def two_blas_threads():
    from threadpoolctl import threadpool_limits

    if not _blas_threads():
        pytest.skip("no BLAS library visible to threadpoolctl")
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def test_solver_runs_single_threaded_blas_by_default(monkeypatch, two_blas_threads):
    # Two BLAS pools (numpy's and scipy's) at full size made L-BFGS fits 3.5-9x slower.
    monkeypatch.delenv(SOLVER_BLAS_THREADS_ENV, raising=False)
    assert set(_threads_seen_by_objective()) == {1}
    assert set(_blas_threads()) == {2}  # restored afterwards


def test_zero_leaves_blas_as_configured(monkeypatch, two_blas_threads):
    monkeypatch.setenv(SOLVER_BLAS_THREADS_ENV, "0")
    assert set(_threads_seen_by_objective()) == {2}


@pytest.mark.parametrize("raw", ["-1", "two", "1.5"])
def test_bad_setting_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv(SOLVER_BLAS_THREADS_ENV, raw)
    with pytest.raises(ValueError, match=SOLVER_BLAS_THREADS_ENV):
        solver_blas_threads()


def test_glle_solves_single_threaded(monkeypatch, two_blas_threads):
    from ldlkit.datasets import make_artificial
    from ldlkit.enhancement import GLLE

    monkeypatch.delenv(SOLVER_BLAS_THREADS_ENV, raising=False)
    X, D = make_artificial(40, random_state=0)
    logical = (D >= D.max(axis=1, keepdims=True)).astype(float)
    seen: list[int] = []
    import ldlkit.enhancement._glle as glle

    real_minimize = glle.minimize

    def minimize(*args, **kwargs):
        seen.extend(_blas_threads())
        return real_minimize(*args, **kwargs)

    monkeypatch.setattr(glle, "minimize", minimize)
    GLLE().fit(X, logical)
    assert seen and set(seen) == {1}


@pytest.mark.parametrize(
    "module, helper, cls",
    [
        ("_ldlsf", "soft_threshold", "LDLSF"),  # ADMM
        ("_lclr", "singular_value_shrink", "LDLLCLR"),  # ADMM between L-BFGS solves
        ("_scl", "kmeans_labels", "LDLSCL"),  # alternating, no scipy solver at all
    ],
)
@pytest.mark.parametrize("setting, expected", [(None, {1}), ("0", {2})])
def test_admm_and_alternating_fits_run_at_the_solver_thread_limit(
    monkeypatch, two_blas_threads, module, helper, cls, setting, expected
):
    import importlib

    import ldlkit.linear
    from ldlkit.datasets import make_artificial

    if setting is None:
        monkeypatch.delenv(SOLVER_BLAS_THREADS_ENV, raising=False)
    else:
        monkeypatch.setenv(SOLVER_BLAS_THREADS_ENV, setting)
    mod = importlib.import_module(f"ldlkit.linear.{module}")
    real = getattr(mod, helper)
    seen: list[int] = []

    def spy(*args, **kwargs):
        seen.extend(_blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(mod, helper, spy)
    X, D = make_artificial(40, random_state=0)
    estimator = getattr(ldlkit.linear, cls)(max_iter=3)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    estimator.fit(X, D)
    assert seen and set(seen) == expected
    assert set(_blas_threads()) == {2}  # restored afterwards

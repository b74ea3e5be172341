"""The shared maximum-entropy core and the solver utilities of ldlkit.linear."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.exceptions import ConvergenceWarning

from ldlkit.linear._maxent import (
    kl_divergence_rows,
    maxent_kl_loss_grad,
    maxent_log_predict,
    maxent_predict,
    softmax_backward,
)
from ldlkit.linear._solvers import (
    AdmmStopping,
    minimize_lbfgs,
    row_shrink,
    singular_value_shrink,
    soft_threshold,
)
from ldlkit.metrics import kl_divergence


def tiny_problem(n=7, d=3, n_labels=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    D = rng.dirichlet(np.ones(n_labels), size=n)
    D[0] = [0.5, 0.0, 0.25, 0.25]  # a zero degree: 0 log 0 must count as 0
    W = rng.normal(scale=0.5, size=(d, n_labels))
    return X, D, W


def test_prediction_is_softmax_and_stable_for_huge_logits():
    X, _, W = tiny_problem()
    Z = X @ W
    expected = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(maxent_predict(X, W), expected, rtol=1e-12)
    P = maxent_predict(X, W * 1e4)  # logits ~ 1e4: a naive exp overflows
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert np.isfinite(maxent_log_predict(X, W * 1e4)).all()


def test_loss_is_the_mean_kl_divergence_of_ldlkit_metrics():
    X, D, W = tiny_problem()
    loss, _ = maxent_kl_loss_grad(W.ravel(), X, D)
    P = maxent_predict(X, W)
    assert loss == pytest.approx(kl_divergence(D, P, eps=0.0), rel=1e-12)
    np.testing.assert_allclose(kl_divergence_rows(D, np.log(P)).mean(), loss)


@pytest.mark.parametrize("l2", [0.0, 0.3, "per-row"])
def test_analytic_gradient_matches_finite_differences(l2):
    X, D, W = tiny_problem()
    if l2 == "per-row":  # an unpenalised intercept row, as the estimators use it
        l2 = np.array([[0.5], [0.5], [0.0]])
    error = check_grad(
        lambda w: maxent_kl_loss_grad(w, X, D, l2)[0],
        lambda w: maxent_kl_loss_grad(w, X, D, l2)[1],
        W.ravel(),
    )
    assert error < 1e-6


def test_softmax_backward_is_the_chain_rule():
    rng = np.random.default_rng(1)
    Z = rng.normal(size=(3, 4))
    G = rng.normal(size=(3, 4))

    def f(z):
        Zm = z.reshape(3, 4)
        P = np.exp(Zm - Zm.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        return float((P * G).sum())

    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    step = 1e-6
    numeric = np.array(
        [(f(Z.ravel() + step * e) - f(Z.ravel() - step * e)) / (2 * step) for e in np.eye(12)]
    )
    np.testing.assert_allclose(softmax_backward(P, G).ravel(), numeric, atol=1e-8)


def test_lbfgs_warns_when_it_stops_short_and_not_when_it_converges():
    def rosenbrock(x):
        value = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        grad = np.array(
            [-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)]
        )
        return value, grad

    with pytest.warns(ConvergenceWarning, match=r"demo: L-BFGS stopped after 3 iterations"):
        short = minimize_lbfgs(
            rosenbrock, np.array([-1.2, 1.0]), max_iter=3, tol=1e-8, owner="demo"
        )
    assert not short.converged
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        full = minimize_lbfgs(rosenbrock, np.array([-1.2, 1.0]), max_iter=500, tol=1e-8, owner="d")
    assert full.converged
    np.testing.assert_allclose(full.x, [1.0, 1.0], atol=1e-5)


def test_proximal_operators():
    A = np.array([[3.0, -0.5], [0.2, 0.1]])
    np.testing.assert_allclose(soft_threshold(A, 1.0), [[2.0, 0.0], [0.0, 0.0]])
    shrunk = row_shrink(A, 1.0)
    np.testing.assert_allclose(np.linalg.norm(shrunk[0]), np.linalg.norm(A[0]) - 1.0)
    np.testing.assert_array_equal(shrunk[1], 0.0)  # a row with norm below the threshold vanishes
    np.testing.assert_array_equal(row_shrink(np.zeros((2, 2)), 1.0), 0.0)  # no 0/0
    U, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    M = U @ np.diag([3.0, 1.0, 0.5]) @ U.T
    np.testing.assert_allclose(
        np.linalg.svd(singular_value_shrink(M, 0.8))[1], [2.2, 0.2, 0.0], atol=1e-12
    )


def test_admm_stopping_rule_and_residual_balancing():
    stop = AdmmStopping(eps_abs=1e-6, eps_rel=1e-3, adaptive_rho=True)
    assert not stop.check(
        primal=[1.0], dual=[1e-3], primal_scale=[1.0], dual_scale=[1.0], sizes=[4]
    )
    assert stop.update_rho(1.0) == 2.0  # primal residual 1000x the dual one: rho grows
    assert not stop.check(
        primal=[1e-4], dual=[1.0], primal_scale=[1.0], dual_scale=[1.0], sizes=[4]
    )
    assert stop.update_rho(1.0) == 0.5
    assert stop.check(primal=[1e-4], dual=[1e-4], primal_scale=[1.0], dual_scale=[1.0], sizes=[4])
    assert len(stop.history_) == 3
    assert AdmmStopping(adaptive_rho=False).update_rho(1.0) == 1.0


@pytest.mark.parametrize(
    "module_name",
    [f"ldlkit.linear.{m}" for m in ("_maxent", "_solvers", "_sa", "_ldlsf", "_lclr", "_lrr")],
)
def test_docstring_examples_run(module_name):
    import doctest
    import importlib
    import warnings

    module = importlib.import_module(module_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0


@pytest.mark.parametrize("name", ["SABFGS", "SAIIS", "LDLSF", "LDLLCLR", "LDLLRR"])
def test_each_baseline_in_a_scaler_pipeline_predicts_simplex_rows(name):
    # docs/linear.md recommends StandardScaler + fit_intercept=True: the pipeline's predictions
    # are the last step's, so they must be rows on the simplex, whatever the raw feature scale.
    import warnings

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    import ldlkit.linear
    from ldlkit.base import get_tags
    from ldlkit.datasets import make_artificial

    cls = getattr(ldlkit.linear, name)
    params = {**get_tags(cls).ldl.test_params, "fit_intercept": True}
    if "random_state" in cls().get_params():
        params["random_state"] = 0
    X, D = make_artificial(60, noise=0.05, random_state=0)
    model = make_pipeline(StandardScaler(), cls(**params))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        P = model.fit(X * 1e3 + 50, D).predict(X[:10] * 1e3 + 50)
    assert P.shape == (10, D.shape[1])
    assert (P >= 0).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("name", ["SABFGS", "LDLLRR", "LDLLCLR", "LDLSF", "LALOT"])
def test_a_mostly_zero_design_is_fitted_sparse_with_the_same_result(name, monkeypatch):
    import scipy.sparse as sp

    from ldlkit import linear
    from ldlkit.linear import _solvers

    rng = np.random.default_rng(0)
    X = rng.exponential(size=(120, 40)) * (rng.random((120, 40)) < 0.05)
    X[:, 0] += 1.0  # no all-zero row
    D = rng.dirichlet(np.ones(3), 120)
    params = {"random_state": 0} if name in ("SABFGS", "LDLLRR", "LDLLCLR") else {}
    extra = {"LDLLCLR": {"max_iter": 5}, "LALOT": {"max_iter": 3, "inner_max_iter": 5}}
    params.update(extra.get(name, {}))
    seen = []
    original = _solvers.sparse_design

    def spy(design):
        out = original(design)
        seen.append(sp.issparse(out))
        return out

    predictions = {}
    for density in (0.0, 0.1):  # 0: never sparse
        monkeypatch.setattr(_solvers, "SPARSE_DESIGN_DENSITY", density)
        for module in ("_maxent", "_lclr", "_ldlsf", "_lalot"):
            monkeypatch.setattr(getattr(linear, module), "sparse_design", spy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            predictions[density] = getattr(linear, name)(**params).fit(X, D).predict(X)
    assert seen == [False, True]
    # LALOT's inner L-BFGS stops on a relative decrease, where round-off in the sums can move
    # the stopping step (predictions 4e-4 apart with scipy 1.17); capped at 5 inner steps, both
    # paths take the same steps, so every method must agree to round-off
    np.testing.assert_allclose(predictions[0.1], predictions[0.0], atol=1e-7)

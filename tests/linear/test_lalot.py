"""LALOT: Sinkhorn, exact gradient of the transport loss, monotone alternation, and learning."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ldlkit.datasets import make_artificial
from ldlkit.linear import LALOT
from ldlkit.linear._lalot import ground_metric, sinkhorn
from ldlkit.linear._solvers import with_intercept
from ldlkit.metrics import kl_divergence


def numerical_gradient(fun, x, step=1e-6):
    grad = np.zeros_like(x)
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = step
        grad[k] = (fun(x + e) - fun(x - e)) / (2 * step)
    return grad


def compare_with_mean(estimator, X, D):
    """One fixed 80/20 split: (model KL, training-mean KL) on the test rows."""
    X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.2, random_state=0)
    P = estimator.fit(X_train, D_train).predict(X_test)
    mean = np.tile(D_train.mean(axis=0), (len(D_test), 1))
    return kl_divergence(D_test, P), kl_divergence(D_test, mean)


def test_sinkhorn_plans_have_the_requested_marginals():
    rng = np.random.default_rng(0)
    A, B = rng.dirichlet(np.ones(4), size=6), rng.dirichlet(np.ones(4), size=6)
    B[0, 1] = 0.0  # zero degrees in the target are allowed
    B[0] /= B[0].sum()
    K = np.exp(-3.0 * ground_metric(np.cov(rng.normal(size=(4, 10)))))
    U, V, _ = sinkhorn(A, B, K, tol=1e-12)
    for i in range(6):
        plan = U[i][:, None] * K * V[i][None, :]
        np.testing.assert_allclose(plan.sum(axis=1), A[i], atol=1e-10)
        np.testing.assert_allclose(plan.sum(axis=0), B[i], atol=1e-10)


@pytest.mark.parametrize("lam", [0.2, 5.0])
def test_transport_loss_gradient_matches_numerical(lam):
    X, D = make_artificial(12, random_state=6)
    D[0] = [0.0, 0.3, 0.7]  # a zero degree
    est = LALOT(lam=lam, alpha=0.4, sinkhorn_tol=1e-13, sinkhorn_max_iter=100_000)
    X1 = with_intercept(X)
    M = ground_metric(np.array([[1.0, 0.3, 0.1], [0.3, 0.8, 0.2], [0.1, 0.2, 0.6]]))
    w = np.random.default_rng(4).normal(size=X1.shape[1] * 3)
    _, grad = est._model_objective(w, X1, D, M)
    numeric = numerical_gradient(lambda v: est._model_objective(v, X1, D, M)[0], w)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_alternation_lowers_the_objective_every_time_and_finishes():
    X, D = make_artificial(100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LALOT(lam=5.0).fit(X, D)
    steps = np.diff(est.objective_)
    assert (steps <= 1e-9 * abs(est.objective_[0])).all()  # both steps are descent steps
    assert 1 < est.n_iter_ < est.max_iter
    # the learned kernel is positive semidefinite and moved from the co-occurrence prior
    assert np.linalg.eigvalsh(est.kernel_).min() > -1e-10
    assert not np.allclose(est.kernel_, est.prior_kernel_)
    with pytest.warns(ConvergenceWarning, match="LALOT: stopped after max_iter=1"):
        LALOT(lam=5.0, max_iter=1).fit(X, D)


def test_kernel_step_alone_lowers_the_objective():
    X, D = make_artificial(50, random_state=2)
    est = LALOT(lam=5.0, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, D)
    X1 = with_intercept(X)
    W = est.coef_ + 0.5  # any weights: the tangent bound holds everywhere
    K = est.prior_kernel_
    before = est.objective(W, K, X1, D)
    after = est.objective(W, est._kernel_step(W, X1, D, K), X1, D)
    assert after < before


def test_hyperparameters_are_tunable():
    X, D = make_artificial(60, random_state=1)
    search = GridSearchCV(LALOT(max_iter=5), {"lam": [0.2, 5.0], "C": [20.0, 200.0]}, cv=2).fit(
        X, D
    )
    assert set(search.best_params_) == {"lam", "C"}


def test_paper_settings_give_near_uniform_predictions(load_real):
    # Finding (docs/linear.md): with lam=0.2 the entropic term dominates the transport cost;
    # the loss is minimised by a heavily blurred target, so predictions sit near uniform.
    X, D = load_real("SJAFFE")
    X_train, X_test, D_train, _ = train_test_split(X, D, test_size=0.2, random_state=0)
    P = LALOT().fit(X_train, D_train).predict(X_test)
    assert np.abs(P - 1 / D.shape[1]).max() < 0.05


YEAST_FINDING = pytest.mark.xfail(
    strict=True,
    reason="finding: LALOT does not beat the training mean on Yeast_alpha with any setting "
    "tried (KL 0.00566 vs 0.00558 on this split; docs/linear.md)",
)


@pytest.mark.parametrize(
    ("name", "margin"), [("SJAFFE", 0.9), pytest.param("Yeast_alpha", 1.0, marks=YEAST_FINDING)]
)
def test_beats_training_mean_standardised(load_real, name, margin):
    X, D = load_real(name)
    model = make_pipeline(StandardScaler(), LALOT(lam=5.0, alpha=10.0))
    kl, kl_mean = compare_with_mean(model, X, D)
    assert kl < margin * kl_mean


def test_sinkhorn_stops_at_the_reachable_error_when_masses_differ():
    # rows stored to a few decimals: B sums to 1 + 3e-6, so no plan meets both marginals
    rng = np.random.default_rng(1)
    A = rng.dirichlet(np.ones(5), 50)
    B = np.round(rng.dirichlet(np.ones(5), 50), 5) + 1e-6
    K = np.exp(-0.2 * ground_metric(np.eye(5) + 0.5))
    U, V, sweeps = sinkhorn(A, B, K, tol=1e-9, max_iter=1000)
    assert sweeps < 100
    plans = U[:, :, None] * K[None] * V[:, None, :]
    np.testing.assert_allclose(plans.sum(axis=1), B, atol=1e-12)  # columns exact
    row_error = np.abs(plans.sum(axis=2) - A).sum(axis=1)
    slack = np.abs(A.sum(axis=1) - B.sum(axis=1))
    assert np.all(row_error <= slack + 1e-9)

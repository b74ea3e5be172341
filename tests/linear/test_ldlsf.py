"""LDLSF: simplex projection, the exact ADMM W step, the stopping rule, learning on real data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ldlkit.datasets import make_artificial
from ldlkit.linear import LDLSF
from ldlkit.linear._ldlsf import label_correlation_laplacian, project_rows_to_simplex
from ldlkit.metrics import kl_divergence


def kl_ratio_to_training_mean(estimator, X, D):
    X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        predicted = estimator.fit(X_train, D_train).predict(X_test)
    mean = np.tile(D_train.mean(axis=0), (len(D_test), 1))
    return kl_divergence(D_test, predicted) / kl_divergence(D_test, mean)


def test_simplex_projection_is_the_closest_simplex_point():
    rng = np.random.default_rng(0)
    Y = rng.normal(scale=2.0, size=(50, 4))
    P = project_rows_to_simplex(Y)
    assert (P >= 0).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    candidates = rng.dirichlet(np.ones(4), size=2000)
    for y, p in zip(Y[:10], P[:10]):
        assert np.linalg.norm(y - p) <= np.linalg.norm(candidates - y, axis=1).min() + 1e-12
    inside = rng.dirichlet(np.ones(4), size=5)
    np.testing.assert_allclose(project_rows_to_simplex(inside), inside)


def test_label_correlation_laplacian_handles_constant_labels():
    D = np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0], [0.9, 0.1, 0.0]])
    C = label_correlation_laplacian(D)
    assert np.isfinite(C).all()
    np.testing.assert_allclose(C.sum(axis=1), 0.0, atol=1e-12)  # a Laplacian
    np.testing.assert_allclose(C, C.T)


def test_without_penalties_it_is_least_squares():
    # With an intercept the row-sum constraint holds at the least-squares solution, so LDLSF
    # with zero weights must return it: this checks the exact W step and the ADMM loop.
    X, D = make_artificial(80, noise=0.1, random_state=2)
    est = LDLSF(lambda1=0.0, lambda2=0.0, lambda3=0.0, fit_intercept=True, tol=1e-9, max_iter=3000)
    est.fit(X, D)
    assert est.converged_
    X1 = np.hstack([X, np.ones((80, 1))])
    W, *_ = np.linalg.lstsq(X1, D, rcond=None)
    np.testing.assert_allclose(est._weights(), W, atol=1e-5)


def test_sparsity_penalties_zero_out_weights():
    X, D = make_artificial(80, noise=0.1, random_state=2)
    X = np.hstack([X, np.random.default_rng(0).normal(size=(80, 5))])  # noise features
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = LDLSF(lambda1=5.0, lambda2=5.0, max_iter=2000).fit(X, D)
    assert (est.specific_coef_ == 0).mean() > 0.3


def test_residual_rule_beats_stopping_at_the_first_non_decreasing_objective(load_real):
    # python-ldl's iterative solvers stop at the first step whose loss does not decrease. ADMM's
    # objective is not monotone, so that rule stops with the constraints far from holding.
    X, D = load_real("SCUT_FBP")
    X, D = X[:600], D[:600]
    est = LDLSF().fit(X, D)
    assert est.converged_
    objective = np.array([h["objective"] for h in est.history_])
    first_rise = int(np.argmax(np.diff(objective) >= 0)) + 1
    assert first_rise < est.n_iter_ - 1
    primal_then = max(est.history_[first_rise]["primal"])
    primal_end = max(est.history_[-1]["primal"])
    assert primal_end < 0.1 * primal_then


@pytest.mark.parametrize("adaptive", [True, False])
def test_beats_the_training_mean_on_sjaffe(load_real, adaptive):
    X, D = load_real("SJAFFE")
    assert kl_ratio_to_training_mean(LDLSF(adaptive_rho=adaptive), X, D) < 0.8


def test_on_yeast_alpha_matches_the_training_mean(load_real):
    X, D = load_real("Yeast_alpha")
    assert kl_ratio_to_training_mean(LDLSF(), X, D) < 1.01


def test_intercept_fit_emits_no_runtime_warning():
    # the intercept row of W2 is zero at the start: row shrinkage divided by its zero norm and
    # overflowed (RuntimeWarning) before; any warning other than a ConvergenceWarning fails here
    X, D = make_artificial(n_samples=120, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        LDLSF(fit_intercept=True, max_iter=30).fit(X, D)


def test_row_shrink_zero_and_subnormal_rows():
    from ldlkit.linear._solvers import row_shrink

    # threshold / norm overflowed for zero rows once threshold > 1 (LDLSF: lambda2 / rho = 10)
    A = np.array([[0.0, 0.0], [1e-320, 0.0], [30.0, 40.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = row_shrink(A, 10.0)
    np.testing.assert_array_equal(out[:2], 0.0)
    np.testing.assert_allclose(out[2], [30.0 * 0.8, 40.0 * 0.8])

"""LDL-LRR: the ranking loss, its analytic gradient, and learning on real data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import check_grad
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ldlkit.datasets import make_artificial
from ldlkit.linear import LDLLRR, SABFGS
from ldlkit.linear._lrr import _pair_targets, lrr_loss_grad
from ldlkit.metrics import kl_divergence


def kl_ratio_to_training_mean(estimator, X, D):
    X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        predicted = estimator.fit(X_train, D_train).predict(X_test)
    mean = np.tile(D_train.mean(axis=0), (len(D_test), 1))
    return kl_divergence(D_test, predicted) / kl_divergence(D_test, mean)


def test_pair_targets():
    order, weight = _pair_targets(np.array([[0.5, 0.3, 0.2, 0.0], [0.25, 0.25, 0.5, 0.0]]))
    assert order.shape == weight.shape == (2, 6)  # pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
    assert order[0, 0] == 1.0 and order[1, 0] == 0.5 and order[1, 3] == 0.0
    assert weight[0, 0] == pytest.approx(0.04) and weight[1, 0] == 0.0


def test_ranking_loss_matches_its_definition_over_ordered_pairs():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(5, 3))
    D = rng.dirichlet(np.ones(4), size=5)
    W = rng.normal(size=(3, 4))
    order, weight = _pair_targets(D)
    with_rank = lrr_loss_grad(W.ravel(), X, D, order, weight, 1.0, 7.0, 0.0)[0]
    without = lrr_loss_grad(W.ravel(), X, D, order, weight, 0.0, 7.0, 0.0)[0]
    Z = X @ W
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    total = 0.0
    for i in range(5):
        for a in range(4):
            for b in range(4):
                target = 1.0 if D[i, a] > D[i, b] else 0.0 if D[i, a] < D[i, b] else 0.5
                s = 1 / (1 + np.exp(-7.0 * (P[i, a] - P[i, b])))
                bce = -(target * np.log(s) + (1 - target) * np.log(1 - s))
                total += (D[i, a] - D[i, b]) ** 2 * bce
    assert with_rank - without == pytest.approx(0.5 * total / 5, rel=1e-10)


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_analytic_gradient_matches_finite_differences(lam):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3))
    D = rng.dirichlet(np.ones(4), size=6)
    order, weight = _pair_targets(D)
    l2 = np.array([[0.2], [0.2], [0.0]])
    W = rng.normal(scale=0.3, size=12)
    error = check_grad(
        lambda w: lrr_loss_grad(w, X, D, order, weight, lam, 5.0, l2)[0],
        lambda w: lrr_loss_grad(w, X, D, order, weight, lam, 5.0, l2)[1],
        W,
    )
    assert error < 1e-6


def test_without_ranking_term_it_is_sabfgs_with_the_same_penalty():
    X, D = make_artificial(120, noise=0.1, random_state=4)
    fixed = {"early_stopping": False, "tol": 1e-10, "max_iter": 2000}
    lrr = LDLLRR(lam=0.0, beta=1.2, **fixed).fit(X, D)
    bfgs = SABFGS(alpha=1.2 / len(X), **fixed).fit(X, D)
    np.testing.assert_allclose(lrr.coef_, bfgs.coef_, atol=1e-6)
    lbfgs = LDLLRR(lam=0.0, beta=1.2, solver="lbfgs", **fixed).fit(X, D)
    np.testing.assert_allclose(lbfgs.coef_, bfgs.coef_, atol=1e-5)


def test_newton_with_the_kl_model_hessian_reaches_the_lbfgs_optimum():
    # the ranking term's curvature is not in the model Hessian; the optimum must not move
    X, D = make_artificial(150, noise=0.1, random_state=6)
    fixed = {"lam": 0.5, "beta": 1.0, "early_stopping": False, "tol": 1e-7, "max_iter": 3000}
    newton = LDLLRR(**fixed).fit(X, D)
    lbfgs = LDLLRR(solver="lbfgs", **fixed).fit(X, D)
    assert newton.converged_ and lbfgs.converged_
    np.testing.assert_allclose(newton.predict(X), lbfgs.predict(X), atol=1e-5)


def test_beats_the_training_mean_on_sjaffe(load_real):
    X, D = load_real("SJAFFE")
    assert kl_ratio_to_training_mean(LDLLRR(random_state=0), X, D) < 0.9


def test_on_yeast_alpha_matches_the_training_mean(load_real):
    # Finding: no linear baseline beats the mean on Yeast_alpha (docs/linear.md).
    X, D = load_real("Yeast_alpha")
    assert kl_ratio_to_training_mean(LDLLRR(max_iter=20), X, D) < 1.01

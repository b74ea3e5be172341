"""LDL-LDM: manifold weights, analytic gradient, L-BFGS stopping, tuning, and it learns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split

from ldlkit.datasets import make_artificial
from ldlkit.linear import LDLLDM
from ldlkit.linear._ldm import label_manifold_weights
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


def test_manifold_weights_reconstruct_labels_affinely():
    rng = np.random.default_rng(0)
    D = rng.dirichlet(np.ones(5), size=40)
    Z = label_manifold_weights(D)
    np.testing.assert_allclose(np.diag(Z), 0.0)
    np.testing.assert_allclose(Z.sum(axis=0), 1.0)
    # a label that is an exact affine combination of two others is reconstructed exactly
    D3 = np.column_stack([D[:, 0], D[:, 1], 0.5 * D[:, 0] + 0.5 * D[:, 1]])
    Z3 = label_manifold_weights(D3, reg=1e-9)
    np.testing.assert_allclose(D3 @ Z3[:, 2], D3[:, 2], atol=1e-6)


def test_analytic_gradient_matches_numerical():
    X, D = make_artificial(25, random_state=3)
    est = LDLLDM(alpha=0.1, beta=0.7, gamma=0.3, n_clusters=3, random_state=0)
    X1 = with_intercept(X)
    terms = est._manifold_terms(D)
    w = np.random.default_rng(1).normal(size=X1.shape[1] * D.shape[1])
    _, grad = est._objective(w, X1, D, terms)
    numeric = numerical_gradient(lambda v: est._objective(v, X1, D, terms)[0], w)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_lbfgs_finishes_and_warns_only_when_stopped_short():
    X, D = make_artificial(80, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        done = LDLLDM(n_clusters=3, random_state=0).fit(X, D)
    assert done.n_iter_ < done.max_iter
    with pytest.warns(ConvergenceWarning, match="LDLLDM.*max_iter=2"):
        LDLLDM(n_clusters=3, max_iter=2, random_state=0).fit(X, D)


def test_hyperparameters_are_tunable_by_grid_search():
    X, D = make_artificial(60, random_state=1)
    search = GridSearchCV(
        LDLLDM(n_clusters=2, random_state=0), {"alpha": [1e-3, 1.0], "beta": [0.0, 1.0]}, cv=2
    ).fit(X, D)
    assert set(search.best_params_) == {"alpha", "beta"}
    with pytest.raises(ValueError, match="n_clusters"):
        LDLLDM(n_clusters=0).fit(X, D)


YEAST_FINDING = pytest.mark.xfail(
    strict=True,
    reason="finding: with the paper's settings LDL-LDM does not beat the training mean on "
    "Yeast_alpha (KL 0.00560 vs 0.00558 on this split; docs/linear.md)",
)


@pytest.mark.parametrize(
    ("name", "margin"), [("SJAFFE", 0.9), pytest.param("Yeast_alpha", 1.0, marks=YEAST_FINDING)]
)
def test_beats_training_mean_with_paper_settings(load_real, name, margin):
    X, D = load_real(name)
    kl, kl_mean = compare_with_mean(LDLLDM(random_state=0), X, D)
    assert kl < margin * kl_mean

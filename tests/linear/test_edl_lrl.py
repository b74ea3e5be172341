"""EDL-LRL: singular value thresholding, analytic gradient, ADMM stopping rule, and it learns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ldlkit.datasets import make_artificial
from ldlkit.linear import EDLLRL
from ldlkit.linear._edl_lrl import singular_value_threshold
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


def test_singular_value_threshold_is_the_nuclear_prox():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(7, 4))
    out = singular_value_threshold(A, 0.5)
    s_in = np.linalg.svd(A, compute_uv=False)
    s_out = np.linalg.svd(out, compute_uv=False)
    np.testing.assert_allclose(s_out, np.maximum(s_in - 0.5, 0), atol=1e-12)
    assert not singular_value_threshold(A, s_in.max() + 1).any()


def test_analytic_gradient_matches_numerical():
    X, D = make_artificial(20, random_state=4)
    rng = np.random.default_rng(2)
    est = EDLLRL(alpha=0.3)
    Z, Lam = rng.dirichlet(np.ones(3), size=20), rng.normal(size=(20, 3))
    w = rng.normal(size=X.shape[1] * 3)
    _, grad = est._lagrangian_w(w, X, D, Z, Lam, 2.5)
    numeric = numerical_gradient(lambda v: est._lagrangian_w(v, X, D, Z, Lam, 2.5)[0], w)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_admm_meets_its_residual_test_and_the_split_holds():
    X, D = make_artificial(120, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = EDLLRL(n_clusters=3, beta=0.5, random_state=0).fit(X, D)
    assert 1 < est.n_iter_ < est.max_iter
    # at the solution the low-rank copy equals the predictions: the objective has settled
    assert abs(est.objective_[-1] - est.objective_[-2]) < 1e-3 * est.objective_[-1]
    # the nuclear norm lowers the rank of each cluster's predictions compared with beta=0
    free = EDLLRL(n_clusters=3, beta=0.0, random_state=0).fit(X, D)
    P, P_free = softmax(X @ est.coef_, axis=1), softmax(X @ free.coef_, axis=1)
    assert np.linalg.svd(P, compute_uv=False)[-1] < np.linalg.svd(P_free, compute_uv=False)[-1]
    with pytest.warns(ConvergenceWarning, match="EDLLRL: ADMM stopped after max_iter=2"):
        EDLLRL(n_clusters=3, max_iter=2, random_state=0).fit(X, D)


def test_hyperparameters_are_tunable_and_checked():
    X, D = make_artificial(60, random_state=1)
    search = GridSearchCV(
        EDLLRL(n_clusters=2, random_state=0), {"alpha": [1e-3, 1.0], "beta": [0.0, 0.1]}, cv=2
    ).fit(X, D)
    assert set(search.best_params_) == {"alpha", "beta"}
    with pytest.raises(ValueError, match="rho_max"):
        EDLLRL(rho=10.0, rho_max=1.0).fit(X, D)


def test_paper_settings_on_raw_features(load_real):
    # The authors' lambda1 on SJAFFE's raw features (entries ~0.004) keeps W tiny: predictions
    # stay near uniform and only just beat the mean (recorded in docs/linear.md). On
    # Yeast_alpha the same settings beat the mean, by a small margin as every method there.
    X, D = load_real("SJAFFE")
    kl, kl_mean = compare_with_mean(EDLLRL(random_state=0), X, D)
    assert 0.9 * kl_mean < kl < kl_mean
    X, D = load_real("Yeast_alpha")
    kl, kl_mean = compare_with_mean(EDLLRL(random_state=0), X, D)
    assert kl < kl_mean


def test_beats_training_mean_on_standardised_sjaffe(load_real):
    X, D = load_real("SJAFFE")
    model = make_pipeline(StandardScaler(), EDLLRL(alpha=1.0, random_state=0))
    kl, kl_mean = compare_with_mean(model, X, D)
    assert kl < 0.8 * kl_mean

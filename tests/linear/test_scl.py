"""LDL-SCL (Adam): analytic gradients, codes, stopping, tuning, and it learns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split

from ldlkit.datasets import make_artificial
from ldlkit.linear import LDLSCL
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


@pytest.mark.parametrize("block", ["theta", "W", "C"])
def test_analytic_gradients_match_numerical(block):
    X, D = make_artificial(15, random_state=5)
    rng = np.random.default_rng(3)
    est = LDLSCL(alpha=0.2, beta=0.3, gamma=0.7)
    theta, W = rng.normal(size=(3, 3)), rng.normal(size=(4, 3))
    C, centres = rng.uniform(0.2, 1.5, size=(15, 4)), rng.dirichlet(np.ones(3), size=4)
    params = {"theta": theta, "W": W, "C": C}
    index = {"theta": 0, "W": 1, "C": 2}[block]

    def value(flat):
        local = dict(params, **{block: flat.reshape(params[block].shape)})
        return est._gradients(X, D, local["C"], local["theta"], local["W"], centres, 0.05)[3]

    grad = est._gradients(X, D, C, theta, W, centres, 0.05)[index]
    numeric = numerical_gradient(value, params[block].ravel())
    np.testing.assert_allclose(grad.ravel(), numeric, rtol=1e-5, atol=1e-7)


def test_codes_stay_positive_and_new_rows_get_regressed_codes():
    X, D = make_artificial(80, random_state=0)
    est = LDLSCL(n_clusters=3, max_iter=100, random_state=0).fit(X, D)
    assert est.codes_.shape == (80, 3) and (est.codes_ > 0).all()
    assert est.code_regressor_.shape == (X.shape[1] + 1, 3)
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    ridge = LDLSCL(n_clusters=3, max_iter=100, code_ridge=5.0, random_state=0).fit(X, D)
    assert not np.allclose(ridge.predict(X), est.predict(X))


def test_tolerance_stops_training_and_warns_when_the_budget_ends_first():
    X, D = make_artificial(80, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        budget = LDLSCL(n_clusters=3, random_state=0).fit(X, D)  # tol=None: fixed budget
        stopped = LDLSCL(n_clusters=3, max_iter=5000, tol=1e-4, random_state=0).fit(X, D)
    assert budget.n_iter_ == 300
    assert stopped.n_iter_ < 5000
    with pytest.warns(ConvergenceWarning, match="LDLSCL: Adam stopped after max_iter=3"):
        LDLSCL(n_clusters=3, max_iter=3, tol=1e-12, random_state=0).fit(X, D)


def test_hyperparameters_are_tunable():
    X, D = make_artificial(60, random_state=1)
    search = GridSearchCV(
        LDLSCL(n_clusters=2, max_iter=20, random_state=0),
        {"gamma": [1e-3, 1.0], "code_ridge": [0.0, 1.0]},
        cv=2,
    ).fit(X, D)
    assert set(search.best_params_) == {"gamma", "code_ridge"}


def test_learns_on_sjaffe_split_but_not_over_ten_folds(load_real):
    # On the fixed 80/20 split the authors' settings beat the mean; averaged over
    # KFold(10, shuffle=True, random_state=0) they do not (KL 0.0851 vs 0.0732, from
    # benchmarks/linear2_timing.py; docs/linear.md). The split result is asserted here; the
    # ten-fold finding is recorded in the docs (ten fits are too slow for this test).
    X, D = load_real("SJAFFE")
    kl, kl_mean = compare_with_mean(LDLSCL(random_state=0), X, D)
    assert kl < 0.95 * kl_mean


@pytest.mark.xfail(
    strict=True,
    reason="finding: Adam-LDL-SCL with the authors' settings does not beat the training mean on "
    "Yeast_alpha (KL 0.00560 vs 0.00558 on this split, 0.00552 vs 0.00552 over 10 folds)",
)
def test_beats_training_mean_on_yeast_alpha(load_real):
    X, D = load_real("Yeast_alpha")
    kl, kl_mean = compare_with_mean(LDLSCL(random_state=0), X, D)
    assert kl < kl_mean

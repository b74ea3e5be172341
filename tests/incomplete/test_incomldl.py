"""IncomLDL and the incomplete-LDL fit protocol."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import KFold, cross_val_score, train_test_split

from ldlkit.incomplete import IncomLDL
from ldlkit.incomplete._incomldl import _shrink_singular_values
from ldlkit.metrics import cosine, kl_divergence
from ldlkit.simulation import CorruptedTraining, fill_missing, observed_mask, random_missing


@pytest.fixture
def low_rank(rng):
    """Distributions that are (nearly) linear in the features."""
    X = rng.random((80, 4)) + 0.1
    W = rng.random((4, 5))
    D = X @ W
    return X, D / D.sum(axis=1, keepdims=True)


def test_complete_fit_is_the_all_observed_fit(low_rank):
    X, D = low_rank
    a = IncomLDL().fit(X, D).coef_
    b = IncomLDL().fit(X, D, observed=np.ones(D.shape, dtype=bool)).coef_
    np.testing.assert_allclose(a, b)


def test_unknown_entries_are_ignored(low_rank, rng):
    X, D = low_rank
    observed = observed_mask(random_missing(D, rate=0.4, random_state=0))
    a = IncomLDL().fit(X, np.where(observed, D, 0.0), observed=observed)
    b = IncomLDL().fit(X, np.where(observed, D, np.nan), observed=observed)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    garbage = np.where(observed, D, rng.random(D.shape) * 0.01)
    c = IncomLDL().fit(X, garbage, observed=observed)
    np.testing.assert_array_equal(a.coef_, c.coef_)


def test_without_penalty_it_is_least_squares_on_the_known_entries(low_rank):
    X, D = low_rank
    observed = observed_mask(random_missing(D, rate=0.3, random_state=1))
    model = IncomLDL(lam=0.0, max_iter=20000, tol=1e-12).fit(
        X, np.where(observed, D, 0.0), observed=observed
    )
    # column by column: least squares over the rows where that label is known
    for j in range(D.shape[1]):
        rows = observed[:, j]
        expected, *_ = np.linalg.lstsq(X[rows], D[rows, j], rcond=None)
        np.testing.assert_allclose(model.coef_[:, j], expected, atol=1e-6)


def test_the_trace_norm_lowers_the_rank_and_a_huge_one_gives_uniform_predictions(rng):
    X = rng.random((60, 6))
    D = rng.dirichlet(np.ones(5), 60)
    ranks = [
        np.linalg.matrix_rank(IncomLDL(lam=lam, max_iter=2000).fit(X, D).coef_, tol=1e-8)
        for lam in (0.0, 1.0, 5.0)
    ]
    assert ranks[0] == 5 and ranks[2] < ranks[0] and ranks == sorted(ranks, reverse=True)
    huge = IncomLDL(lam=1e6).fit(X, D)
    np.testing.assert_allclose(huge.coef_, 0.0)
    np.testing.assert_allclose(huge.predict(X[:3]), 0.2)


def test_singular_value_shrinkage_by_hand():
    A = np.diag([3.0, 1.0, 0.5])
    np.testing.assert_allclose(_shrink_singular_values(A, 0.75), np.diag([2.25, 0.25, 0.0]))


def test_missing_degrees_are_recovered_from_label_correlations(low_rank):
    # the masked fit recovers the hidden entries far better than treating them as zeros
    X, D = low_rank
    hidden = random_missing(D, rate=0.5, random_state=2)
    observed = observed_mask(hidden)
    masked = IncomLDL(max_iter=3000).fit(X, np.nan_to_num(hidden), observed=observed)
    naive = IncomLDL(max_iter=3000).fit(X, fill_missing(hidden))
    error = {
        name: np.abs(model.predict(X) - D)[~observed].mean()
        for name, model in (("masked", masked), ("naive", naive))
    }
    assert error["masked"] < 0.5 * error["naive"]


def test_bad_incomplete_input_is_a_clear_error(low_rank):
    X, D = low_rank
    ok = np.ones(D.shape, dtype=bool)
    with pytest.raises(ValueError, match="observed has shape"):
        IncomLDL().fit(X, D, observed=ok[:, :2])
    with pytest.raises(TypeError, match="observed must be a boolean array"):
        IncomLDL().fit(X, D, observed=ok.astype(int))
    with pytest.raises(ValueError, match="renormalize=True cannot be combined with observed"):
        IncomLDL().fit(X, D, observed=ok, renormalize=True)
    with pytest.raises(ValueError, match="known degrees of D row 0 sum to 2"):
        IncomLDL().fit(X, 2 * D, observed=ok)
    with pytest.raises(ValueError, match="negative known degree"):
        IncomLDL().fit(X, -D, observed=ok)
    with pytest.raises(ValueError, match="X has 80, D has 79 rows"):
        IncomLDL().fit(X, D[:-1], observed=ok[:-1])
    with pytest.raises(ValueError, match="X contains NaN"):
        IncomLDL().fit(np.where(X > 0.5, np.nan, X), D, observed=ok)


def test_corrupted_training_hands_the_mask_to_incomplete_learners(low_rank):
    X, D = low_rank
    model = CorruptedTraining(IncomLDL(), simulator="random_missing", params={"rate": 0.4})
    fitted = model.fit(X, D)
    hidden = model.corrupt(D)
    direct = IncomLDL().fit(X, np.nan_to_num(hidden), observed=observed_mask(hidden))
    np.testing.assert_array_equal(fitted.estimator_.coef_, direct.coef_)
    scores = cross_val_score(model, X, D, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.min() > 0.9


def test_learns_sjaffe_with_forty_percent_missing(load_real):
    X, D = load_real("SJAFFE")
    X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.2, random_state=0)
    hidden = random_missing(D_train, rate=0.4, random_state=0)
    P = IncomLDL().fit(X_train, np.nan_to_num(hidden), observed=observed_mask(hidden))
    P = P.predict(X_test)
    mean = np.tile(D_train.mean(axis=0), (len(D_test), 1))
    assert kl_divergence(D_test, P) < 0.8 * kl_divergence(D_test, mean)
    assert cosine(D_test, P) > cosine(D_test, mean) + 0.02

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from ldlkit import metrics
from ldlkit.datasets import make_artificial
from ldlkit.dummy import MeanPredictor

ALL = list(metrics.METRICS)
SYMMETRIC = [
    "chebyshev",
    "clark",
    "canberra",
    "cosine",
    "intersection",
    "euclidean",
    "sorensen",
    "squared_chi2",
    "fidelity",
]


@st.composite
def distribution_pairs(draw, allow_zeros=True):
    n = draw(st.integers(1, 6))
    L = draw(st.integers(2, 7))
    low = 0.0 if allow_zeros else 1e-3
    elements = st.floats(low, 1.0, allow_nan=False, allow_infinity=False)
    A = draw(arrays(np.float64, (n, L), elements=elements))
    B = draw(arrays(np.float64, (n, L), elements=elements))
    # every row needs some mass
    A[:, 0] += 1e-3
    B[:, -1] += 1e-3
    return A / A.sum(1, keepdims=True), B / B.sum(1, keepdims=True)


# --- hand-computed values ----------------------------------------------------------------------
d = np.array([[0.5, 0.3, 0.2]])
p = np.array([[0.4, 0.4, 0.2]])

HAND = {
    "chebyshev": 0.1,
    "clark": math.sqrt((0.1 / 0.9) ** 2 + (0.1 / 0.7) ** 2),
    "canberra": 0.1 / 0.9 + 0.1 / 0.7,
    "kl_divergence": 0.5 * math.log(0.5 / 0.4) + 0.3 * math.log(0.3 / 0.4),
    "cosine": (0.2 + 0.12 + 0.04) / (math.sqrt(0.38) * math.sqrt(0.36)),
    "intersection": 0.4 + 0.3 + 0.2,
    "euclidean": math.sqrt(0.02),
    "sorensen": 0.2 / 2.0,
    "squared_chi2": 0.01 / 0.9 + 0.01 / 0.7,
    "fidelity": math.sqrt(0.2) + math.sqrt(0.12) + 0.2,
}


@pytest.mark.parametrize("name", ALL)
def test_hand_computed_values(name):
    assert metrics.get_metric(name).function(d, p) == pytest.approx(HAND[name], rel=1e-12)


def test_every_metric_has_a_hand_value():
    assert set(HAND) == set(metrics.METRICS)


def test_per_row_variant_and_mean():
    D_true = np.array([[0.5, 0.5], [1.0, 0.0]])
    D_pred = np.array([[0.5, 0.5], [0.5, 0.5]])
    rows = metrics.chebyshev(D_true, D_pred, average=False)
    np.testing.assert_allclose(rows, [0.0, 0.5])
    assert metrics.chebyshev(D_true, D_pred) == pytest.approx(0.25)


# --- zero-degree policy ------------------------------------------------------------------------
def test_zero_true_degree_contributes_nothing_to_kl():
    assert metrics.kl_divergence([[1.0, 0.0]], [[0.5, 0.5]]) == pytest.approx(math.log(2))


def test_zero_predicted_degree_is_floored_in_kl():
    value = metrics.kl_divergence([[0.5, 0.5]], [[1.0, 0.0]])
    assert value == pytest.approx(0.5 * math.log(0.5) + 0.5 * math.log(0.5 / 1e-12))
    assert metrics.kl_divergence([[0.5, 0.5]], [[1.0, 0.0]], eps=0) == math.inf


def test_shared_zeros_count_as_agreement():
    D = [[0.0, 0.4, 0.6]]
    assert metrics.clark(D, D) == 0.0
    assert metrics.canberra(D, D) == 0.0
    assert metrics.squared_chi2(D, D) == 0.0


# --- properties --------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_identity_gives_the_ideal_value(pair):
    A, _ = pair
    for name, info in metrics.METRICS.items():
        assert info.function(A, A) == pytest.approx(info.ideal, abs=1e-9), name


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_bounds(pair):
    A, B = pair
    L = A.shape[1]
    rows = metrics.evaluate(A, B, metrics.METRICS, average=False)
    tol = 1e-9
    assert ((rows["chebyshev"] >= -tol) & (rows["chebyshev"] <= 1 + tol)).all()
    assert ((rows["clark"] >= -tol) & (rows["clark"] <= math.sqrt(L) + tol)).all()
    assert ((rows["canberra"] >= -tol) & (rows["canberra"] <= L + tol)).all()
    assert (rows["kl_divergence"] >= -tol).all()
    for name in ("cosine", "intersection", "fidelity"):
        assert ((rows[name] >= -tol) & (rows[name] <= 1 + tol)).all(), name
    assert ((rows["euclidean"] >= -tol) & (rows["euclidean"] <= math.sqrt(2) + tol)).all()
    assert ((rows["sorensen"] >= -tol) & (rows["sorensen"] <= 1 + tol)).all()
    # On the simplex, intersection = 1 - sorensen = 1 - L1/2.
    np.testing.assert_allclose(rows["intersection"], 1 - rows["sorensen"], atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_symmetry_where_it_holds(pair):
    A, B = pair
    for name in SYMMETRIC:
        f = metrics.get_metric(name).function
        assert f(A, B) == pytest.approx(f(B, A), abs=1e-12), name


@settings(max_examples=60, deadline=None)
@given(distribution_pairs(allow_zeros=False))
def test_kl_matches_scipy_entropy(pair):
    from scipy.stats import entropy

    A, B = pair
    expected = np.mean([entropy(a, b) for a, b in zip(A, B)])
    assert metrics.kl_divergence(A, B) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_kl_is_not_symmetric():
    A, B = np.array([[0.9, 0.1]]), np.array([[0.5, 0.5]])
    assert metrics.kl_divergence(A, B) != pytest.approx(metrics.kl_divergence(B, A))


# --- errors and scorers ----------------------------------------------------------------------
def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"D_true has shape \(1, 3\) but D_pred has shape"):
        metrics.cosine(d, p[:, :2])


def test_nan_and_negative_inputs_are_rejected():
    with pytest.raises(ValueError, match="D_pred contains NaN"):
        metrics.cosine(d, [[np.nan, 0.5, 0.5]])
    with pytest.raises(ValueError, match="D_true has negative"):
        metrics.cosine([[-0.1, 0.6, 0.5]], p)


def test_unknown_metric_lists_known_ones():
    with pytest.raises(ValueError, match="known metrics: chebyshev"):
        metrics.get_metric("accuracy")


def test_aliases_and_scorer_names():
    assert metrics.get_metric("KL").name == "kl_divergence"
    assert metrics.scorer_name("kl") == "neg_kl_divergence"
    assert metrics.scorer_name("cosine") == "cosine"
    assert metrics.get_metric("neg_clark").name == "clark"


def test_scorers_work_in_cross_validate_and_grid_search():
    X, D = make_artificial(60, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    scores = cross_validate(MeanPredictor(), X, D, cv=cv, scoring=metrics.make_scorers())
    for name in metrics.PAPER_METRICS:
        key = f"test_{metrics.scorer_name(name)}"
        values = scores[key]
        if metrics.METRICS[name].greater_is_better:
            assert (values > 0).all()
        else:
            assert (values <= 0).all()
    # the scorer's value equals the metric on the held-out fold
    train, test = next(cv.split(X))
    model = MeanPredictor().fit(X[train], D[train])
    expected = -metrics.kl_divergence(D[test], model.predict(X[test]))
    assert scores["test_neg_kl_divergence"][0] == pytest.approx(expected)
    search = GridSearchCV(MeanPredictor(), {}, cv=cv, scoring=metrics.get_scorer("kl")).fit(X, D)
    assert search.best_score_ == pytest.approx(scores["test_neg_kl_divergence"].mean())

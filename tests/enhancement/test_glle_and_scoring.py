"""GLLE's neighbourhood and start as in its code; scorers for pipelines on logical labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import cross_validate

from ldlkit.datasets import make_artificial
from ldlkit.enhancement import (
    GLLE,
    KM,
    EnhancedLDL,
    binarize,
    logical_scorer,
    make_logical_scorers,
)
from ldlkit.enhancement._kernels import heat_knn_graph
from ldlkit.metrics import get_scorer, make_scorers


def test_glle_graph_has_nineteen_other_neighbours_by_default():
    """The code's knnsearch(K=20) includes the row itself: 19 other rows."""
    assert GLLE().n_neighbors == 19
    X = np.random.default_rng(0).normal(size=(60, 3))
    A = heat_knn_graph(X, GLLE().n_neighbors, 10.0)
    assert A.diagonal().max() == 0
    assert ((A > 0).sum(axis=1).min()) >= 19


def test_glle_random_start_depends_on_random_state_and_zeros_start_does_not():
    X, D = make_artificial(40, random_state=0)
    logical = binarize(D)
    a = GLLE(max_iter=3, random_state=0).fit_transform(X, logical)
    b = GLLE(max_iter=3, random_state=0).fit_transform(X, logical)
    c = GLLE(max_iter=3, random_state=1).fit_transform(X, logical)
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - c).max() > 1e-6
    z1 = GLLE(max_iter=3, init="zeros", random_state=0).fit_transform(X, logical)
    z2 = GLLE(max_iter=3, init="zeros", random_state=1).fit_transform(X, logical)
    np.testing.assert_array_equal(z1, z2)
    full = GLLE(max_iter=3, solver="bfgs", random_state=0).fit_transform(X, logical)
    np.testing.assert_allclose(full.sum(1), 1)


def test_logical_scorers_score_a_pipeline_on_logical_labels():
    X, D = make_artificial(60, random_state=0)
    logical = binarize(D)
    assert (logical.sum(1) > 1).any()  # folds with several relevant labels per row
    model = EnhancedLDL(enhancer=KM())
    scores = cross_validate(
        model, X, logical, cv=3, scoring=make_logical_scorers(["cosine", "kl"]), error_score="raise"
    )
    assert np.isfinite(scores["test_cosine"]).all()
    assert (scores["test_neg_kl_divergence"] <= 0).all()
    # the same reference as EnhancedLDL.score (target="logical")
    np.testing.assert_allclose(
        scores["test_cosine"], cross_validate(model, X, logical, cv=3)["test_score"]
    )
    # distributions pass through: with target="distribution" it equals the plain metric
    dist = EnhancedLDL(enhancer=KM(), target="distribution")
    np.testing.assert_allclose(
        cross_validate(dist, X, D, cv=3, scoring=logical_scorer("cosine"))["test_score"],
        cross_validate(dist, X, D, cv=3)["test_score"],
    )


def test_logical_scorer_rejects_a_row_without_relevant_label():
    X, D = make_artificial(30, random_state=0)
    model = EnhancedLDL(enhancer=KM()).fit(X, binarize(D))
    bad = binarize(D)
    bad[0] = 0
    with pytest.raises(ValueError, match="row 0 is all zeros"):
        logical_scorer("cosine")(model, X, bad)


def test_metric_scorers_score_an_enhancement_pipeline_on_logical_labels():
    """ldlkit.metrics' own scorers: finite scores on every fold, no warning (warnings are errors
    here), the reference of EnhancedLDL(target="logical").score."""
    X, D = make_artificial(60, random_state=0)
    logical = binarize(D)
    model = EnhancedLDL(enhancer=KM())
    scores = cross_validate(model, X, logical, cv=3, scoring=make_scorers())
    for name in ("chebyshev", "clark", "canberra", "kl_divergence", "intersection"):
        key = f"test_{name}" if name == "intersection" else f"test_neg_{name}"
        assert np.isfinite(scores[key]).all(), name
    np.testing.assert_allclose(
        scores["test_cosine"], cross_validate(model, X, logical, cv=3)["test_score"]
    )
    # a scorer's value is the metric against the held-out logical labels over their row sums
    from sklearn.model_selection import KFold

    from ldlkit.metrics import kl_divergence

    by_hand = []
    for train, test in KFold(3).split(X):
        fitted = EnhancedLDL(enhancer=KM()).fit(X[train], logical[train])
        reference = logical[test] / logical[test].sum(axis=1, keepdims=True)
        by_hand.append(-kl_divergence(reference, fitted.predict(X[test])))
    kl = cross_validate(model, X, logical, cv=KFold(3), scoring=get_scorer("kl"))["test_score"]
    np.testing.assert_allclose(kl, by_hand)

from __future__ import annotations

import numpy as np
import pytest

from ldlkit.base import BaseLabelEnhancer, all_estimators
from ldlkit.datasets import make_artificial
from ldlkit.enhancement import binarize
from ldlkit.experiments import run_experiment
from ldlkit.metrics import cosine
from ldlkit.model_selection import EnhancementProtocol, evaluate_enhancement

SEEN: list[np.ndarray] = []


class _SpreadLogical(BaseLabelEnhancer):
    """Spread each row's mass evenly over its relevant labels (a trivial LE baseline)."""

    def __init__(self, *, record: bool = False):
        self.record = record

    def _fit_transform(self, X, logical):
        if self.record:
            SEEN.append(logical.copy())
        return logical / logical.sum(axis=1, keepdims=True)


def test_dummy_enhancer_is_not_registered():
    assert "_SpreadLogical" not in dict(all_estimators())


def test_all_rows_once():
    X, D = make_artificial(80, random_state=0)
    SEEN.clear()
    scores = evaluate_enhancement(_SpreadLogical(record=True), X, D, metrics=["cosine"])
    assert len(scores) == 1 and scores[0]["n_rows"] == 80
    np.testing.assert_array_equal(SEEN[0], binarize(D))
    expected = cosine(D, binarize(D) / binarize(D).sum(axis=1, keepdims=True))
    assert scores[0]["cosine"] == pytest.approx(expected)


@pytest.mark.parametrize(("rows", "size"), [("train", 72), ("test", 8), ("all", 80)])
def test_per_fold_rows(rows, size):
    X, D = make_artificial(80, random_state=1)
    cv = EnhancementProtocol(n_splits=10, n_repeats=2, rows=rows)
    scores = evaluate_enhancement(_SpreadLogical(), X, D, cv=cv, metrics=["chebyshev"])
    assert len(scores) == 20
    assert {s["n_rows"] for s in scores} == {size}


def test_runner_runs_enhancers_under_the_protocol():
    X, D = make_artificial(50, random_state=2)
    cv = EnhancementProtocol(n_splits=5, n_repeats=1)
    res = run_experiment({"spread": _SpreadLogical()}, [("toy", X, D)], cv=cv, progress=False)
    assert [r["status"] for r in res.records] == ["ok"] * 5
    direct = evaluate_enhancement(_SpreadLogical(), X, D, cv=cv)
    assert [r["metrics"]["clark"] for r in res.records] == pytest.approx(
        [d["clark"] for d in direct]
    )
    assert all(r["n_train"] == 40 for r in res.records)


def test_bad_rows_argument():
    with pytest.raises(ValueError, match="rows"):
        EnhancementProtocol(rows="validation")


def test_ldl_estimators_are_refused_by_the_le_protocol():
    X, D = make_artificial(40, random_state=0)
    with pytest.raises(ValueError, match="not a label enhancer"):
        run_experiment(
            ["MeanPredictor"], [("toy", X, D)], cv=EnhancementProtocol(4, 1), progress=False
        )


class _EnhancerWithPredict(_SpreadLogical):
    """An enhancer may also have predict: its base class, not its methods, makes it one."""

    def predict(self, X):
        return np.full((len(X), self.n_labels_), 1.0 / self.n_labels_)


class _ScalerLike:
    """fit_transform and no predict, but not a label enhancer (like a scikit-learn scaler)."""

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self

    def fit(self, X, y=None):
        return self

    def fit_transform(self, X, y=None):
        return X


def test_enhancers_are_recognised_by_their_base_class():
    X, D = make_artificial(40, random_state=3)
    cv = EnhancementProtocol(n_splits=4, n_repeats=1)
    res = run_experiment({"e": _EnhancerWithPredict()}, [("toy", X, D)], cv=cv, progress=False)
    assert [r["status"] for r in res.records] == ["ok"] * 4
    assert all(r["n_train"] == 30 and r["predict_time"] == 0.0 for r in res.records)


def test_a_transformer_that_is_no_enhancer_is_refused_clearly():
    X, D = make_artificial(40, random_state=3)
    with pytest.raises(ValueError, match="subclasses of ldlkit.base.BaseLabelEnhancer"):
        run_experiment(
            {"scaler": _ScalerLike()}, [("toy", X, D)], cv=EnhancementProtocol(4, 1), progress=False
        )
    with pytest.raises(ValueError, match="'scaler' .* has no predict"):
        run_experiment({"scaler": _ScalerLike()}, [("toy", X, D)], progress=False)

"""PriorCorrectedLDL: the correction it applies, its limits, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from ldlkit.compose import PriorCorrectedLDL
from ldlkit.datasets import make_artificial
from ldlkit.dummy import MeanPredictor
from ldlkit.neighbors import AAKNN


@pytest.fixture(scope="module")
def data():
    X, D = make_artificial(80, noise=0.05, random_state=3)
    return X[:60], D[:60], X[60:]


def test_prediction_is_the_wrapped_one_times_the_prior_ratio(data):
    X, D, X_test = data
    model = PriorCorrectedLDL(estimator=AAKNN(k=3), strength=0.7).fit(X, D)
    base = AAKNN(k=3).fit(X, D).predict(X_test)
    prior = D.mean(axis=0)
    expected = base * (1.0 / 3 / prior) ** 0.7
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(X_test), expected, rtol=1e-10)
    np.testing.assert_allclose(model.training_prior_, prior, rtol=1e-12)


def test_strength_zero_changes_nothing_and_the_mean_becomes_the_target(data):
    X, D, X_test = data
    unchanged = PriorCorrectedLDL(estimator=AAKNN(k=3), strength=0.0).fit(X, D)
    np.testing.assert_allclose(
        unchanged.predict(X_test), AAKNN(k=3).fit(X, D).predict(X_test), rtol=1e-12
    )
    # the training mean corrected with exponent 1 is the target prior itself
    target = np.array([0.5, 0.3, 0.2])
    mean = PriorCorrectedLDL(estimator=MeanPredictor(), target_prior=target).fit(X, D)
    np.testing.assert_allclose(mean.predict(X_test), np.tile(target, (len(X_test), 1)))
    uniform = PriorCorrectedLDL(estimator=MeanPredictor()).fit(X, D)
    np.testing.assert_allclose(uniform.predict(X_test), 1.0 / 3)


def test_the_wrapped_estimator_is_cloned_and_nested_params_work(data):
    X, D, _ = data
    inner = AAKNN(k=3)
    model = PriorCorrectedLDL(estimator=inner).fit(X, D)
    assert model.estimator_ is not inner and not hasattr(inner, "n_features_in_")
    model.set_params(estimator__k=5)
    assert model.get_params()["estimator__k"] == 5


def test_bad_target_prior_and_estimator_are_named(data):
    X, D, _ = data
    with pytest.raises(ValueError, match="target_prior must be 'uniform' or 3"):
        PriorCorrectedLDL(estimator=MeanPredictor(), target_prior=[0.5, 0.5]).fit(X, D)
    with pytest.raises(ValueError, match="target_prior sums to 0"):
        PriorCorrectedLDL(estimator=MeanPredictor(), target_prior=[0, 0, 0]).fit(X, D)
    with pytest.raises(ValueError, match="estimator"):
        PriorCorrectedLDL(estimator="AAKNN").fit(X, D)
    with pytest.raises(ValueError, match="strength"):
        PriorCorrectedLDL(strength=-1.0).fit(X, D)

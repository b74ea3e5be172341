"""The degeneracy diagnostics of ILDL reports: uniform_kl and prediction_spread."""

from __future__ import annotations

import numpy as np
import pytest

from ldlkit.metrics import DEGENERACY_METRICS, get_metric, prediction_spread, uniform_kl


def test_zero_for_the_trivial_predictors_and_positive_otherwise():
    rng = np.random.RandomState(0)
    D = rng.dirichlet(np.ones(4), size=20)
    uniform = np.full((20, 4), 0.25)
    mean = np.tile(D.mean(axis=0), (20, 1))
    assert uniform_kl(D, uniform) == pytest.approx(0.0, abs=1e-15)
    assert prediction_spread(D, uniform) == 0.0 and prediction_spread(D, mean) == 0.0
    assert uniform_kl(D, mean) > 0 and uniform_kl(D, D) > uniform_kl(D, mean)
    assert prediction_spread(D, D) == pytest.approx(D.std(axis=0).mean())


def test_uniform_kl_is_the_kl_from_uniform_and_ignores_the_targets():
    P = np.array([[0.7, 0.2, 0.1], [0.4, 0.4, 0.2]])
    expected = np.mean([np.sum(1 / 3 * np.log((1 / 3) / row)) for row in P])
    D = np.full((2, 3), 1 / 3)
    assert uniform_kl(D, P) == pytest.approx(expected, rel=1e-12)
    assert uniform_kl(P, P) == pytest.approx(expected, rel=1e-12)


def test_registered_for_reports_and_shape_checked():
    for name in DEGENERACY_METRICS:
        assert get_metric(name).name == name
    with pytest.raises(ValueError):
        uniform_kl(np.full((2, 3), 1 / 3), np.full((3, 3), 1 / 3))

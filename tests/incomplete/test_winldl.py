"""WInLDL: weights, the ADMM steps, the incomplete-LDL fit protocol."""

from __future__ import annotations

import numpy as np
import pytest

from ldlkit.incomplete import WInLDL
from ldlkit.incomplete._winldl import (
    complete_single_missing,
    missing_weights,
    observed_weights,
    weighted_simplex_projection,
)
from ldlkit.linear._ldlsf import project_rows_to_simplex
from ldlkit.metrics import kl_divergence
from ldlkit.simulation import fill_missing, observed_mask, random_missing


@pytest.fixture
def linear_data(rng):
    """Distributions linear in the features (a constant feature makes the simplex reachable)."""
    X = np.hstack([rng.random((120, 4)), np.ones((120, 1))])
    W = rng.random((5, 4))
    D = X @ W
    return X, D / D.sum(axis=1, keepdims=True)


def test_weights_by_hand():
    D = np.array([[0.5, 0.0, 0.25], [0.2, 0.3, 0.0]])
    observed = np.array([[True, False, True], [True, True, False]])
    np.testing.assert_allclose(
        observed_weights(D, observed), [[2**0.5, 0.0, 2**0.75], [2**0.8, 2**0.7, 0.0]]
    )
    # label means over the known degrees: 0.35, 0.3, 0.25; progress 1 -> base 2
    np.testing.assert_allclose(
        missing_weights(D, observed, 1.0), [[0.0, 2**0.3, 0.0], [0.0, 0.0, 2**0.25]]
    )
    # at progress 0 every unknown degree weighs 1
    np.testing.assert_allclose(missing_weights(D, observed, 0.0), ~observed * 1.0)


def test_a_single_unknown_degree_is_filled_in():
    D = np.array([[0.5, 0.0, 0.25], [0.2, 0.0, 0.0], [0.7, 0.6, 0.0]])
    observed = np.array([[True, False, True], [True, False, False], [True, True, False]])
    filled, mask = complete_single_missing(D, observed)
    np.testing.assert_allclose(filled, [[0.5, 0.25, 0.25], [0.2, 0.0, 0.0], [0.7, 0.6, 0.0]])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0], [1, 1, 1]])
    assert D[0, 1] == 0.0  # the input is not modified


def test_weighted_projection_by_hand_and_against_the_euclidean_one(rng):
    # c = (1, 3), b = (0.9, 0.9): z = (0.9 - lam, 0.9 - lam/3) summing to 1 -> lam = 0.6
    np.testing.assert_allclose(
        weighted_simplex_projection(np.array([[0.9, 0.9]]), np.array([[1.0, 3.0]])),
        [[0.3, 0.7]],
    )
    B = rng.normal(size=(50, 6))
    np.testing.assert_allclose(
        weighted_simplex_projection(B, np.ones_like(B)), project_rows_to_simplex(B), atol=1e-12
    )
    # optimality against random points of the simplex
    C = rng.random((50, 6)) + 0.1
    Z = weighted_simplex_projection(B, C)
    np.testing.assert_allclose(Z.sum(axis=1), 1.0)
    assert (Z >= 0).all()
    best = (C * (Z - B) ** 2).sum(axis=1)
    for _ in range(20):
        other = rng.dirichlet(np.ones(6), 50)
        assert ((C * (other - B) ** 2).sum(axis=1) >= best - 1e-12).all()


def test_complete_fit_is_the_all_observed_fit(linear_data):
    X, D = linear_data
    a = WInLDL().fit(X, D).coef_
    b = WInLDL().fit(X, D, observed=np.ones(D.shape, dtype=bool)).coef_
    np.testing.assert_allclose(a, b)


def test_unknown_entries_are_ignored(linear_data, rng):
    X, D = linear_data
    observed = observed_mask(random_missing(D, rate=0.4, random_state=0))
    a = WInLDL().fit(X, np.where(observed, D, 0.0), observed=observed)
    b = WInLDL().fit(X, np.where(observed, D, np.nan), observed=observed)
    c = WInLDL().fit(X, np.where(observed, D, rng.random(D.shape) * 0.01), observed=observed)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.coef_, c.coef_)


@pytest.mark.parametrize("z_step", ["project", "exact"])
def test_it_recovers_linear_distributions_and_beats_the_naive_fill(z_step, linear_data):
    X, D = linear_data
    hidden = random_missing(D, rate=0.4, random_state=1)
    observed = observed_mask(hidden)
    model = WInLDL(z_step=z_step).fit(X, np.nan_to_num(hidden), observed=observed)
    naive = WInLDL(z_step=z_step).fit(X, fill_missing(hidden))
    P = model.predict(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert kl_divergence(D, P) < 0.01
    assert kl_divergence(D, P) < kl_divergence(D, naive.predict(X))


def test_the_exact_z_step_reaches_the_constraint(linear_data):
    # with a feasible model ADMM's primal residual vanishes and the residual test stops it
    X, D = linear_data
    model = WInLDL(z_step="exact", max_iter=2000).fit(X, D)
    assert model.converged_ and model.n_iter_ < 2000
    np.testing.assert_allclose(X @ model.coef_, model.predict(X), atol=1e-2)


def test_bad_input_is_refused(linear_data):
    X, D = linear_data
    with pytest.raises(ValueError, match="rho"):
        WInLDL(rho=0.0).fit(X, D)
    with pytest.raises(ValueError, match="z_step"):
        WInLDL(z_step="fast").fit(X, D)
    with pytest.raises(TypeError, match="observed"):
        WInLDL().fit(X, D, observed=np.ones(D.shape))
    with pytest.raises(ValueError, match="observed"):
        WInLDL().fit(X, D, observed=np.ones((3, 3), dtype=bool))

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import KFold, cross_val_score

from ldlkit import simulation
from ldlkit.datasets import make_artificial
from ldlkit.metrics import cosine
from ldlkit.neighbors import AAKNN


def _distributions(n=40, L=5, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(L), size=n)


# --- Gaussian noise ------------------------------------------------------------------------------
@pytest.mark.parametrize("projection", ["clip", "simplex"])
def test_gaussian_noise_gives_distributions_and_is_seeded(projection):
    D = _distributions()
    a = simulation.gaussian_noise(D, std=0.3, projection=projection, random_state=3)
    b = simulation.gaussian_noise(D, std=0.3, projection=projection, random_state=3)
    c = simulation.gaussian_noise(D, std=0.3, projection=projection, random_state=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert (a >= 0).all()
    np.testing.assert_allclose(a.sum(axis=1), 1.0, atol=1e-12)


def test_gaussian_noise_by_hand():
    # the same normal draws as the function, added, clipped at 0 and renormalised
    D = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    noise = np.random.RandomState(7).normal(0.0, 0.2, size=D.shape)
    expected = np.maximum(D + noise, 0)
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(simulation.gaussian_noise(D, std=0.2, random_state=7), expected)
    np.testing.assert_array_equal(simulation.gaussian_noise(D, std=0.0), D)


def test_gaussian_noise_damage_grows_with_std():
    D = _distributions(300)
    scores = [
        cosine(D, simulation.gaussian_noise(D, std=s, random_state=0)) for s in (0.01, 0.1, 0.3)
    ]
    assert scores[0] > scores[1] > scores[2]


def test_a_row_whose_degrees_all_fall_below_zero_is_still_a_distribution():
    D = np.array([[0.5, 0.5]])
    out = simulation.gaussian_noise(D, std=0.01, mean=-5.0, random_state=0)
    np.testing.assert_allclose(out.sum(), 1.0)
    assert (out >= 0).all()


def test_simplex_projection_matches_a_direct_check():
    V = np.array([[0.2, 0.9, -0.3], [2.0, 2.0, 2.0], [0.1, 0.1, 0.1]])
    P = simulation._project_rows_to_simplex(V)
    np.testing.assert_allclose(P, [[0.15, 0.85, 0.0], [1 / 3] * 3, [1 / 3] * 3], atol=1e-12)


# --- missing degrees -----------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 0.95), st.booleans(), st.integers(0, 10_000))
def test_random_missing_hides_the_asked_fraction_and_keeps_the_rest(rate, weighted, seed):
    D = _distributions(30, 4, seed=1)
    hidden = simulation.random_missing(D, rate=rate, weighted=weighted, random_state=seed)
    observed = simulation.observed_mask(hidden)
    np.testing.assert_array_equal(hidden[observed], D[observed])
    assert observed.any(axis=1).all()  # keep_one
    target = round(rate * D.size)
    # only rows that lost every degree got one back
    assert target - D.shape[0] <= (~observed).sum() <= target
    again = simulation.random_missing(D, rate=rate, weighted=weighted, random_state=seed)
    np.testing.assert_array_equal(np.isnan(again), ~observed)


def test_random_missing_without_keep_one_can_empty_rows_and_weighting_prefers_small_degrees():
    D = _distributions(200, 6, seed=2)
    hidden = simulation.random_missing(D, rate=0.9, keep_one=False, random_state=0)
    assert np.isnan(hidden).sum() == round(0.9 * D.size)
    small = D < np.median(D)
    rates = []
    for weighted in (False, True):
        h = np.isnan(simulation.random_missing(D, rate=0.3, weighted=weighted, random_state=0))
        rates.append(h[small].mean() - h[~small].mean())
    assert rates[1] > rates[0]


def test_fill_missing_renormalises_the_observed_degrees():
    out = simulation.fill_missing([[0.5, np.nan, 0.25], [np.nan, np.nan, np.nan]])
    np.testing.assert_allclose(out, [[2 / 3, 0, 1 / 3], [1 / 3, 1 / 3, 1 / 3]])


# --- label exchange ------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 1.0), st.integers(0, 10_000))
def test_label_exchange_permutes_within_rows(rate, seed):
    D = _distributions(25, 5, seed=3)
    out = simulation.label_exchange(D, rate=rate, random_state=seed)
    np.testing.assert_allclose(np.sort(out, axis=1), np.sort(D, axis=1))
    np.testing.assert_array_equal(out, simulation.label_exchange(D, rate=rate, random_state=seed))


def test_label_exchange_rates():
    D = _distributions(400, 5, seed=4)
    assert np.array_equal(simulation.label_exchange(D, rate=0.0, random_state=0), D)
    # every row with a selected entry changes (distinct degrees, permutations that move something)
    out = simulation.label_exchange(D, rate=1.0, random_state=0)
    assert (out != D).any(axis=1).all()
    changed = [
        (simulation.label_exchange(D, rate=r, random_state=0) != D).any(axis=1).mean()
        for r in (0.05, 0.2, 0.5)
    ]
    assert changed[0] < changed[1] < changed[2]
    # a row is touched iff one of its 5 entries was selected: 1 - (1 - r)^5
    assert changed[1] == pytest.approx(1 - 0.8**5, abs=0.06)


# --- bad input -----------------------------------------------------------------------------------
def test_bad_arguments_are_clear_errors():
    D = _distributions(5)
    with pytest.raises(ValueError, match=r"std must be in \[0, inf\)"):
        simulation.gaussian_noise(D, std=-1)
    with pytest.raises(ValueError, match="projection must be 'clip' or 'simplex'"):
        simulation.gaussian_noise(D, projection="softmax")
    with pytest.raises(ValueError, match="mean must be a finite number"):
        simulation.gaussian_noise(D, mean=np.nan)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        simulation.random_missing(D, rate=1.0)
    with pytest.raises(TypeError, match="weighted must be True or False"):
        simulation.random_missing(D, weighted="yes")
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\]"):
        simulation.label_exchange(D, rate=1.5)
    with pytest.raises(ValueError, match="D row 0 sums to"):
        simulation.label_exchange(2 * D)


# --- the wrapper inside a protocol ---------------------------------------------------------------
def test_corrupted_training_corrupts_only_the_training_folds():
    X, D = make_artificial(120, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    clean = cross_val_score(AAKNN(), X, D, cv=cv)
    for simulator, params in (
        ("gaussian_noise", {"std": 0.3}),
        ("label_exchange", {"rate": 0.5}),
        ("random_missing", {"rate": 0.6}),
    ):
        model = simulation.CorruptedTraining(AAKNN(), simulator=simulator, params=params)
        damaged = cross_val_score(model, X, D, cv=cv)
        assert damaged.mean() < clean.mean(), simulator
        np.testing.assert_array_equal(damaged, cross_val_score(model, X, D, cv=cv))
        # the estimator saw exactly corrupt(D[train]); the clean test fold is what is scored
        train, test = next(cv.split(X))
        fitted = model.fit(X[train], D[train])
        seen = model.corrupt(D[train])
        if simulator == "random_missing":
            seen = simulation.fill_missing(seen)
        expected = AAKNN().fit(X[train], seen).predict(X[test])
        np.testing.assert_allclose(fitted.predict(X[test]), expected)


def test_corrupted_training_errors():
    X, D = make_artificial(20, random_state=0)
    with pytest.raises(ValueError, match="needs an estimator"):
        simulation.CorruptedTraining().fit(X, D)
    with pytest.raises(ValueError, match="simulator must be one of gaussian_noise"):
        simulation.CorruptedTraining(AAKNN(), simulator="swap").fit(X, D)
    with pytest.raises(ValueError, match="random_state to CorruptedTraining"):
        simulation.CorruptedTraining(AAKNN(), params={"random_state": 1}).fit(X, D)

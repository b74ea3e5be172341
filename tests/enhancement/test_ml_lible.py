"""ML and LIBLE: registration, the ML maths on a hand-checkable case, recovery on SJAFFE."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from ldlkit.base import all_estimators, get_tags
from ldlkit.datasets import make_artificial
from ldlkit.enhancement import ML, binarize
from ldlkit.metrics import cosine


@pytest.fixture(scope="module")
def toy():
    X, D = make_artificial(40, noise=0.05, random_state=3)
    return X, binarize(D)


@pytest.fixture(scope="module")
def sjaffe(load_real):
    X, D = load_real("SJAFFE")
    logical = binarize(D)
    return X, D, logical, logical / logical.sum(axis=1, keepdims=True)


def test_both_are_registered_with_fast_test_settings():
    registered = dict(all_estimators("le"))
    assert {"ML", "LIBLE"} <= set(registered)
    tags = get_tags(registered["LIBLE"]).ldl
    assert tags.requires_torch
    assert tags.test_params["max_epochs"] <= 2 and tags.test_params["pretrain_epochs"] <= 1
    assert not get_tags(registered["ML"]).ldl.requires_torch


# --- ML -------------------------------------------------------------------------------------------
def test_ml_numerical_labels_keep_the_signs_of_the_logical_labels_with_the_margin(toy):
    X, logical = toy
    est = ML(margin=0.5).fit(X, logical)
    mu = est.numerical_labels_
    assert np.all(mu[logical == 1] >= 0.5 - 1e-9)
    assert np.all(mu[logical == 0] <= -0.5 + 1e-9)
    np.testing.assert_allclose(est.label_distribution_.sum(axis=1), 1.0)


def test_ml_reconstruction_on_a_line_is_exact():
    # Evenly spaced points on a line: each point is an affine combination of its two nearest
    # neighbours, so labels linear along the line cost (almost, up to the LLE ridge) nothing.
    # The sign-constrained optimum is then such a line: the step labels given become a ramp.
    X = np.arange(8.0)[:, None]
    logical = np.array([[1, 0]] * 4 + [[0, 1]] * 4, dtype=float)
    est = ML(n_neighbors=2).fit(X, logical)
    mu = est.numerical_labels_
    assert np.all(np.diff(mu[:, 0]) < 0) and np.all(np.diff(mu[:, 1]) > 0)
    second_differences = np.diff(mu, n=2, axis=0)
    assert np.abs(second_differences).max() < 0.05 * np.abs(np.diff(mu, axis=0)).max()


def test_ml_is_deterministic_and_leaves_its_input_alone(toy):
    X, logical = toy
    before = logical.copy()
    first = ML().fit_transform(X, logical)
    np.testing.assert_array_equal(logical, before)
    np.testing.assert_array_equal(first, ML().fit_transform(X, logical))


def test_ml_recovers_sjaffe_better_than_the_logical_labels(sjaffe):
    # Measured (defaults): cosine 0.880 against 0.827 for the normalised logical labels.
    X, D, logical, trivial = sjaffe
    assert cosine(D, ML().fit_transform(X, logical)) > cosine(D, trivial) + 0.04


# --- LIBLE ----------------------------------------------------------------------------------------
def test_lible_is_seeded_and_leaves_the_global_rng_alone(toy):
    torch = pytest.importorskip("torch")
    from ldlkit.enhancement import LIBLE

    X, logical = toy
    params = {**get_tags(LIBLE).ldl.test_params, "random_state": 0}
    state = torch.get_rng_state()
    first = LIBLE(**params).fit_transform(X, logical)
    assert torch.equal(state, torch.get_rng_state())
    np.testing.assert_allclose(first, LIBLE(**params).fit_transform(X, logical))
    assert not np.allclose(first, LIBLE(**{**params, "random_state": 1}).fit_transform(X, logical))


def test_lible_noise_scale_variants_both_train(toy):
    pytest.importorskip("torch")
    from ldlkit.enhancement import LIBLE

    X, logical = toy
    for noise in ("std", "mean"):
        est = LIBLE(**get_tags(LIBLE).ldl.test_params, noise_scale=noise, random_state=0)
        D = est.fit_transform(X, logical)
        assert np.all(np.isfinite(est.loss_curve_)) and len(est.loss_curve_) == 3
        np.testing.assert_allclose(D.sum(axis=1), 1.0)


def test_lible_without_torch_names_the_extra(monkeypatch, toy):
    from ldlkit.enhancement import LIBLE

    monkeypatch.setitem(sys.modules, "torch", None)  # "import torch" now fails
    X, logical = toy
    with pytest.raises(ImportError, match=r"ldlkit\[torch\]"):
        LIBLE(**get_tags(LIBLE).ldl.test_params).fit(X, logical)


def test_lible_recovers_sjaffe_better_than_the_logical_labels(sjaffe):
    torch = pytest.importorskip("torch")
    from ldlkit.enhancement import LIBLE

    X, D, logical, trivial = sjaffe
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small networks: extra threads only contend on a shared machine
    try:
        recovered = LIBLE(random_state=0).fit_transform(X, logical)
    finally:
        torch.set_num_threads(threads)
    # Measured (defaults, seeds 0 and 1): cosine 0.934 and 0.938 against 0.827.
    assert cosine(D, recovered) > cosine(D, trivial) + 0.08

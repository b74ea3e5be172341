"""StructRF: gains and the adaptive scan by hand, clustering, leaves, seeding, real data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from ldlkit.ensemble import StructRF
from ldlkit.ensemble._structrf import cut_gains, two_means
from ldlkit.metrics import cosine, kl_divergence


def _h(p):
    return 0.0 if p in (0.0, 1.0) else -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


def test_cut_gains_by_hand():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 7.0]])
    labels = np.array([0, 0, 1, 1])
    gains, thresholds = cut_gains(X, labels)
    # feature 0: cuts at 1.5, 2.5, 3.5; the middle one separates the labels (gain 1 bit)
    np.testing.assert_allclose(thresholds[:, 0], [1.5, 2.5, 3.5])
    side = 1.0 - 3.0 / 4.0 * _h(1.0 / 3.0)
    np.testing.assert_allclose(gains[:, 0], [side, 1.0, side])
    # feature 1: only the cut between 5 and 7 exists (3 rows | 1 row), the others are ties
    assert np.isneginf(gains[:2, 1]).all()
    np.testing.assert_allclose(gains[2, 1], side)


def test_two_means_separates_two_groups():
    rng = np.random.RandomState(0)
    D = np.array([[0.9, 0.1], [0.85, 0.15], [0.1, 0.9], [0.2, 0.8], [0.15, 0.85]])
    labels = two_means(D, rng)
    assert len(set(labels[:2])) == 1 and len(set(labels[2:])) == 1 and labels[0] != labels[2]
    assert not two_means(np.tile([0.5, 0.5], (4, 1)), rng).any()  # nothing to split


@pytest.mark.parametrize(("alpha_n", "expected_cut"), [(4.0, 4), (6.0, 0)])
def test_adaptive_scan_strides_by_hand(alpha_n, expected_cut):
    # beta = 0: the step is floor(alpha * n / 2) whatever the gain; 2 visits cuts 0, 2, 4 and
    # finds the best (cut 4), 3 visits 0 and 3 and keeps cut 0
    gains = np.array([[0.5, 0.1, 0.9, 0.2, 1.0], [0.4, 0.3, 0.2, 0.1, 0.0]]).T
    model = StructRF(alpha=alpha_n / 10.0, beta=0.0)
    assert model._adaptive_scan(gains, 10) == (0, expected_cut)


def test_adaptive_scan_near_the_best_visits_every_cut():
    gains = np.array([[0.5, 0.6, 0.55, 0.7]]).T
    # beta = 8, n = 10, alpha = 0.25: steps floor(2.5 / (1 + exp(8 (r - 1/2)))) <= 1 at r >= 0.4
    assert StructRF()._adaptive_scan(gains, 10) == (0, 3)


def test_exhaustive_split_is_at_least_as_good_as_adaptive(rng):
    X = rng.normal(size=(200, 6))
    labels = (X[:, 3] + 0.3 * rng.normal(size=200) > 0.4).astype(int)
    gains, _ = cut_gains(X, labels)
    adaptive = StructRF(alpha=2.0)._adaptive_scan(gains, 200)
    assert gains[adaptive[1], adaptive[0]] <= gains.max()
    split = StructRF(search="exhaustive")._best_split(X, labels, rng)
    assert split[0] == 3


def test_a_stump_predicts_the_mean_of_its_rows(toy):
    X, D = toy
    model = StructRF(n_estimators=1, sampling_ratio=1.0, max_depth=0).fit(X, D)
    np.testing.assert_allclose(model.predict(X[:3]), np.tile(D.mean(axis=0), (3, 1)))
    assert len(model.trees_[0]["feature"]) == 1


def test_leaves_predict_their_rows_mean():
    X = np.array([[0.0], [0.1], [0.2], [0.8], [0.9], [1.0]])
    D = np.array([[0.8, 0.2], [0.7, 0.3], [0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.1, 0.9]])
    model = StructRF(n_estimators=1, sampling_ratio=1.0, max_depth=1, min_samples_split=2)
    P = model.fit(X, D).predict(np.array([[0.05], [0.95]]))
    np.testing.assert_allclose(P, [D[:3].mean(axis=0), D[3:].mean(axis=0)])
    assert model.trees_[0]["threshold"][0] == pytest.approx(0.5)


def test_same_seed_same_model_and_seed_matters(toy):
    X, D = toy
    make = lambda seed: StructRF(n_estimators=3, random_state=seed)  # noqa: E731
    np.testing.assert_array_equal(make(5).fit(X, D).predict(X), make(5).fit(X, D).predict(X))
    assert not np.allclose(make(5).fit(X, D).predict(X), make(6).fit(X, D).predict(X))


@pytest.mark.parametrize(
    "params, name",
    [
        ({"n_estimators": 0}, "n_estimators"),
        ({"sampling_ratio": 0.0}, "sampling_ratio"),
        ({"search": "greedy"}, "search"),
        ({"min_samples_split": 1}, "min_samples_split"),
        ({"alpha": -0.1}, "alpha"),
    ],
)
def test_bad_parameters_name_themselves(params, name, toy):
    X, D = toy
    with pytest.raises(ValueError, match=name):
        StructRF(**params).fit(X, D)


def test_learns_better_than_the_training_mean(load_real):
    X, D = load_real("SJAFFE")
    X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.2, random_state=0)
    P = StructRF(n_estimators=10, random_state=0).fit(X_train, D_train).predict(X_test)
    mean = np.tile(D_train.mean(axis=0), (len(D_test), 1))
    assert kl_divergence(D_test, P) < 0.9 * kl_divergence(D_test, mean)
    assert cosine(D_test, P) > cosine(D_test, mean) + 0.005

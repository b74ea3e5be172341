"""AdaBoostLDL: the ranking loss by hand, the resampling update, the vote, seeding, real data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from ldlkit.dummy import MeanPredictor
from ldlkit.ensemble import AdaBoostLDL, ranking_loss_rows
from ldlkit.metrics import cosine, kl_divergence
from ldlkit.neighbors import AAKNN


def test_ranking_loss_by_hand():
    D = np.array([[0.6, 0.3, 0.1], [0.1, 0.3, 0.6], [0.5, 0.2, 0.3]])
    P = np.array([[0.2, 0.5, 0.3], [0.1, 0.3, 0.6], [0.1, 0.3, 0.6]])
    norm = 1.0 + 1.0 / np.log2(3.0)
    # row 0, true order (0, 1, 2), predicted (0.2, 0.5, 0.3): the top label is beaten by both
    # others (0.3 + 0.1, weight 1); the second beats the third (no loss)
    # row 1: the same order predicted: no loss
    # row 2, true order (0, 2, 1), predicted (0.1, 0.6, 0.3): top beaten by 0.5 and 0.2 (weight
    # 1); second (0.6) above third (0.3): no loss
    expected = np.array([0.4, 0.0, 0.7]) / norm
    np.testing.assert_allclose(ranking_loss_rows(D, P), expected)
    # a misorder lower down is discounted by 1 / log2(3)
    low = ranking_loss_rows(np.array([[0.6, 0.3, 0.1]]), np.array([[0.6, 0.1, 0.3]]))
    np.testing.assert_allclose(low, [0.2 / np.log2(3.0) / norm])


def test_resampling_update_and_vote_by_hand(toy):
    X, D = toy
    model = AdaBoostLDL(estimator=MeanPredictor(), n_estimators=4, alpha=0.5, random_state=0)
    model.fit(X, D)
    n = len(X)
    p = np.full(n, 1.0 / n)
    for m, est in enumerate(model.estimators_):
        np.testing.assert_allclose(model.sample_probabilities_[m], p)
        loss = ranking_loss_rows(D, est.predict(X))
        np.testing.assert_allclose(model.losses_[m], loss)
        p = p + 0.5 * loss / model.losses_[: m + 1].sum()
        p /= p.sum()
    weights = model.losses_.sum(axis=1) / model.losses_.sum()
    np.testing.assert_allclose(model.estimator_weights_, weights)
    vote = sum(w * est.predict(X) for w, est in zip(weights, model.estimators_, strict=True))
    np.testing.assert_allclose(model.predict(X), vote)


def test_rows_ranked_worse_are_drawn_more_often(toy):
    X, D = toy
    model = AdaBoostLDL(estimator=MeanPredictor(), n_estimators=2, random_state=0).fit(X, D)
    worst, best = np.argmax(model.losses_[0]), np.argmin(model.losses_[0])
    assert model.sample_probabilities_[1, worst] > model.sample_probabilities_[1, best]


@pytest.mark.parametrize("weighting", ["inverse_loss", "uniform"])
def test_other_weightings(weighting, toy):
    X, D = toy
    model = AdaBoostLDL(estimator=AAKNN(k=3), n_estimators=3, weighting=weighting, random_state=0)
    weights = model.fit(X, D).estimator_weights_
    totals = model.losses_.sum(axis=1)
    expected = np.full(3, 1 / 3) if weighting == "uniform" else (1 / totals) / (1 / totals).sum()
    np.testing.assert_allclose(weights, expected)


def test_same_seed_same_model_and_seed_matters(toy):
    X, D = toy
    make = lambda seed: AdaBoostLDL(estimator=AAKNN(k=3), n_estimators=3, random_state=seed)  # noqa: E731
    np.testing.assert_array_equal(make(1).fit(X, D).predict(X), make(1).fit(X, D).predict(X))
    assert not np.allclose(make(1).fit(X, D).predict(X), make(2).fit(X, D).predict(X))


@pytest.mark.parametrize(
    "params, name",
    [
        ({"n_estimators": 0}, "n_estimators"),
        ({"alpha": -1.0}, "alpha"),
        ({"weighting": "vote"}, "weighting"),
        ({"estimator": "SABFGS"}, "estimator"),
    ],
)
def test_bad_parameters_name_themselves(params, name, toy):
    X, D = toy
    with pytest.raises((ValueError, TypeError), match=name):
        AdaBoostLDL(**params).fit(X, D)


def test_learns_better_than_the_training_mean(load_real):
    X, D = load_real("SJAFFE")
    X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.2, random_state=0)
    P = AdaBoostLDL(random_state=0).fit(X_train, D_train).predict(X_test)
    mean = np.tile(D_train.mean(axis=0), (len(D_test), 1))
    assert kl_divergence(D_test, P) < 0.9 * kl_divergence(D_test, mean)
    assert cosine(D_test, P) > cosine(D_test, mean) + 0.01

"""LDLogitBoost: one round by hand, the loss per round, seeding, bad input, real data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax, softmax
from sklearn.model_selection import train_test_split

from ldlkit.ensemble import LDLogitBoost
from ldlkit.ensemble._tree_arrays import route
from ldlkit.metrics import cosine, kl_divergence


def test_one_round_by_hand():
    # two distinct rows: a fully grown tree reproduces each row's working response exactly
    X = np.array([[0.0], [1.0]])
    D = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    model = LDLogitBoost(n_estimators=1, learning_rate=0.5).fit(X, D)
    p = 1.0 / 3.0
    Z = (D - p) / (p * (1.0 - p))
    F = 0.5 * (2.0 / 3.0) * (Z - Z.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(model.predict(X), softmax(F, axis=1), rtol=1e-9)
    np.testing.assert_allclose(model.train_loss_[0], np.mean(np.sum(D * np.log(D / p), axis=1)))


def test_samples_centering_subtracts_the_training_mean_of_each_tree():
    X = np.array([[0.0], [1.0], [2.0]])
    D = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.3, 0.4, 0.3]])
    model = LDLogitBoost(n_estimators=1, learning_rate=0.5, centering="samples").fit(X, D)
    p = 1.0 / 3.0
    Z = (D - p) / (p * (1.0 - p))
    np.testing.assert_allclose(model.offsets_[0], Z.mean(axis=0), atol=1e-9)
    F = 0.5 * (2.0 / 3.0) * (Z - Z.mean(axis=0))
    np.testing.assert_allclose(model.predict(X), softmax(F, axis=1), rtol=1e-9)
    # the offsets are the training rows': a row's prediction does not depend on its batch
    np.testing.assert_allclose(model.predict(X[:1]), model.predict(X)[:1], rtol=1e-9)


@pytest.mark.parametrize("max_depth", [None, 2])
def test_training_loss_decreases_every_round(max_depth, toy):
    X, D = toy
    model = LDLogitBoost(n_estimators=15, learning_rate=0.1, max_depth=max_depth, random_state=0)
    loss = model.fit(X, D).train_loss_
    assert loss.shape == (16,)
    assert np.all(np.diff(loss) < 0)
    P = model.predict(X)
    np.testing.assert_allclose(loss[-1], kl_divergence(D, P, eps=1e-300), rtol=1e-9)


def test_clipping_bounds_the_working_responses():
    X = np.array([[0.0], [1.0]])
    D = np.array([[0.98, 0.01, 0.01], [0.01, 0.01, 0.98]])
    clipped = LDLogitBoost(n_estimators=1, max_response=1.0).fit(X, D)
    tree_outputs = np.column_stack([route(t, X) for t in clipped.trees_[0]])
    assert np.abs(tree_outputs).max() == pytest.approx(1.0)
    free = LDLogitBoost(n_estimators=1).fit(X, D)
    assert np.abs(np.column_stack([route(t, X) for t in free.trees_[0]])).max() == pytest.approx(
        (0.98 - 1 / 3) * 4.5
    )


def test_same_seed_same_model_and_seed_matters(toy):
    X, D = toy
    make = lambda seed: LDLogitBoost(  # noqa: E731
        n_estimators=5, max_features=1, max_depth=3, random_state=seed
    )
    np.testing.assert_array_equal(make(3).fit(X, D).predict(X), make(3).fit(X, D).predict(X))
    assert not np.allclose(make(3).fit(X, D).predict(X), make(4).fit(X, D).predict(X))


@pytest.mark.parametrize(
    "params, name",
    [
        ({"n_estimators": 0}, "n_estimators"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"centering": "rows"}, "centering"),
        ({"max_response": -1.0}, "max_response"),
        ({"max_depth": 0}, "max_depth"),
    ],
)
def test_bad_parameters_name_themselves(params, name, toy):
    X, D = toy
    with pytest.raises(ValueError, match=name):
        LDLogitBoost(**params).fit(X, D)


def test_learns_better_than_the_training_mean(load_real):
    X, D = load_real("SJAFFE")
    X_train, X_test, D_train, D_test = train_test_split(X, D, test_size=0.2, random_state=0)
    P = LDLogitBoost(n_estimators=30, random_state=0).fit(X_train, D_train).predict(X_test)
    mean = np.tile(D_train.mean(axis=0), (len(D_test), 1))
    assert kl_divergence(D_test, P) < 0.9 * kl_divergence(D_test, mean)
    assert cosine(D_test, P) > cosine(D_test, mean) + 0.01


def test_tree_arrays_predict_as_the_scikit_learn_tree(rng):
    from sklearn.tree import DecisionTreeRegressor

    from ldlkit.ensemble._tree_arrays import tree_arrays

    X, y = rng.normal(size=(80, 5)), rng.normal(size=80)
    tree = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y)
    X_new = rng.normal(size=(40, 5))
    routed = route(tree_arrays(tree), X_new.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(routed, tree.predict(X_new))


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_route_many_routes_as_route_tree_by_tree(rng, chunk):
    from sklearn.tree import DecisionTreeRegressor

    from ldlkit.ensemble._tree_arrays import route_many, tree_arrays

    X, Y = rng.normal(size=(60, 4)), rng.normal(size=(60, 3))
    trees = [
        tree_arrays(DecisionTreeRegressor(max_depth=d, random_state=0).fit(X, Y[:, j % 3]))
        for j, d in enumerate([1, 3, None, 5])
    ]
    X_new = rng.normal(size=(25, 4))
    expected = np.column_stack([route(tree, X_new) for tree in trees])
    np.testing.assert_array_equal(route_many(trees, X_new, chunk=chunk), expected)
    # rows of values (as a forest's leaves hold distributions) come back per tree
    for tree in trees:
        tree["value"] = np.column_stack([tree["value"], -tree["value"]])
    stacked = route_many(trees, X_new, chunk=chunk)
    assert stacked.shape == (25, 4, 2)
    np.testing.assert_array_equal(stacked[:, :, 1], -expected)


@pytest.mark.parametrize("centering", ["labels", "samples"])
def test_predict_is_the_round_by_round_sum_of_the_trees(toy, centering):
    X, D = toy
    model = LDLogitBoost(n_estimators=8, centering=centering, random_state=0).fit(X, D)
    X_new = X[::2] + 0.01
    X64 = X_new.astype(np.float32).astype(np.float64)
    F = np.zeros((len(X_new), D.shape[1]))
    for round_trees, offset in zip(model.trees_, model.offsets_):
        outputs = np.column_stack([route(tree, X64) for tree in round_trees]) - offset
        if centering == "labels":
            outputs = outputs - outputs.mean(axis=1, keepdims=True)
        F += 0.05 * (D.shape[1] - 1) / D.shape[1] * outputs
    # before the estimator contract's output normalisation
    np.testing.assert_array_equal(model._predict(X_new), np.exp(log_softmax(F, axis=1)))

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import KFold, cross_validate

from ldlkit.datasets import make_artificial
from ldlkit.dummy import MeanPredictor
from ldlkit.metrics import label_subset_euclidean, make_scorers
from ldlkit.model_selection import (
    ImbalancedSplit,
    RepeatedKFold,
    builtin_parameters,
    get_protocol,
    imbalanced_parameters,
    imbalanced_subset,
)

ILDL_PARAMETERS = builtin_parameters()


@pytest.mark.parametrize(("n_splits", "n_repeats"), [(5, 10), (10, 10), (10, 1), (3, 2)])
def test_every_row_tested_once_per_repeat(n_splits, n_repeats):
    n = 103
    cv = RepeatedKFold(n_splits, n_repeats, random_state=1)
    splits = list(cv.split(np.zeros((n, 2))))
    assert len(splits) == cv.get_n_splits() == n_splits * n_repeats
    for r in range(n_repeats):
        counts = np.zeros(n, dtype=int)
        for train, test in splits[r * n_splits : (r + 1) * n_splits]:
            assert np.intersect1d(train, test).size == 0
            assert len(train) + len(test) == n
            counts[test] += 1
        np.testing.assert_array_equal(counts, 1)
    assert cv.split_position(n_splits + 1) == (1, 1)


def test_seeding_is_reproducible_and_seed_matters():
    X = np.zeros((50, 1))
    a = [t.tolist() for _, t in RepeatedKFold(5, 3, random_state=7).split(X)]
    b = [t.tolist() for _, t in RepeatedKFold(5, 3, random_state=7).split(X)]
    c = [t.tolist() for _, t in RepeatedKFold(5, 3, random_state=8).split(X)]
    assert a == b
    assert a != c
    # The repeats differ from each other.
    assert a[:5] != a[5:10]


def test_single_repeat_is_shuffled_kfold():
    X = np.zeros((40, 1))
    ours = [t.tolist() for _, t in RepeatedKFold(10, 1, random_state=0).split(X)]
    theirs = [t.tolist() for _, t in KFold(10, shuffle=True, random_state=0).split(X)]
    assert ours == theirs


def test_presets_and_cross_validate():
    assert get_protocol("UAKNN").get_n_splits() == 50
    assert get_protocol("conle").get_n_splits() == 100
    assert get_protocol("amema").get_n_splits() == 10
    with pytest.raises(ValueError, match="unknown protocol"):
        get_protocol("nope")
    X, D = make_artificial(60, random_state=0)
    scores = cross_validate(
        MeanPredictor(), X, D, cv=RepeatedKFold(3, 2), scoring=make_scorers(["cosine"])
    )
    assert len(scores["test_cosine"]) == 6


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_splits"):
        RepeatedKFold(1, 2)
    with pytest.raises(ValueError, match="n_repeats"):
        RepeatedKFold(5, 0)
    with pytest.raises(ValueError, match="random_state"):
        RepeatedKFold(5, 2, random_state="a")
    with pytest.raises(ValueError, match="fewer than n_splits"):
        list(RepeatedKFold(5, 1).split(np.zeros((3, 1))))


def _direct_subset(D, a, b, c, d):
    L = D.shape[1]
    rows = set(np.where((D[:, c] < a / L) & (D[:, d] > b / L))[0].tolist())
    for j in range(L):
        rows.add(int(np.argmax(D[:, j])))
    return sorted(rows)


def test_imbalanced_subset_matches_direct_computation(rng):
    D = rng.dirichlet(np.full(4, 0.7), size=300)
    for params in [(1, 1.5, 2, 0), (2, 0.1, 1, 3), (0.8, 1, 3, 0)]:
        assert imbalanced_subset(D, params).tolist() == _direct_subset(D, *params)


def test_imbalanced_split_train_subset_and_untouched_test(rng):
    X = rng.normal(size=(200, 3))
    D = rng.dirichlet(np.ones(4), size=200)
    params = (1.2, 1.2, 1, 0)
    cv = ImbalancedSplit(params, n_splits=5, random_state=3)
    kfold = list(KFold(5, shuffle=True, random_state=3).split(X))
    seen = np.zeros(200, dtype=int)
    for (train, test), (full_train, full_test) in zip(cv.split(X, D), kfold):
        np.testing.assert_array_equal(test, full_test)
        expected = full_train[_direct_subset(D[full_train], *params)]
        np.testing.assert_array_equal(np.sort(train), np.sort(expected))
        assert np.intersect1d(train, test).size == 0
        seen[test] += 1
    np.testing.assert_array_equal(seen, 1)
    assert cv.get_n_splits() == 5


def test_head_tail_rule(rng):
    # Label 0 carries almost all mass: it must be the only head label.
    D = rng.dirichlet([60, 2, 1, 1], size=120)
    cv = ImbalancedSplit((10, 0, 0, 0), n_splits=4)  # keeps every row
    mass = cv.label_mass(None, D)
    head, tail = cv.head_tail(None, D)
    assert head == [j for j in range(4) if mass[j] > 10 * mass.min()]
    assert sorted(head + tail) == [0, 1, 2, 3]
    assert 0 in head


def test_parameters_lookup():
    assert imbalanced_parameters("movie") == ILDL_PARAMETERS["Movie"]
    assert imbalanced_parameters("SCUT-FBP") == (2, 0.1, 2, 4)
    assert imbalanced_parameters("Emotion6") == imbalanced_parameters("emotion6")
    assert imbalanced_parameters("raf-ml") == (5, 3.5, 2, 1)
    assert imbalanced_parameters("natural scene") == (5, 2, 0, 4)
    assert imbalanced_parameters("Flickr") == (0.8, 1, 2, 4)
    with pytest.raises(ValueError, match="no built-in ILDL parameters"):
        imbalanced_parameters("SJAFFE")
    with pytest.raises(ValueError, match="parameters"):
        ImbalancedSplit()
    with pytest.raises(ValueError, match="label index"):
        list(ImbalancedSplit((1, 1, 7, 0)).split(None, np.full((20, 3), 1 / 3)))
    with pytest.raises(ValueError, match="needs the label distributions"):
        list(ImbalancedSplit((1, 1, 0, 1)).split(np.zeros((20, 2))))


def test_label_subset_euclidean():
    D = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    P = np.array([[0.4, 0.4, 0.2], [0.3, 0.3, 0.4]])
    expected = np.mean(np.sqrt(((D - P)[:, [1, 2]] ** 2).sum(axis=1)))
    assert label_subset_euclidean(D, P, [1, 2]) == pytest.approx(expected)
    assert label_subset_euclidean(D, P, []) == 0.0
    with pytest.raises(ValueError, match="labels"):
        label_subset_euclidean(D, P, [3])


def test_movie_protocol(load_real):
    X, D = load_real("Movie")
    cv = ImbalancedSplit(dataset="Movie")
    sizes = [len(train) for train, _ in cv.split(X, D)]
    assert len(sizes) == 10
    assert all(122 <= s <= 132 for s in sizes), sizes
    head, tail = cv.head_tail(X, D)
    assert head == [0]
    assert tail == [1, 2, 3, 4]


def test_imbalanced_split_inside_sklearn_tools(rng):
    from sklearn.model_selection import GridSearchCV

    X = rng.normal(size=(150, 3))
    D = rng.dirichlet([4, 2, 1], size=150)
    cv = ImbalancedSplit((1.5, 1.2, 2, 0), n_splits=5, random_state=0)
    scores = cross_validate(
        MeanPredictor(), X, D, cv=cv, scoring=make_scorers(["cosine"]), return_indices=True
    )
    ours = list(cv.split(X, D))
    assert len(scores["test_cosine"]) == 5
    for got, (train, _) in zip(scores["indices"]["train"], ours):
        np.testing.assert_array_equal(got, train)
    for got, (_, test) in zip(scores["indices"]["test"], ours):
        np.testing.assert_array_equal(got, test)
    search = GridSearchCV(
        MeanPredictor(), {}, cv=cv, scoring=make_scorers(["cosine"])["cosine"]
    ).fit(X, D)
    assert np.isfinite(search.best_score_)


def test_imbalanced_split_argument_errors():
    with pytest.raises(ValueError, match="random_state"):
        ImbalancedSplit((1, 2, 2, 0), random_state="seed")
    with pytest.raises(ValueError, match="a='x' must be a finite number"):
        list(ImbalancedSplit(("x", 2, 2, 0)).split(None, np.full((20, 3), 1 / 3)))
    with pytest.raises(ValueError, match="four values"):
        ImbalancedSplit((1, 2, 2))


@pytest.mark.parametrize("name", ["Movie", "emotion6", "SCUT_FBP"])
def test_imbalanced_split_on_real_data_matches_the_rule(load_real, name):
    """The whole splitter against KFold plus a loop-by-loop reading of REFERENCE.md's rule."""
    X, D = load_real(name)
    a, b, c, d = ILDL_PARAMETERS[name]
    L = D.shape[1]
    folds = KFold(10, shuffle=True, random_state=0).split(X)
    for (train, test), (full_train, full_test) in zip(
        ImbalancedSplit(dataset=name).split(X, D), folds
    ):
        kept = {i for i in full_train if D[i, c] < a / L and D[i, d] > b / L}
        kept |= {int(full_train[np.argmax(D[full_train, j])]) for j in range(L)}
        assert sorted(train.tolist()) == sorted(kept)
        np.testing.assert_array_equal(test, full_test)

"""TunedUAKNN (inner-CV selection, exact incremental learning) and LDLEnsemble."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from ldlkit.base import all_estimators
from ldlkit.datasets import make_artificial
from ldlkit.dummy import MeanPredictor
from ldlkit.metrics import kl_divergence
from ldlkit.neighbors import AAKNN, UAKNN, WUAKNN, LDLEnsemble, TunedUAKNN


def test_selection_uses_the_inner_cv_best():
    X, D = make_artificial(150, random_state=0)
    model = TunedUAKNN(random_state=0).fit(X, D)
    scores = model.cv_results_["mean_score"]
    assert len(scores) == len(model.cv_results_["params"]) == 4 * 4 * 3 * 2
    assert model.best_params_ == model.cv_results_["params"][int(np.argmin(scores))]


def test_tiny_training_sets_skip_tuning():
    X, D = make_artificial(4, random_state=0)
    model = TunedUAKNN().fit(X, D)
    assert model.best_params_["temperature"] == 0.1
    assert model.predict(X).shape == (4, 3)


def test_partial_fit_and_remove_equal_fit():
    X, D = make_artificial(160, random_state=1)
    whole = TunedUAKNN(random_state=2).fit(X[:140], D[:140])
    grown = TunedUAKNN(random_state=2).fit(X[:50], D[:50]).partial_fit(X[50:140], D[50:140])
    assert grown.best_params_ == whole.best_params_
    np.testing.assert_array_equal(grown.predict(X[140:]), whole.predict(X[140:]))
    grown.remove(np.arange(10))
    ref = TunedUAKNN(random_state=2).fit(X[10:140], D[10:140])
    np.testing.assert_array_equal(grown.predict(X[140:]), ref.predict(X[140:]))


def test_tuning_never_sees_the_query_rows():
    X, D = make_artificial(120, random_state=3)
    a = TunedUAKNN(random_state=0).fit(X[:100], D[:100])
    before = a.predict(X[100:])
    D_changed = D.copy()
    D_changed[100:] = D_changed[100:, ::-1]
    b = TunedUAKNN(random_state=0).fit(X[:100], D_changed[:100])
    np.testing.assert_array_equal(b.predict(X[100:]), before)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_neighbors": ()}, "n_neighbors"),
        ({"temperatures": (0.0,)}, "temperatures"),
        ({"shrinkages": (1.0,)}, "shrinkages"),
        ({"prototype_matching": ("x",)}, "prototype_matching"),
        ({"cv": 1}, "cv"),
        ({"scoring": "nope"}, "unknown metric"),
    ],
)
def test_tuned_bad_parameters(params, match):
    X, D = make_artificial(30, random_state=0)
    with pytest.raises(ValueError, match=match):
        TunedUAKNN(**params).fit(X, D)


def test_ensemble_default_is_five_seeded_uaknn():
    X, D = make_artificial(80, random_state=4)
    ens = LDLEnsemble(random_state=0).fit(X[:60], D[:60])
    assert [m.variance for m in ens.estimators_] == [0.1, 0.3, 0.5, 0.7, 0.9]
    pred = ens.predict(X[60:])
    mean = np.mean([m.predict(X[60:]) for m in ens.estimators_], axis=0)
    np.testing.assert_allclose(pred, mean, atol=1e-12)
    again = clone(ens).fit(X[:60], D[:60])
    np.testing.assert_array_equal(again.predict(X[60:]), pred)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(ens)).predict(X[60:]), pred)


def test_ensemble_partial_fit_and_mixed_members():
    X, D = make_artificial(90, random_state=5)
    members = [AAKNN(k=3), UAKNN(weights="expected"), WUAKNN()]
    whole = LDLEnsemble(estimators=members, random_state=1).fit(X[:70], D[:70])
    grown = LDLEnsemble(estimators=members, random_state=1).fit(X[:20], D[:20])
    grown.partial_fit(X[20:70], D[20:70])
    np.testing.assert_array_equal(grown.predict(X[70:]), whole.predict(X[70:]))
    assert members[0].get_params()["k"] == 3 and not hasattr(members[0], "index_")


def test_ensemble_remove_equals_fit_on_the_remaining_rows():
    X, D = make_artificial(90, random_state=7)
    members = [AAKNN(k=3), UAKNN(), WUAKNN(), TunedUAKNN()]
    model = LDLEnsemble(estimators=members, random_state=2).fit(X[:70], D[:70])
    model.remove([0, 5, -1])
    keep = np.setdiff1d(np.arange(70), [0, 5, 69])
    ref = LDLEnsemble(estimators=members, random_state=2).fit(X[keep], D[keep])
    np.testing.assert_array_equal(model.predict(X[70:]), ref.predict(X[70:]))
    assert all(member.n_train_ == 67 for member in model.estimators_)
    with pytest.raises(ValueError, match="indices"):
        model.remove([500])


def test_ensemble_remove_needs_members_that_remove():
    from ldlkit.dummy import MeanPredictor

    X, D = make_artificial(30, random_state=0)
    model = LDLEnsemble(estimators=[AAKNN(k=2), MeanPredictor()]).fit(X, D)
    assert not hasattr(model, "remove")  # the tag says so before anything is touched
    with pytest.raises(AttributeError, match="has no attribute 'remove'"):
        model.remove([0])
    assert hasattr(LDLEnsemble(estimators=[AAKNN(k=2)]), "remove")
    assert model.estimators_[0].n_train_ == 30  # nothing was removed from the first member


def test_ensemble_rejects_bad_members():
    X, D = make_artificial(20, random_state=0)
    with pytest.raises(ValueError, match="estimators"):
        LDLEnsemble(estimators=[object()]).fit(X, D)
    with pytest.raises(ValueError, match="empty"):
        LDLEnsemble(estimators=[]).fit(X, D)


def test_every_family_member_is_registered():
    names = dict(all_estimators("ldl"))
    for cls in (AAKNN, UAKNN, WUAKNN, TunedUAKNN, LDLEnsemble):
        assert names[cls.__name__] is cls


@pytest.mark.parametrize("cls", [AAKNN, UAKNN, WUAKNN, TunedUAKNN, LDLEnsemble])
def test_tiny_inputs(cls):
    X, D = make_artificial(2, random_state=0)
    model = cls().fit(X, D)
    pred = model.predict(X[:1])
    assert pred.shape == (1, 3)
    np.testing.assert_allclose(pred.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "make, ratio",
    [(lambda: TunedUAKNN(random_state=0), 0.75), (lambda: LDLEnsemble(random_state=0), 0.92)],
)
def test_learns_on_sjaffe(load_real, make, ratio):
    X, D = load_real("SJAFFE")
    rng = np.random.default_rng(0)
    test = rng.permutation(len(X))[:43]
    train = np.setdiff1d(np.arange(len(X)), test)
    kl = kl_divergence(D[test], make().fit(X[train], D[train]).predict(X[test]))
    base = kl_divergence(D[test], MeanPredictor().fit(X[train], D[train]).predict(X[test]))
    assert kl < ratio * base


def test_retune_false_appends_without_reselecting():
    X, D = make_artificial(160, random_state=6)
    model = TunedUAKNN(random_state=0, retune=False).fit(X[:100], D[:100])
    chosen, mean = dict(model.best_params_), model.mean_.copy()
    model.partial_fit(X[100:140], D[100:140])
    assert model.best_params_ == chosen and np.array_equal(model.mean_, mean)
    assert model.n_train_ == 140
    # The appended rows are searched with the frozen scaling: the same as scaling them by hand.
    np.testing.assert_array_equal(
        model.index_.exact_rows[100:], model.index_._prepare(model._scale(X[100:140]))[0]
    )
    model.remove(np.arange(100, 140))
    fresh = TunedUAKNN(random_state=0, retune=False).fit(X[:100], D[:100])
    np.testing.assert_array_equal(model.predict(X[140:]), fresh.predict(X[140:]))

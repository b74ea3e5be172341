"""Stable sample ids, remove_ids, replay from a log, predict beside concurrent appends, and the
kNN faults (bad remove ids, too-large k, tuning-size and huge-feature errors)."""

from __future__ import annotations

import pickle
import threading
import warnings

import numpy as np
import pytest

from ldlkit.datasets import make_artificial
from ldlkit.neighbors import AAKNN, UAKNN, WUAKNN, LDLEnsemble, TunedUAKNN

MODELS = {
    "UAKNN": lambda: UAKNN(random_state=0),
    "WUAKNN": WUAKNN,
    "AAKNN": lambda: AAKNN(k=3),
    "TunedUAKNN": lambda: TunedUAKNN(random_state=0, n_neighbors=(2, 4), cv=2),
    "TunedUAKNN(retune=False)": lambda: TunedUAKNN(
        random_state=0, n_neighbors=(2, 4), cv=2, retune=False
    ),
    "LDLEnsemble": lambda: LDLEnsemble(estimators=[AAKNN(k=2), UAKNN()], random_state=0),
}


@pytest.fixture(scope="module")
def data():
    return make_artificial(160, random_state=3)


@pytest.mark.parametrize("name", list(MODELS))
def test_ids_start_at_zero_continue_and_are_never_reused(name, data):
    X, D = data
    model = MODELS[name]().fit(X[:40], D[:40])
    np.testing.assert_array_equal(model.sample_ids_, np.arange(40))
    assert model.sample_ids_.dtype == np.int64
    with pytest.raises(ValueError):
        model.sample_ids_[0] = 7  # read-only
    model.partial_fit(X[40:50], D[40:50])
    np.testing.assert_array_equal(model.sample_ids_, np.arange(50))
    model.remove_ids([49, 3])  # the largest id goes: it is still never given again
    assert 49 not in model.sample_ids_ and 3 not in model.sample_ids_
    model.partial_fit(X[50:52], D[50:52])
    np.testing.assert_array_equal(model.sample_ids_[-2:], [50, 51])
    model.remove([0])  # positions still work, and take the ids with them
    assert model.sample_ids_[0] == 1
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.sample_ids_, model.sample_ids_)
    loaded.partial_fit(X[52:53], D[52:53])
    assert loaded.sample_ids_[-1] == 52
    np.testing.assert_array_equal(loaded.predict(X[100:]), loaded.predict(X[100:]))


@pytest.mark.parametrize("name", ["UAKNN", "TunedUAKNN", "LDLEnsemble"])
def test_unknown_ids_raise_a_value_error_naming_them_and_remove_nothing(name, data):
    X, D = data
    model = MODELS[name]().fit(X[:30], D[:30])
    model.remove_ids([5])
    before_ids, before = model.sample_ids_.copy(), model.predict(X[100:])
    for bad, named in [([5], "5"), ([1, 2, 999], "999"), ([-1], "-1"), ([2**64 - 1], "1844")]:
        ids = np.array(bad, dtype=np.uint64) if bad == [2**64 - 1] else bad
        with pytest.raises(ValueError, match=rf"ids not held by the model: {named}"):
            model.remove_ids(ids)
        np.testing.assert_array_equal(model.sample_ids_, before_ids)
        np.testing.assert_array_equal(model.predict(X[100:]), before)
    with pytest.raises(ValueError, match="must be integers"):
        model.remove_ids([1.5])


def test_remove_with_a_huge_unsigned_position_raises_and_removes_nothing(data):
    # Today's code cast uint64 2**64-1 to int64 -1 and silently removed the last row.
    X, D = data
    model = UAKNN(random_state=0).fit(X[:30], D[:30])
    with pytest.raises(ValueError, match="indices must lie in"):
        model.remove(np.array([2**64 - 1], dtype=np.uint64))
    assert model.n_train_ == 30


def _replay(model_factory, X, D, log):
    model = model_factory().fit(X[:40], D[:40])
    for op, arg in log:
        if op == "append":
            model.partial_fit(X[arg], D[arg])
        else:
            model.remove_ids(arg)
    return model


@pytest.mark.parametrize("name", ["UAKNN", "AAKNN", "TunedUAKNN", "LDLEnsemble"])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_replayed_log_gives_identical_ids_and_predictions(name, seed, data):
    X, D = data
    rng = np.random.default_rng(seed)
    live = MODELS[name]().fit(X[:40], D[:40])
    log, next_row = [], 40
    for _ in range(6):
        if rng.random() < 0.6 or len(live.sample_ids_) < 10:
            rows = np.arange(next_row, next_row + int(rng.integers(1, 8)))
            next_row = rows[-1] + 1
            live.partial_fit(X[rows], D[rows])
            log.append(("append", rows))
        else:
            ids = rng.choice(live.sample_ids_, size=int(rng.integers(1, 4)), replace=False)
            live.remove_ids(ids)
            log.append(("remove", ids))
    replayed = _replay(MODELS[name], X, D, log)
    np.testing.assert_array_equal(replayed.sample_ids_, live.sample_ids_)
    np.testing.assert_array_equal(replayed.predict(X[120:]), live.predict(X[120:]))
    # ... and both equal a fresh fit on the rows the ids name (the exact learners).
    if name in ("UAKNN", "AAKNN"):
        fresh = MODELS[name]().fit(X[live.sample_ids_], D[live.sample_ids_])
        np.testing.assert_array_equal(fresh.predict(X[120:]), live.predict(X[120:]))


@pytest.mark.parametrize("name", ["UAKNN", "AAKNN", "TunedUAKNN(retune=False)"])
def test_predict_changes_no_state(name, data):
    X, D = data
    model = MODELS[name]().fit(X[:60], D[:60])
    model.partial_fit(X[60:70], D[60:70])
    state = dict(vars(model))
    snapshot = model._snapshot
    caches = (snapshot.index._torch_cache, dict(snapshot.index._faiss_cache))
    model.predict(X[100:])
    model.predict(X[100:101])
    assert dict(vars(model)) == state
    assert model._snapshot is snapshot
    assert (snapshot.index._torch_cache, dict(snapshot.index._faiss_cache)) == caches


@pytest.mark.parametrize("name", ["UAKNN", "AAKNN", "LDLEnsemble"])
def test_predictions_beside_concurrent_appends_match_a_consistent_state(name, data):
    X, D = data
    Q = X[140:]
    batches = [np.arange(40 + 10 * i, 50 + 10 * i) for i in range(8)]
    # Appends are exact, so state i (after i appends) predicts like a fresh fit on its rows.
    states = [MODELS[name]().fit(X[:40], D[:40]).predict(Q)]
    for i in range(len(batches)):
        rows = np.arange(50 + 10 * i)
        states.append(MODELS[name]().fit(X[rows], D[rows]).predict(Q))
    model = MODELS[name]().fit(X[:40], D[:40])
    errors, seen = [], []
    stop = threading.Event()

    def reader():
        try:
            while not stop.is_set():
                P = model.predict(Q)
                matches = [i for i, S in enumerate(states) if np.array_equal(P, S)]
                if not matches:
                    errors.append("a prediction matched no model state")
                seen.extend(matches[:1])
        except Exception as exc:  # noqa: BLE001 - any exception is the failure reported
            errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for rows in batches:
        model.partial_fit(X[rows], D[rows])
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert seen  # the readers really ran
    np.testing.assert_array_equal(model.predict(Q), states[-1])


def test_aaknn_warns_when_k_exceeds_the_training_rows():
    X, D = make_artificial(213, random_state=0)
    with pytest.warns(UserWarning, match=r"AAKNN\(k=500\) was fitted on 213 training rows"):
        model = AAKNN(k=500).fit(X, D)
    np.testing.assert_allclose(model.predict(X[:2]), np.tile(D.mean(axis=0), (2, 1)))


def test_tuned_uaknn_with_too_few_tuning_samples_is_a_clear_ldlkit_error():
    X, D = make_artificial(100, random_state=0)
    with pytest.raises(ValueError, match=r"max_tuning_samples=2 is below 2 \* cv = 6"):
        TunedUAKNN(max_tuning_samples=2).fit(X, D)
    assert not hasattr(TunedUAKNN(max_tuning_samples=2), "n_labels_")


def test_tuned_uaknn_with_features_near_1e200_predicts_as_on_the_unscaled_features():
    X, D = make_artificial(120, random_state=1)
    reference = TunedUAKNN(random_state=0).fit(X[:100], D[:100])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow on the way
        huge = TunedUAKNN(random_state=0).fit(X[:100] * 1e200, D[:100])
        assert np.all(np.isfinite(huge.scale_))
        np.testing.assert_allclose(huge.scale_ / 1e200, reference.scale_, rtol=1e-12)
        P = huge.predict(X[100:] * 1e200)
    assert huge.best_params_ == reference.best_params_
    np.testing.assert_allclose(P, reference.predict(X[100:]), atol=1e-9)


def test_cuda_on_a_cpu_only_torch_fails_at_fit_with_a_clear_message():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    X, D = make_artificial(30, random_state=0)
    for model in (UAKNN(backend="torch", device="cuda"), AAKNN(backend="torch", device="cuda:0")):
        with pytest.raises(ValueError, match="asks for CUDA"):
            model.fit(X, D)
        assert not hasattr(model, "n_labels_")


# TunedUAKNN(retune=True) re-scales and rebuilds every row on each append, by design.
@pytest.mark.parametrize("name", ["UAKNN", "AAKNN", "TunedUAKNN(retune=False)"])
def test_reserve_makes_the_next_appends_copy_nothing_and_changes_no_prediction(name, data):
    X, D = data
    model = pickle.loads(pickle.dumps(MODELS[name]().fit(X[:80], D[:80])))  # no spare room
    before = model.predict(X[120:])
    model.reserve(50)
    np.testing.assert_array_equal(model.predict(X[120:]), before)
    buffer = model.index_._buffer
    model.partial_fit(X[80:100], D[80:100]).partial_fit(X[100:120], D[100:120])
    assert model.index_._buffer is buffer  # written in place: no copy of the training rows
    same_appends = MODELS[name]().fit(X[:80], D[:80])
    same_appends.partial_fit(X[80:100], D[80:100]).partial_fit(X[100:120], D[100:120])
    np.testing.assert_array_equal(model.predict(X[120:]), same_appends.predict(X[120:]))
    np.testing.assert_array_equal(model.sample_ids_, np.arange(120))


def test_reserve_refuses_a_negative_count_and_an_unfitted_model(data):
    X, D = data
    with pytest.raises(ValueError, match="extra_rows"):
        UAKNN().fit(X[:20], D[:20]).reserve(-1)
    with pytest.raises(Exception, match="not fitted"):
        UAKNN().reserve(10)

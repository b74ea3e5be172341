"""AA-kNN: equal to scikit-learn's brute-force kNN regressor, incremental, and it learns."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsRegressor

from ldlkit.datasets import make_artificial
from ldlkit.dummy import MeanPredictor
from ldlkit.metrics import kl_divergence
from ldlkit.neighbors import AAKNN


def test_equals_sklearn_brute_knn_regressor():
    X, D = make_artificial(120, random_state=1)
    ours = AAKNN(k=4, dtype="float64").fit(X[:100], D[:100]).predict(X[100:])
    ref = KNeighborsRegressor(4, algorithm="brute").fit(X[:100], D[:100]).predict(X[100:])
    np.testing.assert_allclose(ours, ref, atol=1e-12)


def test_k_larger_than_training_set_uses_every_row():
    D = np.array([[0.2, 0.8], [0.6, 0.4]])
    pred = AAKNN(k=10).fit(np.array([[0.0], [1.0]]), D).predict([[0.3]])
    np.testing.assert_allclose(pred, [[0.4, 0.6]])


def test_partial_fit_and_remove_are_exact():
    X, D = make_artificial(90, random_state=2)
    whole = AAKNN().fit(X[:80], D[:80]).predict(X[80:])
    grown = AAKNN().fit(X[:30], D[:30]).partial_fit(X[30:80], D[30:80])
    np.testing.assert_array_equal(grown.predict(X[80:]), whole)
    grown.remove([0, 5])
    kept = AAKNN().fit(np.delete(X[:80], [0, 5], 0), np.delete(D[:80], [0, 5], 0))
    np.testing.assert_array_equal(grown.predict(X[80:]), kept.predict(X[80:]))
    assert grown.n_train_ == 78


def test_pickle_round_trip():
    X, D = make_artificial(40, random_state=3)
    model = AAKNN().fit(X, D)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"k": 0}, r"'k' parameter of AAKNN must be an int in the range \[1, inf\). Got 0"),
        ({"backend": "gpu"}, "backend"),
        ({"dtype": "int8"}, "dtype"),
        ({"block_size": 0}, "'block_size' parameter of AAKNN"),
        # the device's spelling is ldlkit._torch.check_device's, also for the numpy backend
        ({"device": "cuda:x"}, "device must be 'cpu', 'cuda', 'cuda:N' or 'auto'"),
        ({"device": "cuda"}, "needs backend='torch'"),
    ],
)
def test_bad_parameters_name_themselves(params, match):
    X, D = make_artificial(20, random_state=0)
    with pytest.raises(ValueError, match=match):
        AAKNN(**params).fit(X, D)


def test_learns_on_sjaffe(load_real):
    X, D = load_real("SJAFFE")
    rng = np.random.default_rng(0)
    test = rng.permutation(len(X))[:43]
    train = np.setdiff1d(np.arange(len(X)), test)
    kl = kl_divergence(D[test], AAKNN().fit(X[train], D[train]).predict(X[test]))
    base = kl_divergence(D[test], MeanPredictor().fit(X[train], D[train]).predict(X[test]))
    assert kl < 0.9 * base


def test_exact_rows_are_c_ordered_whatever_the_input_order():
    # .mat files give column-major features; the exact re-scoring gathers rows
    X, D = make_artificial(60, random_state=4)
    fortran = np.asfortranarray(X)
    model = AAKNN().fit(fortran, D)
    assert model.index_.exact_rows.flags.c_contiguous
    np.testing.assert_array_equal(model.predict(X), AAKNN().fit(X, D).predict(X))

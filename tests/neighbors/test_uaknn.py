"""UAKNN and WUAKNN: each step against hand computation, exact incremental learning, seeding."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import integrate, stats
from sklearn.base import clone

from ldlkit._optional import torch_available
from ldlkit.datasets import make_artificial
from ldlkit.dummy import MeanPredictor
from ldlkit.metrics import kl_divergence
from ldlkit.neighbors import UAKNN, WUAKNN, clipped_gaussian_mean, softmax_base
from ldlkit.neighbors._common import query_normals

# Two prototypes: label 0 = {row 0}, label 1 = {row 1}; row 2 is uniform and in neither (Eq. 2 is
# a strict inequality).
X_SMALL = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
D_SMALL = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
QUERY = np.array([[2.0, 1.0]])


def _clipped_mean_by_quadrature(m: float, variance: float) -> float:
    s = np.sqrt(variance)
    inside, _ = integrate.quad(lambda x: x * stats.norm.pdf(x, m, s), 0.0, 1.0)
    return inside + stats.norm.sf(1.0, m, s)


def test_softmax_base_two():
    np.testing.assert_allclose(softmax_base(np.array([1.0, 2.0, 3.0]), 2.0), [1 / 7, 2 / 7, 4 / 7])
    np.testing.assert_allclose(softmax_base(np.array([0.0, -np.inf]), 2.0), [1.0, 0.0])


@pytest.mark.parametrize("m", [-0.4, 0.0, 0.05, 0.3, 0.9, 1.5])
@pytest.mark.parametrize("variance", [0.1, 0.5, 0.9])
def test_clipped_gaussian_mean_closed_form(m, variance):
    assert clipped_gaussian_mean(np.array(m), variance) == pytest.approx(
        _clipped_mean_by_quadrature(m, variance), abs=1e-9
    )


def test_expected_mode_by_hand():
    model = UAKNN(weights="expected", dtype="float64").fit(X_SMALL, D_SMALL)
    mu = np.array([2 / np.sqrt(5), 1 / np.sqrt(5)])  # cosine to rows 0 and 1
    p = np.exp(mu) / np.exp(mu).sum()  # Step 1
    w = [
        _clipped_mean_by_quadrature(pi, 0.5) + _clipped_mean_by_quadrature(0.05 * pi, 0.5)
        for pi in p
    ]
    combined = w[0] * D_SMALL[0] + w[1] * D_SMALL[1]  # Eq. 3 before Softmax*
    expected = 2.0**combined / (2.0**combined).sum()
    np.testing.assert_allclose(model.predict(QUERY), [expected], atol=1e-9)


def _monte_carlo_prediction_by_hand(noise):
    """UAKNN's prediction for QUERY on X_SMALL/D_SMALL, written out from the paper's steps."""
    mu = np.array([2 / np.sqrt(5), 1 / np.sqrt(5)])
    p = np.exp(mu) / np.exp(mu).sum()
    s = np.sqrt(0.5)
    w = [
        np.clip(p[i] + s * noise[0, i], 0, 1).mean()
        + np.clip(0.05 * p[i] + s * noise[1, i], 0, 1).mean()
        for i in range(2)
    ]
    combined = w[0] * D_SMALL[0] + w[1] * D_SMALL[1]
    return 2.0**combined / (2.0**combined).sum()


def test_monte_carlo_mode_by_hand():
    model = UAKNN(random_state=3, dtype="float64").fit(X_SMALL, D_SMALL)
    assert model.noise_.shape == (2, 2, 100)
    expected = _monte_carlo_prediction_by_hand(model.noise_)
    np.testing.assert_allclose(model.predict(QUERY), [expected], atol=1e-9)


def test_per_query_draws_by_hand():
    model = UAKNN(random_state=3, draws="per_query", dtype="float64").fit(X_SMALL, D_SMALL)
    assert model.noise_ is None and isinstance(model.draw_seed_, int)
    noise = query_normals(QUERY, model.draw_seed_, (2, 2, 100))[0]
    expected = _monte_carlo_prediction_by_hand(noise)
    np.testing.assert_allclose(model.predict(QUERY), [expected], atol=1e-12)


def test_query_normals_are_standard_normal_and_row_specific():
    X = np.random.default_rng(0).random((400, 5))
    z = query_normals(X, 17, (2, 3, 50))
    assert z.shape == (400, 2, 3, 50)
    assert stats.kstest(z.ravel(), "norm").pvalue > 0.01
    np.testing.assert_array_equal(query_normals(X[7:8], 17, (2, 3, 50))[0], z[7])
    assert not np.array_equal(z[0], z[1])
    assert not np.array_equal(query_normals(X[:1], 18, (2, 3, 50))[0], z[0])
    # One bit of one feature changes the draws.
    Y = X[:1].copy()
    Y[0, 4] = np.nextafter(Y[0, 4], 2.0)
    assert not np.array_equal(query_normals(Y, 17, (2, 3, 50))[0], z[0])


def test_per_query_draws_do_not_depend_on_batch_block_or_chunk(monkeypatch):
    from ldlkit.neighbors import _uaknn

    X, D = make_artificial(90, random_state=6)
    a = UAKNN(random_state=11, draws="per_query").fit(X[:70], D[:70])
    batch = a.predict(X[70:])
    single = np.vstack([a.predict(X[i : i + 1]) for i in range(70, 90)])
    np.testing.assert_allclose(single, batch, atol=1e-12)
    blocked = UAKNN(random_state=11, draws="per_query", block_size=3).fit(X[:70], D[:70])
    np.testing.assert_allclose(blocked.predict(X[70:]), batch, atol=1e-12)
    monkeypatch.setattr(_uaknn, "_DRAW_CHUNK", 2 * 3 * 100 * 4)  # four queries per chunk
    np.testing.assert_allclose(a.predict(X[70:]), batch, atol=1e-12)
    shared = UAKNN(random_state=11).fit(X[:70], D[:70]).predict(X[70:])
    assert not np.allclose(shared, batch)


def test_cosine_weight_mean_and_ablations_by_hand():
    mu = np.array([2 / np.sqrt(5), 1 / np.sqrt(5)])
    model = UAKNN(weights="expected", weight_mean="cosine", perturbation=False, dtype="float64")
    w = [_clipped_mean_by_quadrature(m, 0.5) for m in mu]
    combined = w[0] * D_SMALL[0] + w[1] * D_SMALL[1]
    np.testing.assert_allclose(
        model.fit(X_SMALL, D_SMALL).predict(QUERY), [softmax_base(combined, 2.0)], atol=1e-9
    )
    # Without prototype matching the L = 2 most similar rows of the whole set are rows 2 and 0.
    flat = UAKNN(weights="expected", prototype_matching=False, dtype="float64")
    mu_flat = np.array([3 / np.sqrt(10), 2 / np.sqrt(5)])
    p = np.exp(mu_flat) / np.exp(mu_flat).sum()
    w = [
        _clipped_mean_by_quadrature(v, 0.5) + _clipped_mean_by_quadrature(0.05 * v, 0.5) for v in p
    ]
    combined = w[0] * D_SMALL[2] + w[1] * D_SMALL[0]
    np.testing.assert_allclose(
        flat.fit(X_SMALL, D_SMALL).predict(QUERY), [softmax_base(combined, 2.0)], atol=1e-9
    )


def test_wuaknn_by_hand():
    mu = np.array([2 / np.sqrt(5), 1 / np.sqrt(5)])
    w = 2.0**mu / (2.0**mu).sum()
    expected = w[0] * D_SMALL[0] + w[1] * D_SMALL[1]
    pred = WUAKNN(dtype="float64").fit(X_SMALL, D_SMALL).predict(QUERY)
    np.testing.assert_allclose(pred, [expected], atol=1e-12)


def test_argmax_prototypes_by_hand():
    # argmax rule: row 0 -> label 0, row 1 -> label 1, the uniform row 2 -> label 0 (first max).
    model = UAKNN(weights="expected", prototypes="argmax", dtype="float64").fit(X_SMALL, D_SMALL)
    assert [m.tolist() for m in model._members()] == [[0, 2], [1]]
    mu = np.array([3 / np.sqrt(10), 1 / np.sqrt(5)])  # best of {0, 2} is row 2, then row 1
    p = np.exp(mu) / np.exp(mu).sum()
    w = clipped_gaussian_mean(p, 0.5) + clipped_gaussian_mean(0.05 * p, 0.5)
    expected = softmax_base(w[0] * D_SMALL[2] + w[1] * D_SMALL[1], 2.0)
    np.testing.assert_allclose(model.predict(QUERY), [expected], atol=1e-12)
    # The threshold rule (default) leaves the uniform row out and matches row 0 instead.
    default = UAKNN(weights="expected", dtype="float64").fit(X_SMALL, D_SMALL)
    assert [m.tolist() for m in default._members()] == [[0], [1]]
    assert not np.allclose(default.predict(QUERY), model.predict(QUERY))


def test_wuaknn_output_softmax_by_hand():
    mu = np.array([2 / np.sqrt(5), 1 / np.sqrt(5)])
    w = 2.0**mu / (2.0**mu).sum()
    combined = w[0] * D_SMALL[0] + w[1] * D_SMALL[1]
    model = WUAKNN(output_softmax=True, dtype="float64").fit(X_SMALL, D_SMALL)
    np.testing.assert_allclose(model.predict(QUERY), [softmax_base(combined, 2.0)], atol=1e-12)
    three = WUAKNN(base=3.0, output_softmax=True, dtype="float64").fit(X_SMALL, D_SMALL)
    w3 = 3.0**mu / (3.0**mu).sum()
    expected = softmax_base(w3[0] * D_SMALL[0] + w3[1] * D_SMALL[1], 3.0)
    np.testing.assert_allclose(three.predict(QUERY), [expected], atol=1e-12)


def test_empty_prototype_is_left_out():
    # Label 2 never exceeds 1/3: its prototype is empty and must not contribute.
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    D = np.array([[0.7, 0.1, 0.2], [0.1, 0.7, 0.2]])
    model = UAKNN(weights="expected").fit(X, D)
    assert [len(m) for m in model._members()] == [1, 1, 0]
    mu = np.array([1.0, 0.0])
    p = np.exp(mu) / np.exp(mu).sum()
    w = clipped_gaussian_mean(p, 0.5) + clipped_gaussian_mean(0.05 * p, 0.5)
    expected = softmax_base(w[0] * D[0] + w[1] * D[1], 2.0)
    np.testing.assert_allclose(model.predict([[1.0, 0.0]]), [expected], atol=1e-6)


def test_all_uniform_training_rows_fall_back_to_the_whole_set():
    D = np.full((4, 3), 1 / 3)
    X = np.arange(1.0, 9.0).reshape(4, 2)
    np.testing.assert_allclose(UAKNN(random_state=0).fit(X, D).predict(X), D, atol=1e-12)


def test_expected_and_monte_carlo_weights_are_close():
    X, D = make_artificial(300, random_state=0)
    mc = UAKNN(random_state=0).fit(X[:250], D[:250]).predict(X[250:])
    ex = UAKNN(weights="expected").fit(X[:250], D[:250]).predict(X[250:])
    gap = np.abs(mc - ex).mean()
    assert gap < 0.01
    assert gap > 0  # the modes really differ


@pytest.mark.parametrize(
    "cls, params",
    [
        (UAKNN, {"random_state": 7}),
        (UAKNN, {"weights": "expected"}),
        (UAKNN, {"random_state": 7, "prototypes": "argmax"}),
        (UAKNN, {"random_state": 7, "prototype_matching": False}),
        (UAKNN, {"random_state": 7, "draws": "per_query"}),
        (WUAKNN, {}),
        (WUAKNN, {"output_softmax": True, "prototypes": "argmax"}),
    ],
)
def test_partial_fit_equals_fit_on_the_union(cls, params):
    X, D = make_artificial(120, random_state=4)
    whole = cls(**params).fit(X[:100], D[:100]).predict(X[100:])
    grown = cls(**params).partial_fit(X[:40], D[:40])
    grown.partial_fit(X[40:41], D[40:41]).partial_fit(X[41:100], D[41:100])
    np.testing.assert_array_equal(grown.predict(X[100:]), whole)


def test_remove_equals_fit_on_the_remaining_rows():
    X, D = make_artificial(100, random_state=5)
    model = UAKNN(random_state=1).fit(X[:80], D[:80])
    model.remove([3, -1, 3, 40])
    keep = np.setdiff1d(np.arange(80), [3, 79, 40])
    ref = UAKNN(random_state=1).fit(X[keep], D[keep])
    np.testing.assert_array_equal(model.predict(X[80:]), ref.predict(X[80:]))
    with pytest.raises(ValueError, match="indices"):
        model.remove([500])
    with pytest.raises(ValueError, match="every training row"):
        model.remove(np.arange(model.n_train_))


def test_seeding_and_batch_independence():
    X, D = make_artificial(90, random_state=6)
    a = UAKNN(random_state=11).fit(X[:70], D[:70])
    b = clone(a).fit(X[:70], D[:70])
    np.testing.assert_array_equal(a.predict(X[70:]), b.predict(X[70:]))
    # A row's prediction does not depend on the rows predicted with it or on the block size.
    single = np.vstack([a.predict(X[i : i + 1]) for i in range(70, 90)])
    np.testing.assert_allclose(single, a.predict(X[70:]), atol=1e-12)
    blocked = UAKNN(random_state=11, block_size=3).fit(X[:70], D[:70])
    np.testing.assert_allclose(blocked.predict(X[70:]), a.predict(X[70:]), atol=1e-12)
    other = UAKNN(random_state=12).fit(X[:70], D[:70])
    assert not np.array_equal(other.predict(X[70:]), a.predict(X[70:]))


def test_pickle_round_trip():
    X, D = make_artificial(40, random_state=3)
    model = UAKNN(random_state=0).fit(X, D)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"variance": 0}, "variance"),
        ({"n_samples": 0}, "n_samples"),
        ({"c_ratio": -0.1}, "c_ratio"),
        ({"base": 1.0}, "base"),
        ({"weights": "exact"}, "weights"),
        ({"weight_mean": "mu"}, "weight_mean"),
        ({"prototype_matching": "yes"}, "prototype_matching"),
        ({"prototypes": "kmeans"}, "prototypes"),
        ({"draws": "fresh"}, "draws"),
        ({"block_size": 0}, "block_size"),
        ({"device": "cuda"}, "device"),
        ({"backend": "annoy"}, "backend"),
        ({"index_params": {"nprobe": 4}}, "index_params"),
    ],
)
def test_bad_parameters_name_themselves(params, match):
    X, D = make_artificial(20, random_state=0)
    with pytest.raises(ValueError, match=match):
        UAKNN(**params).fit(X, D)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"output_softmax": "yes"}, "output_softmax"),
        ({"prototypes": "kmeans"}, "prototypes"),
        ({"base": 0.5}, "base"),
    ],
)
def test_wuaknn_bad_parameters_name_themselves(params, match):
    X, D = make_artificial(20, random_state=0)
    with pytest.raises(ValueError, match=match):
        WUAKNN(**params).fit(X, D)


def test_zero_feature_rows_are_rejected():
    X, D = make_artificial(20, random_state=0)
    X[3] = 0
    with pytest.raises(ValueError, match="all zeros"):
        UAKNN().fit(X, D)


@pytest.mark.skipif(not torch_available(), reason="torch is not installed")
def test_torch_cpu_backend_gives_the_numpy_predictions():
    X, D = make_artificial(150, random_state=8)
    a = UAKNN(random_state=0, dtype="float64").fit(X[:120], D[:120]).predict(X[120:])
    b = UAKNN(random_state=0, dtype="float64", backend="torch").fit(X[:120], D[:120])
    np.testing.assert_allclose(b.predict(X[120:]), a, atol=1e-10)


@pytest.mark.gpu
def test_cuda_backend_agrees_with_numpy():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    X, D = make_artificial(500, random_state=9)
    a = UAKNN(random_state=0).fit(X[:400], D[:400]).predict(X[400:])
    b = UAKNN(random_state=0, backend="torch", device="cuda").fit(X[:400], D[:400])
    np.testing.assert_array_equal(b.predict(X[400:]), a)  # exact re-ranking: identical


def _sjaffe_split(load_real):
    X, D = load_real("SJAFFE")
    rng = np.random.default_rng(0)
    test = rng.permutation(len(X))[:43]
    train = np.setdiff1d(np.arange(len(X)), test)
    return X[train], D[train], X[test], D[test]


@pytest.mark.parametrize("model, ratio", [(UAKNN(random_state=0), 0.92), (WUAKNN(), 0.85)])
def test_learns_on_sjaffe(load_real, model, ratio):
    Xtr, Dtr, Xte, Dte = _sjaffe_split(load_real)
    kl = kl_divergence(Dte, model.fit(Xtr, Dtr).predict(Xte))
    base = kl_divergence(Dte, MeanPredictor().fit(Xtr, Dtr).predict(Xte))
    assert kl < ratio * base

"""Label enhancers: recovery on real data, bad input, transform, seeding, method-specific maths."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from sklearn.base import clone

from ldlkit.base import all_estimators, get_tags
from ldlkit.datasets import make_artificial
from ldlkit.enhancement import (
    FCM,
    GLLE,
    KM,
    LEVI,
    LP,
    ConLE,
    NormalizedLogical,
    UniformDistribution,
    binarize,
)
from ldlkit.metrics import cosine, intersection

ENHANCERS = all_estimators("le")
TRIVIAL = {"NormalizedLogical", "SoftmaxLogical", "UniformDistribution"}
REAL = [(name, cls) for name, cls in ENHANCERS if name not in TRIVIAL]
_NO_TORCH = importlib.util.find_spec("torch") is None


def _params(pairs):
    """``(name, cls)`` parameters; those needing torch skip, with the reason, on a base install."""
    return [
        pytest.param(
            name,
            cls,
            id=name,
            marks=pytest.mark.skipif(
                _NO_TORCH and get_tags(cls).ldl.requires_torch,
                reason=f"{name} needs torch (pip install 'ldlkit[torch]')",
            ),
        )
        for name, cls in pairs
    ]


def fast(cls, **params):
    return cls(**{**get_tags(cls).ldl.test_params, **params})


@pytest.fixture(scope="module")
def toy():
    X, D = make_artificial(40, noise=0.05, random_state=3)
    return X, binarize(D)


def test_every_paper_method_is_registered():
    assert {"ConLE", "FCM", "GLLE", "KM", "LEVI", "LP"} <= {name for name, _ in ENHANCERS}


# --- recovery on SJAFFE ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sjaffe(load_real):
    X, D = load_real("SJAFFE")
    return X, D, binarize(D)


@pytest.mark.parametrize(("name", "cls"), _params(REAL))
def test_recovers_sjaffe_clearly_better_than_the_logical_labels(name, cls, sjaffe):
    """Full default settings (SJAFFE is small): a clear margin over no enhancement at all."""
    X, D, logical = sjaffe
    params = {"random_state": 0} if "random_state" in cls().get_params() else {}
    recovered = cls(**params).fit_transform(X, logical)
    trivial = logical / logical.sum(axis=1, keepdims=True)
    # The logical labels score cosine 0.827 and intersection 0.593 on SJAFFE.
    assert cosine(D, recovered) > cosine(D, trivial) + 0.05
    # ML keeps the logical labels' signs with a fixed margin: measured intersection 0.716 (+0.12).
    assert intersection(D, recovered) > intersection(D, trivial) + (0.1 if name == "ML" else 0.15)


def test_lp_and_km_agree_with_the_independent_package_on_sjaffe(sjaffe):
    """python-ldl 0.1.2 (strict > 0.5 binarisation, all rows): LP 0.967, KM 0.965 cosine."""
    X, D, logical = sjaffe
    assert cosine(D, LP().fit_transform(X, logical)) == pytest.approx(0.967, abs=0.002)
    assert cosine(D, KM().fit_transform(X, logical)) == pytest.approx(0.965, abs=0.003)


# --- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls"), _params(ENHANCERS))
def test_bad_logical_labels_get_one_clear_error_each(name, cls, toy):
    X, logical = toy
    est = fast(cls)
    distributions = logical / logical.sum(axis=1, keepdims=True)
    with pytest.raises(ValueError, match="binarize"):
        est.fit(X, distributions)  # distributions where logical labels belong
    with pytest.raises(ValueError, match="logical must hold 0/1.*row 0, label 0 is 2"):
        est.fit(X, np.where(np.arange(logical.shape[1]) == 0, 2.0, logical))
    empty = logical.copy()
    empty[5] = 0
    with pytest.raises(ValueError, match="logical row 5 has no relevant label"):
        est.fit(X, empty)
    with pytest.raises(ValueError, match="logical must be 2-D"):
        est.fit(X, logical[:, 0])
    with pytest.raises(ValueError, match="at least 2 labels"):
        est.fit(X, np.ones((len(X), 1)))
    with pytest.raises(ValueError, match="Mismatched numbers of samples"):
        est.fit(X, logical[:-2])
    with pytest.raises(ValueError, match="X must be 2-D"):
        est.fit(X[:, 0], logical)
    assert not hasattr(est, "label_distribution_")


@pytest.mark.parametrize(("name", "cls"), _params(ENHANCERS))
def test_inputs_are_not_mutated_and_a_failed_fit_leaves_nothing(name, cls, toy, monkeypatch):
    X, logical = toy
    X_before, logical_before = X.copy(), logical.copy()
    est = fast(cls).fit(X, logical)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(logical, logical_before)

    def broken(*args):
        raise RuntimeError("fails half way")

    monkeypatch.setattr(est, "_fit_transform", broken)
    with pytest.raises(RuntimeError):
        est.fit(X, logical)
    assert not [a for a in vars(est) if a.endswith("_") and not a.startswith("_")]


def test_invalid_parameters_are_refused_before_any_work(toy):
    X, logical = toy
    with pytest.raises(ValueError, match="alpha"):
        LP(alpha=1.5).fit(X, logical)
    with pytest.raises(ValueError, match="normalization"):
        KM(normalization="max").fit(X, logical)
    with pytest.raises(ValueError, match="temperature"):
        ConLE(temperature=0).fit(X, logical)


# --- transform ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls"), _params(ENHANCERS))
def test_only_fcm_and_glle_map_new_rows(name, cls):
    maps_new_rows = name in {"FCM", "GLLE"}
    assert hasattr(fast(cls), "transform") == maps_new_rows
    assert get_tags(cls).ldl.transform == maps_new_rows


@pytest.mark.parametrize("cls", [FCM, GLLE])
def test_transform_of_the_training_rows_gives_the_recovered_distributions(cls, toy):
    X, logical = toy
    est = cls(random_state=0) if cls is FCM else cls()
    recovered = est.fit_transform(X, logical)
    np.testing.assert_allclose(est.transform(X), recovered, atol=1e-10)
    new = est.transform(X[:3] + 0.01)
    assert new.shape == (3, logical.shape[1])
    np.testing.assert_allclose(new.sum(axis=1), 1)
    with pytest.raises(ValueError, match="features"):
        est.transform(X[:, :-1])


# --- seeding --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [ConLE, LEVI, FCM])
def test_seeds_give_identical_results_and_leave_the_global_rng_alone(cls, toy):
    torch = pytest.importorskip("torch", reason="checks torch's global RNG (ldlkit[torch])")

    X, logical = toy
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = fast(cls, random_state=5).fit_transform(X, logical)
    assert torch.rand(1) == expected_next  # fit did not consume the caller's torch RNG
    second = fast(cls, random_state=5).fit_transform(X, logical)
    other = fast(cls, random_state=6).fit_transform(X, logical)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


# --- method-specific maths ------------------------------------------------------------------------
def test_lp_with_all_neighbours_is_the_fully_connected_graph(toy):
    X, logical = toy
    full = LP().fit_transform(X, logical)
    knn = LP(n_neighbors=len(X) - 1).fit_transform(X, logical)
    np.testing.assert_allclose(knn, full, atol=1e-12)


def test_lp_reaches_the_closed_form_fixed_point(toy):
    X, logical = toy
    lp = LP(normalization="sum", sigma=2.0).fit(X, logical)
    S = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    A = np.exp(-S / 8.0)
    np.fill_diagonal(A, 0)
    scale = 1 / np.sqrt(A.sum(1))
    P = scale[:, None] * A * scale[None, :]
    F = 0.5 * np.linalg.solve(np.eye(len(X)) - 0.5 * P, logical)
    np.testing.assert_allclose(lp.label_distribution_, F / F.sum(1, keepdims=True), atol=1e-8)


def test_km_membership_by_hand():
    X = np.array([[0.0], [1.0], [3.0]])
    logical = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    km = KM(normalization="sum", delta=0.0).fit(X, logical)
    mean_distance = (1 + 3 + 2) / 3
    gamma = 1 / (2 * mean_distance**2)
    k = np.exp(-gamma * (X - X.T) ** 2)
    members = [[0, 1], [1, 2]]
    membership = np.zeros((3, 2))
    for j, rows in enumerate(members):
        s2 = 1 - 2 * k[:, rows].mean(1) + k[np.ix_(rows, rows)].mean()
        radius2 = s2[rows].max()
        membership[:, j] = (1 - np.sqrt(s2 / radius2)) * logical[:, j]
    # Every row here is on the rim of its labels (two members each): memberships are 0, so the
    # rows keep their logical labels.
    expected = np.where(membership.sum(1, keepdims=True) > 0, membership, logical)
    expected = expected / expected.sum(1, keepdims=True)
    np.testing.assert_allclose(km.label_distribution_, expected, atol=1e-12)
    assert km.gamma_ == pytest.approx(gamma)


def test_fcm_memberships_sum_to_one_and_association_is_label_mass(toy):
    X, logical = toy
    fcm = FCM(n_clusters=4, random_state=0).fit(X, logical)
    from ldlkit.enhancement._fcm import _memberships

    U = _memberships(X, fcm.cluster_centers_, fcm.m)
    np.testing.assert_allclose(U.sum(1), 1)
    np.testing.assert_allclose(fcm.association_, logical.T @ U)


def test_glle_minimises_its_objective(toy):
    """At the solution the gradient of ||Phi W - L||^2 + lam tr(W'Phi'G Phi W) is near zero."""
    X, logical = toy
    glle = GLLE(max_iter=5000, tol=1e-10).fit(X, logical)
    start = GLLE(max_iter=1).fit(X, logical)
    assert glle.n_iter_ > start.n_iter_
    assert cosine(logical / logical.sum(1, keepdims=True), glle.label_distribution_) > 0.8


def test_trivial_rows():
    logical = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    X = np.zeros((2, 1))
    np.testing.assert_allclose(
        NormalizedLogical().fit_transform(X, logical), [[0.5, 0.5, 0], [0, 0, 1]]
    )
    uniform = UniformDistribution().fit_transform(X, logical)
    np.testing.assert_allclose(uniform, np.full((2, 3), 1 / 3))


def test_clone_keeps_parameters():
    est = ConLE(contrastive=False, margin=0.2)
    twin = clone(est)
    assert twin.get_params() == est.get_params()


def _cuda_available() -> bool:
    """Without torch (a base install) there is no CUDA device to test either."""
    return not _NO_TORCH and __import__("torch").cuda.is_available()


@pytest.mark.skipif(not _cuda_available(), reason="needs torch and a CUDA device")
@pytest.mark.parametrize("cls", [ConLE, LEVI])
def test_cuda_fit_gives_rows_on_the_simplex(cls, toy):
    X, logical = toy
    D = fast(cls, device="cuda", random_state=0).fit_transform(X, logical)
    np.testing.assert_allclose(D.sum(1), 1)

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.model_selection import GridSearchCV, KFold, cross_validate

from ldlkit import metrics
from ldlkit.datasets import make_artificial
from ldlkit.dummy import MeanPredictor
from ldlkit.neighbors import AAKNN

ALL = list(metrics.METRICS)
SYMMETRIC = [
    "chebyshev",
    "clark",
    "canberra",
    "cosine",
    "intersection",
    "euclidean",
    "sorensen",
    "squared_chi2",
    "fidelity",
    "squared_euclidean",
    "manhattan",
    "matusita",
    "wave_hedges",
    "jeffreys",
    "js_divergence",
    "bhattacharyya",
    "spearman",
    "kendall",
]
# Identical rows do not reach these metrics' bound (only a one-hot truth does).
NOT_IDEAL_ON_IDENTITY = {"dpa", "error_probability"}
# Orderings only: moving the prediction towards the truth can reorder its labels either way.
RANK_BASED = {"spearman", "kendall", "dpa"}


@st.composite
def distribution_pairs(draw, allow_zeros=True):
    n = draw(st.integers(1, 6))
    L = draw(st.integers(2, 7))
    # Degrees are exact zeros or at least 1e-6: no subnormal numbers, whose underflow (0.5 * 5e-324
    # == 0) would turn a tiny degree into a zero and break exact-arithmetic properties.
    positive = st.floats(1e-6 if allow_zeros else 1e-3, 1.0, allow_nan=False, allow_infinity=False)
    elements = st.one_of(st.just(0.0), positive) if allow_zeros else positive
    A = draw(arrays(np.float64, (n, L), elements=elements))
    B = draw(arrays(np.float64, (n, L), elements=elements))
    # every row needs some mass
    A[:, 0] += 1e-3
    B[:, -1] += 1e-3
    return A / A.sum(1, keepdims=True), B / B.sum(1, keepdims=True)


# --- hand-computed values ----------------------------------------------------------------------
d = np.array([[0.5, 0.3, 0.2]])
p = np.array([[0.4, 0.4, 0.2]])

HAND = {
    "chebyshev": 0.1,
    "clark": math.sqrt((0.1 / 0.9) ** 2 + (0.1 / 0.7) ** 2),
    "canberra": 0.1 / 0.9 + 0.1 / 0.7,
    "kl_divergence": 0.5 * math.log(0.5 / 0.4) + 0.3 * math.log(0.3 / 0.4),
    "cosine": (0.2 + 0.12 + 0.04) / (math.sqrt(0.38) * math.sqrt(0.36)),
    "intersection": 0.4 + 0.3 + 0.2,
    "euclidean": math.sqrt(0.02),
    "sorensen": 0.2 / 2.0,
    "squared_chi2": 0.01 / 0.9 + 0.01 / 0.7,
    "fidelity": math.sqrt(0.2) + math.sqrt(0.12) + 0.2,
    "squared_euclidean": 0.02,
    "manhattan": 0.2,
    "matusita": math.sqrt(
        (math.sqrt(0.5) - math.sqrt(0.4)) ** 2 + (math.sqrt(0.3) - math.sqrt(0.4)) ** 2
    ),
    "wave_hedges": 0.1 / 0.5 + 0.1 / 0.4,
    "jeffreys": 0.1 * math.log(0.5 / 0.4) - 0.1 * math.log(0.3 / 0.4),
    "js_divergence": 0.5 * (0.5 * math.log(0.5 / 0.45) + 0.3 * math.log(0.3 / 0.35))
    + 0.5 * (0.4 * math.log(0.4 / 0.45) + 0.4 * math.log(0.4 / 0.35)),
    "bhattacharyya": -math.log(math.sqrt(0.2) + math.sqrt(0.12) + 0.2),
    # ranks of d: (3, 2, 1); of p: (2.5, 2.5, 1); centred (1, 0, -1) and (.5, .5, -1)
    "spearman": 1.5 / math.sqrt(2 * 1.5),
    # pairs (0,1): p tied; (0,2), (1,2): concordant; 3 untied pairs in d, 2 in p
    "kendall": 2 / math.sqrt(3 * 2),
    "dpa": (0.5 * 2.5 + 0.3 * 2.5 + 0.2 * 1) / 3,
    # p ties labels 0 and 1 for first: the dominant label 0 wins half the tie-breaks
    "top1_accuracy": 0.5,
    "error_probability": 1 - (0.5 + 0.3) / 2,
}


@pytest.mark.parametrize("name", ALL)
def test_hand_computed_values(name):
    assert metrics.get_metric(name).function(d, p) == pytest.approx(HAND[name], rel=1e-12)


def test_every_metric_has_a_hand_value():
    assert set(HAND) == set(metrics.METRICS)
    assert set(HAND_WITH_ZEROS) == set(metrics.METRICS)


# A second row with zeros in both arguments: d = (1, 0, 0), p = (0.5, 0.5, 0). The third label is
# zero in both (a 0/0 term, counted as 0); the second is zero in d only (adds nothing to KL).
d2 = np.vstack([d, [1.0, 0.0, 0.0]])
p2 = np.vstack([p, [0.5, 0.5, 0.0]])
HAND_WITH_ZEROS = {
    "chebyshev": 0.5,
    "clark": math.sqrt((0.5 / 1.5) ** 2 + (0.5 / 0.5) ** 2),
    "canberra": 0.5 / 1.5 + 0.5 / 0.5,
    "kl_divergence": 1.0 * math.log(1.0 / 0.5),
    "cosine": 0.5 / (1.0 * math.sqrt(0.5)),
    "intersection": 0.5,
    "euclidean": math.sqrt(0.25 + 0.25),
    "sorensen": 1.0 / 2.0,
    "squared_chi2": 0.25 / 1.5 + 0.25 / 0.5,
    "fidelity": math.sqrt(0.5),
    "squared_euclidean": 0.5,
    "manhattan": 1.0,
    "matusita": math.sqrt(2 - 2 * math.sqrt(0.5)),
    "wave_hedges": 0.5 / 1.0 + 0.5 / 0.5,
    # label 1: zero true degree against 0.5, floored at eps = 1e-12 in the logarithm
    "jeffreys": 0.5 * math.log(2) + 0.5 * math.log(0.5 / 1e-12),
    "js_divergence": 0.5 * math.log(1 / 0.75)
    + 0.5 * (0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25)),
    "bhattacharyya": -math.log(math.sqrt(0.5)),
    # ranks of d: (3, 1.5, 1.5); of p: (2.5, 2.5, 1)
    "spearman": 0.75 / 1.5,
    "kendall": 1 / math.sqrt(2 * 2),
    "dpa": 1.0 * 2.5 / 3,
    "top1_accuracy": 0.5,
    "error_probability": 0.5,
}


@pytest.mark.parametrize("name", ALL)
def test_hand_computed_rows_with_zeros_and_their_mean(name):
    f = metrics.get_metric(name).function
    rows = f(d2, p2, average=False)
    assert isinstance(rows, np.ndarray) and rows.shape == (2,)
    np.testing.assert_allclose(rows, [HAND[name], HAND_WITH_ZEROS[name]], rtol=1e-12)
    assert f(d2, p2) == pytest.approx((HAND[name] + HAND_WITH_ZEROS[name]) / 2, rel=1e-12)
    assert isinstance(f(d2, p2), float)


def test_per_row_variant_and_mean():
    D_true = np.array([[0.5, 0.5], [1.0, 0.0]])
    D_pred = np.array([[0.5, 0.5], [0.5, 0.5]])
    rows = metrics.chebyshev(D_true, D_pred, average=False)
    np.testing.assert_allclose(rows, [0.0, 0.5])
    assert metrics.chebyshev(D_true, D_pred) == pytest.approx(0.25)


# --- zero-degree policy ------------------------------------------------------------------------
def test_zero_true_degree_contributes_nothing_to_kl():
    assert metrics.kl_divergence([[1.0, 0.0]], [[0.5, 0.5]]) == pytest.approx(math.log(2))


def test_zero_predicted_degree_is_floored_in_kl():
    value = metrics.kl_divergence([[0.5, 0.5]], [[1.0, 0.0]])
    assert value == pytest.approx(0.5 * math.log(0.5) + 0.5 * math.log(0.5 / 1e-12))
    assert metrics.kl_divergence([[0.5, 0.5]], [[1.0, 0.0]], eps=0) == math.inf


def test_shared_zeros_count_as_agreement():
    D = [[0.0, 0.4, 0.6]]
    assert metrics.clark(D, D) == 0.0
    assert metrics.canberra(D, D) == 0.0
    assert metrics.squared_chi2(D, D) == 0.0


# --- properties --------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_identity_gives_the_ideal_value(pair):
    A, _ = pair
    for name, info in metrics.METRICS.items():
        if name not in NOT_IDEAL_ON_IDENTITY:
            assert info.function(A, A) == pytest.approx(info.ideal, abs=1e-9), name


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_bounds(pair):
    A, B = pair
    L = A.shape[1]
    rows = metrics.evaluate(A, B, metrics.METRICS, average=False)
    tol = 1e-9
    assert ((rows["chebyshev"] >= -tol) & (rows["chebyshev"] <= 1 + tol)).all()
    assert ((rows["clark"] >= -tol) & (rows["clark"] <= math.sqrt(L) + tol)).all()
    assert ((rows["canberra"] >= -tol) & (rows["canberra"] <= L + tol)).all()
    assert (rows["kl_divergence"] >= -tol).all()
    for name in ("cosine", "intersection", "fidelity"):
        assert ((rows[name] >= -tol) & (rows[name] <= 1 + tol)).all(), name
    assert ((rows["euclidean"] >= -tol) & (rows["euclidean"] <= math.sqrt(2) + tol)).all()
    assert ((rows["sorensen"] >= -tol) & (rows["sorensen"] <= 1 + tol)).all()
    # On the simplex, intersection = 1 - sorensen = 1 - L1/2.
    np.testing.assert_allclose(rows["intersection"], 1 - rows["sorensen"], atol=1e-9)
    for name, high in (
        ("squared_euclidean", 2),
        ("manhattan", 2),
        ("matusita", math.sqrt(2)),
        ("wave_hedges", L),
        ("js_divergence", math.log(2)),
        ("top1_accuracy", 1),
        ("error_probability", 1),
    ):
        assert ((rows[name] >= -tol) & (rows[name] <= high + tol)).all(), name
    for name in ("jeffreys", "bhattacharyya"):
        assert (rows[name] >= -tol).all(), name
    for name in ("spearman", "kendall"):
        assert ((rows[name] >= -1 - tol) & (rows[name] <= 1 + tol)).all(), name
    assert ((rows["dpa"] >= 1 / L - tol) & (rows["dpa"] <= 1 + tol)).all()


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_symmetry_where_it_holds(pair):
    A, B = pair
    for name in SYMMETRIC:
        f = metrics.get_metric(name).function
        assert f(A, B) == pytest.approx(f(B, A), abs=1e-12), name


@settings(max_examples=60, deadline=None)
@given(distribution_pairs(allow_zeros=False))
def test_kl_matches_scipy_entropy(pair):
    from scipy.stats import entropy

    A, B = pair
    expected = np.mean([entropy(a, b) for a, b in zip(A, B)])
    assert metrics.kl_divergence(A, B) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(distribution_pairs(), st.randoms(use_true_random=False))
def test_invariant_to_the_order_of_labels_and_rows(pair, random):
    A, B = pair
    cols = list(range(A.shape[1]))
    rows = list(range(A.shape[0]))
    random.shuffle(cols)
    random.shuffle(rows)
    for name, info in metrics.METRICS.items():
        before = info.function(A, B, average=False)
        after = info.function(A[rows][:, cols], B[rows][:, cols], average=False)
        np.testing.assert_allclose(after, before[rows], rtol=1e-9, atol=1e-12, err_msg=name)


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_average_is_the_mean_of_the_rows(pair):
    A, B = pair
    for name, info in metrics.METRICS.items():
        rows = info.function(A, B, average=False)
        assert rows.shape == (A.shape[0],), name
        assert info.function(A, B) == pytest.approx(rows.mean(), rel=1e-12, abs=1e-15), name


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_pinsker_inequality_links_kl_and_sorensen(pair):
    # On the simplex Sørensen is half the L1 distance, and Pinsker gives KL >= L1^2 / 2.
    A, B = pair
    kl = metrics.kl_divergence(A, B, average=False)
    l1 = 2 * metrics.sorensen(A, B, average=False)
    assert (kl >= l1**2 / 2 - 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_distances_grow_as_the_prediction_moves_away(pair):
    # Mixing the truth into the prediction never makes a metric worse (convex path to the ideal).
    A, B = pair
    closer = 0.5 * A + 0.5 * B
    for name, info in metrics.METRICS.items():
        if name in RANK_BASED:
            continue
        far, near = info.function(A, B, average=False), info.function(A, closer, average=False)
        if info.greater_is_better:
            assert (near >= far - 1e-9).all(), name
        else:
            assert (near <= far + 1e-9).all(), name


def test_kl_is_not_symmetric():
    A, B = np.array([[0.9, 0.1]]), np.array([[0.5, 0.5]])
    assert metrics.kl_divergence(A, B) != pytest.approx(metrics.kl_divergence(B, A))


# --- errors and scorers ----------------------------------------------------------------------
def test_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"D_true has shape \(1, 3\) but D_pred has shape"):
        metrics.cosine(d, p[:, :2])


def test_nan_and_negative_inputs_are_rejected():
    with pytest.raises(ValueError, match="D_pred contains NaN"):
        metrics.cosine(d, [[np.nan, 0.5, 0.5]])
    with pytest.raises(ValueError, match="D_true has a negative degree -0.1 at row 0, label 0"):
        metrics.cosine([[-0.1, 0.6, 0.5]], p)
    with pytest.raises(ValueError, match="D_pred has a negative degree -0.2 at row 1, label 2"):
        metrics.cosine(d2, [[0.4, 0.4, 0.2], [0.6, 0.6, -0.2]])
    with pytest.raises(TypeError, match="D_true must contain numbers"):
        metrics.cosine([["a", "b", "c"]], p)
    with pytest.raises(ValueError, match="D_true is empty"):
        metrics.cosine(np.zeros((0, 3)), np.zeros((0, 3)))


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"eps must be a number in \[0, 1\), got -1"):
        metrics.kl_divergence(d, p, eps=-1)
    with pytest.raises(TypeError, match="average must be True or False"):
        metrics.cosine(d, p, average="no")
    with pytest.raises(TypeError, match="metric name must be a string"):
        metrics.get_metric(None)


def test_rows_that_are_not_distributions_are_an_error_unless_normalize():
    # Issue 13: evaluate(D, 3 * D) used to return a negative KL and cosine 1.0.
    with pytest.raises(ValueError, match=r"D_pred row 0 sums to 3, not 1 .*normalize=True"):
        metrics.evaluate(d2, 3 * d2)
    with pytest.raises(ValueError, match="D_true row 0 sums to 0.8"):
        metrics.euclidean(d2[:, :2], p2[:, :2])
    for name in ALL:
        assert metrics.get_metric(name).function(d2, 3 * p2, normalize=True) == pytest.approx(
            metrics.get_metric(name).function(d2, p2), abs=1e-12
        )
    assert metrics.evaluate(d2, 3 * d2, normalize=True)["kl_divergence"] == 0.0
    with pytest.raises(TypeError, match="normalize must be True or False"):
        metrics.cosine(d, p, normalize="yes")
    # a subset of the labels goes through label_subset_euclidean, which checks the full rows
    assert metrics.label_subset_euclidean(d2, p2, [0, 1], average=False) == pytest.approx(
        [math.sqrt(0.02), math.sqrt(0.5)]
    )


def test_all_zero_rows_are_not_distributions():
    zero, half = [[0.0, 0.0]], [[0.5, 0.5]]
    for name in ALL:
        f = metrics.get_metric(name).function
        with pytest.raises(ValueError, match="D_true row 0 is all zeros"):
            f(zero, half)
        with pytest.raises(ValueError, match="D_pred row 0 is all zeros"):
            f(half, zero, normalize=True)


def test_values_are_clipped_to_their_range_and_stable():
    rng = np.random.default_rng(0)
    A = rng.dirichlet(np.ones(6), size=300)
    for name in ALL:
        info = metrics.get_metric(name)
        rows = info.function(A, A, average=False)
        if name not in NOT_IDEAL_ON_IDENTITY:
            np.testing.assert_allclose(rows, info.ideal, atol=1e-12, err_msg=name)
        if info.greater_is_better:
            assert rows.max() <= 1.0, name
        else:
            assert rows.min() >= 0.0, name
    # rows within the accepted tolerance of 1 must not leave the range either
    B = A * (1 + 5e-4)
    assert metrics.kl_divergence(A, B, average=False).min() >= 0.0
    assert metrics.intersection(B, B, average=False).max() <= 1.0
    assert metrics.fidelity(B, B, average=False).max() <= 1.0
    # tiny degrees: cosine used to underflow to 0 on A * 1e-200
    tiny = A * 1e-200
    assert metrics.cosine(tiny, tiny, normalize=True) == pytest.approx(1.0)
    values = metrics.evaluate(tiny, tiny * 3, list(metrics.METRICS), normalize=True)
    assert all(np.isfinite(v) for v in values.values())
    huge = A * 1e300
    assert metrics.kl_divergence(huge, huge, normalize=True) == 0.0


def test_unknown_metric_lists_known_ones():
    with pytest.raises(ValueError, match="known metrics: chebyshev"):
        metrics.get_metric("accuracy")


def test_aliases_and_scorer_names():
    assert metrics.get_metric("KL").name == "kl_divergence"
    assert metrics.scorer_name("kl") == "neg_kl_divergence"
    assert metrics.scorer_name("cosine") == "cosine"
    assert metrics.get_metric("neg_clark").name == "clark"
    assert metrics.get_metric("neg_kl").name == "kl_divergence"
    assert metrics.get_metric("neg_kl_divergence").name == "kl_divergence"
    assert list(metrics.make_scorers()) == [metrics.scorer_name(n) for n in metrics.PAPER_METRICS]
    with pytest.raises(ValueError, match="unknown metric 'accuracy'"):
        metrics.make_scorers(["cosine", "accuracy"])


def test_scorers_select_a_real_estimators_parameter():
    # A real ldlkit estimator in GridSearchCV with several scorers: the cross-validated scores
    # equal the metrics computed by hand, and refit picks the best k by KL.
    X, D = make_artificial(90, noise=0.05, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    grid = [1, 4, 30]
    search = GridSearchCV(
        AAKNN(),
        {"k": grid},
        cv=cv,
        scoring=metrics.make_scorers(["kl", "cosine"]),
        refit="neg_kl_divergence",
    ).fit(X, D)
    by_hand = {}
    for k in grid:
        folds = [
            (D[test], AAKNN(k=k).fit(X[train], D[train]).predict(X[test]))
            for train, test in cv.split(X)
        ]
        by_hand[k] = (
            np.mean([-metrics.kl_divergence(t, q) for t, q in folds]),
            np.mean([metrics.cosine(t, q) for t, q in folds]),
        )
    np.testing.assert_allclose(
        search.cv_results_["mean_test_neg_kl_divergence"], [by_hand[k][0] for k in grid]
    )
    np.testing.assert_allclose(
        search.cv_results_["mean_test_cosine"], [by_hand[k][1] for k in grid]
    )
    assert search.best_params_ == {"k": max(grid, key=lambda k: by_hand[k][0])}
    assert search.best_estimator_.predict(X[:2]).shape == (2, 3)
    # cross_validate: the kNN model beats the training mean on every fold and every metric.
    scoring = metrics.make_scorers()
    knn = cross_validate(AAKNN(), X, D, cv=cv, scoring=scoring)
    mean = cross_validate(MeanPredictor(), X, D, cv=cv, scoring=scoring)
    for key in (f"test_{name}" for name in scoring):
        assert (knn[key] > mean[key]).all(), key


def test_scorers_work_in_cross_validate_and_grid_search():
    X, D = make_artificial(60, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    scores = cross_validate(MeanPredictor(), X, D, cv=cv, scoring=metrics.make_scorers())
    for name in metrics.PAPER_METRICS:
        key = f"test_{metrics.scorer_name(name)}"
        values = scores[key]
        if metrics.METRICS[name].greater_is_better:
            assert (values > 0).all()
        else:
            assert (values <= 0).all()
    # the scorer's value equals the metric on the held-out fold
    train, test = next(cv.split(X))
    model = MeanPredictor().fit(X[train], D[train])
    expected = -metrics.kl_divergence(D[test], model.predict(X[test]))
    assert scores["test_neg_kl_divergence"][0] == pytest.approx(expected)
    search = GridSearchCV(MeanPredictor(), {}, cv=cv, scoring=metrics.get_scorer("kl")).fit(X, D)
    assert search.best_score_ == pytest.approx(scores["test_neg_kl_divergence"].mean())


# --- metrics that used to live elsewhere (head/tail Euclidean, label normalisation) -------------
def test_label_group_metrics_live_in_metrics_and_old_paths_still_work():
    import ldlkit.experiments as ex
    import ldlkit.neighbors as nb

    assert ex.label_subset_euclidean is metrics.label_subset_euclidean
    assert nb.label_normalized_metric is metrics.label_normalized_metric
    assert {"label_subset_euclidean", "label_normalized_metric"} <= set(metrics.__all__)


def test_no_module_imports_a_private_name_of_metrics():
    # neighbors/_metrics.py used to import metrics._check_pair; every user now goes through
    # the public functions.
    import ast
    from pathlib import Path

    root = Path(metrics.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("metrics"):
                if node.module.endswith("neighbors._metrics") or node.module == "_metrics":
                    continue
                offenders += [
                    f"{path.relative_to(root)}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
    assert offenders == []


def test_label_subset_euclidean_by_hand_and_bad_columns():
    D = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    P = np.array([[0.2, 0.4, 0.4], [0.3, 0.3, 0.4]])
    expected = np.mean([math.sqrt(0.1**2 + 0.2**2), math.sqrt(0.2**2 + 0.4**2)])
    assert metrics.label_subset_euclidean(D, P, [1, 2]) == pytest.approx(expected)
    np.testing.assert_allclose(metrics.label_subset_euclidean(D, P, [0], average=False), [0.3, 0.2])
    assert metrics.label_subset_euclidean(D, P, []) == 0.0
    with pytest.raises(ValueError, match="column indices of D_true"):
        metrics.label_subset_euclidean(D, P, [3])
    with pytest.raises(ValueError, match="D_pred has a negative degree"):
        metrics.label_subset_euclidean(D, -P, [0])


@settings(max_examples=60, deadline=None)
@given(distribution_pairs(), st.randoms(use_true_random=False))
def test_head_and_tail_euclidean_split_the_squared_distance(pair, random):
    # Any partition of the labels into head and tail: head² + tail² = all² on every row.
    A, B = pair
    L = A.shape[1]
    head = sorted(random.sample(range(L), random.randint(0, L)))
    tail = [j for j in range(L) if j not in head]
    h = metrics.label_subset_euclidean(A, B, head, average=False)
    t = metrics.label_subset_euclidean(A, B, tail, average=False)
    np.testing.assert_allclose(h**2 + t**2, metrics.euclidean(A, B, average=False) ** 2, atol=1e-12)


def test_split_label_group():
    assert metrics.split_label_group("euclidean_head") == ("euclidean", "head")
    assert metrics.split_label_group("euclidean_all") == ("euclidean", "all")
    assert metrics.split_label_group("cosine_head") == ("cosine_head", None)
    assert metrics.split_label_group("euclidean") == ("euclidean", None)
    with pytest.raises(TypeError, match="must be a string"):
        metrics.split_label_group(3)


def test_label_normalized_metric_is_the_identity_scheme_on_kept_labels():
    # Every true degree above the threshold: the scheme is the metric of the two base-2 softmaxes.
    D = np.array([[0.5, 0.3, 0.2]])
    P = np.array([[0.2, 0.3, 0.5]])
    soft2 = lambda v: 2.0**v / (2.0**v).sum()  # noqa: E731
    expected = metrics.kl_divergence(soft2(D[0])[None], soft2(P[0])[None])
    assert metrics.label_normalized_metric("kl")(D, P) == pytest.approx(expected, abs=1e-12)
    assert metrics.label_normalized_metric("cosine").__name__ == "label_normalized_cosine"


# --- the field's other measures ------------------------------------------------------------------
def test_at_least_twenty_metrics_each_documented():
    from pathlib import Path

    assert len(metrics.METRICS) >= 20
    page = (Path(__file__).parents[1] / "docs" / "metrics.md").read_text(encoding="utf-8")
    for name, info in metrics.METRICS.items():
        assert f"`{name}`" in page, name
        assert name in metrics.__all__, name
        assert info.function.__doc__ and "Examples" in info.function.__doc__, name


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_identities_between_the_distances(pair):
    A, B = pair
    rows = metrics.evaluate(A, B, metrics.METRICS, average=False)
    np.testing.assert_allclose(rows["manhattan"], 2 * rows["sorensen"], atol=1e-12)
    np.testing.assert_allclose(rows["squared_euclidean"], rows["euclidean"] ** 2, atol=1e-12)
    np.testing.assert_allclose(rows["matusita"] ** 2, 2 - 2 * rows["fidelity"], atol=1e-9)
    finite = rows["fidelity"] > 1e-9
    np.testing.assert_allclose(
        rows["bhattacharyya"][finite], -np.log(rows["fidelity"][finite]), atol=1e-9
    )
    # Jensen-Shannon is bounded by a quarter of Jeffreys (Lin 1991), and by log 2
    assert (rows["js_divergence"] <= rows["jeffreys"] / 4 + 1e-9).all()


@settings(max_examples=60, deadline=None)
@given(distribution_pairs(allow_zeros=False))
def test_jeffreys_is_the_sum_of_both_kl_directions(pair):
    A, B = pair
    both = metrics.kl_divergence(A, B, average=False) + metrics.kl_divergence(B, A, average=False)
    np.testing.assert_allclose(metrics.jeffreys(A, B, average=False), both, rtol=1e-9, atol=1e-12)
    assert metrics.get_metric("kl_symmetric").name == "jeffreys"


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_rank_correlations_match_scipy(pair):
    from scipy.stats import kendalltau, spearmanr

    A, B = pair
    rho = metrics.spearman(A, B, average=False)
    tau = metrics.kendall(A, B, average=False)
    for i, (a, b) in enumerate(zip(A, B)):
        if np.ptp(a) == 0 or np.ptp(b) == 0:  # scipy gives NaN: ldlkit's rule is tested below
            continue
        assert rho[i] == pytest.approx(spearmanr(a, b).statistic, abs=1e-9)
        assert tau[i] == pytest.approx(kendalltau(a, b, variant="b").statistic, abs=1e-9)


def test_rank_correlations_on_rows_without_an_ordering():
    flat, ordered = [[0.5, 0.5]], [[0.7, 0.3]]
    for f in (metrics.spearman, metrics.kendall):
        assert f(flat, flat) == 1.0
        assert f(flat, ordered) == 0.0
        assert f(ordered, [[0.3, 0.7]]) == -1.0


def test_kendall_blocks_give_the_same_rows(monkeypatch):
    rng = np.random.default_rng(0)
    A, B = rng.dirichlet(np.ones(5), 37), rng.dirichlet(np.ones(5), 37)
    whole = metrics.kendall(A, B, average=False)
    monkeypatch.setattr(metrics, "_KENDALL_BLOCK", 4)
    np.testing.assert_array_equal(metrics.kendall(A, B, average=False), whole)


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_dpa_is_best_for_the_truths_own_ordering(pair):
    # rearrangement inequality: ranking the labels as d does maximises sum_j d_j rank_j
    A, B = pair
    assert (metrics.dpa(A, A, average=False) >= metrics.dpa(A, B, average=False) - 1e-12).all()


@settings(max_examples=60, deadline=None)
@given(distribution_pairs())
def test_error_probability_is_at_least_one_minus_the_largest_degree(pair):
    A, B = pair
    best = 1 - A.max(axis=1)
    np.testing.assert_allclose(metrics.error_probability(A, A, average=False), best, atol=1e-12)
    assert (metrics.error_probability(A, B, average=False) >= best - 1e-12).all()


def _top_k_by_enumeration(d, p, k):
    """Mean hit over every tie-breaking order of the prediction (brute force)."""
    from itertools import permutations

    dominant = set(np.flatnonzero(d == d.max()))
    hits = []
    for order in permutations(range(len(p))):
        # a strict ranking consistent with p: sort by (degree, position in this order)
        ranking = sorted(range(len(p)), key=lambda j: (-p[j], order.index(j)))
        hits.append(bool(dominant & set(ranking[:k])))
    return np.mean(hits)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.3]), min_size=2, max_size=5),
    st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.3]), min_size=2, max_size=5),
    st.integers(1, 5),
)
def test_top_k_accuracy_is_the_mean_over_tie_breaks(a, b, k):
    L = min(len(a), len(b))
    k = min(k, L)
    d = np.array(a[:L]) + np.eye(L)[0] * 0.05
    p = np.array(b[:L]) + np.eye(L)[-1] * 0.05
    d, p = d / d.sum(), p / p.sum()
    expected = _top_k_by_enumeration(d, p, k)
    assert metrics.top_k_accuracy(d[None], p[None], k=k) == pytest.approx(expected, abs=1e-12)


def test_top_k_accuracy_by_hand_and_its_argument():
    D = np.array([[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    P = np.array([[0.2, 0.3, 0.5], [0.3, 0.5, 0.2]])
    np.testing.assert_allclose(metrics.top_k_accuracy(D, P, average=False), [0.0, 1.0])
    np.testing.assert_allclose(metrics.top_k_accuracy(D, P, k=2, average=False), [0.0, 1.0])
    np.testing.assert_allclose(metrics.top_k_accuracy(D, P, k=3, average=False), [1.0, 1.0])
    uniform = np.full((1, 4), 0.25)
    for k in range(1, 5):
        assert metrics.top_k_accuracy([[0.7, 0.1, 0.1, 0.1]], uniform, k=k) == pytest.approx(k / 4)
    assert metrics.top1_accuracy(D, P) == 0.5
    for bad in (0, 4, 1.5, True):
        with pytest.raises(ValueError, match="k must be an integer from 1 to the number of"):
            metrics.top_k_accuracy(D, P, k=bad)


def test_new_eps_arguments_are_checked():
    for f in (metrics.jeffreys, metrics.bhattacharyya):
        with pytest.raises(ValueError, match=r"eps must be a number in \[0, 1\)"):
            f(d, p, eps=1.5)
    assert metrics.jeffreys([[1.0, 0.0]], [[0.5, 0.5]], eps=0) == math.inf
    assert metrics.bhattacharyya([[1.0, 0.0]], [[0.0, 1.0]], eps=0) == math.inf
    assert metrics.bhattacharyya([[1.0, 0.0]], [[0.0, 1.0]]) == pytest.approx(-math.log(1e-12))


def test_every_metric_has_a_working_scorer():
    X, D = make_artificial(60, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    scoring = metrics.make_scorers(list(metrics.METRICS))
    assert len(scoring) == len(metrics.METRICS)
    scores = cross_validate(AAKNN(), X, D, cv=cv, scoring=scoring)
    train, test = next(cv.split(X))
    P = AAKNN().fit(X[train], D[train]).predict(X[test])
    for name, info in metrics.METRICS.items():
        sign = 1 if info.greater_is_better else -1
        key = f"test_{metrics.scorer_name(name)}"
        assert scores[key][0] == pytest.approx(sign * info.function(D[test], P)), name

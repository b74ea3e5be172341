"""The blocked search core: exact against brute force, block-size independent, incremental."""

from __future__ import annotations

import numpy as np
import pytest

from ldlkit._optional import torch_available
from ldlkit.neighbors import SearchIndex


def _brute_scores(metric: str, T: np.ndarray, Q: np.ndarray) -> np.ndarray:
    if metric == "cosine":
        Tn = T / np.linalg.norm(T, axis=1, keepdims=True)
        Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
        return Qn @ Tn.T
    return -((Q[:, None, :] - T[None, :, :]) ** 2).sum(axis=2)


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
@pytest.mark.parametrize("block_size", [1, 7, None])
def test_topk_matches_brute_force(metric, block_size, rng):
    T, Q = rng.normal(size=(50, 6)), rng.normal(size=(23, 6))
    index = SearchIndex(metric, block_size=block_size, dtype="float64").fit(T)
    scores, idx = index.topk(Q, 5)
    expected = _brute_scores(metric, T, Q)
    order = np.argsort(-expected, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_allclose(scores, np.take_along_axis(expected, order, axis=1), atol=1e-10)


@pytest.mark.parametrize("k", [1, 3])
def test_prototype_topk_matches_a_loop_over_prototypes(k, rng):
    T, Q = rng.normal(size=(40, 5)), rng.normal(size=(11, 5))
    members = [np.arange(0, 40, 2), np.arange(5, 20), np.array([], dtype=np.int64), np.array([3])]
    index = SearchIndex("cosine", block_size=4, dtype="float64").fit(T)
    scores, idx = index.prototype_topk(Q, members, k)
    S = _brute_scores("cosine", T, Q)
    for label, rows in enumerate(members):
        kk = min(k, len(rows))
        for q in range(len(Q)):
            best = rows[np.argsort(-S[q, rows], kind="stable")[:kk]]
            np.testing.assert_array_equal(idx[q, label, :kk], best)
            np.testing.assert_allclose(scores[q, label, :kk], S[q, best], atol=1e-10)
        assert np.all(idx[:, label, kk:] == -1)
        assert np.all(np.isneginf(scores[:, label, kk:]))


def test_append_and_delete_equal_a_fresh_index(rng):
    T, Q = rng.normal(size=(30, 4)), rng.normal(size=(9, 4))
    grown = SearchIndex("cosine").fit(T[:10])
    grown.append(T[10:25])
    grown.append(T[25:])
    fresh = SearchIndex("cosine").fit(T)
    np.testing.assert_array_equal(grown.rows, fresh.rows)
    np.testing.assert_array_equal(grown.topk(Q, 3)[1], fresh.topk(Q, 3)[1])
    grown.delete(np.array([0, 7, 29]))
    kept = SearchIndex("cosine").fit(np.delete(T, [0, 7, 29], axis=0))
    np.testing.assert_array_equal(grown.rows, kept.rows)


@pytest.mark.skipif(not torch_available(), reason="torch is not installed")
@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_torch_cpu_backend_agrees_with_numpy(metric, rng):
    T, Q = rng.normal(size=(60, 8)), rng.normal(size=(17, 8))
    members = [np.arange(0, 60, 3), np.arange(10, 40)]
    a = SearchIndex(metric, dtype="float64", block_size=5).fit(T)
    b = SearchIndex(metric, dtype="float64", block_size=5, backend="torch").fit(T)
    for (sa, ia), (sb, ib) in [
        (a.topk(Q, 4), b.topk(Q, 4)),
        (a.prototype_topk(Q, members, 2), b.prototype_topk(Q, members, 2)),
    ]:
        np.testing.assert_array_equal(ia, ib)
        np.testing.assert_allclose(sa, sb, atol=1e-9)


def test_torch_backend_without_torch_names_the_extra(monkeypatch):
    import sys

    from ldlkit.datasets import make_artificial
    from ldlkit.neighbors import UAKNN

    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    X, D = make_artificial(20, random_state=0)
    with pytest.raises(ImportError, match=r"ldlkit\[torch\]"):
        UAKNN(backend="torch").fit(X, D)


def test_importing_neighbors_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, ldlkit.neighbors; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def _peak_predict_bytes(model, Q: np.ndarray) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        model.predict(Q)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


@pytest.mark.parametrize("name", ["UAKNN", "AAKNN"])
def test_block_size_bounds_the_memory_of_predict(name, rng):
    from ldlkit.neighbors import AAKNN, UAKNN

    cls = {"UAKNN": UAKNN, "AAKNN": AAKNN}[name]
    n_train, n_queries, d, L = 2000, 8000, 4, 3
    X = rng.random((n_train, d)) + 0.1
    D = rng.dirichlet(np.ones(L), size=n_train)
    Q = rng.random((n_queries, d)) + 0.1
    # Input- and output-sized arrays (validated copy of Q, prediction) are unavoidable; a single
    # block of every query would add an 8000 x 2000 similarity matrix (64 MB in float32).
    per_query = 8 * (d + L) * 4
    small = _peak_predict_bytes(cls(block_size=50).fit(X, D), Q)
    large = _peak_predict_bytes(cls(block_size=1000).fit(X, D), Q)
    assert small < n_queries * per_query + 1_500_000
    # The bound really depends on block_size: 1000 x 2000 float32 similarities alone are 8 MB.
    assert large > 1000 * n_train * 4


@pytest.mark.skipif(not torch_available(), reason="torch is not installed")
@pytest.mark.parametrize("name", ["AAKNN", "WUAKNN", "TunedUAKNN"])
def test_torch_cpu_backend_gives_the_numpy_predictions_for_the_family(name):
    from ldlkit import neighbors
    from ldlkit.datasets import make_artificial

    cls = getattr(neighbors, name)
    params = {"random_state": 0} if name == "TunedUAKNN" else {}
    X, D = make_artificial(150, random_state=8)
    a = cls(dtype="float64", **params).fit(X[:120], D[:120]).predict(X[120:])
    b = cls(dtype="float64", backend="torch", **params).fit(X[:120], D[:120]).predict(X[120:])
    np.testing.assert_allclose(b, a, atol=1e-10)


def _tied_rows():
    """Training rows at exactly equal distance from each query: unit steps around it."""
    centre = np.array([5.0, 5.0])
    steps = np.array([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0], [0, 1]], dtype=float)
    far = np.array([[9.0, 9.0], [0.0, 9.0], [9.0, 0.0]])
    # Rows 0-5 tie (two are duplicates), rows 6-8 are farther away.
    T = np.vstack([centre + steps, far])
    return T, np.vstack([centre, centre])


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("k", [1, 2, 4, 7])
def test_exact_ties_go_to_the_lowest_row(backend, k):
    if backend == "torch" and not torch_available():
        pytest.skip("torch is not installed")
    T, Q = _tied_rows()
    index = SearchIndex("euclidean", backend=backend, dtype="float32").fit(T)
    scores, idx = index.topk(Q, k)
    expected = list(range(min(k, 6))) + [6, 7, 8][: max(0, k - 6)]
    np.testing.assert_array_equal(idx, [expected, expected])
    assert (np.diff(scores, axis=1) <= 0).all()


@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("k", [1, 3])
def test_prototype_ties_go_to_the_lowest_row(backend, k):
    if backend == "torch" and not torch_available():
        pytest.skip("torch is not installed")
    T, Q = _tied_rows()
    # Cosine around a centre far from the origin: shift so that the query direction ties too.
    members = [np.array([1, 3, 4, 5]), np.array([0, 2, 6]), np.arange(9)]
    index = SearchIndex("euclidean", backend=backend, dtype="float32").fit(T)
    scores, idx = index.prototype_topk(Q, members, k)
    assert idx[0, 0, :k].tolist() == [1, 3, 4][:k]
    assert idx[0, 1, :k].tolist() == [0, 2, 6][:k]
    assert idx[0, 2, :k].tolist() == [0, 1, 2][:k]
    np.testing.assert_array_equal(idx[0], idx[1])


@pytest.mark.parametrize("scale", [1e-200, 1e-160])
def test_tiny_features_keep_their_cosine_direction(scale, rng):
    T, Q = rng.normal(size=(30, 4)), rng.normal(size=(9, 4))
    tiny = SearchIndex("cosine", dtype="float64").fit(T * scale)
    reference = SearchIndex("cosine", dtype="float64").fit(T)
    scores, idx = tiny.topk(Q * scale, 3)
    expected_scores, expected_idx = reference.topk(Q, 3)
    np.testing.assert_array_equal(idx, expected_idx)
    np.testing.assert_allclose(scores, expected_scores, atol=1e-12)


@pytest.mark.parametrize("scale", [1e20, 1e200])
def test_huge_features_keep_cosine_and_euclidean_exact_or_stop_with_a_clear_error(scale, rng):
    T, Q = rng.normal(size=(30, 4)), rng.normal(size=(9, 4))
    cosine = SearchIndex("cosine", dtype="float32").fit(T * scale)
    reference = SearchIndex("cosine", dtype="float32").fit(T)
    np.testing.assert_array_equal(cosine.topk(Q * scale, 3)[1], reference.topk(Q, 3)[1])
    if scale < 1e150:
        # The float32 screen works in a frame centred and scaled on the training rows, and the
        # exact re-ranking squares float64 differences: huge features keep their neighbours.
        big = SearchIndex("euclidean", dtype="float32").fit(T * scale)
        expected = SearchIndex("euclidean", dtype="float64").fit(T).topk(Q, 3)[1]
        np.testing.assert_array_equal(big.topk(Q * scale, 3)[1], expected)
    else:
        with pytest.raises(
            ValueError, match=r"X row \d+ holds a value of magnitude .* overflow float64"
        ):
            SearchIndex("euclidean", dtype="float32").fit(T * scale)
    euclid = SearchIndex("euclidean", dtype="float32", block_size=2).fit(T)
    Q_big = Q.copy()
    Q_big[7] *= scale
    with pytest.raises(ValueError, match="X row 7 holds"):  # the caller's row, not the block's
        euclid.topk(Q_big, 3)


@pytest.mark.parametrize("k", [2, 4, 16])
def test_kth_largest_by_argmax_equals_partition_and_leaves_the_block_unchanged(k, rng):
    from ldlkit.neighbors._search import _kth_largest_by_argmax

    S = rng.integers(0, 6, size=(30, 40)).astype(np.float32)  # many ties
    before = S.copy()
    expected = np.partition(S, S.shape[1] - k, axis=1)[:, S.shape[1] - k]
    np.testing.assert_array_equal(_kth_largest_by_argmax(S, k), expected)
    np.testing.assert_array_equal(S, before)


def _tied_and_near_tied(rng, n_rows=61, d=9):
    """Rows in groups of exact duplicates, near-duplicates 1e-9 apart and rows of varied norms."""
    base = rng.normal(size=(n_rows // 3, d)) * rng.uniform(0.1, 10.0, size=(n_rows // 3, 1))
    T = np.vstack([base, base, base + 1e-9 * rng.normal(size=base.shape)])
    Q = np.vstack([base[:7], base[:5] + 1e-9, rng.normal(size=(11, d))])
    return T, Q


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("k", [1, 3, 4, 6])
@pytest.mark.parametrize("threads", [1, 3])
def test_slices_of_blocks_windows_and_rescoring_change_no_answer(
    metric, k, threads, monkeypatch, rng
):
    # Exact and near ties, blocks of odd sizes, the window and the exact re-scoring cut into
    # slices of a few scores / pairs (so that slice boundaries fall inside one query's pairs)
    # and split across threads: every setting gives the brute-force float64 answer, ties to
    # the lowest row, and the same scores bit for bit.
    from ldlkit.neighbors import _search

    monkeypatch.setattr(_search, "SEARCH_THREADS", threads)
    monkeypatch.setattr(_search, "_PARALLEL_ELEMENTS", 1)  # split even the smallest step

    T, Q = _tied_and_near_tied(rng)
    # one pair at a time (for Euclidean search, differences first), as the index scores them
    if metric == "euclidean":
        S = np.array([[-((t - q) ** 2).sum() for t in T] for q in Q])
    else:
        Tn = T / np.linalg.norm(T, axis=1, keepdims=True)
        Qn = Q / np.linalg.norm(Q, axis=1, keepdims=True)
        S = np.array([[(t * q).sum() for t in Tn] for q in Qn])
    expected = np.argsort(-S, axis=1, kind="stable")[:, :k]
    reference = None
    for window, rescore in [(2**19, 2**15), (1, 1), (3 * T.shape[0] + 1, 2 * T.shape[1] + 1)]:
        monkeypatch.setattr(_search, "_WINDOW_ELEMENTS", window)
        monkeypatch.setattr(_search, "_RESCORE_ELEMENTS", rescore)
        for block_size in [1, 2, 5, 13, None]:
            index = SearchIndex(metric, block_size=block_size).fit(T)
            scores, idx = index.topk(Q, k)
            np.testing.assert_array_equal(idx, expected)
            if reference is None:
                reference = scores
            np.testing.assert_array_equal(scores, reference)  # bit for bit
            members = [np.arange(0, len(T), 2), np.arange(5, 40), np.arange(len(T))]
            _, pidx = index.prototype_topk(Q, members, k)
            for label, rows in enumerate(members):
                best = rows[np.argsort(-S[:, rows], axis=1, kind="stable")[:, :k]]
                np.testing.assert_array_equal(pidx[:, label], best)


def test_per_row_bound_narrows_the_window_and_keeps_the_exact_answer(rng):
    # Training rows of very different norms: the per-row bound drops window pairs that the
    # bound with the largest norm kept, and the answer is still the brute-force one.
    T = rng.normal(size=(400, 20)) * rng.choice([0.05, 1.0, 30.0], size=(400, 1))
    Q = rng.normal(size=(60, 20)) * 0.05
    index = SearchIndex("euclidean").fit(T)
    Q64, Qs, norms = index._prepare_queries(Q)
    S = index._screen_numpy(Qs)
    qi, cols = index._window_numpy(S, 4, index._window(norms))
    nq, nc = index._narrowed(S[qi, cols], qi, cols, norms[qi], 4)
    assert len(nq) < len(qi)
    assert set(zip(nq.tolist(), nc.tolist())) <= set(zip(qi.tolist(), cols.tolist()))
    brute = np.array([[-((t - q) ** 2).sum() for t in T] for q in Q])
    expected = np.argsort(-brute, axis=1, kind="stable")[:, :4]
    np.testing.assert_array_equal(index.topk(Q, 4)[1], expected)


@pytest.mark.parametrize("k", [1, 4])
def test_any_screen_within_the_error_bound_gives_the_exact_answer(k, monkeypatch, rng):
    # The window and its per-row narrowing rely only on |screen - exact| <= the per-pair bound
    # r (|q| + |t_j|)^2. A screen perturbed at random within 95 % of that bound (clusters of
    # rows 1e-3 apart at different norms) must still give the brute-force float64 answer.
    centres = rng.normal(size=(3, 8)) * np.array([[0.2], [1.0], [3.0]])
    T = centres[rng.integers(0, 3, 300)] + 1e-3 * rng.normal(size=(300, 8))
    Q = T[rng.choice(300, 40)] + 1e-3 * rng.normal(size=(40, 8))
    index = SearchIndex("euclidean").fit(T)
    honest = index._screen_numpy
    row_norms = np.sqrt((index.rows.astype(np.float64) ** 2).sum(axis=1))

    def perturbed(Qs):
        S = honest(Qs)
        q = np.sqrt((Qs.astype(np.float64) ** 2).sum(axis=1))[:, None]
        bound = index._relative_error() * (q + row_norms[None, :]) ** 2
        noise = rng.uniform(-0.95, 0.95, size=S.shape) * bound
        return (S + noise).astype(S.dtype)

    monkeypatch.setattr(index, "_screen_numpy", perturbed)
    brute = np.array([[-((t - q) ** 2).sum() for t in T] for q in Q])
    expected = np.argsort(-brute, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(index.topk(Q, k)[1], expected)


def _predict_in_child(model, Q, queue):
    queue.put(model.predict(Q))


def test_search_threads_work_in_a_forked_child(monkeypatch, rng):
    # The shared pool's threads do not survive fork: a child must make its own, not wait on them.
    import multiprocessing

    from ldlkit.neighbors import AAKNN, _search

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(_search, "SEARCH_THREADS", 2)
    monkeypatch.setattr(_search, "_PARALLEL_ELEMENTS", 1)
    T, Q = rng.normal(size=(200, 6)), rng.normal(size=(40, 6))
    model = AAKNN(k=3).fit(T, rng.dirichlet(np.ones(3), size=200))
    expected = model.predict(Q)  # the parent's pool now exists
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_predict_in_child, args=(model, Q, queue))
    child.start()
    try:
        np.testing.assert_array_equal(queue.get(timeout=60), expected)
    finally:
        child.join(timeout=10)
        if child.is_alive():
            child.kill()

"""The blocked similarity-search core shared by the kNN family.

One :class:`SearchIndex` holds the training rows, prepared once (L2-normalised for cosine search,
with squared norms kept for Euclidean search) in a growable buffer so that appending rows
(``partial_fit``) does not copy the whole matrix. Queries are scored in blocks of ``block_size``
rows with one matrix product per block; memory is bounded by ``block_size * n_train`` similarities.
That product (in ``dtype``) only screens candidates: every row within a proven bound of its
rounding error is re-scored exactly in float64 and ranked there (see :class:`SearchIndex`), so all
backends, dtypes, blocks and batches return the same neighbours.

Two query kinds cover the family:

* :meth:`SearchIndex.topk` — the ``k`` best training rows over the whole set (AA-kNN, ablations);
* :meth:`SearchIndex.prototype_topk` — the ``k`` best rows *inside each prototype* (a subset of
  training rows per label; prototypes may overlap). The per-prototype reduction gathers the
  prototype's columns of the block's similarity matrix and reduces them with one ``argmax`` /
  ``argpartition`` call per prototype: a loop over labels, never over rows.

Backends: ``"numpy"`` (BLAS through numpy), ``"torch"`` (CPU or CUDA, imported lazily) and
``"faiss"`` (approximate indexes for large training sets, imported lazily; see ``_faiss.py``).
"""

from __future__ import annotations

import copy
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._torch import check_device, resolve_device
from ._faiss import SubsetIndex, check_index_params, rerank

_BACKENDS = ("numpy", "torch", "faiss")
_DTYPES = {"float32": np.float32, "float64": np.float64}
#: Working memory of one block when ``block_size`` is None (see ``bytes_per_query``).
_AUTO_BLOCK_BYTES = 2**27
#: Most queries per automatic block.
_MAX_AUTO_BLOCK = 4096
#: float64 elements gathered at a time when candidates are re-scored exactly (256 KiB).
_RESCORE_ELEMENTS = 2**15
#: Float operations per thread below which a search step runs in the calling thread.
_PARALLEL_ELEMENTS = 2**20
#: Most threads of one search step.
_MAX_SEARCH_THREADS = 8
#: Working memory of a query's candidate pairs, as counted by the automatic block.
_PAIR_BYTES_PER_QUERY = 2**14
#: Queries per faiss call when ``block_size`` is None (faiss holds no n x n_train matrix).
_FAISS_BLOCK = 4096
#: Screen scores per slice of the window's passes (2 MiB of float32, mostly in cache).
_WINDOW_ELEMENTS = 2**19
#: Up to this k the k-th best screen score is found by k argmax passes, above by np.partition.
_ARGMAX_TOPK = 16
#: Extra candidates fetched from faiss per query and re-ranked exactly.
_RERANK_MARGIN = 8


def check_search_params(
    backend: str, device: str, block_size, dtype: str, index_params: dict | None = None
) -> None:
    """The search-core rules that the estimators' declared constraints cannot state.

    ``backend``, ``dtype`` and ``block_size`` each have one declared constraint
    (``_NeighborsBase._parameter_constraints``, checked by scikit-learn's parameter validation
    before this runs); this adds the rest, each in one place: the spelling of ``device``
    (:func:`ldlkit._torch.check_device`), the rules that tie parameters together (a device
    other than the CPU needs the torch backend; ``index_params`` only with faiss), and that the
    optional library a backend needs is installed (and CUDA is there when asked for).
    ``block_size`` is unused here; it is accepted so that callers pass the full set.
    """
    check_device(device)
    if device != "cpu" and backend != "torch":
        raise ValueError(
            f"device={device!r} needs backend='torch'; the {backend} backend runs on the CPU only."
        )
    check_index_params(index_params, backend)
    if backend == "torch":
        from .._optional import require_torch

        require_torch("backend='torch'")
        resolve_device(device)  # CUDA asked for but absent: say so at fit, not at predict
    if backend == "faiss":
        from .._optional import require_faiss

        require_faiss("backend='faiss'")


class SearchIndex:
    """Training rows prepared for blocked similarity search with exact float64 re-ranking.

    Two copies of the prepared rows are kept: the float64 rows (unit rows for cosine, the raw
    rows for Euclidean search) that define the exact scores, and ``dtype`` rows used to *screen*
    candidates with one matrix product per block (for Euclidean search centred on the training
    mean and scaled by the largest magnitude, so that shifted or tiny features keep their
    precision). The screen's rounding error is bounded (:meth:`_window`), every row whose screen
    score lies within twice that bound of the ``k``-th best is re-scored exactly in float64 (one
    fixed-order sum per (query, row) pair), and the best ``k`` exact scores win, ties to the lowest
    row. So every backend, dtype, block size and batch returns the same neighbours.

    Parameters
    ----------
    metric : {"cosine", "euclidean"}
        Cosine similarity (higher is closer) or Euclidean distance (scored as the negative squared
        distance, so that higher is closer for both).
    backend, device, block_size, dtype, index_params
        See :class:`ldlkit.neighbors.UAKNN`.
    """

    def __init__(
        self,
        metric: str = "cosine",
        *,
        backend: str = "numpy",
        device: str = "cpu",
        block_size: int | None = None,
        dtype: str = "float32",
        index_params: dict | None = None,
    ) -> None:
        self.metric = metric
        self.backend = backend
        self.device = device
        self.block_size = block_size
        self.dtype = _DTYPES[dtype]
        self.index_params = check_index_params(index_params, backend)
        self._exact = np.empty((0, 0), dtype=np.float64)
        self._buffer = np.empty((0, 0), dtype=self.dtype)
        self._sqnorms = np.empty(0, dtype=self.dtype)
        self.n_rows = 0
        # Euclidean screening frame (fixed at fit so appended rows share it).
        self._center: np.ndarray | None = None
        self._scale = 1.0
        self._max_norm = 0.0  # largest screening-row norm: enters the error bound
        # Rows of the shared growable buffers used by the newest snapshot; an older snapshot
        # (still being searched by another thread) never sees rows written past its own n_rows.
        self._tail = [0]
        self._torch_cache: dict[str, Any] | None = None
        # faiss backend: "all" -> index over every row, label -> index over that prototype.
        self._faiss_cache: dict[Any, SubsetIndex] = {}

    # -- preparing rows -------------------------------------------------------------------------
    def _prepare(self, X: np.ndarray, offset: int = 0):
        """(float64 exact rows, screening rows in ``dtype``, their squared norms)."""
        if self.metric == "cosine":
            exact = np.ascontiguousarray(_unit_rows(X), dtype=np.float64)
            if exact is X:
                exact = exact.copy()
            screen = exact.astype(self.dtype)
            return exact, screen, np.zeros(len(X), dtype=self.dtype)
        _check_euclidean_range(X, np.float64, offset)
        # a C-ordered copy (the caller's array is never kept): features read from .mat files
        # are column-major, and the exact re-scoring gathers whole rows
        exact = np.array(X, dtype=np.float64, order="C")
        framed = self._framed(exact)
        _check_screen_range(framed, self.dtype, offset, self._scale)
        screen = framed.astype(self.dtype)
        return exact, screen, np.einsum("ij,ij->i", screen, screen)

    def _framed(self, X64: np.ndarray) -> np.ndarray:
        return (X64 - self._center) / self._scale

    def _set_frame(self, X: np.ndarray) -> None:
        if self.metric != "euclidean":
            return
        X64 = np.asarray(X, dtype=np.float64)
        _check_euclidean_range(X64, np.float64)
        self._center = X64.mean(axis=0)
        peak = float(np.abs(X64 - self._center).max()) if X64.size else 0.0
        self._scale = peak if peak > 0 else 1.0

    def fit(self, X: np.ndarray) -> SearchIndex:
        self._set_frame(X)
        exact, screen, norms = self._prepare(X)
        self._exact, self._buffer, self._sqnorms = exact, screen, norms
        self.n_rows = len(screen)
        self._tail = [self.n_rows]
        self._max_norm = _max_norm(norms) if self.metric == "euclidean" else 1.0
        self._torch_cache = None
        self._faiss_cache = {}
        return self

    def appended(self, X: np.ndarray) -> SearchIndex:
        """A new index with rows added at the end; this one is left unchanged (copy-on-write).

        The growable buffers are shared: the new rows are written past this index's ``n_rows``
        when no newer index uses that space, else the buffers are copied (doubling capacity).
        """
        exact, screen, norms = self._prepare(X)
        new = copy.copy(self)
        n, needed = self.n_rows, self.n_rows + len(screen)
        if needed <= len(self._buffer) and self._tail[0] == n:
            self._tail[0] = needed  # shared list: this index can no longer write its tail
        else:
            capacity = max(needed, 2 * len(self._buffer))
            d = screen.shape[1]
            new._exact = np.empty((capacity, d), dtype=np.float64)
            new._buffer = np.empty((capacity, d), dtype=self.dtype)
            new._sqnorms = np.empty(capacity, dtype=self.dtype)
            new._exact[:n], new._buffer[:n] = self._exact[:n], self._buffer[:n]
            new._sqnorms[:n] = self._sqnorms[:n]
            new._tail = [needed]
        new._exact[n:needed], new._buffer[n:needed] = exact, screen
        new._sqnorms[n:needed] = norms
        new.n_rows = needed
        if self.metric == "euclidean":
            new._max_norm = max(self._max_norm, _max_norm(norms))
        new._torch_cache = None
        new._faiss_cache = {key: index.snapshot_copy() for key, index in self._faiss_cache.items()}
        return new

    def reserve(self, extra_rows: int) -> None:
        """Make room for ``extra_rows`` appended rows now, so that those appends copy nothing.

        Growing the buffers copies every training row (about 80 ms on Movie); a server calls
        this once at start-up instead of stalling on its first append. The rows already held
        keep their values, so a search running meanwhile reads the same numbers from either
        buffer. Does nothing when there is room already or a newer index shares the buffers.
        """
        n = self.n_rows
        capacity = n + int(extra_rows)
        if capacity <= len(self._buffer) or self._tail[0] != n:
            return
        d = self._buffer.shape[1]
        exact = np.empty((capacity, d), dtype=np.float64)
        buffer = np.empty((capacity, d), dtype=self.dtype)
        sqnorms = np.empty(capacity, dtype=self.dtype)
        exact[:n], buffer[:n], sqnorms[:n] = self._exact[:n], self._buffer[:n], self._sqnorms[:n]
        self._exact, self._buffer, self._sqnorms = exact, buffer, sqnorms

    def deleted(self, indices: np.ndarray) -> SearchIndex:
        """A new index without rows ``indices``; this one is left unchanged."""
        keep = np.ones(self.n_rows, dtype=bool)
        keep[indices] = False
        new = copy.copy(self)
        new._exact = np.ascontiguousarray(self._exact[: self.n_rows][keep])
        new._buffer = np.ascontiguousarray(self._buffer[: self.n_rows][keep])
        new._sqnorms = np.ascontiguousarray(self._sqnorms[: self.n_rows][keep])
        new.n_rows = len(new._buffer)
        new._tail = [new.n_rows]
        if self.metric == "euclidean":
            new._max_norm = _max_norm(new._sqnorms)
        new._torch_cache = None
        # Row numbers shift: the faiss indexes are rebuilt from the stored rows.
        new._faiss_cache = {}
        return new

    def append(self, X: np.ndarray) -> None:
        """Add rows at the end, in place (estimators use :meth:`appended`)."""
        self.__dict__.update(self.appended(X).__dict__)

    def delete(self, indices: np.ndarray) -> None:
        """Drop rows, in place (estimators use :meth:`deleted`)."""
        self.__dict__.update(self.deleted(indices).__dict__)

    def prepare(self, members=None) -> None:
        """Build the device copies (torch) or indexes (faiss) now, not at the first query.

        Estimators call this whenever their training rows change, so that ``predict`` only
        reads. ``members`` are the prototypes later passed to :meth:`prototype_topk`.
        """
        if self.backend == "torch":
            self._torch_rows(members, build=True)
        elif self.backend == "faiss":
            self.build_faiss(members)

    @property
    def rows(self) -> np.ndarray:
        """The screening rows (a view, ``n_rows`` x d, in ``dtype``)."""
        return self._buffer[: self.n_rows]

    @property
    def exact_rows(self) -> np.ndarray:
        """The float64 rows that define the exact scores (a view, ``n_rows`` x d)."""
        return self._exact[: self.n_rows]

    def __copy__(self) -> SearchIndex:
        # A shallow copy sharing the buffers (pickling, through __getstate__, trims them).
        new = object.__new__(SearchIndex)
        new.__dict__.update(self.__dict__)
        return new

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        n = self.n_rows
        state["_exact"] = self._exact[:n].copy()  # drop spare capacity
        state["_buffer"] = self._buffer[:n].copy()
        state["_sqnorms"] = self._sqnorms[:n].copy()
        state["_tail"] = [n]
        state["_torch_cache"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        if self.backend == "torch" and "_torch_members" in state:
            self._torch_rows(state.get("_torch_members"), build=True)

    # -- blocks and error bounds ------------------------------------------------------------------
    def bytes_per_query(self) -> int:
        """Working memory of one query in a block (scores, masks, prepared copies)."""
        item = np.dtype(self.dtype).itemsize
        d = self._exact.shape[1] if self._exact.ndim == 2 else 1
        # The screen row, one gathered prototype copy and its mask; the float64 and screening
        # copies of the query; candidate pairs and their gathered float64 rows.
        return self.n_rows * (2 * item + 1) + d * (3 * 8 + item) + _PAIR_BYTES_PER_QUERY

    def _block(self, n_queries: int, extra_bytes_per_query: int = 0) -> int:
        if self.block_size is not None:
            return int(self.block_size)
        if self.backend == "faiss":
            return _FAISS_BLOCK
        per_query = self.bytes_per_query() + extra_bytes_per_query
        return int(max(1, min(_MAX_AUTO_BLOCK, _AUTO_BLOCK_BYTES // max(per_query, 1))))

    def _roundoff(self) -> tuple[float, float]:
        """(input rounding, accumulation rounding) of the screening product."""
        if self.dtype == np.float64:
            return 2.0**-53, 2.0**-53
        unit = 2.0**-24
        if self.backend == "torch":
            import torch

            precision = torch.get_float32_matmul_precision()
            if precision == "medium":
                return 2.0**-8, unit  # bfloat16 inputs, float32 accumulation
            if precision == "high" or torch.backends.cuda.matmul.allow_tf32:
                return 2.0**-11, unit  # TF32 inputs
        return unit, unit

    def _window(self, screen_norms: np.ndarray) -> np.ndarray:
        """Per query, a bound on ``|screen score - exact score|`` (screening units).

        Every product term's inputs are rounded once (relative ``u_in``), a length-d sum
        accumulates at most ``gamma = m u / (1 - m u)`` relative error (any summation order,
        m = d + 6 covering the norms and the two subtractions of the Euclidean form), and the
        float64 reference itself is off by at most ``4 m 2**-53`` of the same magnitude. The
        magnitude is ``sum |q_i t_i| <= 1`` for unit rows and ``(|q| + max |t|)**2`` for the
        Euclidean form. 5 % on top for the rounding of the bound itself.
        """
        relative = self._relative_error()
        if self.metric == "cosine":
            return np.full(len(screen_norms), relative)
        return relative * (screen_norms + self._max_norm) ** 2

    def _relative_error(self) -> float:
        """The relative factor of :meth:`_window`'s bound (times the magnitude of the terms)."""
        d = self._exact.shape[1]
        u_in, u_acc = self._roundoff()
        m = d + 6
        gamma = m * u_acc / (1 - m * u_acc) if m * u_acc < 0.5 else np.inf
        return 1.05 * (2 * u_in + u_in * u_in + gamma + 4 * m * 2.0**-53)

    def _prepare_queries(self, Q: np.ndarray, offset: int = 0):
        """(float64 exact queries, screening queries in ``dtype``, screening norms)."""
        if self.metric == "cosine":
            Q64 = np.ascontiguousarray(_unit_rows(Q), dtype=np.float64)
            return Q64, Q64.astype(self.dtype), np.ones(len(Q))
        Q64 = np.ascontiguousarray(Q, dtype=np.float64)
        framed = np.subtract(Q64, self._center)  # one temporary, divided in place
        framed /= self._scale
        # One pass of row maxima and minima over the framed rows serves both range checks:
        # |Q| <= |center| + scale |framed| (1 % over for rounding), so the float64 check of
        # the raw rows runs only when that bound does not already clear it.
        peaks = _row_peaks(framed)
        if Q64.size:
            reach = np.abs(self._center).max() + self._scale * float(peaks.max()) * 1.01
            if not reach <= _squared_distance_limit(np.float64, Q64.shape[1]):  # NaN too
                _check_euclidean_range(Q64, np.float64, offset)
        _check_screen_range(framed, self.dtype, offset, self._scale, peaks)
        return Q64, framed.astype(self.dtype), np.sqrt(np.einsum("ij,ij->i", framed, framed))

    def _threshold(self, kth: np.ndarray, eps: np.ndarray) -> np.ndarray:
        """``kth - 2 eps`` rounded *down* to the screening dtype (never excludes a candidate)."""
        low = kth.astype(np.float64) - 2.0 * eps
        if self.dtype == np.float64:
            return low
        rounded = low.astype(np.float32)
        up = rounded.astype(np.float64) > low
        rounded[up] = np.nextafter(rounded[up], np.float32(-np.inf))
        return rounded

    # -- exact scores ---------------------------------------------------------------------------
    def _exact_scores(
        self, Q64: np.ndarray, qi: np.ndarray, cols: np.ndarray, unique: bool = False
    ) -> np.ndarray:
        """float64 scores of the (query ``qi``, training row ``cols``) pairs.

        Each pair's score is the training row times the query (or their difference, squared)
        reduced by numpy's fixed-order pairwise sum over one contiguous row, so it depends on
        the two rows only: never on the batch, the block, the other candidates or the backend.
        Euclidean scores are exact negative squared distances of the raw rows (differences
        first: no cancellation for shifted features). Duplicate pairs (overlapping prototypes)
        are scored once; ``unique=True`` says there are none (the caller's window is one pair
        per query and row), which skips that sort.
        """
        if len(qi) == 0:
            return np.empty(0, dtype=np.float64)
        if unique:
            uq, uc, inverse = qi, cols, None
        else:
            n_rows = max(self.n_rows, 1)
            keys, inverse = np.unique(qi.astype(np.int64) * n_rows + cols, return_inverse=True)
            uq, uc = np.divmod(keys, n_rows)
        out = np.empty(len(uq), dtype=np.float64)
        d = Q64.shape[1]
        threads = _threads_for(len(uq) * d, _PARALLEL_ELEMENTS)
        if threads == 1:
            self._score_pairs(Q64, uq, uc, out)
        else:  # runs of pairs taken in turn by the threads: each pair's score is unchanged
            size = max(1, _PARALLEL_ELEMENTS // max(d, 1))
            runs = [slice(a, a + size) for a in range(0, len(uq), size)]
            tasks = [lambda r=r: self._score_pairs(Q64, uq[r], uc[r], out[r]) for r in runs]
            _run_parallel(tasks, threads)
        return out if inverse is None else out[inverse.ravel()]

    def _score_pairs(self, Q64: np.ndarray, uq: np.ndarray, uc: np.ndarray, out: np.ndarray):
        """Write the exact scores of pairs (``uq``, ``uc``) into ``out``, a slice at a time."""
        if len(uq) == 0:
            return
        d = Q64.shape[1]
        step = max(1, _RESCORE_ELEMENTS // max(d, 1))
        # Two buffers of ``step`` rows reused for every slice of pairs (about 256 KiB each, so
        # the gathered rows are still in cache when they are subtracted, squared and summed).
        rows = np.empty((min(step, len(uq)), d), dtype=np.float64)
        queries = np.empty_like(rows)
        exact = self._exact
        cosine = self.metric == "cosine"
        for a in range(0, len(uq), step):
            b = min(len(uq), a + step)
            g, h = rows[: b - a], queries[: b - a]
            # mode="clip": with the default "raise", take buffers its output (a copy more).
            np.take(exact, uc[a:b], axis=0, out=g, mode="clip")
            np.take(Q64, uq[a:b], axis=0, out=h, mode="clip")
            if cosine:
                np.multiply(g, h, out=g)
            else:
                np.subtract(g, h, out=g)
                np.multiply(g, g, out=g)
            np.add.reduce(g, axis=1, out=out[a:b])
        if not cosine:
            np.negative(out, out=out)

    def _pair_scorer(self, Q64: np.ndarray, idx: np.ndarray) -> np.ndarray:
        n, c = idx.shape
        qi = np.repeat(np.arange(n), c)
        return self._exact_scores(Q64, qi, idx.ravel()).reshape(n, c)

    def _subset_exact_topk(self, Q64: np.ndarray, subset: np.ndarray, k: int):
        """Exact top-k over the rows ``subset`` (faiss fallback); ties to the lower row."""
        n, m = len(Q64), len(subset)
        qi = np.repeat(np.arange(n), m)
        cols = np.tile(np.asarray(subset, dtype=np.int64), n)
        scores = self._exact_scores(Q64, qi, cols)
        values, index = _select(qi, cols, scores, n, k)
        return values, index

    # -- screening --------------------------------------------------------------------------------
    def _screen_numpy(self, Qs: np.ndarray) -> np.ndarray:
        if self.metric == "cosine":
            return Qs @ self.rows.T
        # 2 q.t - |t|^2 in the screening frame: the negative squared distance plus |q|^2, a
        # constant per query, which changes no query's ranking or window (the window compares
        # a row's scores with its own k-th best). One pass over the block after the product
        # (the factor 2 is exact in floating point, so it goes on the queries).
        S = (2 * Qs) @ self.rows.T
        S -= self._sqnorms[: self.n_rows]
        return S

    def _window_numpy(self, sub: np.ndarray, k: int, eps: np.ndarray):
        """(query, column) pairs whose screen score is within 2 eps of the k-th best.

        Pairs come sorted by query, then column. The block is taken ``_WINDOW_ELEMENTS`` scores
        at a time, so that the k argmax passes and the comparison of a slice run in cache
        (Movie, k = 4: 5.1 -> 3.0 ms a block); every step is per query, so the slicing changes
        no pair.
        """
        n, m = sub.shape
        if k >= m:
            return np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
        step = max(1, _WINDOW_ELEMENTS // max(m, 1))
        if step >= n:
            return self._window_rows(sub, k, eps)
        starts = list(range(0, n, step))
        threads = min(len(starts), _threads_for(n * m, _PARALLEL_ELEMENTS))
        tasks = [
            lambda a=a: self._window_rows(sub[a : a + step], k, eps[a : a + step]) for a in starts
        ]
        # slices taken in turn by the threads; every step is per query
        parts = [task() for task in tasks] if threads == 1 else _run_parallel(tasks, threads)
        qi = _concat([q + a for (q, _), a in zip(parts, starts, strict=True)])
        return qi, _concat([c for _, c in parts])

    def _window_rows(self, sub: np.ndarray, k: int, eps: np.ndarray):
        n, m = sub.shape
        if k == 1:
            kth = sub[np.arange(n), sub.argmax(axis=1)]  # argmax is faster than max
        elif k <= _ARGMAX_TOPK:
            kth = _kth_largest_by_argmax(sub, k)
        else:
            kth = np.partition(sub, m - k, axis=1)[:, m - k]
        # flatnonzero + divmod: 2-D np.nonzero is about 40x slower on these masks.
        flat = np.flatnonzero(sub >= self._threshold(kth, eps)[:, None])
        return np.divmod(flat, m)

    def _narrowed(self, s: np.ndarray, groups: np.ndarray, cols: np.ndarray, norms, k: int):
        """Drop window pairs that cannot be among their group's ``k`` best (Euclidean search).

        :meth:`_window` bounds the screen's error with the largest training-row norm; the same
        bound with each pair's own row norm, ``eps_j = r (|q| + |t_j|)^2``, is smaller for most
        rows. Every group (a query, or a query and a prototype) has at least ``k`` pairs whose
        exact score is at least their ``s_j - eps_j``, so its ``k``-th best exact score is at
        least ``low``, the ``k``-th largest ``s_j - eps_j`` among its pairs (the window holds
        every row whose ``s_j - eps_j`` can reach it), and a row with ``s_j + eps_j < low``
        cannot be among the ``k`` best, nor tie with the ``k``-th. The pairs kept are a subset of
        the window and a superset of the exact answer, so the answer is unchanged; on Movie
        (k = 4) about a fifth fewer rows are re-scored. ``s``: the pairs' screen scores;
        ``norms``: the screening norm of each pair's query.
        """
        if len(s) == 0:
            return groups, cols
        row_norms = np.sqrt(self._sqnorms[cols].astype(np.float64))
        # 0.1 % over the bound, and a few float64 ulps of the score, cover the rounding of the
        # sums and differences below.
        eps = 1.001 * self._relative_error() * (norms + row_norms) ** 2
        s = s.astype(np.float64)
        eps += 2.0**-50 * np.abs(s)
        low = s - eps
        order = np.lexsort((-low, groups))
        g = groups[order]
        rank = np.arange(len(g)) - np.searchsorted(g, g, side="left")
        kth = rank == k - 1
        bar = np.full(int(g[-1]) + 1, -np.inf)  # groups with fewer than k pairs keep them all
        bar[g[kth]] = low[order][kth]
        keep = s + eps >= bar[groups]
        return groups[keep], cols[keep]

    def _torch_rows(self, members=None, build: bool = False):
        import torch

        device = resolve_device(self.device)
        cache = self._torch_cache
        if cache is None or cache["device"] != device or build:
            cache = {
                "device": device,
                "rows": torch.from_numpy(np.ascontiguousarray(self.rows)).to(device),
                "sqnorms": torch.from_numpy(self._sqnorms[: self.n_rows].copy()).to(device),
                "members_src": None,
                "members": None,
            }
            if members is not None:
                cache["members_src"] = members
                cache["members"] = [
                    torch.from_numpy(np.array(r, dtype=np.int64)).to(device) for r in members
                ]
            self._torch_cache = cache
            self._torch_members = members
        return cache

    def _screen_torch(self, Qs: np.ndarray):
        import torch

        cache = self._torch_rows()
        q = torch.from_numpy(Qs).to(cache["device"])
        S = q @ cache["rows"].T
        if self.metric == "euclidean":
            S = 2 * S - cache["sqnorms"][None, :] - (q * q).sum(dim=1, keepdim=True)
        return S

    def _window_torch(self, sub, k: int, eps_t):
        import torch

        n, m = sub.shape
        if k >= m:
            qi = torch.arange(n, device=sub.device).repeat_interleave(m)
            return qi, torch.arange(m, device=sub.device).repeat(n)
        kth = sub.max(dim=1).values if k == 1 else torch.topk(sub, k, dim=1).values[:, -1]
        low = kth.double() - 2.0 * eps_t
        thr = low.to(sub.dtype)
        if sub.dtype == torch.float32:
            down = torch.nextafter(thr, torch.full_like(thr, -torch.inf))
            thr = torch.where(thr.double() > low, down, thr)
        return (sub >= thr[:, None]).nonzero(as_tuple=True)

    # -- faiss backend --------------------------------------------------------------------------
    def _faiss_index(self, key, subset: np.ndarray) -> SubsetIndex:
        index = self._faiss_cache.get(key)
        if index is None:
            index = SubsetIndex(self.metric, self.index_params)
            self._faiss_cache[key] = index
        index.sync(self.rows, subset)
        return index

    def _faiss_search(self, key, subset: np.ndarray, Q64, Qs, k: int):
        index = self._faiss_index(key, subset)
        # faiss ranks in float32; a few extra candidates are re-scored exactly in float64.
        fetch = min(len(subset), k + _RERANK_MARGIN)
        candidates = index.search(np.ascontiguousarray(Qs, dtype=np.float32), fetch)
        return rerank(self._pair_scorer, self._subset_exact_topk, Q64, candidates, k, subset)

    def build_faiss(self, members: list[np.ndarray] | None = None) -> None:
        """Build (or bring up to date) the faiss indexes now rather than at the first query.

        Parameters
        ----------
        members : list of int arrays or None
            The prototypes' rows, as passed to :meth:`prototype_topk`; None builds the index over
            all rows used by :meth:`topk`.
        """
        if members is None:
            self._faiss_index("all", np.arange(self.n_rows))
            return
        for label, rows in enumerate(members):
            if len(rows):
                key = "all" if len(rows) == self.n_rows else label
                self._faiss_index(key, np.asarray(rows, dtype=np.int64))

    # -- searching ------------------------------------------------------------------------
    def topk(self, Q: np.ndarray, k: int, *, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Scores and indices of the ``k`` closest training rows, best first: two (n, k) arrays.

        Scores are exact float64 (cosine similarities, or negative squared distances); ties go
        to the lowest row. ``offset`` is added to row numbers in error messages.
        """
        k = min(k, self.n_rows)
        n = len(Q)
        scores = np.empty((n, k), dtype=np.float64)
        index = np.empty((n, k), dtype=np.int64)
        step = self._block(n)
        for start in range(0, n, step):
            Q64, Qs, norms = self._prepare_queries(Q[start : start + step], offset + start)
            sl = slice(start, start + len(Q64))
            if self.backend == "faiss":
                everything = np.arange(self.n_rows)
                scores[sl], index[sl] = self._faiss_search("all", everything, Q64, Qs, k)
                continue
            eps = self._window(norms)
            if self.backend == "torch":
                import torch

                S = self._screen_torch(Qs)
                qi, cols = self._window_torch(S, k, torch.from_numpy(eps).to(S.device))
                s = S[qi, cols].cpu().numpy() if self.metric == "euclidean" else None
                qi, cols = qi.cpu().numpy(), cols.cpu().numpy()
            else:
                S = self._screen_numpy(Qs)
                qi, cols = self._window_numpy(S, k, eps)
                s = S[qi, cols] if self.metric == "euclidean" else None
            if s is not None and k < self.n_rows:
                qi, cols = self._narrowed(s, qi, cols, norms[qi], k)
            # one pair per (query, row): the window's pairs need no de-duplication
            exact = self._exact_scores(Q64, qi, cols, unique=True)
            scores[sl], index[sl] = _select(qi, cols, exact, len(Q64), k)
        return scores, index

    def prototype_topk(
        self, Q: np.ndarray, members, k: int = 1, *, offset: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` rows inside each prototype (exact float64 scores, ties to the lowest row).

        Parameters
        ----------
        Q : ndarray (n, d)
            Queries.
        members : sequence of L int arrays
            The training-row indices of each prototype (ascending); an empty array is allowed.
        k : int
            Rows per prototype.
        offset : int
            Added to row numbers in error messages.

        Returns
        -------
        scores : ndarray (n, L, k)
            Similarities (``-inf`` where a prototype has fewer than ``k`` rows).
        index : ndarray (n, L, k)
            Training-row indices (``-1`` where missing), best first.
        """
        n, L = len(Q), len(members)
        scores = np.full((n, L, k), -np.inf, dtype=np.float64)
        index = np.full((n, L, k), -1, dtype=np.int64)
        step = self._block(n)
        for start in range(0, n, step):
            Q64, Qs, norms = self._prepare_queries(Q[start : start + step], offset + start)
            sl = slice(start, start + len(Q64))
            if self.backend == "faiss":
                for label, rows in enumerate(members):
                    kk = min(k, len(rows))
                    if kk == 0:
                        continue
                    rows = np.asarray(rows, dtype=np.int64)
                    # A prototype holding every row (the all-uniform fallback) shares the
                    # whole-set index instead of duplicating it.
                    key = "all" if len(rows) == self.n_rows else label
                    values, found = self._faiss_search(key, rows, Q64, Qs, kk)
                    scores[sl, label, :kk] = values
                    index[sl, label, :kk] = found
                continue
            eps = self._window(norms)
            if self.backend == "torch":
                qi, cols, labels = self._prototype_window_torch(Qs, members, k, eps)
            else:
                qi, cols, labels = self._prototype_window_numpy(Qs, members, k, eps)
            exact = self._exact_scores(Q64, qi, cols)
            values, found = _select(qi * L + labels, cols, exact, len(Q64) * L, k)
            scores[sl] = values.reshape(len(Q64), L, k)
            index[sl] = found.reshape(len(Q64), L, k)
        return scores, index

    def _prototype_window_numpy(self, Qs, members, k, eps):
        S = self._screen_numpy(Qs)
        parts_q, parts_c, parts_l = [], [], []
        for label, rows in enumerate(members):
            kk = min(k, len(rows))
            if kk == 0:
                continue
            whole = len(rows) == self.n_rows
            # np.take returns a C-contiguous copy; S[:, rows] is strided and its reductions are
            # about 4x slower (benchmarks/knn_throughput.py measures both).
            sub = S if whole else np.take(S, rows, axis=1)
            qi, pos = self._window_numpy(sub, kk, eps)
            parts_q.append(qi)
            parts_c.append(pos if whole else np.asarray(rows, dtype=np.int64)[pos])
            parts_l.append(np.full(len(qi), label, dtype=np.int64))
        return _concat(parts_q), _concat(parts_c), _concat(parts_l)

    def _prototype_window_torch(self, Qs, members, k, eps):
        import torch

        cache = self._torch_rows()
        S = self._screen_torch(Qs)
        eps_t = torch.from_numpy(eps).to(S.device)
        cached = cache["members"] if cache["members_src"] is members else None
        parts_q, parts_c, parts_l = [], [], []
        for label, rows in enumerate(members):
            kk = min(k, len(rows))
            if kk == 0:
                continue
            whole = len(rows) == self.n_rows
            if whole:
                sub, idx_t = S, None
            else:
                idx_t = cached[label] if cached is not None else None
                if idx_t is None:  # prototypes not prepared (direct SearchIndex use)
                    idx_t = torch.from_numpy(np.asarray(rows, dtype=np.int64)).to(S.device)
                sub = S.index_select(1, idx_t)
            qi, pos = self._window_torch(sub, kk, eps_t)
            parts_q.append(qi)
            parts_c.append(pos if whole else idx_t[pos])
            parts_l.append(torch.full_like(qi, label))
        if not parts_q:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, empty
        # One transfer per block: a copy per label would synchronise with the GPU L times.
        stacked = torch.stack([torch.cat(parts_q), torch.cat(parts_c), torch.cat(parts_l)])
        qi, cols, labels = stacked.cpu().numpy()
        return qi, cols, labels


#: Search threads: None follows the BLAS library's thread count (threadpoolctl), so that the
#: exact re-scoring and the window run on the cores the matrix product uses; 1 runs them in
#: the calling thread (benchmarks/knn_throughput.py measures both).
SEARCH_THREADS: int | None = None
_POOL: tuple[int, ThreadPoolExecutor] | None = None  # (process id, pool)
_POOL_LOCK = threading.Lock()
_CONTROLLER: list = []


def _blas_threads() -> int:
    with _POOL_LOCK:
        if not _CONTROLLER:
            from threadpoolctl import ThreadpoolController

            _CONTROLLER.append(ThreadpoolController())
    libs = _CONTROLLER[0].select(user_api="blas").lib_controllers
    return max([int(lib.num_threads) for lib in libs] or [1])


def _threads_for(elements: int, per_thread: int) -> int:
    """Threads for a step of ``elements`` float operations: at most one per ``per_thread``."""
    if elements < 2 * per_thread:
        return 1
    wanted = SEARCH_THREADS if SEARCH_THREADS is not None else _blas_threads()
    return int(max(1, min(wanted, elements // per_thread, _MAX_SEARCH_THREADS)))


def _run_parallel(tasks: list, threads: int) -> list:
    """Run ``tasks`` (callables) on ``threads`` threads, this one included; results in order.

    The threads take the next task in turn until none is left, so a helper thread that a loaded
    machine does not schedule delays the step by at most the task it holds (and not at all when
    it had not started: it is cancelled). numpy releases the GIL inside the gathers, ufuncs and
    reductions the tasks are made of.
    """
    global _POOL
    pid = os.getpid()
    if _POOL is None or _POOL[0] != pid:  # a forked child has the object but not its threads
        with _POOL_LOCK:
            if _POOL is None or _POOL[0] != pid:
                workers = ThreadPoolExecutor(_MAX_SEARCH_THREADS, thread_name_prefix="ldlkit-knn")
                _POOL = (pid, workers)
    results: list = [None] * len(tasks)
    taken = itertools.count()  # next() on a count is atomic under the GIL

    def work() -> None:
        while (i := next(taken)) < len(tasks):
            results[i] = tasks[i]()

    helpers = [_POOL[1].submit(work) for _ in range(min(threads, len(tasks)) - 1)]
    work()
    for helper in helpers:
        if not helper.cancel():
            helper.result()
    return results


def _kth_largest_by_argmax(S: np.ndarray, k: int) -> np.ndarray:
    """Per row the ``k``-th largest value of ``S`` (duplicates counted), by ``k`` argmax passes.

    Each pass takes the row maxima and sets them to ``-inf``; the taken values are written back
    afterwards, so ``S`` is unchanged on return. For small ``k`` this is several times faster
    than ``np.partition`` (Movie, k = 4: 14x), whose selection is not vectorised across rows.
    """
    rows = np.arange(len(S))
    taken = []
    for _ in range(k):
        cols = S.argmax(axis=1)
        taken.append((cols, S[rows, cols]))
        S[rows, cols] = -np.inf
    for cols, values in reversed(taken):
        S[rows, cols] = values
    return taken[-1][1]


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def _max_norm(sqnorms: np.ndarray) -> float:
    return float(np.sqrt(np.max(sqnorms.astype(np.float64)))) if len(sqnorms) else 0.0


def _select(groups: np.ndarray, cols: np.ndarray, scores: np.ndarray, n_groups: int, k: int):
    """Per group, the ``k`` best (score, column) pairs: best first, ties to the lower column.

    Returns (n_groups, k) scores (``-inf`` where a group has fewer pairs) and columns (-1).
    """
    values = np.full((n_groups, k), -np.inf, dtype=np.float64)
    index = np.full((n_groups, k), -1, dtype=np.int64)
    if len(groups) == 0:
        return values, index
    order = np.lexsort((cols, -scores, groups))
    g = groups[order]
    rank = np.arange(len(g)) - np.searchsorted(g, g, side="left")
    keep = rank < k
    values[g[keep], rank[keep]] = scores[order][keep]
    index[g[keep], rank[keep]] = cols[order][keep]
    return values, index


#: Below this norm a float64 row's squares may have underflowed (sqrt of the smallest normal).
_NORM_UNDERFLOW = float(np.sqrt(np.finfo(np.float64).tiny)) * 1e3


def _unit_rows(X: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm; an all-zero row stays zero (similarity 0 to everything)."""
    with np.errstate(over="ignore", under="ignore"):  # handled below
        norms = np.linalg.norm(X, axis=1, keepdims=True)
    # Squares overflow for features above ~1e154 and underflow below ~1e-154, which would make
    # a row's norm inf or 0 (the row then looks all-zero). Such rows are first divided by their
    # largest magnitude, which keeps their direction; other rows take the fast path unchanged.
    suspect = ~np.isfinite(norms[:, 0]) | (norms[:, 0] < _NORM_UNDERFLOW)
    if suspect.any():
        rows = X[suspect]
        peak = np.abs(rows).max(axis=1, keepdims=True)
        rows = rows / np.where(peak > 0, peak, 1.0)
        X = X.astype(np.float64)  # a copy: the caller's array is never changed
        X[suspect] = rows
        norms[suspect] = np.linalg.norm(rows, axis=1, keepdims=True)
    return X / np.where(norms > 0, norms, 1.0)


def _beyond_squared_distance_range(
    X: np.ndarray, dtype, peaks: np.ndarray | None = None
) -> tuple[int, float, float] | None:
    """``(row, its largest magnitude, the limit)`` of the row with the largest entry when squared
    distances over its entries could overflow ``dtype``; None when every row is safe.
    ``peaks``: the rows' largest magnitudes when already known (:func:`_row_peaks`)."""
    if not X.size:
        return None
    limit = _squared_distance_limit(dtype, X.shape[1])
    peak = _row_peaks(X) if peaks is None else peaks
    row = int(peak.argmax())
    return (row, float(peak[row]), float(limit)) if peak[row] > limit else None


def _squared_distance_limit(dtype, d: int) -> float:
    """The largest magnitude whose squared distances over ``d`` features stay finite in ``dtype``:
    a squared distance sums d terms of at most (2 * max|x|)^2."""
    return float(np.sqrt(np.finfo(dtype).max / max(d, 1)) / 2)


def _row_peaks(X: np.ndarray) -> np.ndarray:
    """``np.abs(X).max(axis=1)`` without the temporary ``abs`` copy (two read-only passes)."""
    if X.shape[1] == 0:
        return np.zeros(len(X))
    return np.maximum(X.max(axis=1), -X.min(axis=1))


def _check_euclidean_range(X: np.ndarray, dtype, offset: int = 0) -> None:
    """Refuse features so large that squared distances overflow ``dtype`` (silently inf/NaN)."""
    found = _beyond_squared_distance_range(X, dtype)
    if found is not None:
        row, peak, limit = found
        raise ValueError(
            f"X row {row + offset} holds a value of magnitude {peak:.3g}; Euclidean "
            f"distances between such rows overflow float64 (limit about {limit:.3g} for "
            f"{X.shape[1]} features). Rescale the features (e.g. sklearn's StandardScaler)."
        )


def _check_screen_range(
    framed: np.ndarray, dtype, offset: int, scale: float, peaks: np.ndarray | None = None
) -> None:
    """Refuse rows so far from the training rows that the screening dtype overflows."""
    if dtype == np.float64:
        return
    found = _beyond_squared_distance_range(framed, dtype, peaks)
    if found is not None:
        row, peak, _ = found
        raise ValueError(
            f"X row {row + offset} holds a value of magnitude {peak * scale:.3g}, about "
            f"{peak:.3g} times the spread of the training rows; Euclidean distances to it "
            f"overflow float32. Rescale the features (e.g. sklearn's StandardScaler) or pass "
            "dtype='float64'."
        )

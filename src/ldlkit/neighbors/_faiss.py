"""The approximate-search backend of the kNN search core (``backend="faiss"``).

Structure (measured, see ``docs/knn.md`` and ``benchmarks/results/knn_faiss.json``): **one faiss
index per prototype** for :meth:`SearchIndex.prototype_topk`, and one over the whole training set
for :meth:`SearchIndex.topk`. Each index holds the prepared rows of its subset (a copy: prototypes
overlap, so the rows are stored about ``mean prototypes per row`` times) and maps its local
positions back to training-row indices. A single index searched once per prototype with an
``IDSelector`` was measured 4-5x slower at lower recall, because the inverted lists it scans are
mostly made of other prototypes' rows; one search with a larger ``k`` filtered by membership misses
whole prototypes for about a fifth of the queries.

Indexes are built lazily, on the first query that needs them, and kept until the training set
changes: rows appended by ``partial_fit`` are *added* to the existing indexes (the new rows of a
prototype are always at its end), while ``remove`` drops them so they are rebuilt from the stored
rows. An index is rebuilt from scratch when its subset has doubled since it was built (so that the
IVF clustering follows the data) or when the subset crosses ``min_rows``.

Every candidate faiss returns is re-scored exactly from the stored rows (the same formula as the
numpy backend, in the search ``dtype``) and the candidates are re-sorted by (score, row index):
scores are exact, only the candidate set is approximate. Where faiss returns fewer than ``k``
candidates (an IVF probe that met too few rows), those queries fall back to an exact scan of the
subset, so the output contract equals the exact backends'.

faiss is imported only when a faiss index is built or loaded.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._optional import require_faiss

_INDEX_KINDS = ("ivf", "hnsw", "flat")
#: Defaults of ``index_params``; ``None`` for nlist/nprobe means "derived from the subset size".
INDEX_DEFAULTS: dict[str, Any] = {
    "index": "ivf",
    "min_rows": 10_000,
    "nlist": None,
    "nprobe": None,
    "M": 32,
    "ef_construction": 40,
    "ef_search": 64,
}
_MINIMUM = {"min_rows": 0, "nlist": 1, "nprobe": 1, "M": 2, "ef_construction": 1, "ef_search": 1}


def check_index_params(index_params, backend: str) -> dict[str, Any]:
    """Validate ``index_params`` and return it merged with :data:`INDEX_DEFAULTS`.

    Parameters
    ----------
    index_params : dict or None
        Keys among ``index`` (``"ivf"``, ``"hnsw"`` or ``"flat"``), ``min_rows``, ``nlist``,
        ``nprobe``, ``M``, ``ef_construction`` and ``ef_search``.
    backend : str
        The search backend; ``index_params`` other than None needs ``"faiss"``.

    Returns
    -------
    dict
        The full set of parameters.

    Examples
    --------
    >>> check_index_params({"nprobe": 8}, "faiss")["nprobe"]
    8
    """
    if index_params is None:
        return dict(INDEX_DEFAULTS)
    if backend != "faiss":
        raise ValueError(
            f"index_params={index_params!r} only applies to backend='faiss' (got "
            f"backend={backend!r}); leave index_params=None or set backend='faiss'."
        )
    if not isinstance(index_params, dict):
        raise ValueError(f"index_params must be a dict or None, got {index_params!r}.")
    unknown = sorted(set(index_params) - set(INDEX_DEFAULTS), key=str)
    if unknown:
        raise ValueError(
            f"index_params has unknown keys {unknown}; allowed keys are {sorted(INDEX_DEFAULTS)}."
        )
    params = {**INDEX_DEFAULTS, **index_params}
    if params["index"] not in _INDEX_KINDS:
        raise ValueError(
            f"index_params['index'] must be one of {_INDEX_KINDS}, got {params['index']!r}."
        )
    for key, low in _MINIMUM.items():
        value = params[key]
        if value is None and key in ("nlist", "nprobe"):
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"index_params['{key}'] must be an integer >= {low}, got {value!r}.")
        params[key] = int(value)
    return params


def default_nlist(n_rows: int) -> int:
    """IVF lists for a subset of ``n_rows`` rows: ``sqrt(n_rows)``, at least 39 rows per list."""
    return max(1, min(int(math.sqrt(n_rows)), n_rows // 39))


def default_nprobe(nlist: int) -> int:
    """Lists probed per query: a sixteenth of them, at least 8 (or all when there are fewer).

    On 200,000 synthetic rows (64 features, 6 prototypes of about 66,000 rows, 257 lists each)
    probing 16 lists found the exact best row of a prototype for 98.5 % of the queries.
    """
    return min(nlist, max(8, math.ceil(nlist / 16)))


@contextmanager
def _single_threaded(faiss):
    """HNSW insertion is order-dependent when run on several OpenMP threads: build on one."""
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


class SubsetIndex:
    """One faiss index over a subset of the training rows (a prototype, or all rows).

    Parameters
    ----------
    metric : {"cosine", "euclidean"}
        Inner product on unit rows, or L2.
    params : dict
        Resolved ``index_params`` (see :func:`check_index_params`).
    """

    def __init__(self, metric: str, params: dict[str, Any]) -> None:
        self.metric = metric
        self.params = params
        self.ids = np.empty(0, dtype=np.int64)
        self.kind = "flat"
        self.built_rows = 0
        self.index: Any = None
        # True while the faiss index object is shared with an older snapshot of the model
        # (copy-on-write): it is cloned before anything is added to it.
        self.shared = False

    def snapshot_copy(self) -> SubsetIndex:
        """A copy that shares the faiss index until it is written to (copy-on-write)."""
        copy = SubsetIndex(self.metric, self.params)
        copy.__dict__.update(self.__dict__)
        copy.shared = self.index is not None
        return copy

    def _kind_for(self, n_rows: int) -> str:
        if self.params["index"] == "flat" or n_rows < self.params["min_rows"]:
            return "flat"
        if self.params["index"] == "ivf" and n_rows < 2 * 39:
            return "flat"  # fewer than two lists of faiss's minimum 39 training rows: no IVF
        return self.params["index"]

    def build(self, rows: np.ndarray, ids: np.ndarray) -> None:
        """(Re)build on ``rows[ids]`` (prepared rows of the whole training set)."""
        faiss = require_faiss()
        data = np.ascontiguousarray(rows[ids], dtype=np.float32)
        n, d = data.shape
        metric = faiss.METRIC_INNER_PRODUCT if self.metric == "cosine" else faiss.METRIC_L2
        self.kind = self._kind_for(n)
        if self.kind == "flat":
            index = faiss.IndexFlat(d, metric)
            index.add(data)
        elif self.kind == "hnsw":
            index = faiss.IndexHNSWFlat(d, self.params["M"], metric)
            index.hnsw.efConstruction = self.params["ef_construction"]
            with _single_threaded(faiss):
                index.add(data)
        else:
            nlist = self.params["nlist"] or default_nlist(n)
            nlist = max(1, min(nlist, n // 39))
            quantizer = faiss.IndexFlat(d, metric)
            index = faiss.IndexIVFFlat(quantizer, d, nlist, metric)
            index.cp.seed = 1234  # faiss's default, pinned: the k-means start is seeded
            index.train(data)
            index.add(data)
        self.index = index
        self.ids = np.array(ids, dtype=np.int64)
        self.built_rows = n
        self.shared = False

    def sync(self, rows: np.ndarray, ids: np.ndarray) -> None:
        """Bring the index up to date with the subset ``ids``: add a new tail, or rebuild."""
        old = len(self.ids)
        appended = (
            self.index is not None
            and len(ids) >= old
            and np.array_equal(ids[:old], self.ids)
            and self._kind_for(len(ids)) == self.kind
            and len(ids) <= 2 * max(self.built_rows, 1)
        )
        if not appended:
            self.build(rows, ids)
            return
        if len(ids) == old:
            return
        data = np.ascontiguousarray(rows[ids[old:]], dtype=np.float32)
        if self.shared:  # an older model snapshot may be searching this index right now
            self.index = require_faiss().clone_index(self.index)
            self.shared = False
        if self.kind == "hnsw":
            with _single_threaded(require_faiss()):
                self.index.add(data)
        else:
            self.index.add(data)
        self.ids = np.array(ids, dtype=np.int64)

    def search(self, Q32: np.ndarray, k: int) -> np.ndarray:
        """Training-row indices of the ``k`` candidates per query; -1 where faiss found none."""
        faiss = require_faiss()
        if self.kind == "ivf":
            nprobe = self.params["nprobe"] or default_nprobe(self.index.nlist)
            params = faiss.SearchParametersIVF(nprobe=min(nprobe, self.index.nlist))
            _, local = self.index.search(Q32, k, params=params)
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(self.params["ef_search"], k))
            _, local = self.index.search(Q32, k, params=params)
        else:
            _, local = self.index.search(Q32, k)
        return np.where(local >= 0, self.ids[np.maximum(local, 0)], -1)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self.index is not None:
            state["index"] = require_faiss().serialize_index(self.index)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("shared", False)
        self.__dict__.update(state)
        self.shared = False
        if self.index is not None:
            self.index = require_faiss().deserialize_index(self.index)


def rerank(
    scorer, scanner, Qb: np.ndarray, candidates: np.ndarray, k: int, subset: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact scores of the candidates, sorted best first (ties: lower row index first).

    Parameters
    ----------
    scorer : callable
        ``scorer(Qb, idx)`` returns the exact scores (n, c) of training rows ``idx`` (n, c) for
        the queries ``Qb``; it is called with valid indices only.
    scanner : callable
        ``scanner(Qb, subset, k)`` returns the exact top-``k`` (scores, indices) over ``subset``;
        used for the queries where faiss returned fewer than ``k`` candidates.
    Qb : ndarray (n, d)
        Prepared queries.
    candidates : ndarray (n, c)
        Candidate training-row indices from faiss, ``c >= k``; -1 where missing.
    k : int
        Results wanted per query (``<= len(subset)``).
    subset : ndarray
        The rows that were searched (ascending).

    Returns
    -------
    scores, index : ndarray (n, k)
        Exact scores (float64) and training-row indices, best first.
    """
    short = (candidates[:, :k] < 0).any(axis=1)
    full = ~short
    scores = np.empty((len(Qb), k), dtype=np.float64)
    index = np.empty((len(Qb), k), dtype=np.int64)
    if short.any():
        scores[short], index[short] = scanner(Qb[short], subset, k)
    if full.any():
        cand = candidates[full]
        valid = cand >= 0
        values = np.where(valid, scorer(Qb[full], np.where(valid, cand, subset[0])), -np.inf)
        tie = np.where(valid, cand, np.iinfo(np.int64).max)
        order = np.lexsort((tie, -values), axis=1)[:, :k]
        scores[full] = np.take_along_axis(values, order, axis=1)
        index[full] = np.take_along_axis(cand, order, axis=1)
    return scores, index

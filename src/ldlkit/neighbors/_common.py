"""Shared machinery of the kNN family: the incremental training store and small math helpers."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr, ndtri
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._validation import check_features, check_nonzero_rows, to_simplex
from ..base import BaseLDL, get_tags
from ._search import _BACKENDS, _DTYPES, SearchIndex, check_search_params


def softmax_base(values: np.ndarray, base: float = np.e, axis: int = -1) -> np.ndarray:
    """Softmax with base ``base`` instead of e: ``base**v / sum(base**v)``; ``-inf`` gives 0.

    Examples
    --------
    >>> softmax_base(np.array([0.0, 1.0]), base=2.0)
    array([0.33333333, 0.66666667])
    """
    z = np.asarray(values, dtype=np.float64) * np.log(base)
    peak = np.max(z, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(z - peak)
    total = e.sum(axis=axis, keepdims=True)
    return e / np.where(total > 0, total, 1.0)


def clipped_gaussian_mean(mean: np.ndarray, variance: float) -> np.ndarray:
    """Closed-form ``E[clip(X, 0, 1)]`` for ``X ~ N(mean, variance)``.

    ``E = m (Phi(b) - Phi(a)) + s (phi(a) - phi(b)) + 1 - Phi(b)`` with ``s = sqrt(variance)``,
    ``a = -m / s`` and ``b = (1 - m) / s``: the mass below 0 counts as 0, the mass above 1 as 1.

    Examples
    --------
    >>> float(clipped_gaussian_mean(np.array(0.5), 0.5))
    0.5
    """
    m = np.asarray(mean, dtype=np.float64)
    s = float(np.sqrt(variance))
    a = (0.0 - m) / s
    b = (1.0 - m) / s
    pdf_a = np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)
    pdf_b = np.exp(-0.5 * b * b) / np.sqrt(2 * np.pi)
    cdf_a, cdf_b = ndtr(a), ndtr(b)
    return m * (cdf_b - cdf_a) + s * (pdf_a - pdf_b) + (1.0 - cdf_b)


def clipped_gaussian_sample_mean(
    mean: np.ndarray, variance: float, noise: np.ndarray
) -> np.ndarray:
    """Monte-Carlo ``mean_t clip(mean + sqrt(variance) * noise[..., t], 0, 1)``.

    ``mean`` has shape (n, K). ``noise`` holds standard-normal draws, either (K', T) with K' >= K:
    each of the K means gets its own T draws, shared by all n queries (common random numbers; see
    UAKNN's notes), or (n, K', T): every query has its own draws.
    """
    K = mean.shape[1]
    noise = noise[None, :K, :] if noise.ndim == 2 else noise[:, :K, :]
    draws = mean[:, :, None] + np.sqrt(variance) * noise
    np.clip(draws, 0.0, 1.0, out=draws)
    return draws.mean(axis=2)


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, element-wise on uint64 arrays (wrapping arithmetic)."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def query_normals(X: np.ndarray, seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Standard-normal draws of ``shape`` for every row of ``X``, a function of the row and seed.

    Each row's float64 bit patterns are hashed into a 64-bit key (a sum of the patterns times odd
    per-column multipliers, then mixed; rows that differ get different keys except with
    probability about 2**-64); draw ``j`` of that row is the inverse normal CDF of the uniform
    number given by ``splitmix64(key ^ splitmix64(seed + j))``.
    So a row gets the same draws whatever rows it is predicted with and in whichever block,
    different rows get independent-looking draws, and nothing depends on a generator's state.

    Returns
    -------
    ndarray of shape (n_rows, *shape)
    """
    seed = np.uint64(seed)
    bits = np.ascontiguousarray(X, dtype=np.float64).view(np.uint64)
    multipliers = _splitmix64(np.arange(bits.shape[1], dtype=np.uint64) + seed) | np.uint64(1)
    keys = _splitmix64((bits * multipliers).sum(axis=1, dtype=np.uint64) ^ seed)
    count = int(np.prod(shape))
    counters = _splitmix64(np.arange(count, dtype=np.uint64) + seed)
    u = _splitmix64(keys[:, None] ^ counters[None, :])
    uniform = ((u >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    return ndtri(uniform).reshape((len(X), *shape))


def prototype_members(D: np.ndarray, rule: str = "threshold") -> tuple[np.ndarray, ...]:
    """Prototype membership, ascending row indices per label.

    ``rule="threshold"`` (paper Eq. 2, the default): for label i, the rows with ``D[:, i] > 1/L``
    (prototypes may overlap). ``rule="argmax"``: each row belongs to the prototype of its largest
    degree (the first one on ties), a partition of the rows. If no prototype has a member (every
    row exactly uniform), every prototype falls back to the whole training set.
    """
    if rule == "argmax":
        best = D.argmax(axis=1)
        members = [np.flatnonzero(best == i) for i in range(D.shape[1])]
    else:
        mask = D > 1.0 / D.shape[1]
        members = [np.flatnonzero(mask[:, i]) for i in range(D.shape[1])]
    if not any(len(m) for m in members):
        members = [np.arange(len(D))] * D.shape[1]
    for m in members:
        m.flags.writeable = False
    return tuple(members)


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class _Snapshot:
    """Everything ``predict`` reads, replaced as a whole when the training rows change.

    ``predict`` takes one reference to the current snapshot and uses only it, so a concurrent
    ``partial_fit``/``remove`` (which builds a new snapshot and swaps one attribute, an atomic
    operation in CPython) never shows it a half-updated model.
    """

    index: SearchIndex
    distributions: np.ndarray  # read-only
    members: tuple  # read-only int arrays, one per label
    ids: np.ndarray  # read-only int64 stable ids, one per row
    extra: dict = field(default_factory=dict)  # subclass state read by predict


_ROW_IN_MESSAGE = re.compile(r"\brow (\d+)")


def _validated_block(X: np.ndarray, start: int, stop: int, n_features: int, nonzero: bool):
    """``check_features`` on one block of rows; error messages name the caller's row."""
    try:
        block = check_features(X[start:stop], n_features=n_features)
        if nonzero:
            check_nonzero_rows(block)
    except (TypeError, ValueError) as exc:
        message = _ROW_IN_MESSAGE.sub(lambda m: f"row {int(m.group(1)) + start}", str(exc))
        raise type(exc)(message) from None
    return block


def _query_array(X, n_features: int):
    """``X`` as an array without a float64 copy of the whole (checked per block later)."""
    import scipy.sparse as sp

    if X is None or sp.issparse(X) or isinstance(X, str | bytes):
        return check_features(X, n_features=n_features)  # raises the usual clear error
    arr = X if isinstance(X, np.ndarray) else np.asarray(X)
    if arr.ndim != 2 or arr.size == 0 or arr.dtype.kind not in "biuf":
        return check_features(arr, n_features=n_features)  # rare: validated whole
    if arr.shape[1] != n_features:
        check_features(arr[:1], n_features=n_features)  # the usual width error
    return arr


class _NeighborsBase(BaseLDL):
    """Common store of the kNN family: training rows in a :class:`SearchIndex`, the distributions
    beside them, ``partial_fit`` by appending and :meth:`remove` by deleting rows.

    The fitted state lives in one immutable :class:`_Snapshot`; ``fit``/``partial_fit``/
    ``remove`` build a new one (sharing what did not change) and swap it in, serialised by a
    write lock, so predictions running in other threads always see one consistent model.

    Subclasses set ``_metric`` and implement ``_predict_block(X, snapshot)``.
    """

    _abstract = True
    _metric: ClassVar[str] = "cosine"
    # Single-parameter rules, one place each; check_search_params adds the device's spelling
    # (ldlkit._torch.check_device) and the rules that tie parameters together.
    _parameter_constraints: ClassVar[dict] = {
        "backend": [StrOptions(set(_BACKENDS))],
        "dtype": [StrOptions(set(_DTYPES))],
        "block_size": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str],
        "index_params": [dict, None],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.min_fit_samples = 1
        # Appending rows to the store is all that fitting does, so partial_fit == fit on the union.
        tags.ldl.partial_fit_exact = True
        tags.ldl.remove = True
        tags.ldl.fast_demo = True
        tags.ldl.requires_nonzero_rows = self._metric == "cosine"
        return tags

    # -- hooks ----------------------------------------------------------------------------
    def _check_params(self) -> None:
        check_search_params(
            self.backend, self.device, self.block_size, self.dtype, self.index_params
        )

    def _predict_block(self, X: np.ndarray, snapshot: _Snapshot) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _extra_bytes_per_query(self) -> int:
        """Working memory of one query beyond the search (sized by the automatic block)."""
        return 0

    # -- the snapshot -------------------------------------------------------------------------
    def _snap(self) -> _Snapshot:
        try:
            return vars(self)["_snapshot"]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} is not fitted yet.") from None

    @property
    def index_(self) -> SearchIndex:
        """The training rows prepared for search."""
        return self._snap().index

    @property
    def _distributions(self) -> np.ndarray:
        return self._snap().distributions

    @property
    def sample_ids_(self) -> np.ndarray:
        """Stable ids of the training rows, in row order (read-only int64).

        ``fit`` assigns 0..n-1; each ``partial_fit`` batch continues from the largest id ever
        assigned plus one, so ids are never reused, even after :meth:`remove_ids`.
        """
        return self._snap().ids

    def _write_lock(self) -> threading.Lock:
        lock = vars(self).get("_lock")
        if lock is None:
            lock = vars(self).setdefault("_lock", threading.Lock())
        return lock

    def _publish(self, index: SearchIndex, D: np.ndarray, ids: np.ndarray, **extra) -> None:
        """Build the caches of a new training set, then swap it in (one attribute assignment)."""
        members = prototype_members(D, getattr(self, "prototypes", "threshold"))
        index.prepare(members if self._uses_prototypes() else None)
        self._snapshot = _Snapshot(index, _read_only(D), members, _read_only(ids), extra)

    def _uses_prototypes(self) -> bool:
        return True

    # -- BaseLDL implementation ---------------------------------------------------------------
    def _new_index(self) -> SearchIndex:
        return SearchIndex(
            self._metric,
            backend=self.backend,
            device=self.device,
            block_size=self.block_size,
            dtype=self.dtype,
            index_params=self.index_params,
        )

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        with self._write_lock():
            self._next_id = len(X)
            self._publish(self._new_index().fit(X), D.copy(), np.arange(len(X), dtype=np.int64))

    def _new_ids(self, n: int) -> np.ndarray:
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        return ids

    def _partial_fit(self, X: np.ndarray, D: np.ndarray) -> None:
        with self._write_lock():
            old = self._snap()
            ids = np.concatenate([old.ids, self._new_ids(len(X))])
            self._publish(old.index.appended(X), np.concatenate([old.distributions, D]), ids)
            self._next_id += len(X)

    def reserve(self, extra_rows: int) -> _NeighborsBase:
        """Pre-allocate room for ``extra_rows`` more training rows.

        ``partial_fit`` grows its row buffer geometrically, copying every training row when it
        fills (and on the first append after loading a saved model, whose buffer has no spare
        room). ``reserve`` pays that copy now, e.g. when a server starts, so that the next
        ``extra_rows`` appended rows copy nothing. Predictions are unchanged.

        Returns
        -------
        self
        """
        check_is_fitted(self, "n_labels_")
        if isinstance(extra_rows, bool) or not isinstance(extra_rows, Integral) or extra_rows < 0:
            raise ValueError(f"extra_rows must be a non-negative integer, got {extra_rows!r}.")
        with self._write_lock():
            self._snap().index.reserve(int(extra_rows))
        return self

    def remove(self, indices) -> _NeighborsBase:
        """Drop training rows by position (as in the order rows were given to fit/partial_fit).

        Predictions afterwards equal those of a model fitted on the remaining rows. Bad positions
        raise a ValueError and remove nothing.

        Parameters
        ----------
        indices : int or array-like of int
            Positions of the rows to drop; negative positions count from the end.

        Returns
        -------
        self
        """
        check_is_fitted(self, "n_labels_")
        with self._write_lock():
            n = self._snap().index.n_rows
            self._remove_positions(_check_positions(indices, n))
        return self

    def remove_ids(self, ids) -> _NeighborsBase:
        """Drop training rows by stable id (see :attr:`sample_ids_`).

        Parameters
        ----------
        ids : int or array-like of int
            Stable ids of the rows to drop. An id that is not (or no longer) held raises a
            ValueError naming it, and nothing is removed.

        Returns
        -------
        self
        """
        check_is_fitted(self, "n_labels_")
        with self._write_lock():
            self._remove_positions(_positions_of_ids(self._snap().ids, ids))
        return self

    def _remove_positions(self, idx: np.ndarray) -> None:
        n = self._snap().index.n_rows
        if n - len(idx) < 1:
            raise ValueError("remove would drop every training row; at least one row must remain.")
        if len(idx):
            self._drop_rows(idx)

    def _drop_rows(self, idx: np.ndarray) -> None:
        old = self._snap()
        self._publish(
            old.index.deleted(idx),
            np.delete(old.distributions, idx, axis=0),
            np.delete(old.ids, idx),
        )

    @property
    def n_train_(self) -> int:
        """Number of training rows currently held."""
        check_is_fitted(self, "n_labels_")
        return self._snap().index.n_rows

    @property
    def train_distributions_(self) -> np.ndarray:
        """The label distributions of the training rows, in order (read-only)."""
        check_is_fitted(self, "n_labels_")
        return self._snap().distributions

    def _members(self) -> tuple:
        """Prototype membership of the current snapshot (built when the rows change)."""
        return self._snap().members

    # -- predicting -----------------------------------------------------------------------------
    def predict(self, X) -> np.ndarray:
        """Predict label distributions: an array (n_samples, n_labels) of rows on the simplex.

        Queries are validated and converted to float64 one block at a time, so memory is bounded
        by the block (``block_size``), not by the number of queries. Nothing of the model is
        changed.
        """
        check_is_fitted(self, "n_labels_")
        self._check_feature_names(X)
        snapshot = self._snap()
        arr = _query_array(X, self.n_features_in_)
        nonzero = get_tags(self).ldl.requires_nonzero_rows
        n = len(arr)
        out = np.empty((n, self.n_labels_), dtype=np.float64)
        step = snapshot.index._block(n, self._extra_bytes_per_query())
        for start in range(0, n, step):
            stop = min(n, start + step)
            block = _validated_block(arr, start, stop, self.n_features_in_, nonzero)
            out[start:stop] = to_simplex(self._predict_block(block, snapshot, start))
        return out

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns __dict__
        state.pop("_lock", None)  # locks do not pickle; a new one is made on demand
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "index_" in state and "_snapshot" not in state:
            raise ValueError(
                f"this {type(self).__name__} was pickled by an ldlkit without stable sample ids "
                "and exact re-ranking; refit it with this version."
            )
        super().__setstate__(state)


def _check_positions(indices, n: int) -> np.ndarray:
    """Sorted unique non-negative positions, or a ValueError (nothing removed)."""
    idx = np.atleast_1d(np.asarray(indices))
    if idx.size and not (np.issubdtype(idx.dtype, np.integer) or idx.dtype == bool):
        raise ValueError(f"indices must be integers, got dtype {idx.dtype}.")
    if idx.dtype == bool:
        raise ValueError("indices must be integer positions, not a boolean mask.")
    if idx.ndim != 1:
        raise ValueError(f"indices must be 1-D, got shape {idx.shape}.")
    if idx.size:
        # Compare as Python ints: a uint64 id above 2**63 must not wrap to a negative position.
        low, high = int(idx.min()), int(idx.max())
        if high >= n or low < -n:
            bad = high if high >= n else low
            raise ValueError(
                f"indices must lie in [-{n}, {n - 1}] (the model holds {n} training rows); "
                f"got {bad}."
            )
    idx = idx.astype(np.int64)
    return np.unique(np.where(idx < 0, idx + n, idx))


def _positions_of_ids(held: np.ndarray, ids) -> np.ndarray:
    """Positions of the stable ``ids`` in ``held`` (ascending), or a ValueError naming the
    ids that are not held."""
    wanted = np.atleast_1d(np.asarray(ids))
    if wanted.size and not np.issubdtype(wanted.dtype, np.integer):
        raise ValueError(f"ids must be integers, got dtype {wanted.dtype}.")
    if wanted.ndim != 1:
        raise ValueError(f"ids must be 1-D, got shape {wanted.shape}.")
    values = [int(v) for v in np.unique(wanted)]  # Python ints: no uint64 wraparound
    in_range = [v for v in values if -(2**63) <= v < 2**63]
    candidates = np.asarray(in_range, dtype=np.int64)
    pos = np.searchsorted(held, candidates)  # held is ascending: ids only grow
    found = (pos < len(held)) & (held[np.minimum(pos, len(held) - 1)] == candidates)
    missing = sorted(set(values) - set(candidates[found].tolist()))
    if missing:
        shown = ", ".join(str(v) for v in missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise ValueError(
            f"ids not held by the model: {shown} ({len(missing)} of {len(values)}); "
            "nothing was removed."
        )
    return pos[found]

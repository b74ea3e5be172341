"""TunedUAKNN: UAKNN's prototype matching, its few parameters chosen by inner cross-validation."""

from __future__ import annotations

import numbers
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.model_selection import KFold
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._validation import check_in_range, check_positive_int
from ..metrics import get_metric
from ._common import _NeighborsBase
from ._search import SearchIndex


def _as_grid(values, name: str, *, kind: type, low: float) -> tuple:
    if isinstance(values, str) or not hasattr(values, "__iter__"):
        raise ValueError(f"{name} must be a non-empty sequence, got {values!r}.")
    values = tuple(values)
    if not values:
        raise ValueError(f"{name} must be a non-empty sequence, got an empty one.")
    for v in values:
        ok = isinstance(v, kind) and not isinstance(v, bool)
        if not ok or not np.isfinite(v) or v <= low:
            raise ValueError(f"every value of {name} must be a number > {low:g}, got {v!r}.")
    return values


def _mixture(
    scores: np.ndarray,
    index: np.ndarray,
    D: np.ndarray,
    temperature: float,
    shrinkage: float = 0.0,
    prior: np.ndarray | None = None,
) -> np.ndarray:
    """``(1 - shrinkage) sum_j softmax(s_j / temperature) D_j + shrinkage * prior``.

    ``scores``/``index`` are (n, K) candidates per query; ``-inf`` scores (missing) get weight 0.
    """
    peak = scores.max(axis=1, keepdims=True)
    w = np.exp((scores - peak) / temperature)
    w /= w.sum(axis=1, keepdims=True)
    out = np.einsum("nk,nkj->nj", w, D[np.maximum(index, 0)])
    if shrinkage > 0:
        out = (1.0 - shrinkage) * out + shrinkage * prior
    return out


def _scaled(X: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return (X - mean) / scale


def _robust_mean_std(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and standard deviations (1 where a column is constant) without overflow.

    Features near 1e200 overflow ``x**2`` (and sums near 1e308): each column is divided by its
    largest magnitude first, and the statistics are scaled back.
    """
    peak = np.abs(X).max(axis=0)
    peak = np.where(peak > 0, peak, 1.0)
    unit = X / peak
    mean_unit = unit.mean(axis=0)
    std_unit = unit.std(axis=0)
    mean = mean_unit * peak
    std = std_unit * peak
    return mean, np.where((std_unit > 0) & np.isfinite(std) & (std > 0), std, 1.0)


class TunedUAKNN(_NeighborsBase):
    """UAKNN's prototype matching with its few parameters chosen by inner cross-validation.

    The search keeps UAKNN's structure: for each label, the training rows whose degree on it exceeds
    ``1/L`` form a prototype, and the ``k`` most cosine-similar rows of each prototype are the
    candidates (or, without prototype matching, the ``k`` most similar rows overall). The prediction
    is a similarity-weighted mixture of the candidates' distributions, shrunk towards the mean
    training distribution:

    ``(1 - shrinkage) * sum_j softmax(s_j / temperature) D_j + shrinkage * mean(D_train)``.

    Four choices are made by inner ``cv``-fold cross-validation on the training rows only (never
    on the rows to predict), scored by ``scoring``: ``k``, the temperature, the shrinkage and the
    search mode. One similarity search per inner fold serves the whole grid; no gradient training.

    Features are z-scored with the training rows' mean and standard deviation before the cosine
    search (``standardize=True``); raw cosine similarity is dominated by large-valued feature
    columns on several benchmarks.

    Parameters
    ----------
    n_neighbors : sequence of int, default=(4, 8, 16, 32)
        Candidate rows per prototype (or in all, without prototype matching).
    temperatures : sequence of float, default=(0.01, 0.03, 0.1, 1.0)
        Softmax temperatures on cosine similarities; small values approach 1-NN, large values a
        plain average of the candidates.
    shrinkages : sequence of float in [0, 1), default=(0.0, 0.2, 0.5)
        Weights of the mean training distribution in the prediction.
    prototype_matching : sequence of bool, default=(True, False)
        Which search modes to try.
    standardize : bool, default=True
        Z-score the features (training statistics) before the cosine search.
    retune : bool, default=True
        What ``partial_fit`` and ``remove`` do. True: update the standardisation and re-run the
        selection, so predictions equal those of ``fit`` on the new training set (Movie, 1,000 new
        rows: about 0.8 s). False: keep the chosen parameters, the standardisation statistics and
        the shrinkage prior of the last ``fit`` and only append/delete rows (milliseconds, like
        :class:`UAKNN`), at the price of no longer matching a fresh ``fit`` exactly.
    cv : int, default=3
        Inner folds. With fewer than ``2 * cv`` training rows nothing is tuned and the first value
        of each grid (the median temperature) is used.
    max_tuning_samples : int, default=2000
        Tune on a random subset of at most this many training rows (prediction uses all rows).
    scoring : str, default="kl_divergence"
        An :mod:`ldlkit.metrics` name; lower-is-better metrics are minimised.
    random_state : int, RandomState instance or None, default=None
        Seeds the inner folds and the tuning subset.
    backend, device, block_size, dtype, index_params
        As in :class:`~ldlkit.neighbors.UAKNN`; with ``backend="faiss"`` the inner tuning
        searches (at most ``max_tuning_samples`` rows) use the same ``index_params``.

    Attributes
    ----------
    best_params_ : dict
        The chosen ``k``, ``temperature``, ``shrinkage`` and ``prototype_matching``.
    cv_results_ : dict
        ``params`` (list of dicts) and ``mean_score`` (array, in the metric's own sign).
    mean_ : ndarray of shape (n_features,)
        Feature means used for standardisation (zeros without it).
    scale_ : ndarray of shape (n_features,)
        Feature standard deviations used for standardisation (ones without it).

    Notes
    -----
    With ``retune=True`` (default), ``partial_fit`` and ``remove`` update the standardisation and
    re-run the selection on the new training set, so their predictions equal those of ``fit`` on
    it. That costs one re-scaling of the stored rows plus the inner search over at most
    ``max_tuning_samples`` rows: more than :class:`UAKNN`'s append, still no training. With
    ``retune=False`` they are plain appends/deletions.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neighbors import TunedUAKNN
    >>> X, D = make_artificial(80, random_state=0)
    >>> model = TunedUAKNN(random_state=0).fit(X[:60], D[:60])
    >>> sorted(model.best_params_)
    ['k', 'prototype_matching', 'shrinkage', 'temperature']
    """

    _parameter_constraints: ClassVar[dict] = {
        **_NeighborsBase._parameter_constraints,
        "standardize": ["boolean"],
        "retune": ["boolean"],
        "cv": [Interval(Integral, 2, None, closed="left")],
        "max_tuning_samples": [Interval(Integral, 2, None, closed="left")],
        "scoring": [str],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_neighbors=(4, 8, 16, 32),
        temperatures=(0.01, 0.03, 0.1, 1.0),
        shrinkages=(0.0, 0.2, 0.5),
        prototype_matching=(True, False),
        standardize: bool = True,
        retune: bool = True,
        cv: int = 3,
        max_tuning_samples: int = 2000,
        scoring: str = "kl_divergence",
        random_state=None,
        backend: str = "numpy",
        device: str = "cpu",
        block_size: int | None = None,
        dtype: str = "float32",
        index_params: dict | None = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.temperatures = temperatures
        self.shrinkages = shrinkages
        self.prototype_matching = prototype_matching
        self.standardize = standardize
        self.retune = retune
        self.cv = cv
        self.max_tuning_samples = max_tuning_samples
        self.scoring = scoring
        self.random_state = random_state
        self.backend = backend
        self.device = device
        self.block_size = block_size
        self.dtype = dtype
        self.index_params = index_params

    def _check_params(self) -> None:
        for k in _as_grid(self.n_neighbors, "n_neighbors", kind=numbers.Integral, low=0):
            check_positive_int(k, name="n_neighbors values")
        _as_grid(self.temperatures, "temperatures", kind=numbers.Real, low=0.0)
        for value in _as_grid(self.shrinkages, "shrinkages", kind=numbers.Real, low=-1.0):
            check_in_range(value, name="shrinkages values", low=0.0, high=1.0, closed="left")
        modes = self.prototype_matching
        if isinstance(modes, bool | np.bool_):
            modes = (bool(modes),)
        if (
            not isinstance(modes, list | tuple)
            or not modes
            or not all(isinstance(m, bool | np.bool_) for m in modes)
        ):
            raise ValueError(
                f"prototype_matching must be a non-empty sequence of booleans, got {modes!r}."
            )
        get_metric(self.scoring)
        if isinstance(self.cv, numbers.Integral) and isinstance(
            self.max_tuning_samples, numbers.Integral
        ):
            if self.max_tuning_samples < 2 * self.cv:
                raise ValueError(
                    f"max_tuning_samples={self.max_tuning_samples} is below 2 * cv = "
                    f"{2 * self.cv}: each of the cv={self.cv} inner folds needs at least two "
                    "tuning rows. Raise max_tuning_samples or lower cv."
                )
        super()._check_params()

    def _grid(self) -> list[dict]:
        modes = self.prototype_matching
        modes = (bool(modes),) if isinstance(modes, bool | np.bool_) else tuple(modes)
        return [
            {
                "k": int(k),
                "temperature": float(t),
                "shrinkage": float(s),
                "prototype_matching": bool(m),
            }
            for m in modes
            for k in self.n_neighbors
            for t in self.temperatures
            for s in self.shrinkages
        ]

    # -- training store: raw rows kept so that standardisation can follow the data -------------
    @property
    def mean_(self) -> np.ndarray:
        return self._snap().extra["mean"]

    @property
    def scale_(self) -> np.ndarray:
        return self._snap().extra["scale"]

    @property
    def prior_(self) -> np.ndarray:
        return self._snap().extra["prior"]

    @property
    def best_params_(self) -> dict:
        return dict(self._snap().extra["best_params"])

    def _extra_bytes_per_query(self) -> int:
        k = max(int(v) for v in self.n_neighbors)
        L = self.n_labels_
        return 8 * (L * k * (L + 4) + self.n_features_in_)

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        with self._write_lock():
            self._next_id = len(X)
            self._raw = X.copy() if self.retune else None
            self._rebuild(X, D.copy(), np.arange(len(X), dtype=np.int64))

    # With retune=False the raw rows are not kept (nothing re-scales them), so appending costs
    # O(new rows) only.
    def _partial_fit(self, X: np.ndarray, D: np.ndarray) -> None:
        with self._write_lock():
            old = self._snap()
            D_all = np.concatenate([old.distributions, D])
            ids = np.concatenate([old.ids, self._new_ids(len(X))])
            if self.retune:
                raw = np.concatenate([self._raw, X])
                self._rebuild(raw, D_all, ids)
                self._raw = raw
            else:
                index = old.index.appended(_scaled(X, old.extra["mean"], old.extra["scale"]))
                self._publish(index, D_all, ids, **old.extra)
            self._next_id += len(X)

    def _drop_rows(self, idx: np.ndarray) -> None:
        old = self._snap()
        D = np.delete(old.distributions, idx, axis=0)
        ids = np.delete(old.ids, idx)
        if self.retune:
            raw = np.delete(self._raw, idx, axis=0)
            self._rebuild(raw, D, ids)
            self._raw = raw
        else:
            self._publish(old.index.deleted(idx), D, ids, **old.extra)

    def _scale(self, X: np.ndarray) -> np.ndarray:
        extra = self._snap().extra
        return _scaled(X, extra["mean"], extra["scale"])

    def _rebuild(self, X: np.ndarray, D: np.ndarray, ids: np.ndarray) -> None:
        """Standardise all stored rows, rebuild the index, re-run the selection, publish."""
        if self.standardize:
            mean, scale = _robust_mean_std(X)
        else:
            mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
        index = self._new_index().fit(_scaled(X, mean, scale))
        best, self.cv_results_ = self._select(index, D)
        self._publish(index, D, ids, mean=mean, scale=scale, prior=D.mean(axis=0), best_params=best)

    def _candidates(self, index: SearchIndex, members, X: np.ndarray, k: int, matching: bool):
        if matching:
            scores, idx = index.prototype_topk(X, members, k)
            return scores.reshape(len(X), -1), idx.reshape(len(X), -1)
        return index.topk(X, k)

    def _select(self, index: SearchIndex, D: np.ndarray) -> tuple[dict, dict]:
        """The best grid point by inner cross-validation: (best_params, cv_results)."""
        grid = self._grid()
        n = index.n_rows
        if n < 2 * self.cv:
            temps = sorted(self.temperatures)
            best = dict(grid[0], temperature=float(temps[len(temps) // 2]))
            return best, {"params": [], "mean_score": np.empty(0)}
        rng = check_random_state(self.random_state)
        rows = index.exact_rows
        if n > self.max_tuning_samples:
            subset = np.sort(rng.choice(n, self.max_tuning_samples, replace=False))
            rows, D = rows[subset], D[subset]
        info = get_metric(self.scoring)
        folds = KFold(self.cv, shuffle=True, random_state=rng.randint(np.iinfo(np.int32).max))
        L = D.shape[1]
        totals = np.zeros(len(grid))
        k_max = max(p["k"] for p in grid)
        for train, test in folds.split(rows):
            inner = SearchIndex(
                "cosine",
                backend=self.backend,
                device=self.device,
                block_size=self.block_size,
                dtype=self.dtype,
                index_params=self.index_params,
            ).fit(rows[train])
            D_train = D[train]
            prior = D_train.mean(axis=0)
            mask = D_train > 1.0 / L
            members = [np.flatnonzero(mask[:, i]) for i in range(L)]
            if not any(len(m) for m in members):
                members = [np.arange(len(train))] * L
            found = {
                matching: self._candidates(inner, members, rows[test], k_max, matching)
                for matching in {p["prototype_matching"] for p in grid}
            }
            for g, params in enumerate(grid):
                scores, idx = found[params["prototype_matching"]]
                k = params["k"]
                if params["prototype_matching"]:
                    per = scores.shape[1] // L
                    scores = scores.reshape(len(test), L, per)[:, :, :k].reshape(len(test), -1)
                    idx = idx.reshape(len(test), L, per)[:, :, :k].reshape(len(test), -1)
                else:
                    scores, idx = scores[:, :k], idx[:, :k]
                pred = _mixture(
                    scores, idx, D_train, params["temperature"], params["shrinkage"], prior
                )
                value = info.function(D[test], pred / pred.sum(axis=1, keepdims=True))
                totals[g] += len(test) * (-value if info.greater_is_better else value)
        mean = totals / len(rows)
        best = int(np.argmin(mean))  # the first best on ties
        results = {"params": grid, "mean_score": -mean if info.greater_is_better else mean}
        return dict(grid[best]), results

    def _predict_block(self, X: np.ndarray, snapshot, offset: int = 0) -> np.ndarray:
        extra = snapshot.extra
        p = extra["best_params"]
        Xs = _scaled(X, extra["mean"], extra["scale"])
        if p["prototype_matching"]:
            scores, idx = snapshot.index.prototype_topk(Xs, snapshot.members, p["k"], offset=offset)
            scores, idx = scores.reshape(len(X), -1), idx.reshape(len(X), -1)
        else:
            scores, idx = snapshot.index.topk(Xs, p["k"], offset=offset)
        return _mixture(
            scores, idx, snapshot.distributions, p["temperature"], p["shrinkage"], extra["prior"]
        )

"""Corrupt label distributions on purpose: noisy degrees, missing degrees, exchanged labels.

Robustness studies in LDL train on damaged label distributions and test on clean ones. This
module has the three corruptions the literature uses, as seeded, deterministic functions of ``D``,
and :class:`CorruptedTraining`, a wrapper that applies one of them to the training rows only, so
that any protocol (``cross_validate``, :func:`ldlkit.experiments.run_experiment`, a grid search)
fits on corrupted folds and scores on clean ones.

* :func:`gaussian_noise` adds ``N(mean, std^2)`` to every degree and maps each row back to a
  distribution;
* :func:`random_missing` hides a fraction of the degrees (incomplete LDL, Xu & Zhou 2017), marked
  ``NaN``; :func:`observed_mask` gives the mask, which the learners in
  :mod:`ldlkit.incomplete` take as ``fit(X, D, observed=mask)``;
* :func:`label_exchange` swaps degrees between labels of the same row (the row stays a
  distribution, its ranking changes).

Same ``random_state`` and input, same output, whatever ran before (a local generator, never the
global one).
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._validation import check_distributions, check_in_range

__all__ = [
    "gaussian_noise",
    "random_missing",
    "label_exchange",
    "observed_mask",
    "fill_missing",
    "SIMULATORS",
    "CorruptedTraining",
]


def _project_rows_to_simplex(V: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row onto the probability simplex (sort-based)."""
    n, L = V.shape
    U = -np.sort(-V, axis=1)
    cumulative = np.cumsum(U, axis=1) - 1.0
    index = np.arange(1, L + 1)
    condition = U - cumulative / index > 0
    rho = L - 1 - np.argmax(condition[:, ::-1], axis=1)
    theta = cumulative[np.arange(n), rho] / (rho + 1)
    return np.maximum(V - theta[:, None], 0.0)


def gaussian_noise(
    D: ArrayLike,
    *,
    std: float = 0.1,
    mean: float = 0.0,
    projection: str = "clip",
    random_state=None,
) -> np.ndarray:
    """Add Gaussian noise to every degree, then make each row a distribution again.

    Parameters
    ----------
    D : array-like of shape (n_samples, n_labels)
        Label distributions.
    std : float >= 0, default=0.1
        Standard deviation of the noise (on the degree scale).
    mean : float, default=0.0
        Mean of the noise.
    projection : {"clip", "simplex"}, default="clip"
        ``"clip"``: negative degrees become 0 and the row is divided by its sum (a row whose
        degrees all fell to 0 or below is projected as with ``"simplex"``). ``"simplex"``: the
        Euclidean projection onto the probability simplex (what PyLDL does).
    random_state : int, RandomState or None

    Returns
    -------
    ndarray of shape (n_samples, n_labels)
        Rows summing to 1.

    Examples
    --------
    >>> D = [[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]]
    >>> noisy = gaussian_noise(D, std=0.05, random_state=0)
    >>> noisy.shape, bool(np.allclose(noisy.sum(axis=1), 1))
    ((2, 3), True)
    """
    D = check_distributions(D)
    std = check_in_range(std, name="std", low=0.0, closed="left")
    if isinstance(mean, bool) or not isinstance(mean, numbers.Real) or not np.isfinite(mean):
        raise ValueError(f"mean must be a finite number, got {mean!r}.")
    if projection not in ("clip", "simplex"):
        raise ValueError(f"projection must be 'clip' or 'simplex', got {projection!r}.")
    rng = check_random_state(random_state)
    noisy = D + rng.normal(loc=float(mean), scale=std, size=D.shape)
    if projection == "simplex":
        return _project_rows_to_simplex(noisy)
    clipped = np.maximum(noisy, 0.0)
    sums = clipped.sum(axis=1, keepdims=True)
    empty = sums[:, 0] <= 0
    out = clipped / np.where(sums > 0, sums, 1.0)
    if empty.any():
        out[empty] = _project_rows_to_simplex(noisy[empty])
    return out


def random_missing(
    D: ArrayLike,
    *,
    rate: float = 0.4,
    weighted: bool = False,
    keep_one: bool = True,
    random_state=None,
) -> np.ndarray:
    """Hide a fraction of the degrees (incomplete label distributions): ``NaN`` marks them.

    ``round(rate * n_samples * n_labels)`` entries are drawn without replacement; the observed
    degrees keep their values (they are not renormalised: in incomplete LDL the known degrees are
    the true ones, and the rows' observed sums tell how much mass is missing).

    Parameters
    ----------
    D : array-like of shape (n_samples, n_labels)
    rate : float in [0, 1), default=0.4
        Fraction of the entries to hide.
    weighted : bool, default=False
        Draw entries with probability proportional to ``1 - d`` (small degrees go missing more
        often, the setting of Li et al. 2024) instead of uniformly.
    keep_one : bool, default=True
        A row that lost every degree gets one back (drawn uniformly among its labels), so the
        hidden count can be slightly below the target.
    random_state : int, RandomState or None

    Returns
    -------
    ndarray of shape (n_samples, n_labels)
        ``D`` with ``NaN`` at the hidden entries.

    Examples
    --------
    >>> D = np.full((4, 5), 0.2)
    >>> hidden = random_missing(D, rate=0.5, random_state=0)
    >>> int(np.isnan(hidden).sum())
    10
    """
    D = check_distributions(D)
    rate = check_in_range(rate, name="rate", low=0.0, high=1.0, closed="left")
    for name, value in (("weighted", weighted), ("keep_one", keep_one)):
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{name} must be True or False, got {value!r}.")
    rng = check_random_state(random_state)
    size = D.size
    count = int(round(rate * size))
    if weighted:
        p = (1.0 - D).ravel()
        total = p.sum()
        p = p / total if total > 0 else None
        chosen = rng.choice(size, size=count, replace=False, p=p)
    else:
        chosen = rng.choice(size, size=count, replace=False)
    hidden = np.zeros(size, dtype=bool)
    hidden[chosen] = True
    hidden = hidden.reshape(D.shape)
    if keep_one:
        empty = np.flatnonzero(hidden.all(axis=1))
        if empty.size:
            hidden[empty, rng.randint(D.shape[1], size=empty.size)] = False
    out = D.copy()
    out[hidden] = np.nan
    return out


def observed_mask(D_incomplete: ArrayLike) -> np.ndarray:
    """``True`` where a degree is known, ``False`` where :func:`random_missing` hid it (NaN).

    Examples
    --------
    >>> observed_mask([[0.5, np.nan, 0.2]]).tolist()
    [[True, False, True]]
    """
    return ~np.isnan(np.asarray(D_incomplete, dtype=np.float64))


def fill_missing(D_incomplete: ArrayLike) -> np.ndarray:
    """Hidden degrees set to 0 and each row renormalised: how a learner that cannot handle
    missing degrees sees an incomplete matrix (the naive baseline of incomplete LDL).

    A row with no observed mass becomes uniform.

    Examples
    --------
    >>> fill_missing([[0.5, np.nan, 0.25]]).round(4).tolist()
    [[0.6667, 0.0, 0.3333]]
    """
    filled = np.nan_to_num(np.asarray(D_incomplete, dtype=np.float64), nan=0.0)
    sums = filled.sum(axis=1, keepdims=True)
    uniform = np.full_like(filled, 1.0 / filled.shape[1])
    return np.where(sums > 0, filled / np.where(sums > 0, sums, 1.0), uniform)


def label_exchange(D: ArrayLike, *, rate: float = 0.2, random_state=None) -> np.ndarray:
    """Exchange degrees between labels of the same row (label noise that keeps distributions).

    Each entry is selected with probability ``rate``. In a row with one selected entry, its degree
    is swapped with that of another label drawn uniformly; in a row with several, their degrees
    are permuted among them by a random permutation that moves at least one of them.

    Parameters
    ----------
    D : array-like of shape (n_samples, n_labels)
    rate : float in [0, 1], default=0.2
    random_state : int, RandomState or None

    Returns
    -------
    ndarray of shape (n_samples, n_labels)
        Each row a permutation of the same row of ``D``.

    Examples
    --------
    >>> D = [[0.6, 0.3, 0.1]]
    >>> sorted(label_exchange(D, rate=1.0, random_state=0)[0].tolist()) == sorted(D[0])
    True
    """
    D = check_distributions(D)
    rate = check_in_range(rate, name="rate", low=0.0, high=1.0)
    rng = check_random_state(random_state)
    n, L = D.shape
    selected = rng.random_sample(D.shape) < rate
    out = D.copy()
    for i in np.flatnonzero(selected.any(axis=1)):
        where = np.flatnonzero(selected[i])
        if where.size == 1:
            j = int(where[0])
            k = int(rng.randint(L - 1))
            k += k >= j  # a label other than j
            out[i, [j, k]] = out[i, [k, j]]
            continue
        order = rng.permutation(where.size)
        while np.array_equal(order, np.arange(where.size)):
            order = rng.permutation(where.size)
        out[i, where] = D[i, where[order]]
    return out


#: Name -> simulator, for :class:`CorruptedTraining` (and the CLI's specs).
SIMULATORS = {
    "gaussian_noise": gaussian_noise,
    "random_missing": random_missing,
    "label_exchange": label_exchange,
}


class CorruptedTraining(BaseEstimator):
    """Fit ``estimator`` on corrupted training distributions; predict as it does.

    Inside a cross-validation only the training folds are corrupted, and the test folds are
    scored against clean distributions: the usual robustness protocol. The corruption is seeded
    by ``random_state``, so a fold gives the same corrupted rows on every run.

    With ``simulator="random_missing"`` a learner that takes incomplete distributions (those of
    :mod:`ldlkit.incomplete`; class attribute ``accepts_missing_degrees = True``) gets the known
    degrees and their mask (``fit(X, D_known, observed=mask)``); any other learner gets
    :func:`fill_missing`'s renormalised rows.

    Parameters
    ----------
    estimator : estimator
        Any ldlkit learner (cloned at fit).
    simulator : {"gaussian_noise", "random_missing", "label_exchange"}, default="gaussian_noise"
    params : dict or None
        Keyword arguments of the simulator (``{"std": 0.2}``, ``{"rate": 0.6}``, ...).
    random_state : int, RandomState or None, default=0

    Attributes
    ----------
    estimator_ : the fitted clone of ``estimator``

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neighbors import AAKNN
    >>> X, D = make_artificial(60, random_state=0)
    >>> model = CorruptedTraining(AAKNN(), simulator="label_exchange", params={"rate": 0.3})
    >>> cross_val_score(model, X, D, cv=3).shape
    (3,)
    """

    def __init__(
        self, estimator=None, *, simulator="gaussian_noise", params=None, random_state=0
    ) -> None:
        self.estimator = estimator
        self.simulator = simulator
        self.params = params
        self.random_state = random_state

    def corrupt(self, D: ArrayLike) -> np.ndarray:
        """The corrupted version of ``D`` that :meth:`fit` trains on."""
        if self.simulator not in SIMULATORS:
            raise ValueError(
                f"simulator must be one of {', '.join(SIMULATORS)}, got {self.simulator!r}."
            )
        params = dict(self.params or {})
        if "random_state" in params:
            raise ValueError("pass random_state to CorruptedTraining, not inside params.")
        return SIMULATORS[self.simulator](D, random_state=self.random_state, **params)

    def fit(self, X: ArrayLike, D: ArrayLike) -> CorruptedTraining:
        """Corrupt ``D`` and fit a clone of ``estimator`` on ``(X, corrupted D)``."""
        if self.estimator is None:
            raise ValueError("CorruptedTraining needs an estimator, e.g. estimator=AAKNN().")
        corrupted = self.corrupt(D)
        if self.simulator != "random_missing":
            self.estimator_ = clone(self.estimator).fit(X, corrupted)
        elif getattr(self.estimator, "accepts_missing_degrees", False):
            observed = observed_mask(corrupted)
            self.estimator_ = clone(self.estimator).fit(
                X, np.nan_to_num(corrupted, nan=0.0), observed=observed
            )
        else:
            self.estimator_ = clone(self.estimator).fit(X, fill_missing(corrupted))
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The fitted estimator's predictions."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X)

    def score(self, X: ArrayLike, D: ArrayLike) -> float:
        """Mean cosine similarity against (clean) ``D``, as the ldlkit learners score."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.score(X, D)

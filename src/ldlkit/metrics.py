"""Label distribution metrics (Geng 2016) and scikit-learn scorers.

Every metric has the signature ``f(D_true, D_pred, *, average=True)``: with ``average=True`` it
returns the mean over rows (the number the papers report), with ``average=False`` an array with one
value per row.

Inputs must be 2-D, of the same shape, finite and non-negative, and every row must be a label
distribution: it sums to 1 (within ``1e-3``, the tolerance the estimators accept, loose enough for
single-precision files). Anything else is a clear ``ValueError``/``TypeError``: a prediction that
is not a distribution would otherwise give meaningless numbers (``kl_divergence(D, 3 * D)`` is
negative, ``cosine(D, 3 * D)`` is 1). Pass ``normalize=True`` (every metric and :func:`evaluate`
take it) to divide each row of both arguments by its sum first, for scores or counts that are
meant to be read as distributions. To compare a subset of the labels (the imbalanced-LDL papers'
head/tail Euclidean distances) use :func:`label_subset_euclidean`, which checks the full rows and
then compares the chosen columns without renormalising them.

Every value is clipped to its metric's range (the table below): round-off can otherwise give
``kl_divergence(D, D) = -1e-12`` or an intersection of ``1 + 1e-16``. Cosine is computed on rows
scaled by their largest degree, so it does not underflow on tiny degrees.

Zero degrees
------------
KL divergence, Clark and Canberra divide by degrees, and benchmark files do contain zeros (emotion6:
31 % of its degrees). The policy, the same for every metric:

* a term whose numerator and denominator are both zero counts as 0 (Clark, Canberra, squared
  chi-square: the limit as both degrees go to zero);
* ``0 * log(0 / p)`` counts as 0 (the limit), so a zero true degree contributes nothing to KL;
* a predicted degree that is zero where the true degree is positive is floored at ``eps``
  (default ``1e-12``) in KL, so KL stays finite; pass ``eps=0`` to get ``inf`` instead. Jeffreys
  floors both degrees at ``eps`` inside its logarithm, Bhattacharyya floors the coefficient;
* Jensen-Shannon needs no floor (its mixture is positive wherever a degree is);
* no other metric adds an epsilon: Chebyshev, Euclidean, intersection and fidelity never divide,
  and cosine and Sørensen would only divide by zero for a row of zeros, which is not a
  distribution (refused, with or without ``normalize``).

Metric table
------------
========================  =========  ============  ==============
name                      better     ideal value   range (L labels)
========================  =========  ============  ==============
chebyshev                 lower      0             [0, 1]
clark                     lower      0             [0, sqrt(L)]
canberra                  lower      0             [0, L]
kl_divergence             lower      0             [0, inf)
cosine                    higher     1             [0, 1]
intersection              higher     1             [0, 1]
euclidean                 lower      0             [0, sqrt(2)]
sorensen                  lower      0             [0, 1]
squared_chi2              lower      0             [0, 2]
fidelity                  higher     1             [0, 1]
squared_euclidean         lower      0             [0, 2]
manhattan                 lower      0             [0, 2]
matusita                  lower      0             [0, sqrt(2)]
wave_hedges               lower      0             [0, L]
jeffreys                  lower      0             [0, inf)
js_divergence             lower      0             [0, log 2]
bhattacharyya             lower      0             [0, inf)
spearman                  higher     1             [-1, 1]
kendall                   higher     1             [-1, 1]
dpa                       higher     1 (bound)     [1/L, 1]
top1_accuracy             higher     1             [0, 1]
error_probability         lower      0 (bound)     [0, 1]
========================  =========  ============  ==============

DPA and error probability do not reach their bound on identical rows (only on one-hot truths);
the rank correlations and the dominant-label measures look at orderings only, and break ties in
a stated way (see their docstrings).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import make_scorer

from ._validation import SUM_TOLERANCE, as_float_array, check_in_range

__all__ = [
    "PAPER_METRICS",
    "METRICS",
    "METRIC_ALIASES",
    "chebyshev",
    "clark",
    "canberra",
    "kl_divergence",
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
    "dpa",
    "top_k_accuracy",
    "top1_accuracy",
    "error_probability",
    "label_subset_euclidean",
    "LABEL_GROUPS",
    "split_label_group",
    "label_normalized_metric",
    "evaluate",
    "get_metric",
    "get_scorer",
    "scoring_reference",
    "make_scorers",
    "scorer_name",
]

#: The six metrics every paper reports, in the papers' column order.
PAPER_METRICS = ("chebyshev", "clark", "canberra", "kl_divergence", "cosine", "intersection")

DEFAULT_EPS = 1e-12


def _check_pair(D_true, D_pred, normalize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(normalize, bool | np.bool_):
        raise TypeError(f"normalize must be True or False, got {normalize!r}.")
    D_true = as_float_array(D_true, name="D_true")
    D_pred = as_float_array(D_pred, name="D_pred")
    if D_true.shape != D_pred.shape:
        raise ValueError(
            f"D_true has shape {D_true.shape} but D_pred has shape {D_pred.shape}; "
            "they must match (one row per sample, one column per label)."
        )
    checked = []
    for name, arr in (("D_true", D_true), ("D_pred", D_pred)):
        negative = arr < 0
        if negative.any():
            row, col = (int(i) for i in np.argwhere(negative)[0])
            raise ValueError(
                f"{name} has a negative degree {arr[row, col]:.6g} at row {row}, label {col}; "
                "label distributions must be >= 0."
            )
        checked.append(_as_distributions(arr, name, normalize))
    return checked[0], checked[1]


def _as_distributions(arr: np.ndarray, name: str, normalize: bool) -> np.ndarray:
    """Check every row sums to 1, or (``normalize``) divide it by its sum."""
    peak = arr.max(axis=1)
    zero = peak <= 0
    if zero.any():
        row = int(np.flatnonzero(zero)[0])
        raise ValueError(
            f"{name} row {row} is all zeros ({int(zero.sum())} such rows), which is not a label "
            "distribution; every row needs a positive degree."
        )
    if normalize:
        # Scale by the largest degree first: the sum of huge degrees could overflow.
        scaled = arr / peak[:, None]
        return scaled / scaled.sum(axis=1, keepdims=True)
    sums = arr.sum(axis=1)
    off = np.abs(sums - 1.0) > SUM_TOLERANCE
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"{name} row {row} sums to {sums[row]:.6g}, not 1 ({int(off.sum())} rows off by more "
            f"than {SUM_TOLERANCE:g}): the metrics compare label distributions. Pass "
            "normalize=True to divide each row by its sum first, or compare a subset of the "
            "labels with label_subset_euclidean."
        )
    return arr


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0 / 0 counted as 0 (both degrees zero: no disagreement)."""
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _row_euclidean(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    return np.sqrt(((A - B) ** 2).sum(axis=1))


def _reduce(
    values: np.ndarray, average: bool, low: float = 0.0, high: float = np.inf
) -> float | np.ndarray:
    """Clip each row's value to the metric's range (round-off), then average if asked."""
    if not isinstance(average, bool | np.bool_):
        raise TypeError(f"average must be True or False, got {average!r}.")
    values = np.clip(values, low, high)
    return float(values.mean()) if average else values


def chebyshev(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Chebyshev distance ``max_j |d_j - p_j|`` (lower is better).

    Examples
    --------
    >>> chebyshev([[0.5, 0.5]], [[0.25, 0.75]])
    0.25
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    return _reduce(np.abs(D_true - D_pred).max(axis=1), average, 0.0, 1.0)


def clark(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Clark distance ``sqrt(sum_j (d_j - p_j)^2 / (d_j + p_j)^2)`` (lower is better).

    Examples
    --------
    >>> round(clark([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.3887
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    ratio = _safe_ratio(D_true - D_pred, D_true + D_pred)
    return _reduce(np.sqrt((ratio**2).sum(axis=1)), average, 0.0, np.sqrt(D_true.shape[1]))


def canberra(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Canberra distance ``sum_j |d_j - p_j| / (d_j + p_j)`` (lower is better).

    Examples
    --------
    >>> round(canberra([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.5333
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    terms = _safe_ratio(np.abs(D_true - D_pred), D_true + D_pred)
    return _reduce(terms.sum(axis=1), average, 0.0, D_true.shape[1])


def kl_divergence(
    D_true: ArrayLike,
    D_pred: ArrayLike,
    *,
    average: bool = True,
    eps: float = DEFAULT_EPS,
    normalize: bool = False,
) -> float | np.ndarray:
    """Kullback-Leibler divergence ``sum_j d_j log(d_j / p_j)`` (lower is better).

    Zero true degrees contribute 0; predicted degrees are floored at ``eps`` (see module notes).

    Parameters
    ----------
    D_true, D_pred : array-like of shape (n_samples, n_labels)
    average : bool, default=True
        Return the mean over rows; ``False`` returns one value per row.
    eps : float in [0, 1), default=1e-12
        Floor for predicted degrees; ``0`` lets a zero prediction give ``inf``.

    Examples
    --------
    >>> round(kl_divergence([[1.0, 0.0]], [[0.5, 0.5]]), 6)  # log 2
    0.693147
    """
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 <= eps < 1:
        raise ValueError(f"eps must be a number in [0, 1), got {eps!r}.")
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    positive = D_true > 0
    logs = np.zeros_like(D_true)
    with np.errstate(divide="ignore"):
        np.log(D_true, out=logs, where=positive)
        pred_log = np.log(np.maximum(D_pred, eps))
    terms = np.where(positive, D_true * (logs - pred_log), 0.0)
    return _reduce(terms.sum(axis=1), average, 0.0)


def cosine(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Cosine similarity (higher is better; 1 for identical rows).

    Examples
    --------
    >>> round(cosine([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.8944
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    # Rows scaled by their largest degree: products of tiny degrees would underflow to 0.
    a = D_true / D_true.max(axis=1, keepdims=True)
    b = D_pred / D_pred.max(axis=1, keepdims=True)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return _reduce(_safe_ratio((a * b).sum(axis=1), norms), average, 0.0, 1.0)


def intersection(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Intersection similarity ``sum_j min(d_j, p_j)`` (higher is better).

    Examples
    --------
    >>> intersection([[0.5, 0.5]], [[0.25, 0.75]])
    0.75
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    return _reduce(np.minimum(D_true, D_pred).sum(axis=1), average, 0.0, 1.0)


def euclidean(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Euclidean distance (lower is better).

    Examples
    --------
    >>> round(euclidean([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.3536
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    return _reduce(_row_euclidean(D_true, D_pred), average, 0.0, np.sqrt(2.0))


def sorensen(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Sørensen distance ``sum_j |d_j - p_j| / sum_j (d_j + p_j)`` (lower is better).

    Examples
    --------
    >>> sorensen([[0.5, 0.5]], [[0.25, 0.75]])
    0.25
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    return _reduce(
        _safe_ratio(np.abs(D_true - D_pred).sum(axis=1), (D_true + D_pred).sum(axis=1)),
        average,
        0.0,
        1.0,
    )


def squared_chi2(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Squared chi-square distance ``sum_j (d_j - p_j)^2 / (d_j + p_j)`` (lower is better).

    Examples
    --------
    >>> round(squared_chi2([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.1333
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    terms = _safe_ratio((D_true - D_pred) ** 2, D_true + D_pred)
    return _reduce(terms.sum(axis=1), average, 0.0, 2.0)


def fidelity(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Fidelity (Bhattacharyya coefficient) ``sum_j sqrt(d_j p_j)`` (higher is better).

    Examples
    --------
    >>> round(fidelity([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.9659
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    return _reduce(np.sqrt(D_true * D_pred).sum(axis=1), average, 0.0, 1.0)


def _log_floor(values: np.ndarray, eps: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(np.maximum(values, eps))


def _check_eps(eps) -> float:
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 <= eps < 1:
        raise ValueError(f"eps must be a number in [0, 1), got {eps!r}.")
    return float(eps)


def jeffreys(
    D_true: ArrayLike,
    D_pred: ArrayLike,
    *,
    average: bool = True,
    eps: float = DEFAULT_EPS,
    normalize: bool = False,
) -> float | np.ndarray:
    """Jeffreys divergence (symmetric KL) ``sum_j (d_j - p_j) log(d_j / p_j)`` (lower is better).

    It equals ``KL(d || p) + KL(p || d)``. A term where both degrees are zero counts as 0; a zero
    degree facing a positive one is floored at ``eps`` inside the logarithm (``eps=0`` gives
    ``inf``), as in :func:`kl_divergence`.

    Examples
    --------
    >>> round(jeffreys([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.2747
    """
    eps = _check_eps(eps)
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    both_zero = (D_true == 0) & (D_pred == 0)
    with np.errstate(invalid="ignore"):
        terms = (D_true - D_pred) * (_log_floor(D_true, eps) - _log_floor(D_pred, eps))
    terms = np.where(both_zero | (D_true == D_pred), 0.0, terms)
    return _reduce(terms.sum(axis=1), average, 0.0)


def js_divergence(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Jensen-Shannon divergence ``KL(d || m) / 2 + KL(p || m) / 2``, ``m = (d + p) / 2``.

    Natural logarithm, so the range is ``[0, log 2]`` (lower is better). Always finite: a term
    with a zero degree contributes nothing (``0 log 0 = 0``), and ``m`` is positive wherever
    either degree is.

    Examples
    --------
    >>> round(js_divergence([[1.0, 0.0]], [[0.0, 1.0]]), 6)  # log 2
    0.693147
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    middle = 0.5 * (D_true + D_pred)

    def half(A: np.ndarray) -> np.ndarray:
        positive = A > 0
        out = np.zeros_like(A)
        np.divide(A, middle, out=out, where=positive)
        np.log(out, out=out, where=positive)
        return (A * out).sum(axis=1)

    return _reduce(0.5 * (half(D_true) + half(D_pred)), average, 0.0, float(np.log(2.0)))


def squared_euclidean(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Squared Euclidean distance ``sum_j (d_j - p_j)^2`` (lower is better).

    Examples
    --------
    >>> squared_euclidean([[0.5, 0.5]], [[0.25, 0.75]])
    0.125
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    return _reduce(((D_true - D_pred) ** 2).sum(axis=1), average, 0.0, 2.0)


def manhattan(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Manhattan (L1, city-block) distance ``sum_j |d_j - p_j|`` (lower is better).

    On distributions it is ``2 * sorensen`` and ``2 * (1 - intersection)``.

    Examples
    --------
    >>> manhattan([[0.5, 0.5]], [[0.25, 0.75]])
    0.5
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    return _reduce(np.abs(D_true - D_pred).sum(axis=1), average, 0.0, 2.0)


def matusita(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Matusita distance ``sqrt(sum_j (sqrt(d_j) - sqrt(p_j))^2)`` (lower is better).

    On distributions it equals ``sqrt(2 - 2 * fidelity)`` (``sqrt(2)`` times the Hellinger
    distance).

    Examples
    --------
    >>> round(matusita([[1.0, 0.0]], [[0.0, 1.0]]), 6)  # sqrt(2)
    1.414214
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    squared = ((np.sqrt(D_true) - np.sqrt(D_pred)) ** 2).sum(axis=1)
    return _reduce(np.sqrt(squared), average, 0.0, np.sqrt(2.0))


def wave_hedges(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Wave Hedges distance ``sum_j |d_j - p_j| / max(d_j, p_j)`` (lower is better).

    A term whose two degrees are zero counts as 0.

    Examples
    --------
    >>> wave_hedges([[0.5, 0.5]], [[0.25, 0.75]])  # 0.25 / 0.5 + 0.25 / 0.75
    0.8333333333333333
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    terms = _safe_ratio(np.abs(D_true - D_pred), np.maximum(D_true, D_pred))
    return _reduce(terms.sum(axis=1), average, 0.0, D_true.shape[1])


def bhattacharyya(
    D_true: ArrayLike,
    D_pred: ArrayLike,
    *,
    average: bool = True,
    eps: float = DEFAULT_EPS,
    normalize: bool = False,
) -> float | np.ndarray:
    """Bhattacharyya distance ``-log(sum_j sqrt(d_j p_j))`` (lower is better).

    The coefficient inside the logarithm is :func:`fidelity`; it is floored at ``eps`` (two rows
    with disjoint supports give ``-log(eps)``; ``eps=0`` gives ``inf``).

    Examples
    --------
    >>> round(bhattacharyya([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.0347
    """
    eps = _check_eps(eps)
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    coefficient = np.minimum(np.sqrt(D_true * D_pred).sum(axis=1), 1.0)
    return _reduce(-_log_floor(coefficient, eps), average, 0.0)


# -- rank correlations -------------------------------------------------------------------------
def _average_ranks(A: np.ndarray) -> np.ndarray:
    """Ranks 1..L of each row's degrees, ascending, ties sharing their average rank."""
    from scipy.stats import rankdata

    return rankdata(A, axis=1, method="average")


def _correlation_with_constant_rows(
    num: np.ndarray, den_true: np.ndarray, den_pred: np.ndarray
) -> np.ndarray:
    """num / sqrt(den_true * den_pred); a row with all degrees tied has no ordering: two such
    rows agree (1), one such row against an ordered one gives 0."""
    den = np.sqrt(den_true * den_pred)
    out = _safe_ratio(num, den)
    flat_true, flat_pred = den_true <= 0, den_pred <= 0
    out[flat_true & flat_pred] = 1.0
    return out


def spearman(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Spearman's rank correlation between each row's label ranking (higher is better).

    The Pearson correlation of the rows' average ranks (ties share their mean rank), in
    ``[-1, 1]``; without ties it is ``1 - 6 sum_j (r_j - s_j)^2 / (L (L^2 - 1))``. A row whose
    degrees are all equal has no ranking: against another such row it scores 1, against any
    other row 0.

    Examples
    --------
    >>> spearman([[0.5, 0.3, 0.2]], [[0.2, 0.3, 0.5]])
    -1.0
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    R = _average_ranks(D_true)
    S = _average_ranks(D_pred)
    R -= R.mean(axis=1, keepdims=True)
    S -= S.mean(axis=1, keepdims=True)
    values = _correlation_with_constant_rows(
        (R * S).sum(axis=1), (R * R).sum(axis=1), (S * S).sum(axis=1)
    )
    return _reduce(values, average, -1.0, 1.0)


#: Rows per block in :func:`kendall` (it builds (block, L, L) sign arrays).
_KENDALL_BLOCK = 2048


def kendall(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Kendall's rank correlation (tau-b) between each row's label ranking (higher is better).

    ``sum_{j<k} sgn(d_j - d_k) sgn(p_j - p_k)`` divided by ``sqrt(T_d T_p)``, where ``T_d`` is
    the number of label pairs not tied in ``d`` (and ``T_p`` in ``p``): with no ties, the
    fraction of concordant pairs minus that of discordant pairs, in ``[-1, 1]``. Rows whose
    degrees are all equal follow :func:`spearman`'s rule.

    Examples
    --------
    >>> round(kendall([[0.5, 0.3, 0.2]], [[0.3, 0.5, 0.2]]), 4)  # 2 of 3 pairs concordant
    0.3333
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    n = D_true.shape[0]
    num = np.empty(n)
    ties_true = np.empty(n)
    ties_pred = np.empty(n)
    for start in range(0, n, _KENDALL_BLOCK):
        block = slice(start, start + _KENDALL_BLOCK)
        a = np.sign(D_true[block, :, None] - D_true[block, None, :])
        b = np.sign(D_pred[block, :, None] - D_pred[block, None, :])
        # every unordered pair appears twice in the full (L, L) arrays: the factor cancels
        num[block] = (a * b).sum(axis=(1, 2))
        ties_true[block] = np.abs(a).sum(axis=(1, 2))
        ties_pred[block] = np.abs(b).sum(axis=(1, 2))
    values = _correlation_with_constant_rows(num, ties_true, ties_pred)
    return _reduce(values, average, -1.0, 1.0)


def dpa(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Degree percentile average ``(1/L) sum_j d_j rank(p_j)`` (higher is better).

    ``rank`` is the ascending rank 1..L of each predicted degree within its row (ties share the
    mean rank): a prediction scores high when it ranks the labels with large true degrees high.
    The range is ``[1/L, 1]``; the best a prediction can reach for a given ``d`` is ordering the
    labels as ``d`` does, which scores ``1`` only for a one-hot ``d``.

    Examples
    --------
    >>> round(dpa([[0.5, 0.3, 0.2]], [[0.6, 0.3, 0.1]]), 4)  # (0.5*3 + 0.3*2 + 0.2*1) / 3
    0.7667
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    L = D_true.shape[1]
    values = (D_true * _average_ranks(D_pred)).sum(axis=1) / L
    return _reduce(values, average, 1.0 / L, 1.0)


# -- dominant-label measures -----------------------------------------------------------------
def top_k_accuracy(
    D_true: ArrayLike,
    D_pred: ArrayLike,
    *,
    k: int = 1,
    average: bool = True,
    normalize: bool = False,
) -> float | np.ndarray:
    """Whether the predicted ``k`` largest degrees include the true dominant label (higher is
    better).

    The dominant labels of a row of ``D_true`` are those at its largest degree. Ties in the
    prediction are broken uniformly at random, and the value is the probability of a hit under
    that tie-breaking, computed exactly: a uniform prediction gets ``k / L`` on a row with one
    dominant label (not 1, as "every label ties for first" would give), identical rows get 1.
    ``k=1`` is one minus the 0/1 loss on the dominant label.

    Parameters
    ----------
    k : int, default=1
        How many predicted labels count (``1 <= k <= L``).

    Examples
    --------
    >>> top_k_accuracy([[0.5, 0.3, 0.2]], [[0.2, 0.5, 0.3]], k=2)
    0.0
    >>> round(top_k_accuracy([[0.5, 0.3, 0.2]], [[1 / 3, 1 / 3, 1 / 3]]), 6)
    0.333333
    """
    from scipy.special import comb

    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    L = D_true.shape[1]
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= L:
        raise ValueError(f"k must be an integer from 1 to the number of labels {L}, got {k!r}.")
    dominant = D_true == D_true.max(axis=1, keepdims=True)
    # the best-placed dominant label: its predicted degree v, how many labels beat it (ahead),
    # tie with it (tied) and how many of the tied ones are dominant (hits)
    v = np.where(dominant, D_pred, -np.inf).max(axis=1, keepdims=True)
    ahead = (D_pred > v).sum(axis=1)
    tied = (D_pred == v).sum(axis=1)
    hits = (dominant & (D_pred == v)).sum(axis=1)
    slots = np.clip(k - ahead, 0, tied)
    miss = comb(tied - hits, slots) / comb(tied, slots)
    return _reduce(1.0 - miss, average, 0.0, 1.0)


def top1_accuracy(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """:func:`top_k_accuracy` with ``k=1``: the predicted dominant label is a true dominant one.

    Examples
    --------
    >>> top1_accuracy([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]], [[0.4, 0.4, 0.2], [0.1, 0.2, 0.7]])
    0.75
    """
    return top_k_accuracy(D_true, D_pred, k=1, average=average, normalize=normalize)


def error_probability(
    D_true: ArrayLike, D_pred: ArrayLike, *, average: bool = True, normalize: bool = False
) -> float | np.ndarray:
    """Error probability ``1 - d_{argmax p}`` (lower is better).

    The true degree of the predicted dominant label, subtracted from 1: the chance of being wrong
    when a label drawn from ``d`` is predicted by ``argmax p``. Ties in the prediction are broken
    uniformly at random (the value is the expectation: one minus the mean true degree over the
    tied labels). The best possible value for a row is ``1 - max_j d_j``, reached by predicting its
    dominant label, so identical rows score ``1 - max_j d_j``, not 0.

    Examples
    --------
    >>> round(error_probability([[0.5, 0.3, 0.2]], [[0.2, 0.5, 0.3]]), 4)
    0.7
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    top = D_pred == D_pred.max(axis=1, keepdims=True)
    hit = (D_true * top).sum(axis=1) / top.sum(axis=1)
    return _reduce(1.0 - hit, average, 0.0, 1.0)


def label_subset_euclidean(
    D_true: ArrayLike,
    D_pred: ArrayLike,
    labels: Sequence[int],
    *,
    average: bool = True,
    normalize: bool = False,
) -> float | np.ndarray:
    """Euclidean distance restricted to some label columns (head or tail labels).

    Per row ``sqrt(sum_{j in labels} (d_j - p_j)^2)``, averaged over rows, without renormalising
    the selected degrees (the imbalanced-LDL papers' "head"/"tail" columns). The full rows must
    be label distributions (or ``normalize=True``), as for every metric. An empty ``labels``
    gives 0.

    Examples
    --------
    >>> label_subset_euclidean([[0.5, 0.5]], [[0.2, 0.8]], [0])
    0.3
    """
    D_true, D_pred = _check_pair(D_true, D_pred, normalize)
    columns = np.asarray(list(labels), dtype=int)
    if columns.size == 0:
        return _reduce(np.zeros(D_true.shape[0]), average)
    if columns.min() < 0 or columns.max() >= D_true.shape[1]:
        raise ValueError(
            f"labels must be column indices of D_true (0 to {D_true.shape[1] - 1}), "
            f"got {list(labels)!r}."
        )
    distances = _row_euclidean(D_true[:, columns], D_pred[:, columns])
    return _reduce(distances, average, 0.0, np.sqrt(2.0))


#: Label groups of the grouped Euclidean metrics: ``"euclidean_head"`` and ``"euclidean_tail"``
#: are :func:`label_subset_euclidean` over a protocol's head and tail labels (see
#: :class:`ldlkit.experiments.ImbalancedSplit`); ``"euclidean_all"`` is plain Euclidean.
LABEL_GROUPS = ("all", "head", "tail")


def split_label_group(name: str) -> tuple[str, str | None]:
    """Split a grouped metric name into ``(metric, group)``; ``group`` is None for plain names.

    Only Euclidean has grouped variants (the imbalanced-LDL papers' columns).

    Examples
    --------
    >>> split_label_group("euclidean_head")
    ('euclidean', 'head')
    >>> split_label_group("cosine")
    ('cosine', None)
    """
    if not isinstance(name, str):
        raise TypeError(f"a metric name must be a string, got {name!r}.")
    for group in LABEL_GROUPS:
        if name.endswith(f"_{group}") and name[: -len(group) - 1] == "euclidean":
            return "euclidean", group
    return name, None


def _softmax_base(values: np.ndarray, base: float) -> np.ndarray:
    """Softmax with base ``base`` along the last axis; ``-inf`` entries get 0."""
    z = np.asarray(values, dtype=np.float64) * np.log(base)
    peak = np.max(z, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(z - peak)
    total = e.sum(axis=-1, keepdims=True)
    return e / np.where(total > 0, total, 1.0)


def label_normalized_metric(
    metric: str | Callable, *, threshold: float = 0.014, base: float = 2.0
) -> Callable:
    """Wrap a metric in the UAKNN paper's label-normalisation evaluation scheme (its Section 6).

    For each row, the labels whose **true** degree exceeds ``threshold`` are kept (the paper's
    "label order numbers"); the kept true degrees and the predicted degrees *of the same labels*
    are each renormalised with Softmax* (softmax with base ``base``), and the metric compares the
    two renormalised vectors. Dropped labels are zero in both vectors, which every ldlkit metric
    counts as no disagreement, so this equals comparing the shortened vectors. A row with no
    degree above ``threshold`` keeps its largest label.

    Parameters
    ----------
    metric : str or callable
        A metric name of this module (``"cosine"``, ``"kl"``, ...) or a function
        ``f(D_true, D_pred, *, average=True)``.
    threshold : float, default=0.014
        Keep labels whose true degree is strictly greater than this.
    base : float, default=2.0
        Base of Softmax*.

    Returns
    -------
    callable
        ``f(D_true, D_pred, *, average=True)``, usable like the other functions of this module.

    Examples
    --------
    >>> import numpy as np
    >>> cosine_ln = label_normalized_metric("cosine")
    >>> D = np.array([[0.6, 0.39, 0.01]])
    >>> round(float(cosine_ln(D, D)), 6)
    1.0
    """
    if isinstance(metric, str):
        info = get_metric(metric)
        function, name = info.function, info.name
    elif callable(metric):
        function, name = metric, getattr(metric, "__name__", "metric")
    else:
        raise TypeError(f"metric must be a metric name or a callable, got {metric!r}.")
    threshold = check_in_range(threshold, name="threshold", low=0.0, high=1.0, closed="left")
    base = check_in_range(base, name="base", low=1.0, closed="neither")

    def normalized(D_true, D_pred, *, average: bool = True, normalize: bool = False):
        D_true, D_pred = _check_pair(D_true, D_pred, normalize)
        keep = D_true > threshold
        none = ~keep.any(axis=1)
        if none.any():
            keep[none, D_true[none].argmax(axis=1)] = True
        true_star = _softmax_base(np.where(keep, D_true, -np.inf), base)
        pred_star = _softmax_base(np.where(keep, D_pred, -np.inf), base)
        return function(true_star, pred_star, average=average)

    normalized.__name__ = f"label_normalized_{name}"
    normalized.__qualname__ = normalized.__name__
    normalized.__doc__ = (
        f"{name} after the UAKNN label-normalisation scheme (threshold={threshold:g}, "
        f"base={base:g})."
    )
    return normalized


@dataclass(frozen=True)
class MetricInfo:
    """A metric's function, direction and display name."""

    name: str
    function: Callable
    greater_is_better: bool
    ideal: float
    label: str

    @property
    def arrow(self) -> str:
        return "↑" if self.greater_is_better else "↓"


METRICS: dict[str, MetricInfo] = {
    info.name: info
    for info in (
        MetricInfo("chebyshev", chebyshev, False, 0.0, "Chebyshev"),
        MetricInfo("clark", clark, False, 0.0, "Clark"),
        MetricInfo("canberra", canberra, False, 0.0, "Canberra"),
        MetricInfo("kl_divergence", kl_divergence, False, 0.0, "KL"),
        MetricInfo("cosine", cosine, True, 1.0, "Cosine"),
        MetricInfo("intersection", intersection, True, 1.0, "Intersection"),
        MetricInfo("euclidean", euclidean, False, 0.0, "Euclidean"),
        MetricInfo("sorensen", sorensen, False, 0.0, "Sorensen"),
        MetricInfo("squared_chi2", squared_chi2, False, 0.0, "Squared chi2"),
        MetricInfo("fidelity", fidelity, True, 1.0, "Fidelity"),
        MetricInfo("squared_euclidean", squared_euclidean, False, 0.0, "Squared Euclidean"),
        MetricInfo("manhattan", manhattan, False, 0.0, "Manhattan"),
        MetricInfo("matusita", matusita, False, 0.0, "Matusita"),
        MetricInfo("wave_hedges", wave_hedges, False, 0.0, "Wave Hedges"),
        MetricInfo("jeffreys", jeffreys, False, 0.0, "Jeffreys"),
        MetricInfo("js_divergence", js_divergence, False, 0.0, "JS"),
        MetricInfo("bhattacharyya", bhattacharyya, False, 0.0, "Bhattacharyya"),
        MetricInfo("spearman", spearman, True, 1.0, "Spearman"),
        MetricInfo("kendall", kendall, True, 1.0, "Kendall"),
        MetricInfo("dpa", dpa, True, 1.0, "DPA"),
        MetricInfo("top1_accuracy", top1_accuracy, True, 1.0, "Top-1 accuracy"),
        MetricInfo("error_probability", error_probability, False, 0.0, "Error probability"),
    )
}

#: Other names the Python API and the command line accept for a metric (``"kl"``, ...).
METRIC_ALIASES = {
    "kl": "kl_divergence",
    "kld": "kl_divergence",
    "cheby": "chebyshev",
    "kl_symmetric": "jeffreys",
    "jsd": "js_divergence",
    "l1": "manhattan",
    "zero_one_accuracy": "top1_accuracy",
}


def get_metric(name: str) -> MetricInfo:
    """Look a metric up by name: a fit metric (:data:`METRICS`, ``"kl"`` accepted for
    ``"kl_divergence"``) or a diagnostic (:data:`DIAGNOSTIC_METRICS`).

    A scorer name (``"neg_kl_divergence"``, ``"neg_kl"``) gives the metric behind it.
    """
    if not isinstance(name, str):
        raise TypeError(f"a metric name must be a string, got {name!r}.")
    key = name.lower()
    if key in DIAGNOSTIC_METRICS:  # defined with the diagnostics at the end of this module
        return DIAGNOSTIC_METRICS[key]
    if key.startswith("neg_"):
        key = key[4:]
    key = METRIC_ALIASES.get(key, key)
    try:
        return METRICS[key]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; known metrics: {', '.join(METRICS)}.") from None


def evaluate(
    D_true,
    D_pred,
    metrics: Iterable[str] = PAPER_METRICS,
    *,
    average: bool = True,
    normalize: bool = False,
) -> dict:
    """Compute several metrics at once: ``{name: value}`` (or per-row arrays).

    Both arguments must hold label distributions (rows summing to 1); ``normalize=True`` divides
    each row by its sum first. A prediction that is not a distribution is an error otherwise.

    Examples
    --------
    >>> D = [[0.5, 0.3, 0.2]]
    >>> evaluate(D, D, ["kl", "cosine"])
    {'kl': 0.0, 'cosine': 1.0}
    >>> evaluate(D, [[1.0, 0.6, 0.4]], ["kl"], normalize=True)  # each row divided by its sum
    {'kl': 0.0}
    """
    return {
        name: get_metric(name).function(D_true, D_pred, average=average, normalize=normalize)
        for name in metrics
    }


def scorer_name(name: str) -> str:
    """The scikit-learn scorer name: distances get a ``neg_`` prefix (higher is better)."""
    info = get_metric(name)
    return info.name if info.greater_is_better else f"neg_{info.name}"


def scoring_reference(y_true: ArrayLike) -> np.ndarray:
    """The distributions a scorer compares predictions with: ``y_true`` itself, or, when
    ``y_true`` holds 0/1 logical labels, each row divided by its number of relevant labels.

    Logical labels are what an enhancement pipeline (:class:`ldlkit.enhancement.EnhancedLDL`)
    is fitted and cross-validated on; a row with several relevant labels is not a distribution,
    so the scorers read it as the uniform distribution over its relevant labels, the reference of
    ``EnhancedLDL(target="logical").score``. A one-hot row is the same either way.

    Examples
    --------
    >>> scoring_reference([[1, 0, 1], [0, 1, 0]])
    array([[0.5, 0. , 0.5],
           [0. , 1. , 0. ]])
    """
    y = as_float_array(y_true, name="y_true")
    if y.ndim != 2 or not np.isin(y, (0.0, 1.0)).all():
        return y
    sums = y.sum(axis=1, keepdims=True)
    if (sums == 0).any():
        row = int(np.flatnonzero(sums.ravel() == 0)[0])
        raise ValueError(
            f"y_true row {row} is all zeros: as logical labels every row needs at least one "
            "relevant label (a 1), and as a label distribution it is not one."
        )
    return y / sums


def _score_against_reference(y_true, y_pred, *, metric: str) -> float:
    return float(get_metric(metric).function(scoring_reference(y_true), y_pred))


def get_scorer(name: str) -> Callable:
    """A scikit-learn scorer for ``name`` (``"cosine"``, ``"neg_kl_divergence"``, ``"kl"``, ...).

    Distances are negated so that higher is always better, as scikit-learn expects. Targets of
    0/1 logical labels (an :class:`ldlkit.enhancement.EnhancedLDL` cross-validated on the labels a
    logically labelled data set has) are compared as :func:`scoring_reference` says: each row
    divided by its number of relevant labels.

    Examples
    --------
    >>> from sklearn.model_selection import cross_validate
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.dummy import MeanPredictor
    >>> X, D = make_artificial(60, random_state=0)
    >>> scores = cross_validate(MeanPredictor(), X, D, cv=3, scoring=make_scorers(["kl", "cosine"]))
    >>> sorted(k for k in scores if k.startswith("test_"))
    ['test_cosine', 'test_neg_kl_divergence']
    """
    info = get_metric(name)
    return make_scorer(
        _score_against_reference, greater_is_better=info.greater_is_better, metric=info.name
    )


def make_scorers(names: Iterable[str] = PAPER_METRICS) -> dict:
    """A ``{scorer_name: scorer}`` dict for ``cross_validate``/``GridSearchCV`` ``scoring=``."""
    return {scorer_name(name): get_scorer(name) for name in names}


# -- degeneracy diagnostics: how far predictions are from a constant or uniform predictor ------
# Self-contained block: two functions and their registry. Neither measures fit to ``D_true`` (it
# is only checked for shape); they tell a reader of a report whether a learned model predicts
# (nearly) the same distribution for every row, or (nearly) the uniform one. They are not fit
# metrics (no ideal value, no better direction, no per-row form), so they live in their own
# registry, DIAGNOSTIC_METRICS, which get_metric also consults: reports and the runner can list
# them by name beside the fit metrics.
def uniform_kl(D_true: ArrayLike, D_pred: ArrayLike, *, eps: float = DEFAULT_EPS) -> float:
    """Mean over rows of ``KL(u || P)``, ``u`` the uniform distribution: 0 for the uniform
    prediction, larger the further the predictions are from it.

    Examples
    --------
    >>> import numpy as np
    >>> uniform_kl(np.full((2, 4), 0.25), np.full((2, 4), 0.25))
    0.0
    """
    _, P = _check_pair(D_true, D_pred)
    n_labels = P.shape[1]
    per_row = np.log(1.0 / n_labels) - np.log(np.maximum(P, eps)).mean(axis=1)
    return float(np.mean(per_row))


def prediction_spread(D_true: ArrayLike, D_pred: ArrayLike) -> float:
    """Mean over labels of the standard deviation of the predicted degree across rows: 0 for a
    predictor that gives every row the same distribution (the training mean, the uniform one).

    Examples
    --------
    >>> import numpy as np
    >>> prediction_spread(np.full((2, 2), 0.5), np.array([[0.2, 0.8], [0.6, 0.4]]))
    0.2
    """
    _, P = _check_pair(D_true, D_pred)
    return float(np.round(P.std(axis=0).mean(), 15))


#: The degeneracy diagnostics of ILDL reports, by name. ``greater_is_better`` is set only so that
#: tables can be drawn; neither direction is better.
DIAGNOSTIC_METRICS: dict[str, MetricInfo] = {
    "uniform_kl": MetricInfo("uniform_kl", uniform_kl, True, float("inf"), "KL(u‖P)"),
    "prediction_spread": MetricInfo(
        "prediction_spread", prediction_spread, True, float("inf"), "Spread"
    ),
}
DEGENERACY_METRICS = tuple(DIAGNOSTIC_METRICS)


__all__ += ["DEGENERACY_METRICS", "DIAGNOSTIC_METRICS", "prediction_spread", "uniform_kl"]

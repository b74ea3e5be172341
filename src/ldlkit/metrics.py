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
  (default ``1e-12``) in KL, so KL stays finite; pass ``eps=0`` to get ``inf`` instead;
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
========================  =========  ============  ==============
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
    "label_subset_euclidean",
    "LABEL_GROUPS",
    "split_label_group",
    "label_normalized_metric",
    "evaluate",
    "get_metric",
    "get_scorer",
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
    )
}

_ALIASES = {"kl": "kl_divergence", "kld": "kl_divergence", "cheby": "chebyshev"}


def get_metric(name: str) -> MetricInfo:
    """Look a metric up by name (``"kl"`` is accepted for ``"kl_divergence"``).

    A scorer name (``"neg_kl_divergence"``, ``"neg_kl"``) gives the metric behind it.
    """
    if not isinstance(name, str):
        raise TypeError(f"a metric name must be a string, got {name!r}.")
    key = name.lower()
    if key.startswith("neg_"):
        key = key[4:]
    key = _ALIASES.get(key, key)
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


def get_scorer(name: str) -> Callable:
    """A scikit-learn scorer for ``name`` (``"cosine"``, ``"neg_kl_divergence"``, ``"kl"``, ...).

    Distances are negated so that higher is always better, as scikit-learn expects.

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
    return make_scorer(info.function, greater_is_better=info.greater_is_better)


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
_get_fit_metric = get_metric


def get_metric(name: str) -> MetricInfo:  # noqa: F811 - extends the lookup above
    """Look a metric up by name: a fit metric (:data:`METRICS`, ``"kl"`` accepted for
    ``"kl_divergence"``) or a diagnostic (:data:`DIAGNOSTIC_METRICS`).

    A scorer name (``"neg_kl_divergence"``, ``"neg_kl"``) gives the metric behind it.
    """
    if isinstance(name, str) and name.lower() in DIAGNOSTIC_METRICS:
        return DIAGNOSTIC_METRICS[name.lower()]
    return _get_fit_metric(name)


__all__ += ["DEGENERACY_METRICS", "DIAGNOSTIC_METRICS", "prediction_spread", "uniform_kl"]

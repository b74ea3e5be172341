"""The UAKNN paper's label-normalisation evaluation scheme, as a metric wrapper."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import check_in_range
from ..metrics import _check_pair, get_metric
from ._common import softmax_base


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
        A metric name from :mod:`ldlkit.metrics` (``"cosine"``, ``"kl"``, ...) or a function
        ``f(D_true, D_pred, *, average=True)``.
    threshold : float, default=0.014
        Keep labels whose true degree is strictly greater than this.
    base : float, default=2.0
        Base of Softmax*.

    Returns
    -------
    callable
        ``f(D_true, D_pred, *, average=True)``, usable like the functions of :mod:`ldlkit.metrics`.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.neighbors import label_normalized_metric
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

    def normalized(D_true, D_pred, *, average: bool = True):
        D_true, D_pred = _check_pair(D_true, D_pred)
        keep = D_true > threshold
        none = ~keep.any(axis=1)
        if none.any():
            keep[none, D_true[none].argmax(axis=1)] = True
        true_star = softmax_base(np.where(keep, D_true, -np.inf), base)
        pred_star = softmax_base(np.where(keep, D_pred, -np.inf), base)
        return function(true_star, pred_star, average=average)

    normalized.__name__ = f"label_normalized_{name}"
    normalized.__qualname__ = normalized.__name__
    normalized.__doc__ = (
        f"{name} after the UAKNN label-normalisation scheme (threshold={threshold:g}, "
        f"base={base:g})."
    )
    return normalized

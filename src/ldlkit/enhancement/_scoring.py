"""Scikit-learn scorers for label enhancement pipelines trained on logical labels."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from sklearn.metrics import make_scorer

from ..metrics import PAPER_METRICS, get_metric, scorer_name

__all__ = ["logical_scorer", "make_logical_scorers"]


def _reference(y_true) -> np.ndarray:
    """Logical labels divided by their row sums; distributions are returned as given."""
    y = np.asarray(y_true, dtype=float)
    if y.ndim == 2 and np.isin(y, (0.0, 1.0)).all():
        sums = y.sum(axis=1, keepdims=True)
        if (sums == 0).any():
            row = int(np.flatnonzero(sums.ravel() == 0)[0])
            raise ValueError(f"y row {row} has no relevant label; every row needs at least one 1.")
        return y / sums
    return y


def logical_scorer(metric: str = "cosine") -> Callable:
    """A scorer for ``cross_validate``/``GridSearchCV`` on logical labels (or distributions).

    ldlkit's metric scorers (:func:`ldlkit.metrics.get_scorer`) compare label distributions, so
    scoring an :class:`~ldlkit.enhancement.EnhancedLDL` on 0/1 logical labels with them fails on
    every fold whose rows have more than one relevant label. This scorer compares the predictions
    with the logical labels divided by their row sums, the reference of
    ``EnhancedLDL(target="logical").score``; targets that are already distributions are compared
    as given. Distances are negated (higher is better).

    Examples
    --------
    >>> from sklearn.model_selection import cross_validate
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.enhancement import KM, EnhancedLDL, binarize
    >>> X, D = make_artificial(60, random_state=0)
    >>> scores = cross_validate(EnhancedLDL(enhancer=KM()), X, binarize(D), cv=3,
    ...                         scoring=logical_scorer("kl"))
    >>> bool((scores["test_score"] <= 0).all())
    True
    """
    info = get_metric(metric)

    def score(y_true, y_pred) -> float:
        return float(info.function(_reference(y_true), y_pred))

    score.__name__ = info.name
    return make_scorer(score, greater_is_better=info.greater_is_better)


def make_logical_scorers(names: Iterable[str] = PAPER_METRICS) -> dict:
    """``{scorer_name: logical_scorer(name)}`` for ``scoring=``.

    The counterpart of :func:`ldlkit.metrics.make_scorers` for logical targets.
    """
    return {scorer_name(name): logical_scorer(name) for name in names}

"""Scikit-learn scorers for label enhancement pipelines trained on logical labels."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..metrics import PAPER_METRICS, get_scorer, make_scorers

__all__ = ["logical_scorer", "make_logical_scorers"]


def logical_scorer(metric: str = "cosine") -> Callable:
    """A scorer for ``cross_validate``/``GridSearchCV`` on logical labels (or distributions).

    The same scorer as :func:`ldlkit.metrics.get_scorer`, which compares the predictions with
    0/1 logical targets divided by their row sums (the reference of
    ``EnhancedLDL(target="logical").score``) and with distribution targets as given. Distances
    are negated (higher is better).

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
    return get_scorer(metric)


def make_logical_scorers(names: Iterable[str] = PAPER_METRICS) -> dict:
    """``{scorer_name: scorer}`` for ``scoring=``: the same as :func:`ldlkit.metrics.make_scorers`
    (whose scorers read logical targets as their row-normalised labels)."""
    return make_scorers(names)

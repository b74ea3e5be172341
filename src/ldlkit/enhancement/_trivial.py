"""Trivial label enhancers: the baselines every real enhancer must beat."""

from __future__ import annotations

import numpy as np

from ._base import _Enhancer, softmax_rows


class NormalizedLogical(_Enhancer):
    """The logical labels divided by their row sums (equal degree for every relevant label).

    This is no enhancement at all: the reference row of a label enhancement table.

    Examples
    --------
    >>> from ldlkit.enhancement import NormalizedLogical
    >>> NormalizedLogical().fit_transform([[0.0], [1.0]], [[1, 1], [0, 1]])
    array([[0.5, 0.5],
           [0. , 1. ]])
    """

    def __init__(self) -> None:
        pass

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:
        return logical / logical.sum(axis=1, keepdims=True)


class SoftmaxLogical(_Enhancer):
    """The row softmax of the 0/1 logical labels: ``e`` on relevant labels, ``1`` elsewhere, scaled.

    The fixed point of ConLE's distance loss under its default reading of Eq. 11
    (``ConLE(target="softmax")``): a trivial row that shows what that target alone scores.

    Examples
    --------
    >>> from ldlkit.enhancement import SoftmaxLogical
    >>> SoftmaxLogical().fit_transform([[0.0], [1.0]], [[1, 1], [0, 1]]).round(3)
    array([[0.5  , 0.5  ],
           [0.269, 0.731]])
    """

    def __init__(self) -> None:
        pass

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:
        return softmax_rows(logical)


class UniformDistribution(_Enhancer):
    """The uniform distribution for every row, ignoring features and logical labels.

    On data sets whose true distributions are nearly flat (the Yeast family), this scores close to
    the best published recoveries; it shows how much of a score the data alone gives.

    Examples
    --------
    >>> from ldlkit.enhancement import UniformDistribution
    >>> UniformDistribution().fit_transform([[0.0], [1.0]], [[1, 0], [0, 1]])
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """

    def __init__(self) -> None:
        pass

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:
        return np.full(logical.shape, 1.0 / logical.shape[1])

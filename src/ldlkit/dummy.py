"""Trivial baselines that every real method must beat."""

from __future__ import annotations

import numpy as np

from .base import BaseLDL

__all__ = ["MeanPredictor"]


class MeanPredictor(BaseLDL):
    """Predict the mean training distribution for every query.

    The reference point for "does it learn": any LDL method worth using must beat it clearly.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.dummy import MeanPredictor
    >>> D = np.array([[0.2, 0.8], [0.6, 0.4]])
    >>> MeanPredictor().fit(np.zeros((2, 1)), D).predict(np.ones((1, 1)))
    array([[0.4, 0.6]])
    """

    _min_fit_samples = 1
    _partial_fit_is_exact = True

    def __init__(self) -> None:
        pass

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        self.n_seen_ = X.shape[0]
        self.mean_ = D.mean(axis=0)

    def _partial_fit(self, X: np.ndarray, D: np.ndarray) -> None:
        total = self.n_seen_ + X.shape[0]
        self.mean_ = (self.mean_ * self.n_seen_ + D.sum(axis=0)) / total
        self.n_seen_ = total

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return np.tile(self.mean_, (X.shape[0], 1))

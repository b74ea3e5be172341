"""What the linear baselines share: parameter checking, an optional intercept, fitted weights."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from .._blas import single_threaded_fit
from ..base import BaseLDL

#: below this many training rows the early-stopping estimators fit every row
_MIN_ROWS_EARLY_STOPPING = 20


class _LinearLDL(BaseLDL):
    """Base of the linear baselines: a weight matrix ``coef_`` (and ``intercept_``) over features.

    Subclasses implement ``_fit_design(X1, D)`` on the design matrix ``X1`` (the features, plus a
    trailing column of ones when ``fit_intercept=True``) and return the weights ``W1`` of shape
    ``(n_design_columns, n_labels)``, and ``_predict_design(X1)``. ``_penalty_mask`` gives the
    rows of ``W1`` that regularisers apply to (the intercept row is never penalised).
    """

    _abstract = True

    @single_threaded_fit
    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        W1 = self._fit_design(self._design(X), D)
        if self.fit_intercept:
            self.coef_, self.intercept_ = W1[:-1].copy(), W1[-1].copy()
        else:
            self.coef_, self.intercept_ = W1, np.zeros(W1.shape[1])

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._predict_design(self._design(X))

    # -- helpers ---------------------------------------------------------------------------------
    def _design(self, X: np.ndarray) -> np.ndarray:
        if self.fit_intercept:
            return np.hstack([X, np.ones((X.shape[0], 1))])
        return X

    def _weights(self) -> np.ndarray:
        """``coef_`` with the intercept appended as a last row when there is one."""
        if self.fit_intercept:
            return np.vstack([self.coef_, self.intercept_])
        return self.coef_

    def _validation_split(self, n_samples: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Rows to fit and rows held out for early stopping, or None (early stopping off).

        Uses ``early_stopping``, ``validation_fraction`` and ``random_state``. Fewer than
        ``_MIN_ROWS_EARLY_STOPPING`` rows are all fitted: a held-out loss on a handful of rows
        says nothing.
        """
        if not self.early_stopping or n_samples < _MIN_ROWS_EARLY_STOPPING:
            return None
        n_held_out = max(1, int(round(self.validation_fraction * n_samples)))
        order = check_random_state(self.random_state).permutation(n_samples)
        return np.sort(order[n_held_out:]), np.sort(order[:n_held_out])

    def _penalty_mask(self, n_design: int) -> np.ndarray:
        """Column vector: 1 for penalised rows of the weights, 0 for the intercept row."""
        mask = np.ones((n_design, 1))
        if self.fit_intercept:
            mask[-1] = 0.0
        return mask

    def _fit_design(self, X1: np.ndarray, D: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _predict_design(self, X1: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

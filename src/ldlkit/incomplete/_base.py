"""Learners for incomplete label distributions: some degrees of the training rows are unknown."""

from __future__ import annotations

from typing import Self

import numpy as np
from numpy.typing import ArrayLike

from .._validation import SUM_TOLERANCE, as_float_array, check_same_length
from ..base import BaseLDL

__all__ = ["BaseIncompleteLDL"]


class BaseIncompleteLDL(BaseLDL):
    """An LDL learner whose ``fit`` also takes ``observed``, the mask of the known degrees.

    ``fit(X, D)`` is ordinary LDL (every degree known). ``fit(X, D, observed=mask)`` trains on
    the entries where ``mask`` is true; the other entries of ``D`` are ignored (they may be 0 or
    NaN). :func:`ldlkit.simulation.random_missing` makes such data from complete distributions,
    and :class:`ldlkit.simulation.CorruptedTraining` passes the mask itself.
    """

    _abstract = True
    #: read by :class:`ldlkit.simulation.CorruptedTraining`
    accepts_missing_degrees = True

    def fit(
        self,
        X: ArrayLike,
        D: ArrayLike,
        *,
        observed: ArrayLike | None = None,
        renormalize: bool = False,
    ) -> Self:
        """Fit on ``(X, D)``; with ``observed``, only the entries where it is true are known.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        D : array-like of shape (n_samples, n_labels)
            Label distributions; with ``observed``, the known degrees (the rest is ignored).
        observed : array-like of bool, shape (n_samples, n_labels), or None
            ``True`` where a degree is known. ``None``: every degree is known.
        renormalize : bool, default=False
            Without ``observed``, as in :meth:`BaseLDL.fit`. With ``observed`` it is not
            allowed (the known degrees of a row need not sum to 1).
        """
        if observed is None:
            return super().fit(X, D, renormalize=renormalize)
        if renormalize:
            raise ValueError(
                "renormalize=True cannot be combined with observed: the known degrees of an "
                "incomplete row do not sum to 1."
            )
        self._validate_all_params()
        mask = np.asarray(observed)
        if mask.dtype != bool:
            raise TypeError(f"observed must be a boolean array, got dtype {mask.dtype}.")
        D_raw = np.asarray(D, dtype=np.float64) if not isinstance(D, np.ndarray) else D
        if np.shape(D_raw) != mask.shape:
            raise ValueError(
                f"observed has shape {mask.shape} but D has shape {np.shape(D_raw)}; they must "
                "match."
            )
        known = np.where(mask, D_raw, 0.0)
        known = as_float_array(known, name="D")
        X_checked, _ = self._validate_training_data(
            X, self._completed_for_checks(known, mask), renormalize=False
        )
        check_same_length(X=X_checked, D=known)
        if (known < 0).any():
            row, col = (int(i) for i in np.argwhere(known < 0)[0])
            raise ValueError(
                f"D has a negative known degree {known[row, col]:.6g} at row {row}, label {col}."
            )
        sums = known.sum(axis=1)
        over = sums > 1.0 + SUM_TOLERANCE
        if over.any():
            row = int(np.flatnonzero(over)[0])
            raise ValueError(
                f"the known degrees of D row {row} sum to {sums[row]:.6g}, more than 1."
            )
        self._fit_transaction(
            X_checked, known.shape[1], lambda: self._fit_incomplete(X_checked, known, mask)
        )
        return self

    @staticmethod
    def _completed_for_checks(known: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """A complete stand-in for the shared checks (shapes, sample counts): every row's
        unknown mass spread over its unknown labels, or the row renormalised when all known."""
        L = known.shape[1]
        unknown = ~mask
        rest = np.clip(1.0 - known.sum(axis=1, keepdims=True), 0.0, None)
        n_unknown = unknown.sum(axis=1, keepdims=True)
        filled = known + np.where(unknown, rest / np.maximum(n_unknown, 1), 0.0)
        sums = filled.sum(axis=1, keepdims=True)
        return np.where(sums > 0, filled / np.where(sums > 0, sums, 1.0), 1.0 / L)

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        self._fit_incomplete(X, D, np.ones(D.shape, dtype=bool))

    def _fit_incomplete(self, X: np.ndarray, D: np.ndarray, observed: np.ndarray) -> None:
        raise NotImplementedError  # pragma: no cover - abstract

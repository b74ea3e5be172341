"""IncomLDL (Xu & Zhou 2017): incomplete LDL by trace-norm regularised least squares."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .._blas import limit_solver_blas
from ._base import BaseIncompleteLDL

__all__ = ["IncomLDL"]


def _shrink_singular_values(A: np.ndarray, threshold: float) -> np.ndarray:
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return (U * np.maximum(s - threshold, 0.0)) @ Vt


class IncomLDL(BaseIncompleteLDL):
    """IncomLDL (Xu & Zhou 2017): learn from label distributions with missing degrees.

    A linear model ``P = X W`` fitted to the known degrees only, with a trace-norm penalty that
    makes ``W`` low-rank, so that the labels' correlations fill in for the missing entries::

        min_W  1/2 ||Omega * (X W - D)||_F^2 + lam * ||W||_*

    (``Omega`` the 0/1 mask of known degrees, ``||.||_*`` the sum of singular values), solved by
    accelerated proximal gradient descent (FISTA: a gradient step of size ``1 / ||X||_2^2`` on the
    smooth part, then singular value thresholding). Predictions are projected onto the simplex
    (negative degrees clipped, rows renormalised).

    Reading: Xu & Zhou give a proximal gradient algorithm for this objective and an ADMM variant
    with the rows of ``X W`` constrained to the simplex; this is the proximal gradient form. The
    papers' ``lam`` is tuned per dataset; the default ``1e-3`` is the reference package's.

    Parameters
    ----------
    lam : float, default=1e-3
        Weight of the trace norm.
    fit_intercept : bool, default=False
        Append a constant feature (penalised with the rest of ``W``).
    max_iter : int, default=500
        Most proximal gradient iterations.
    tol : float, default=1e-6
        Stop when the relative change of ``W`` falls below ``tol``.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features (+1), n_labels)
    n_iter_ : int
    converged_ : bool

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.incomplete import IncomLDL
    >>> from ldlkit.simulation import observed_mask, random_missing
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 3))
    >>> D = np.column_stack([X[:, 0], X[:, 1], X[:, 2]]) + 0.1
    >>> D /= D.sum(axis=1, keepdims=True)
    >>> hidden = random_missing(D, rate=0.3, random_state=0)
    >>> model = IncomLDL().fit(X, np.nan_to_num(hidden), observed=observed_mask(hidden))
    >>> model.predict(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints = {
        "lam": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        lam: float = 1e-3,
        fit_intercept: bool = False,
        max_iter: int = 500,
        tol: float = 1e-6,
    ) -> None:
        self.lam = lam
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 20}
        tags.ldl.min_fit_samples = 1
        return tags

    def _design(self, X: np.ndarray) -> np.ndarray:
        return np.hstack([X, np.ones((X.shape[0], 1))]) if self.fit_intercept else X

    def _fit_incomplete(self, X: np.ndarray, D: np.ndarray, observed: np.ndarray) -> None:
        A = self._design(X)
        M = observed.astype(np.float64)
        target = M * D
        with limit_solver_blas():
            lipschitz = float(np.linalg.norm(A, 2) ** 2)
            step = 1.0 / lipschitz if lipschitz > 0 else 1.0
            W = np.zeros((A.shape[1], D.shape[1]))
            Y, t = W, 1.0
            converged = False
            for iteration in range(1, self.max_iter + 1):  # noqa: B007 (read after the loop)
                gradient = A.T @ (M * (A @ Y) - target)
                W_next = _shrink_singular_values(Y - step * gradient, step * self.lam)
                t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
                Y = W_next + ((t - 1.0) / t_next) * (W_next - W)
                change = np.linalg.norm(W_next - W)
                scale = max(np.linalg.norm(W_next), 1e-12)
                W, t = W_next, t_next
                if change <= self.tol * scale:
                    converged = True
                    break
        self.coef_ = W
        self.n_iter_ = iteration
        self.converged_ = converged

    def _predict(self, X: np.ndarray) -> np.ndarray:
        P = self._design(X) @ self.coef_
        P = np.clip(P, 0.0, None)
        sums = P.sum(axis=1, keepdims=True)
        return np.where(sums > 0, P / np.where(sums > 0, sums, 1.0), 1.0 / P.shape[1])

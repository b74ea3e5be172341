"""WInLDL (Li & Chen 2023): incomplete LDL by a weighted empirical risk, no regulariser."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._blas import limit_solver_blas
from ..linear._ldlsf import project_rows_to_simplex
from ._base import BaseIncompleteLDL

__all__ = ["WInLDL"]


def complete_single_missing(D: np.ndarray, observed: np.ndarray):
    """Rows with exactly one unknown degree get it as ``1 - (sum of the known ones)`` (at least
    0), since the row sums to 1; returns the new degrees and mask."""
    single = (~observed).sum(axis=1) == 1
    D, observed = D.copy(), observed.copy()
    rows = np.flatnonzero(single)
    cols = np.argmin(observed[rows], axis=1)
    D[rows, cols] = np.clip(1.0 - np.where(observed[rows], D[rows], 0.0).sum(axis=1), 0.0, None)
    observed[rows, cols] = True
    return D, observed


def weighted_simplex_projection(B: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Row-wise ``argmin_z sum_j c_j (z_j - b_j)^2`` over the probability simplex (``C > 0``).

    The solution is ``z_j = max(b_j - lam / c_j, 0)`` with ``lam`` making the row sum to 1; the
    sort over the breakpoints ``b_j c_j`` finds it exactly (``C = 1`` is the Euclidean
    projection).
    """
    n, m = B.shape
    breaks = B * C
    order = np.argsort(-breaks, axis=1)
    rows = np.arange(n)[:, None]
    cum_b = np.cumsum(B[rows, order], axis=1)
    cum_inv = np.cumsum(1.0 / C[rows, order], axis=1)
    lam = (cum_b - 1.0) / cum_inv  # lam if the k largest breakpoints are active
    valid = lam < breaks[rows, order]
    k = m - 1 - np.argmax(valid[:, ::-1], axis=1)  # the largest valid k (k = 0 always is)
    chosen = lam[np.arange(n), k]
    return np.maximum(B - chosen[:, None] / C, 0.0)


def observed_weights(D: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """``2^(1 - d_ij)`` on the known degrees (small degrees weigh more), 0 elsewhere."""
    return np.where(observed, np.exp2(1.0 - D), 0.0)


def missing_weights(D: np.ndarray, observed: np.ndarray, progress: float) -> np.ndarray:
    """``(1 + progress)^(mean known degree of label j)`` on the unknown degrees, 0 elsewhere;
    ``progress`` runs from 0 to 1 over the iterations, so the weights grow."""
    counts = observed.sum(axis=0)
    sums = np.where(observed, D, 0.0).sum(axis=0)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    return np.where(observed, 0.0, (1.0 + progress) ** means[None, :])


class WInLDL(BaseIncompleteLDL):
    """WInLDL (Li & Chen 2023): incomplete LDL with weighted degrees and no regulariser.

    A linear model ``P = X W`` whose rows are kept on the simplex. No explicit regulariser:
    the squared error of every degree is weighted, and the weights do the work. A known degree
    ``d_ij`` weighs ``q_ij = 2^(1 - d_ij)`` (small degrees are not to be overlooked); an unknown
    one weighs ``q_ij = (1 + t/T)^(a_j)``, growing over the iterations ``t = 1..T`` (``a_j`` the
    mean known degree of label ``j``), with the current prediction as its target::

        min_{W, Z}  1/2 ||Q * (Z - Y)||_F^2   s.t.  Z = X W,  rows of Z on the simplex

    (``Y`` the known degrees where known and ``X W`` elsewhere), solved by ADMM with penalty
    ``rho``: ``W`` by least squares (a ``1e-5`` ridge keeps it well posed), ``Z`` from the
    weighted average of ``X W + V / rho`` and ``Y``, then the multiplier ``V``. It stops when
    the primal and dual residuals fall below their tolerances (absolute ``1e-4``, relative
    ``1e-3``) or after ``max_iter`` iterations. Predictions are ``X W`` projected onto the
    simplex.

    Reading: the growing weight of the unknown degrees needs a horizon ``T``; as in the reference
    package it is ``max_iter``. The reference package's ``Z`` step projects the weighted average
    onto the simplex in the Euclidean metric (``z_step="project"``, the default), which is not
    the exact minimiser of the ``Z`` subproblem; ``z_step="exact"`` projects in the metric of
    the weights ``q^2 + rho``, the subproblem's exact solution (``docs/classic.md`` compares
    them). A row with a single unknown degree has it filled in
    as ``1 - (sum of the known degrees)`` first (``complete_single_missing``), as the reference
    package does. ``a_j`` averages the known degrees of label ``j``. Defaults are the reference
    package's (``rho=2``, 100 iterations).

    Parameters
    ----------
    rho : float, default=2.0
        ADMM penalty.
    ridge : float, default=1e-5
        Ridge added to ``X^T X`` in the ``W`` step.
    z_step : {"project", "exact"}, default="project"
        Euclidean projection of the weighted average (the reference package's) or the exact
        weighted projection.
    complete_single_missing : bool, default=True
        Fill in the degree of rows with exactly one unknown degree before training.
    max_iter : int, default=100
        Most ADMM iterations (also the horizon of the growing weights).
    tol_abs, tol_rel : float, default=1e-4, 1e-3
        Absolute and relative tolerances of the residual test.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_labels)
    n_iter_ : int
    converged_ : bool

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.incomplete import WInLDL
    >>> from ldlkit.simulation import observed_mask, random_missing
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 3))
    >>> D = X + 0.1
    >>> D /= D.sum(axis=1, keepdims=True)
    >>> hidden = random_missing(D, rate=0.3, random_state=0)
    >>> model = WInLDL().fit(X, np.nan_to_num(hidden), observed=observed_mask(hidden))
    >>> model.predict(X[:2]).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    """

    _parameter_constraints = {
        "rho": [Interval(Real, 0, None, closed="neither")],
        "ridge": [Interval(Real, 0, None, closed="left")],
        "z_step": [StrOptions({"project", "exact"})],
        "complete_single_missing": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol_abs": [Interval(Real, 0, None, closed="left")],
        "tol_rel": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        rho: float = 2.0,
        ridge: float = 1e-5,
        z_step: str = "project",
        complete_single_missing: bool = True,
        max_iter: int = 100,
        tol_abs: float = 1e-4,
        tol_rel: float = 1e-3,
    ) -> None:
        self.rho = rho
        self.ridge = ridge
        self.z_step = z_step
        self.complete_single_missing = complete_single_missing
        self.max_iter = max_iter
        self.tol_abs = tol_abs
        self.tol_rel = tol_rel

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 20}
        tags.ldl.min_fit_samples = 1
        tags.ldl.test_variants = [{"z_step": "exact"}]
        return tags

    def _fit_incomplete(self, X: np.ndarray, D: np.ndarray, observed: np.ndarray) -> None:
        if self.complete_single_missing:
            D, observed = complete_single_missing(D, observed)
        D = np.where(observed, D, 0.0)
        n, m = D.shape
        rho, T = float(self.rho), self.max_iter
        Q1 = observed_weights(D, observed)
        with limit_solver_blas():
            gram = X.T @ X + self.ridge * np.eye(X.shape[1])
            solve = np.linalg.pinv(gram) @ X.T if self.ridge == 0 else np.linalg.solve(gram, X.T)
            Z = np.full((n, m), 1.0 / m)
            V = np.zeros((n, m))
            converged = False
            for t in range(1, T + 1):  # noqa: B007 (read after the loop)
                W = solve @ (Z - V / rho)
                XW = X @ W
                Q2 = Q1 + missing_weights(D, observed, t / T)
                weight = Q2 * Q2
                target = np.where(observed, D, XW)
                Z_old = Z
                average = (rho * XW + V + weight * target) / (weight + rho)
                if self.z_step == "project":
                    Z = project_rows_to_simplex(average)
                else:
                    Z = weighted_simplex_projection(average, weight + rho)
                V = V + rho * (XW - Z)
                primal = np.linalg.norm(Z - XW)
                dual = np.linalg.norm(rho * (Z - Z_old))
                primal_tol = np.sqrt(n) * self.tol_abs + self.tol_rel * max(
                    np.linalg.norm(Z), np.linalg.norm(XW)
                )
                dual_tol = np.sqrt(m) * self.tol_abs + self.tol_rel * np.linalg.norm(V)
                if primal <= primal_tol and dual <= dual_tol:
                    converged = True
                    break
        self.coef_ = W
        self.n_iter_ = t
        self.converged_ = converged

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return project_rows_to_simplex(X @ self.coef_)

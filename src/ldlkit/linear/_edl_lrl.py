"""EDL-LRL (Jia et al., CVPR 2019): low-rank label correlations inside local clusters, by ADMM."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

from .._blas import single_threaded_fit
from ..base import BaseLDL
from ._maxent import softmax_backward
from ._solvers import decrease_stop_options, kmeans_labels, minimize_lbfgs

__all__ = ["EDLLRL"]


def singular_value_threshold(A: np.ndarray, threshold: float) -> np.ndarray:
    """Proximal operator of ``threshold * ||.||_*``: shrink the singular values of ``A``."""
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return (U * np.maximum(s - threshold, 0.0)) @ Vt


def _nuclear_norm(A: np.ndarray) -> float:
    return float(np.linalg.svd(A, compute_uv=False).sum())


class EDLLRL(BaseLDL):
    """EDL-LRL: emotion distribution learning with low-rank label correlations locally (Jia 2019).

    The training rows are split into ``n_clusters`` k-means clusters of the features. Inside each
    cluster ``j`` the predicted label distribution matrix ``P_j`` (rows of that cluster) should
    have low rank, i.e. the labels are correlated locally:

    ``1/2 ||P - D||^2 + alpha ||W||^2 + beta sum_j ||P_j||_*``,  ``P = softmax(X W)``

    solved by ADMM on the split ``Z_j = P_j``: an L-BFGS step on ``W`` (analytic gradient), a
    singular-value-thresholding step on each ``Z_j``, a multiplier step, and a penalty ``rho``
    that grows by ``rho_growth`` per iteration (while the split is not enforced) up to
    ``rho_max``.

    Parameters
    ----------
    alpha : float, default=1e-3
        L2 penalty on ``W`` (the paper's lambda1).
    beta : float, default=1e-2
        Weight of the local nuclear norms (lambda2).
    n_clusters : int, default=5
        k-means clusters of the training features (the paper's m).
    rho : float, default=1.0
        Initial ADMM penalty.
    rho_growth : float, default=1.1
        Factor applied to ``rho`` after each ADMM iteration whose primal residual is above
        the tolerance.
    rho_max : float, default=1e6
        Largest penalty.
    max_iter : int, default=200
        ADMM iterations.
    inner_max_iter : int, default=50
        L-BFGS iterations per ``W`` step (warm-started).
    tol : float, default=1e-5
        ADMM stops when the primal residual ``||P_j - Z_j||`` and the dual residual
        ``rho ||Z_j - Z_j_prev||`` are both below ``tol`` times ``sqrt(n * L)``.
    random_state : int, RandomState or None, default=None
        Seeds k-means.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_labels)
    n_iter_ : int
        ADMM iterations run.
    objective_ : list of float
        The objective (with ``||P_j||_*``) after each ADMM iteration.

    Notes
    -----
    Defaults follow the authors' public code (lambda1=1e-3, lambda2=1e-2, m=5, least-squares loss,
    no intercept, features as given). That code starts ADMM at ``rho=1e-6`` and stops after 50
    iterations or at the first rise of its objective, where the split is still far from
    enforced; here ADMM runs until both residuals are small. Its gradient kept only the diagonal
    of the softmax Jacobian; the gradient here is exact.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.linear import EDLLRL
    >>> X, D = make_artificial(60, random_state=0)
    >>> EDLLRL(n_clusters=2, random_state=0).fit(X, D).predict(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "rho": [Interval(Real, 0, None, closed="neither")],
        "rho_growth": [Interval(Real, 1, None, closed="left")],
        "rho_max": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "inner_max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        alpha: float = 1e-3,
        beta: float = 1e-2,
        n_clusters: int = 5,
        rho: float = 1.0,
        rho_growth: float = 1.1,
        rho_max: float = 1e6,
        max_iter: int = 200,
        inner_max_iter: int = 50,
        tol: float = 1e-5,
        random_state=None,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.n_clusters = n_clusters
        self.rho = rho
        self.rho_growth = rho_growth
        self.rho_max = rho_max
        self.max_iter = max_iter
        self.inner_max_iter = inner_max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 5, "inner_max_iter": 5, "n_clusters": 2}
        tags.ldl.test_variants = [{"beta": 0.0}]
        return tags

    def _check_params(self) -> None:
        if self.rho_max < self.rho:
            raise ValueError(
                f"rho_max={self.rho_max} is below the initial rho={self.rho}; "
                "rho_max must be at least rho."
            )

    def objective(self, W: np.ndarray, X: np.ndarray, D: np.ndarray, clusters) -> float:
        """The EDL-LRL objective at ``W`` (with the nuclear norms of the predictions)."""
        P = softmax(X @ W, axis=1)
        nuclear = sum(_nuclear_norm(P[rows]) for rows in clusters)
        return float(0.5 * np.sum((P - D) ** 2) + self.alpha * np.sum(W * W) + self.beta * nuclear)

    def _lagrangian_w(self, w, X, D, Z, Lam, rho):
        """The augmented Lagrangian as a function of W (Z, multipliers, rho fixed), with gradient.

        ``Z`` and ``Lam`` are stacked in the row order of ``X``; the split covers every row.
        """
        W = w.reshape(X.shape[1], D.shape[1])
        P = softmax(X @ W, axis=1)
        gap = P - Z
        value = (
            0.5 * np.sum((P - D) ** 2)
            + self.alpha * np.sum(W * W)
            + np.sum(Lam * gap)
            + 0.5 * rho * np.sum(gap * gap)
        )
        G_P = (P - D) + Lam + rho * gap
        grad = X.T @ softmax_backward(P, G_P) + 2.0 * self.alpha * W
        return value, grad.ravel()

    @single_threaded_fit
    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        labels = kmeans_labels(X, self.n_clusters, self.random_state)
        clusters = [np.flatnonzero(labels == c) for c in np.unique(labels)]
        n, L = D.shape
        W = np.zeros((X.shape[1], L))
        P = softmax(X @ W, axis=1)
        Z = P.copy()
        Lam = np.zeros_like(P)
        rho = float(self.rho)
        scale = np.sqrt(n * L)
        self.objective_ = []
        converged = False
        for iteration in range(1, self.max_iter + 1):  # noqa: B007 (read after the loop)
            w = minimize_lbfgs(
                lambda w, Z=Z, Lam=Lam, rho=rho: self._lagrangian_w(w, X, D, Z, Lam, rho),
                W.ravel(),
                max_iter=self.inner_max_iter,
                tol=1e-8,
                owner="EDLLRL",
                warn=False,
                **decrease_stop_options(
                    1e-8
                ),  # inner steps are inexact by design; the ADMM loop is what must finish
            ).x
            W = w.reshape(X.shape[1], L)
            P = softmax(X @ W, axis=1)
            Z_prev = Z
            Z = np.empty_like(P)
            for rows in clusters:
                Z[rows] = singular_value_threshold(P[rows] + Lam[rows] / rho, self.beta / rho)
            Lam = Lam + rho * (P - Z)
            primal = np.linalg.norm(P - Z)
            dual = rho * np.linalg.norm(Z - Z_prev)
            self.objective_.append(self.objective(W, X, D, clusters))
            if primal <= self.tol * scale and dual <= self.tol * scale:
                converged = True
                break
            if primal > self.tol * scale:
                # rho grows while the split is not yet enforced; once it is, a still-growing
                # rho would only inflate the dual residual rho * ||Z - Z_prev||
                rho = min(rho * self.rho_growth, self.rho_max)
        self.n_iter_ = iteration
        if not converged:
            warnings.warn(
                f"EDLLRL: ADMM stopped after max_iter={self.max_iter} iterations with primal "
                f"residual {primal:.2e} and dual residual {dual:.2e} (tolerance "
                f"{self.tol * scale:.2e}); increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.coef_ = W

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return softmax(X @ self.coef_, axis=1)

"""LDL-LDM (Wang & Geng, TNNLS 2021): learning with label distribution manifolds."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.utils._param_validation import Interval

from .._blas import single_threaded_fit
from ..base import BaseLDL
from ._maxent import softmax_backward
from ._solvers import decrease_stop_options, kmeans_labels, minimize_lbfgs, with_intercept

__all__ = ["LDLLDM"]


# --- the label distribution manifold -------------------------------------------------------------
def label_manifold_weights(D: np.ndarray, n_neighbors: int | None = None, reg: float = 1e-3):
    """Locally linear reconstruction weights of each label from the other labels.

    Each label is the column ``D[:, j]`` (a point in R^n). It is written as an affine combination
    of its ``n_neighbors`` nearest other label columns (all other labels when None), with the
    usual locally-linear-embedding regularisation ``reg * trace`` of the local Gram matrix.

    Returns ``Z`` (L, L) with ``D @ Z ~= D``: column ``j`` of ``Z`` holds the weights that
    reconstruct label ``j``; its diagonal is zero and each column sums to 1.
    """
    points = D.T
    n_labels = points.shape[0]
    k = n_labels - 1 if n_neighbors is None else min(int(n_neighbors), n_labels - 1)
    squared = np.sum((points[:, None, :] - points[None, :, :]) ** 2, axis=2)
    np.fill_diagonal(squared, np.inf)  # a label is never its own neighbour
    Z = np.zeros((n_labels, n_labels))
    for j in range(n_labels):
        neighbours = np.argsort(squared[j], kind="stable")[:k]
        centred = points[neighbours] - points[j]
        gram = centred @ centred.T
        trace = np.trace(gram)
        gram[np.diag_indices_from(gram)] += reg * trace if trace > 0 else reg
        weights = np.linalg.solve(gram, np.ones(k))
        Z[neighbours, j] = weights / weights.sum()
    return Z


class LDLLDM(BaseLDL):
    """LDL-LDM: a maximum-entropy model kept on the label distribution manifold (Wang & Geng 2021).

    The label distribution manifold is the locally linear structure among the labels: every label
    column of the training distributions is reconstructed from the other labels with weights
    ``Z`` (:func:`label_manifold_weights`), once over all rows (global manifold) and once inside
    each of ``n_clusters`` k-means clusters of the training distributions (local manifolds). The
    predictions ``P = softmax([X, 1] W)`` are asked to keep those reconstructions:

    ``sum_i KL(d_i || p_i) + alpha/2 ||W||^2 + beta ||P (I - Z)||^2
    + gamma sum_c ||P_c (I - Z_c)||^2``

    minimised over ``W`` by L-BFGS with the analytic gradient (sums over rows, as in the authors'
    code; the manifolds are computed once from the training distributions).

    Parameters
    ----------
    alpha : float, default=1e-3
        L2 penalty ``alpha/2 ||W||^2`` (the paper's lambda1).
    beta : float, default=1.0
        Weight of the global manifold term (lambda2).
    gamma : float, default=1.0
        Weight of the local manifold terms (lambda3); 0 or ``n_clusters=1`` switches them off.
    n_clusters : int, default=10
        k-means clusters of the training label distributions (the paper's g).
    n_neighbors : int or None, default=None
        Labels used to reconstruct each label; None uses all other labels.
    manifold_reg : float, default=1e-3
        Regularisation of the local Gram matrices, relative to their trace.
    max_iter : int, default=300
        L-BFGS iterations.
    tol : float, default=1e-6
        L-BFGS gradient tolerance.
    random_state : int, RandomState or None, default=None
        Seeds k-means.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features + 1, n_labels)
        Weights; the last row is the intercept.
    manifold_ : ndarray of shape (n_labels, n_labels)
        Global reconstruction weights ``Z``.
    n_iter_ : int
        L-BFGS iterations run.

    Notes
    -----
    Defaults follow the authors' run script (lambda1=0.001, lambda2=lambda3=1, g=10, 300
    L-BFGS iterations). Features are used as given, with an intercept, as in the authors' code;
    a ``StandardScaler`` in a ``Pipeline`` is the recommended use.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.linear import LDLLDM
    >>> X, D = make_artificial(60, random_state=0)
    >>> LDLLDM(n_clusters=3, random_state=0).fit(X, D).predict(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        "manifold_reg": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        alpha: float = 1e-3,
        beta: float = 1.0,
        gamma: float = 1.0,
        n_clusters: int = 10,
        n_neighbors: int | None = None,
        manifold_reg: float = 1e-3,
        max_iter: int = 300,
        tol: float = 1e-6,
        random_state=None,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.n_clusters = n_clusters
        self.n_neighbors = n_neighbors
        self.manifold_reg = manifold_reg
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 20, "n_clusters": 3}
        tags.ldl.test_variants = [{"beta": 0.0, "gamma": 0.0}]
        return tags

    def _manifold_terms(self, D: np.ndarray) -> list[tuple[np.ndarray | slice, float, np.ndarray]]:
        """(rows, weight, A A^T) for the global manifold and each local one, A = I - Z."""
        eye = np.eye(D.shape[1])

        def gram(Dpart):
            A = eye - label_manifold_weights(Dpart, self.n_neighbors, self.manifold_reg)
            return A @ A.T

        self.manifold_ = label_manifold_weights(D, self.n_neighbors, self.manifold_reg)
        terms = []
        if self.beta > 0:
            A = eye - self.manifold_
            terms.append((slice(None), float(self.beta), A @ A.T))
        if self.gamma > 0 and self.n_clusters > 1:
            clusters = kmeans_labels(D, self.n_clusters, self.random_state)
            for c in np.unique(clusters):
                rows = np.flatnonzero(clusters == c)
                terms.append((rows, float(self.gamma), gram(D[rows])))
        return terms

    def _objective(self, w, X1, D, terms):
        W = w.reshape(X1.shape[1], D.shape[1])
        logits = X1 @ W
        log_P = log_softmax(logits, axis=1)
        P = np.exp(log_P)
        loss = -np.sum(D * log_P) + 0.5 * self.alpha * np.sum(W * W)
        G_logits = P - D  # cross-entropy through the softmax
        G_P = np.zeros_like(P)
        for rows, weight, AAt in terms:
            Pc = P[rows]
            loss += weight * np.sum((Pc @ AAt) * Pc)
            G_P[rows] += 2.0 * weight * (Pc @ AAt)
        G_logits += softmax_backward(P, G_P)
        grad = X1.T @ G_logits + self.alpha * W
        # cross-entropy differs from KL by the constant sum(D log D): report the KL form
        return loss + np.sum(D * np.log(np.where(D > 0, D, 1.0))), grad.ravel()

    @single_threaded_fit
    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        X1 = with_intercept(X)
        terms = self._manifold_terms(D)
        w0 = np.zeros(X1.shape[1] * D.shape[1])
        result = minimize_lbfgs(
            lambda w: self._objective(w, X1, D, terms),
            w0,
            max_iter=self.max_iter,
            tol=self.tol,
            owner="LDLLDM",
            **decrease_stop_options(self.tol),
        )
        w, self.n_iter_ = result.x, int(result.nit)
        self.coef_ = w.reshape(X1.shape[1], D.shape[1])

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return softmax(with_intercept(X) @ self.coef_, axis=1)

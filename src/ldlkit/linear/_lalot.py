"""LALOT (Zhao & Zhou, AAAI 2018): label distribution learning with an optimal-transport loss.

The loss between a predicted and a true distribution is the entropy-regularised optimal
transport (Sinkhorn) cost under a ground metric between labels; the ground metric is learned
together with the model, so it encodes label correlations.
"""

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
from ._solvers import decrease_stop_options, minimize_lbfgs, sparse_design, with_intercept

__all__ = ["LALOT", "sinkhorn"]

#: Floor on transported masses, so that logarithms of scaling vectors stay finite.
_TINY = 1e-300


def sinkhorn(A, B, K, *, max_iter=1000, tol=1e-9):
    """Sinkhorn scaling for many pairs of distributions at once.

    Finds ``U``, ``V`` (n, L) such that the plans ``T_i = diag(U_i) K diag(V_i)`` have row sums
    ``A_i`` and column sums ``B_i``. Stops when the row sums are within ``tol`` (L1, worst row) of
    the closest they can get, or after ``max_iter`` sweeps; returns ``U``, ``V`` and the number of
    sweeps. The closest is ``|sum A_i - sum B_i|``: after a sweep the plan's column sums are
    ``B_i`` exactly, so its total mass is ``sum B_i``, and its row sums miss ``A_i`` by at least
    the difference of the masses. Distributions stored to a few decimals (SCUT_FBP's rows sum to
    1 +- 3e-6) would otherwise never meet a ``tol`` of 1e-9 and run every sweep.
    """
    U = np.ones_like(A)
    slack = np.abs(A.sum(axis=1) - B.sum(axis=1))
    for sweep in range(1, max_iter + 1):  # noqa: B007 (returned)
        V = B / np.maximum(U @ K, _TINY)
        KV = V @ K.T
        if np.max(np.sum(np.abs(U * KV - A), axis=1) - slack) <= tol:
            break
        U = A / np.maximum(KV, _TINY)
    return U, V, sweep


def ground_metric(K: np.ndarray) -> np.ndarray:
    """Squared distances between labels in the feature space of the kernel ``K``."""
    diag = np.diag(K)
    return np.maximum(diag[:, None] + diag[None, :] - 2.0 * K, 0.0)


def _project_psd(K: np.ndarray) -> np.ndarray:
    K = 0.5 * (K + K.T)
    values, vectors = np.linalg.eigh(K)
    return (vectors * np.maximum(values, 0.0)) @ vectors.T


class LALOT(BaseLDL):
    """LALOT: label distribution learning by optimal transport (Zhao & Zhou 2018).

    The model is the maximum-entropy one, ``p(x) = softmax([x, 1] W)``. Its loss on a row is
    the Sinkhorn cost ``OT(p, d) = min_T <T, M> + (1/lam) sum T (log T - 1)`` over the plans
    ``T`` with marginals ``p`` and ``d``. The ground metric ``M`` between labels is
    ``M_jk = K_jj + K_kk - 2 K_jk`` for a positive semidefinite kernel ``K`` learned near a prior
    ``K0`` (label co-occurrence ``D^T D``, scaled to a largest entry of 1):

    ``min_{W, K >= 0}  sum_i OT_M(K)(p(x_i), d_i) + C/2 ||K - K0||_F^2 (+ alpha/2 ||W||^2)``

    Training alternates two steps that both lower this objective: (1) for fixed ``K``, L-BFGS on
    ``W`` with the exact gradient of the Sinkhorn cost (the dual potential of ``p``); (2) for
    fixed ``W``, the closed-form minimiser ``K = Proj_PSD(K0 - G / C)`` of the objective with
    each Sinkhorn cost replaced by its tangent in ``M`` (an upper bound, since the cost is concave
    in ``M``), where ``G`` is the gradient of ``sum_i <T_i, M(K)>``. It stops when an alternation
    lowers the objective by less than ``tol`` times its value.

    Parameters
    ----------
    lam : float, default=0.2
        Sinkhorn parameter: the plan solves ``<T, M> - (1/lam) H(T)``; larger is closer to exact
        optimal transport.
    C : float, default=200.0
        Trade-off that keeps the learned kernel near ``K0``.
    alpha : float, default=0.0
        L2 penalty ``alpha/2 ||W||^2`` on the feature weights (not the intercept). The paper
        has none (0 reproduces it); without it the model overfits data with more features
        than rows (see ``docs/linear.md``).
    max_iter : int, default=50
        Alternations between the two steps.
    inner_max_iter : int, default=100
        L-BFGS iterations per model step (warm-started).
    tol : float, default=1e-6
        Relative decrease of the objective under which the alternation stops.
    sinkhorn_max_iter : int, default=1000
        Sinkhorn sweeps per evaluation.
    sinkhorn_tol : float, default=1e-9
        Marginal error (L1, worst row) at which Sinkhorn stops.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features + 1, n_labels)
        Weights; the last row is the intercept.
    kernel_ : ndarray of shape (n_labels, n_labels)
        Learned label kernel ``K``.
    ground_metric_ : ndarray of shape (n_labels, n_labels)
        The ground metric ``M(K)``.
    objective_ : list of float
        Objective after each alternation (starting with the initial one).
    n_iter_ : int
        Alternations run.

    Notes
    -----
    ``lam=0.2`` and ``C=200`` are the settings the UAKNN paper reports for LALOT; ``lam`` follows
    the convention of Cuturi (2013) and Frogner et al. (2015), where it multiplies the cost
    (``K = exp(-lam M)``). Features are used as given, with an intercept; a ``StandardScaler``
    in a ``Pipeline`` is the recommended use. The reference package takes single
    gradient steps of a fixed size and stops at the first one that raises the KL divergence;
    here each step is a minimisation and the stopping rule is on the LALOT objective itself.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.linear import LALOT
    >>> X, D = make_artificial(60, random_state=0)
    >>> LALOT(max_iter=5).fit(X, D).predict(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints = {
        "lam": [Interval(Real, 0, None, closed="neither")],
        "C": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "inner_max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "sinkhorn_max_iter": [Interval(Integral, 1, None, closed="left")],
        "sinkhorn_tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        lam: float = 0.2,
        C: float = 200.0,
        alpha: float = 0.0,
        max_iter: int = 50,
        inner_max_iter: int = 100,
        tol: float = 1e-6,
        sinkhorn_max_iter: int = 1000,
        sinkhorn_tol: float = 1e-9,
    ) -> None:
        self.lam = lam
        self.C = C
        self.alpha = alpha
        self.max_iter = max_iter
        self.inner_max_iter = inner_max_iter
        self.tol = tol
        self.sinkhorn_max_iter = sinkhorn_max_iter
        self.sinkhorn_tol = sinkhorn_tol

    # -- the Sinkhorn loss ------------------------------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 3, "inner_max_iter": 10}
        tags.ldl.test_variants = [{"lam": 5.0, "alpha": 1.0}]
        return tags

    def _transport(self, P: np.ndarray, D: np.ndarray, M: np.ndarray):
        """Per-row Sinkhorn costs (summed), the dual potentials of ``P`` and the scalings."""
        lam = float(self.lam)
        gibbs = np.exp(-lam * M)
        P = np.maximum(P, _TINY)
        U, V, _ = sinkhorn(P, D, gibbs, max_iter=self.sinkhorn_max_iter, tol=self.sinkhorn_tol)
        log_U = np.log(np.maximum(U, _TINY))
        log_V = np.where(D > 0, np.log(np.maximum(V, _TINY)), 0.0)
        # Dual value <f, p> + <g, d> - (1/lam) sum T with f = log U / lam, g = log V / lam;
        # its gradient with respect to p is f (envelope theorem).
        mass = np.sum(U * (V @ gibbs.T), axis=1)
        value = (np.sum(P * log_U) + np.sum(D * log_V) - np.sum(mass)) / lam
        return float(value), log_U / lam, U, V, gibbs

    def _model_objective(self, w, X1, D, M):
        W = w.reshape(X1.shape[1], D.shape[1])
        P = softmax(X1 @ W, axis=1)
        value, potential, _, _, _ = self._transport(P, D, M)
        grad = X1.T @ softmax_backward(P, potential)
        if self.alpha > 0:  # L2 on the feature weights, not on the intercept
            value += 0.5 * self.alpha * float(np.sum(W[:-1] ** 2))
            grad[:-1] += self.alpha * W[:-1]
        return value, grad.ravel()

    def objective(self, W: np.ndarray, K: np.ndarray, X1: np.ndarray, D: np.ndarray) -> float:
        """The LALOT objective for weights ``W`` and kernel ``K`` (``X1`` with intercept)."""
        P = softmax(X1 @ W, axis=1)
        value = self._transport(P, D, self._metric(K))[0]
        value += 0.5 * self.alpha * float(np.sum(W[:-1] ** 2))
        return value + 0.5 * self.C * float(np.sum((K - self.prior_kernel_) ** 2))

    def _kernel_step(self, W, X1, D, K):
        P = softmax(X1 @ W, axis=1)
        _, _, U, V, gibbs = self._transport(P, D, self._metric(K))
        plan = (U.T @ V) * gibbs  # sum_i diag(U_i) K diag(V_i)
        plan = 0.5 * (plan + plan.T)  # M(K) is symmetric, so only the symmetric part matters
        G = -2.0 * plan
        G[np.diag_indices_from(G)] = 2.0 * plan.sum(axis=1) - 2.0 * np.diag(plan)
        G /= self.metric_scale_
        return _project_psd(self.prior_kernel_ - G / self.C)

    def _metric(self, K: np.ndarray) -> np.ndarray:
        return ground_metric(K) / self.metric_scale_

    # -- training ---------------------------------------------------------------------------------
    @single_threaded_fit
    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        X1 = sparse_design(with_intercept(X))  # CSR when mostly zeros: the same products
        prior = D.T @ D
        self.prior_kernel_ = prior / prior.max()
        K = self.prior_kernel_.copy()
        # A fixed unit for the metric (its largest initial entry), so that lam has the same
        # meaning on every data set; fixed, so that M stays linear in K.
        largest = ground_metric(K).max()
        self.metric_scale_ = float(largest) if largest > 0 else 1.0
        W = np.zeros((X1.shape[1], D.shape[1]))
        self.objective_ = [self.objective(W, K, X1, D)]
        converged = False
        for iteration in range(1, self.max_iter + 1):  # noqa: B007 (read after the loop)
            M = self._metric(K)
            w = minimize_lbfgs(
                lambda w, M=M: self._model_objective(w, X1, D, M),
                W.ravel(),
                max_iter=self.inner_max_iter,
                tol=1e-8,
                owner="LALOT",
                warn=False,
                **decrease_stop_options(
                    1e-8
                ),  # inexact inner steps are fine; the alternation must finish
            ).x
            W = w.reshape(W.shape)
            K = self._kernel_step(W, X1, D, K)
            self.objective_.append(self.objective(W, K, X1, D))
            previous, current = self.objective_[-2], self.objective_[-1]
            if previous - current <= self.tol * abs(previous):
                converged = True
                break
        self.n_iter_ = iteration
        if not converged:
            warnings.warn(
                f"LALOT: stopped after max_iter={self.max_iter} alternations while the "
                f"objective still fell by more than tol={self.tol} (relative); increase "
                "max_iter or tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.coef_ = W
        self.kernel_ = K
        self.ground_metric_ = self._metric(K)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return softmax(with_intercept(X) @ self.coef_, axis=1)

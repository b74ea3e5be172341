"""LDL-SCL trained with Adam (Zheng, Jia & Li, AAAI 2018; Jia et al., TKDE 2019: "Adam-LDL-SCL")."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.linalg
from scipy.special import log_softmax, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._blas import single_threaded_fit
from ..base import BaseLDL
from ._maxent import softmax_backward
from ._solvers import kmeans_labels, with_intercept

__all__ = ["LDLSCL"]

#: Smallest code value: codes are kept positive (the barrier term divides by them).
CODE_FLOOR = 1e-6


class _Adam:
    """Adam for a list of numpy arrays (Kingma & Ba; the authors' rho1, rho2, delta)."""

    def __init__(self, shapes, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):
        self.learning_rate = learning_rate
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m = [np.zeros(s) for s in shapes]
        self.v = [np.zeros(s) for s in shapes]
        self.t = 0

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 3, "n_clusters": 3}
        tags.ldl.test_variants = [{"tol": 1e-3, "code_ridge": 1.0}]
        return tags

    def step(self, params, grads):
        self.t += 1
        c1 = 1.0 - self.beta1**self.t
        c2 = 1.0 - self.beta2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * g * g
            p -= self.learning_rate * (m / c1) / (np.sqrt(v / c2) + self.eps)


class LDLSCL(BaseLDL):
    """LDL-SCL: label distribution learning with local sample correlations, trained with Adam.

    The training distributions are grouped by k-means into ``n_clusters`` clusters with centres
    ``P_j``. Each training row ``i`` gets a learned positive code ``c_i`` (one value per cluster,
    initialised to its one-hot cluster membership) that enters the model as an extra input:
    ``p_i = softmax(x_i theta + c_i W)``. The objective (sums over rows) is

    ``sum_i KL(d_i || p_i) + alpha ||theta||^2 + beta ||W||^2
    + gamma sum_ij c_ij ||p_i - P_j||^2 + mu sum_ij 1 / c_ij``

    where the last term is a barrier that keeps codes positive; ``mu`` starts at ``barrier`` and
    is multiplied by ``barrier_decay`` after every step. ``theta`` and ``W`` take Adam steps on
    mini-batches of ``batch_size`` rows and the codes take a full-batch Adam step each time, as
    in the authors' Adam version. For new rows, the codes are predicted from the features by
    least squares fitted to the learned training codes.

    Parameters
    ----------
    alpha : float, default=1e-3
        L2 penalty on ``theta`` (the paper's lambda1).
    beta : float, default=1e-3
        L2 penalty on ``W`` (lambda2).
    gamma : float, default=1e-3
        Weight of the local-correlation term (lambda3).
    n_clusters : int, default=5
        k-means clusters of the training distributions (the code length m).
    learning_rate : float, default=1e-3
        Adam step size.
    batch_size : int, default=50
        Mini-batch size for ``theta`` and ``W``.
    max_iter : int, default=300
        Adam steps (one mini-batch each). The authors' fixed budget: with ``tol=None`` it is
        the whole training, an early stop that is part of the method (the per-row codes can fit
        the training distributions ever more closely; test rows only get regressed codes).
    tol : float or None, default=None
        When given, training stops once a step changes the objective by less than ``tol``
        times its value, and a ``ConvergenceWarning`` says so when ``max_iter`` steps end first.
    barrier : float, default=1.0
        Initial weight ``mu`` of the barrier ``sum 1 / c_ij``.
    barrier_decay : float, default=0.1
        Factor applied to ``mu`` after every step.
    code_ridge : float, default=0.0
        Ridge penalty of the regression from features to codes; 0 is least squares (the
        authors' ``LinearRegression``; minimum-norm when underdetermined).
    random_state : int, RandomState or None, default=None
        Seeds k-means and the mini-batch order.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_labels)
        ``theta``.
    code_weights_ : ndarray of shape (n_clusters, n_labels)
        ``W``.
    codes_ : ndarray of shape (n_samples, n_clusters)
        Learned training codes.
    code_regressor_ : ndarray of shape (n_features + 1, n_clusters)
        Least-squares map from ``[x, 1]`` to codes.
    loss_curve_ : list of float
        Objective after each step.
    n_iter_ : int
        Steps run.

    Notes
    -----
    Defaults follow the authors' Adam script (lambda1 = lambda2 = lambda3 = 0.001, five clusters,
    Adam with rate 0.001, batch 50, barrier weight 1 divided by 10 per step, least-squares code
    regression, a budget of 300 mini-batch steps). Its stopping test (an absolute change of the
    summed objective below 1e-4) practically never fires; ``tol`` offers a relative one.
    Gradients are exact (the script kept only the diagonal of the softmax Jacobian). Features
    are used as given, with no intercept (the codes act as one), as in the script.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.linear import LDLSCL
    >>> X, D = make_artificial(60, random_state=0)
    >>> LDLSCL(n_clusters=3, random_state=0).fit(X, D).predict(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "barrier": [Interval(Real, 0, None, closed="left")],
        "barrier_decay": [Interval(Real, 0, 1, closed="both")],
        "code_ridge": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        alpha: float = 1e-3,
        beta: float = 1e-3,
        gamma: float = 1e-3,
        n_clusters: int = 5,
        learning_rate: float = 1e-3,
        batch_size: int = 50,
        max_iter: int = 300,
        tol: float | None = None,
        barrier: float = 1.0,
        barrier_decay: float = 0.1,
        code_ridge: float = 0.0,
        random_state=None,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.n_clusters = n_clusters
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.barrier = barrier
        self.barrier_decay = barrier_decay
        self.code_ridge = code_ridge
        self.random_state = random_state

    # -- objective and gradients (all analytic; checked numerically in the tests) ---------------
    def _terms(self, X, D, C, theta, W, centres):
        """Per-row terms: (probabilities, KL + gamma * local term summed, dL/dlogits, dL/dC)."""
        logits = X @ theta + C @ W
        log_P = log_softmax(logits, axis=1)
        P = np.exp(log_P)
        dist = np.sum((P[:, None, :] - centres[None, :, :]) ** 2, axis=2)  # (n, m)
        value = np.sum(D * (np.log(np.where(D > 0, D, 1.0)) - log_P)) + self.gamma * np.sum(
            C * dist
        )
        weights = C.sum(axis=1, keepdims=True)
        G_P = 2.0 * self.gamma * (weights * P - C @ centres)
        G_logits = (P - D) + softmax_backward(P, G_P)
        G_C = G_logits @ W.T + self.gamma * dist
        return P, value, G_logits, G_C

    def _gradients(self, X, D, C, theta, W, centres, mu):
        """Gradients of the objective on rows (X, D, C) for theta, W and C, and its value."""
        _, value, G_logits, G_C = self._terms(X, D, C, theta, W, centres)
        value += (
            self.alpha * np.sum(theta * theta) + self.beta * np.sum(W * W) + mu * np.sum(1.0 / C)
        )
        g_theta = X.T @ G_logits + 2.0 * self.alpha * theta
        g_W = C.T @ G_logits + 2.0 * self.beta * W
        g_C = G_C - mu / C**2
        return g_theta, g_W, g_C, float(value)

    # -- training ---------------------------------------------------------------------------------
    @single_threaded_fit
    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        rng = check_random_state(self.random_state)
        n, L = D.shape
        clusters = kmeans_labels(D, self.n_clusters, rng.randint(np.iinfo(np.int32).max))
        m = int(clusters.max()) + 1
        centres = np.vstack([D[clusters == j].mean(axis=0) for j in range(m)])
        C = np.full((n, m), CODE_FLOOR)
        C[np.arange(n), clusters] = 1.0
        theta = np.zeros((X.shape[1], L))
        W = np.zeros((m, L))
        adam_model = _Adam([theta.shape, W.shape], self.learning_rate)
        adam_codes = _Adam([C.shape], self.learning_rate)
        mu = float(self.barrier)
        previous = np.inf
        self.loss_curve_ = []
        converged = False
        order = np.empty(0, dtype=int)
        for step in range(1, self.max_iter + 1):  # noqa: B007 (read after the loop)
            if order.size == 0:  # a new pass over the rows in a new random order
                order = rng.permutation(n)
            rows, order = order[: self.batch_size], order[self.batch_size :]
            g_theta, g_W, _, _ = self._gradients(X[rows], D[rows], C[rows], theta, W, centres, 0)
            _, _, g_C, current = self._gradients(X, D, C, theta, W, centres, mu)
            self.loss_curve_.append(current)  # the objective before this step
            adam_model.step([theta, W], [g_theta, g_W])
            adam_codes.step([C], [g_C])
            np.maximum(C, CODE_FLOOR, out=C)  # codes stay in the barrier's domain
            mu *= self.barrier_decay
            if self.tol is not None and abs(previous - current) <= self.tol * abs(current):
                converged = True
                break
            previous = current
        self.n_iter_ = step
        if self.tol is not None and not converged:
            warnings.warn(
                f"LDLSCL: Adam stopped after max_iter={self.max_iter} steps before the "
                f"objective settled to a relative change of tol={self.tol}; increase max_iter "
                "or tol.",
                ConvergenceWarning,
                stacklevel=2,
            )
        self.coef_ = theta
        self.code_weights_ = W
        self.codes_ = C
        self.code_regressor_ = self._fit_code_regressor(X, C)

    def _fit_code_regressor(self, X: np.ndarray, C: np.ndarray) -> np.ndarray:
        X1 = with_intercept(X)
        if self.code_ridge == 0:
            # gelsy: a complete orthogonal factorisation gives the minimum-norm solution, much
            # faster than the SVD-based default on tall matrices
            return scipy.linalg.lstsq(X1, C, lapack_driver="gelsy")[0]
        penalty = self.code_ridge * np.eye(X1.shape[1])
        penalty[-1, -1] = 0.0  # the intercept is not penalised
        return np.linalg.solve(X1.T @ X1 + penalty, X1.T @ C)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        codes = with_intercept(X) @ self.code_regressor_
        return softmax(X @ self.coef_ + codes @ self.code_weights_, axis=1)

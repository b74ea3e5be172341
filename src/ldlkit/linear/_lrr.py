"""LDL-LRR (Jia et al. 2021): the maximum-entropy model with a label-ranking-relation loss."""

from __future__ import annotations

from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit, xlogy
from sklearn.utils._param_validation import Interval

from ._linear_base import _LinearLDL
from ._maxent import maxent_predict, softmax_backward
from ._solvers import minimize_lbfgs

__all__ = ["LDLLRR", "lrr_loss_grad"]


def _pair_targets(D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row and label pair ``j < k`` (``np.triu_indices`` order): target order and weight.

    The order is 1 when ``d_j > d_k``, 0 when smaller, 1/2 on ties; the weight is
    ``(d_j - d_k)^2``. Both have shape ``(n, L (L - 1) / 2)``.
    """
    j, k = np.triu_indices(D.shape[1], 1)
    diff = D[:, j] - D[:, k]
    order = np.where(diff > 0, 1.0, np.where(diff < 0, 0.0, 0.5))
    return order, diff**2


@lru_cache(maxsize=16)
def _pairs(n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(n_labels, 1)


@lru_cache(maxsize=16)
def _incidence(n_labels: int) -> np.ndarray:
    """``(pairs, labels)`` matrix: +1 at ``j``, -1 at ``k`` of each pair ``j < k``."""
    j, k = _pairs(n_labels)
    incidence = np.zeros((j.size, n_labels))
    incidence[np.arange(j.size), j] = 1.0
    incidence[np.arange(j.size), k] = -1.0
    return incidence


def lrr_loss_grad(
    W_flat: np.ndarray,
    X: np.ndarray,
    D: np.ndarray,
    order: np.ndarray,
    pair_weight: np.ndarray,
    lam: float,
    sigma: float,
    l2: float | np.ndarray,
    *,
    entropy: float | None = None,
) -> tuple[float, np.ndarray]:
    """LDL-LRR's objective and its analytic gradient (``W_flat`` as in ``maxent_kl_loss_grad``).

    ``mean_i KL(D_i || P_i) + lam * R + l2 / 2 * ||W||^2`` where the ranking loss ``R`` is::

        R = 1 / n * sum_i sum_{j<k} (d_ij - d_ik)^2 * BCE(order_ijk, sigmoid(sigma (p_ij - p_ik)))

    (``order``, ``pair_weight`` from ``_pair_targets``; ``BCE`` is the binary cross-entropy,
    written as ``(1 - order) u - log sigmoid(u)`` with ``u = sigma (p_j - p_k)``). The gradient
    of one pair term with respect to ``u`` is ``weight * (sigmoid(u) - order)``; it adds to
    ``p_j`` and subtracts from ``p_k``. ``entropy`` is ``sum(xlogy(D, D))``, the constant part
    of the KL term; the solver passes it once computed.
    """
    n, n_labels = D.shape
    W = W_flat.reshape(X.shape[1], n_labels)
    # one pass: logits, one exponential per entry, log P and P from the same shifted logits
    log_P = X @ W
    log_P -= log_P.max(axis=1, keepdims=True)
    P = np.exp(log_P)
    totals = P.sum(axis=1, keepdims=True)
    P /= totals
    log_P -= np.log(totals)
    if entropy is None:
        entropy = float(xlogy(D, D).sum())
    j, k = _pairs(n_labels)
    U = sigma * (P[:, j] - P[:, k])
    if sigma < 500:
        # |U| <= sigma: sigmoid(U) >= exp(-500) stays a normal float, so log(sigmoid) is exact
        # enough and one transcendental cheaper than scipy's log_expit
        sig = expit(U)
        log_sig = np.log(sig)
    else:
        log_sig = log_expit(U)
        sig = np.exp(log_sig)
    ranking = float((pair_weight * ((1.0 - order) * U - log_sig)).sum()) / n
    pair_grad = (sigma / n) * pair_weight * (sig - order)
    G = pair_grad @ _incidence(n_labels)  # d R / d P
    grad_logits = (P - D) / n + lam * softmax_backward(P, G)
    penalty = l2 * W
    loss = (
        (entropy - float((D * log_P).sum())) / n + lam * ranking + 0.5 * float((penalty * W).sum())
    )
    grad = X.T @ grad_logits + penalty
    return float(loss), grad.ravel()


class LDLLRR(_LinearLDL):
    """LDL-LRR (Jia et al. 2021, TKDE): maintain the label ranking relation.

    The maximum-entropy model ``P = softmax(X W)`` is fitted to::

        sum_i KL(D_i || P_i) + lam * sum_i R_i(P) + beta / 2 * ||W||_F^2

    (divided by ``n`` inside the solver, which changes nothing but the scale of ``tol``), where
    ``R_i`` penalises predicted label pairs whose order differs from the order of the true
    degrees, weighting each pair by the squared gap of the true degrees (a RankNet-style
    logistic loss on ``sigma * (p_j - p_k)``; see :func:`lrr_loss_grad`). Solved with scipy's
    L-BFGS and the analytic gradient, starting from ``W = 0``.

    Parameters
    ----------
    lam : float, default=1e-3
        Weight of the ranking loss (the paper's lambda, searched in ``10^{-6..-1}`` by UAKNN).
    beta : float, default=1e-3
        L2 penalty (the paper's beta, searched in ``10^{-3..2}``; the default is the smallest
        value of that grid). The intercept, if any, is not penalised.
    sigma : float, default=100.0
        Steepness of the logistic pair loss (degrees differ by hundredths: ``sigma`` brings those
        gaps to the sigmoid's working range).
    fit_intercept : bool, default=False
    max_iter : int, default=500
    tol : float, default=1e-6
        L-BFGS gradient tolerance.

    Attributes
    ----------
    coef_, intercept_ : ndarray
    n_iter_ : int
    converged_ : bool
    loss_ : float

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.linear import LDLLRR
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> D = np.array([[0.7, 0.3], [0.2, 0.8], [0.45, 0.55]])
    >>> LDLLRR().fit(X, D).predict([[1.0, 0.0]]).argmax()
    np.int64(0)
    """

    _parameter_constraints = {
        "lam": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        lam: float = 1e-3,
        beta: float = 1e-3,
        sigma: float = 100.0,
        fit_intercept: bool = False,
        max_iter: int = 500,
        tol: float = 1e-6,
    ) -> None:
        self.lam = lam
        self.beta = beta
        self.sigma = sigma
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 20}
        tags.ldl.test_variants = [{"fit_intercept": True}, {"lam": 0.0, "beta": 0.0}]
        return tags

    def _fit_design(self, X1: np.ndarray, D: np.ndarray) -> np.ndarray:
        order, pair_weight = _pair_targets(D)
        # the paper's objective sums over rows; lrr_loss_grad averages (same minimiser, and a
        # gradient tolerance that does not grow with n), so the penalty is divided by n too
        l2 = self.beta / X1.shape[0] * self._penalty_mask(X1.shape[1])
        entropy = float(xlogy(D, D).sum())
        result = minimize_lbfgs(
            lambda w: lrr_loss_grad(
                w, X1, D, order, pair_weight, self.lam, self.sigma, l2, entropy=entropy
            ),
            np.zeros(X1.shape[1] * D.shape[1]),
            max_iter=self.max_iter,
            tol=self.tol,
            owner=type(self).__name__,
        )
        self.n_iter_ = int(result.nit)
        self.converged_ = bool(result.converged)
        self.loss_ = float(result.fun)
        return result.x.reshape(X1.shape[1], D.shape[1])

    def _predict_design(self, X1: np.ndarray) -> np.ndarray:
        return maxent_predict(X1, self._weights())

"""LDL-LRR (Jia et al. 2021): the maximum-entropy model with a label-ranking-relation loss."""

from __future__ import annotations

from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_expit, xlogy
from sklearn.utils._param_validation import Interval, StrOptions

from ._linear_base import _LinearLDL
from ._maxent import (
    fit_maxent_objective,
    maxent_kl_hessp_operator,
    maxent_predict,
    softmax_backward,
)

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
    logistic loss on ``sigma * (p_j - p_k)``; see :func:`lrr_loss_grad`), starting from
    ``W = 0``.

    The solver and the stopping rule are SA-BFGS's (:class:`SABFGS`): trust-region Newton-CG by
    default, whose model Hessian is the KL term's and the penalty's (the ranking term, weighted
    by ``lam``, enters through its exact gradient; the trust region accepts only steps that
    lower the whole objective), or L-BFGS (``solver="lbfgs"``); early stopping on held-out rows
    by default. The paper's beta is searched in ``10^{-3..2}``; the default ``beta=0`` is
    python-ldl's (no penalty: early stopping regularises, as its 50-iteration limit does there).

    Parameters
    ----------
    lam : float, default=1e-3
        Weight of the ranking loss (the paper's lambda, searched in ``10^{-6..-1}`` by UAKNN).
    beta : float, default=0.0
        L2 penalty (the paper's beta). The intercept, if any, is not penalised.
    sigma : float, default=100.0
        Steepness of the logistic pair loss (degrees differ by hundredths: ``sigma`` brings those
        gaps to the sigmoid's working range).
    fit_intercept : bool, default=False
    solver : {"newton", "lbfgs"}, default="newton"
    early_stopping : bool, default=True
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    max_validation_rise : float or None, default=0.25
        As in :class:`SABFGS`: stop at once when the held-out KL exceeds its best by more than
        this fraction (None: the patience alone).
    max_iter : int, default=500
    tol : float, default=1e-6
        Gradient tolerance (as in :class:`SABFGS`).
    random_state : int, RandomState instance or None, default=None
        Draws the held-out rows.

    Attributes
    ----------
    coef_, intercept_ : ndarray
    n_iter_ : int
    converged_ : bool
    loss_ : float
    validation_loss_ : float or None
        Mean KL on the held-out rows at the returned weights.

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
        "solver": [StrOptions({"newton", "lbfgs"})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_validation_rise": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        lam: float = 1e-3,
        beta: float = 0.0,
        sigma: float = 100.0,
        fit_intercept: bool = False,
        solver: str = "newton",
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        max_validation_rise: float | None = 0.25,
        max_iter: int = 500,
        tol: float = 1e-6,
        random_state=None,
    ) -> None:
        self.lam = lam
        self.beta = beta
        self.sigma = sigma
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.max_validation_rise = max_validation_rise
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 20}
        tags.ldl.test_variants = [
            {"fit_intercept": True, "beta": 1e-3},
            {"lam": 0.0, "solver": "lbfgs", "early_stopping": False},
        ]
        return tags

    def _fit_design(self, X1: np.ndarray, D: np.ndarray) -> np.ndarray:
        # the paper's objective sums over rows; lrr_loss_grad averages (same minimiser, and a
        # gradient tolerance that does not grow with n), so the penalty is divided by n too
        mask = self._penalty_mask(X1.shape[1])

        def objective(X, D_fit):
            order, pair_weight = _pair_targets(D_fit)
            l2 = self.beta / X.shape[0] * mask
            entropy = float(xlogy(D_fit, D_fit).sum())
            return lambda w: lrr_loss_grad(
                w, X, D_fit, order, pair_weight, self.lam, self.sigma, l2, entropy=entropy
            )

        return fit_maxent_objective(
            self,
            X1,
            D,
            objective,
            lambda X, D_fit: maxent_kl_hessp_operator(X, self.beta / X.shape[0] * mask),
        )

    def _predict_design(self, X1: np.ndarray) -> np.ndarray:
        return maxent_predict(X1, self._weights())

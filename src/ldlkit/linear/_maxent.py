"""The maximum-entropy model of LDL (Geng 2016) and its KL loss, shared by the linear baselines.

The model predicts ``P = softmax(X @ W)`` row by row: ``W`` has shape ``(n_features, n_labels)``
and every label ``j`` gets ``p_ij = exp(x_i . w_j) / sum_k exp(x_i . w_k)``. SA-BFGS and SA-IIS
fit it to the KL divergence; LDL-LCLR and LDL-LRR add terms to the same loss.

Functions (stable names; other modules import them):

``maxent_log_predict(X, W) -> log P``
    Row-wise log-softmax of ``X @ W``, shape ``(n, L)``, computed without overflow.
``maxent_predict(X, W) -> P``
    ``exp(maxent_log_predict(X, W))``: rows on the simplex.
``kl_divergence_rows(D, log_P) -> (n,)``
    ``sum_j d_ij (log d_ij - log p_ij)`` per row, with ``0 log 0 = 0``.
``softmax_backward(P, G) -> (n, L)``
    The gradient with respect to the logits ``Z = X W`` of a loss whose gradient with respect
    to ``P = softmax(Z)`` is ``G``: ``P * (G - sum_j P * G)``.
``maxent_kl_hessp(W_flat, V_flat, X, l2=0.0, P=None) -> (H V)_flat``
    The Hessian of the mean KL loss (plus ``l2``) applied to a direction ``V``: with
    ``U = X V``, ``H V = X^T (P * (U - sum_j P * U)) / n + l2 * V``, two matrix products and
    no exponential (``P`` at ``W`` may be passed when already known).
``maxent_kl_loss_grad(W_flat, X, D, l2=0.0) -> (loss, grad_flat)``
    The objective minimised by SA-BFGS, for ``scipy.optimize.minimize(..., jac=True)``::

        loss = mean_i KL(D_i || P_i) + l2 / 2 * ||W||_F^2,     P = softmax(X W)
        grad = X^T (P - D) / n + l2 * W

    ``W_flat`` is ``W.ravel()`` (C order, shape ``(n_features * n_labels,)``); the number of
    labels is read from ``D``. ``l2`` is a float or an array broadcastable to ``W`` (e.g. shape
    ``(n_features, 1)`` with a 0 on an intercept row that must not be penalised).

The KL loss is averaged over rows (Geng sums it); the minimiser is the same for ``l2 = 0`` and
the average keeps gradient tolerances independent of the number of rows.

Examples
--------
>>> import numpy as np
>>> from ldlkit.linear._maxent import maxent_kl_loss_grad, maxent_predict
>>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
>>> W = np.zeros((2, 3))
>>> maxent_predict(X, W).round(3)
array([[0.333, 0.333, 0.333],
       [0.333, 0.333, 0.333]])
>>> D = np.array([[0.5, 0.25, 0.25], [0.2, 0.3, 0.5]])
>>> loss, grad = maxent_kl_loss_grad(W.ravel(), X, D)
>>> grad.shape
(6,)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy

from ._solvers import ValidationStop, minimize_lbfgs, minimize_trust_newton, sparse_design

__all__ = [
    "maxent_log_predict",
    "maxent_predict",
    "kl_divergence_rows",
    "softmax_backward",
    "maxent_kl_loss_grad",
    "maxent_kl_hessp",
    "maxent_kl_hessp_operator",
    "fit_maxent_objective",
]


def maxent_log_predict(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax of ``X @ W`` (shape ``(n, L)``), stable for large logits."""
    Z = X @ W
    Z -= Z.max(axis=1, keepdims=True)
    Z -= np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return Z


def maxent_predict(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """The maximum-entropy model's prediction ``softmax(X @ W)``: rows on the simplex."""
    return np.exp(maxent_log_predict(X, W))


def kl_divergence_rows(D: np.ndarray, log_P: np.ndarray) -> np.ndarray:
    """``KL(D_i || P_i)`` per row from ``log P``; zero degrees of ``D`` contribute nothing."""
    return xlogy(D, D).sum(axis=1) - (D * log_P).sum(axis=1)


def softmax_backward(P: np.ndarray, G: np.ndarray) -> np.ndarray:
    """Gradient with respect to the logits, given ``G`` = gradient with respect to ``softmax``."""
    return P * (G - (P * G).sum(axis=1, keepdims=True))


def maxent_kl_loss_grad(
    W_flat: np.ndarray,
    X: np.ndarray,
    D: np.ndarray,
    l2: float | np.ndarray = 0.0,
    *,
    entropy: float | None = None,
) -> tuple[float, np.ndarray]:
    """Mean KL divergence of ``softmax(X W)`` from ``D`` plus an L2 penalty, and its gradient.

    Parameters
    ----------
    W_flat : ndarray of shape (n_features * n_labels,)
        The weights, ``W.ravel()``.
    X : ndarray of shape (n_samples, n_features)
    D : ndarray of shape (n_samples, n_labels)
    l2 : float or ndarray broadcastable to (n_features, n_labels), default=0.0
        Penalty ``l2 / 2 * sum(W ** 2)`` (element-wise when an array).
    entropy : float, optional
        ``sum(xlogy(D, D))``, the constant part of the loss; solvers that call this function
        many times on the same ``D`` pass it once computed.

    Returns
    -------
    loss : float
    grad : ndarray of shape (n_features * n_labels,)
    """
    n, n_labels = D.shape
    W = W_flat.reshape(X.shape[1], n_labels)
    Z = X @ W
    Z -= Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    totals = P.sum(axis=1, keepdims=True)
    P /= totals
    if entropy is None:
        entropy = float(xlogy(D, D).sum())
    # sum_ij d_ij log p_ij with log p = Z - log(totals); rows of D sum to 1
    cross = float((D * Z).sum()) - float((D.sum(axis=1) * np.log(totals[:, 0])).sum())
    loss = (entropy - cross) / n
    P -= D
    grad = X.T @ P
    grad /= n
    if np.ndim(l2) or l2:
        penalty = l2 * W
        loss += 0.5 * float((penalty * W).sum())
        grad += penalty
    return float(loss), grad.ravel()


def maxent_kl_hessp(
    W_flat: np.ndarray,
    V_flat: np.ndarray,
    X: np.ndarray,
    l2: float | np.ndarray = 0.0,
    *,
    P: np.ndarray | None = None,
) -> np.ndarray:
    """The Hessian of ``maxent_kl_loss_grad``'s objective at ``W`` times the direction ``V``.

    The KL part's Hessian is ``sum_i (diag(p_i) - p_i p_i^T) (x) x_i x_i^T / n``; applied to
    ``V`` it is ``X^T R / n`` with ``R = P * (U - sum_j P * U)`` and ``U = X V`` (the softmax
    Jacobian applied row by row), so a product costs two matrix products, as a gradient does.

    Parameters
    ----------
    W_flat, V_flat : ndarray of shape (n_features * n_labels,)
        The point and the direction, raveled as in ``maxent_kl_loss_grad``.
    X : ndarray of shape (n_samples, n_features)
    l2 : float or ndarray broadcastable to (n_features, n_labels), default=0.0
    P : ndarray of shape (n_samples, n_labels), optional
        ``softmax(X W)`` when the caller has it.

    Returns
    -------
    ndarray of shape (n_features * n_labels,)
    """
    n = X.shape[0]
    V = V_flat.reshape(X.shape[1], -1)
    if P is None:
        P = maxent_predict(X, W_flat.reshape(V.shape))
    U = X @ V
    U -= (P * U).sum(axis=1, keepdims=True)
    U *= P
    product = X.T @ U
    product /= n
    if np.ndim(l2) or l2:
        product += l2 * V
    return product.ravel()


def maxent_kl_hessp_operator(X: np.ndarray, l2: float | np.ndarray = 0.0):
    """``hessp(w, v)`` for the solvers: :func:`maxent_kl_hessp` with ``P`` kept per point.

    Conjugate gradients call it many times at one ``w``; ``softmax(X W)`` is computed once per
    new ``w``. The returned function has a ``diagonal(w)`` attribute, the Hessian's diagonal
    (``sum_i x_ik^2 p_ij (1 - p_ij) / n + l2``), the preconditioner of the Newton solver.
    """
    cache: dict = {}

    def probabilities(w: np.ndarray) -> np.ndarray:
        if "w" not in cache or not np.array_equal(cache["w"], w):
            cache["w"] = np.array(w, copy=True)
            cache["P"] = maxent_predict(X, cache["w"].reshape(X.shape[1], -1))
        return cache["P"]

    def hessp(w: np.ndarray, v: np.ndarray) -> np.ndarray:
        return maxent_kl_hessp(w, v, X, l2, P=probabilities(w))

    def diagonal(w: np.ndarray) -> np.ndarray:
        # the Hessian's diagonal: sum_i x_ik^2 p_ij (1 - p_ij) / n (+ l2), one product
        if "X2" not in cache:
            cache["X2"] = X.multiply(X).tocsr() if sp.issparse(X) else np.square(X)
        P = probabilities(w)
        diag = cache["X2"].T @ (P * (1.0 - P))
        diag /= X.shape[0]
        if np.ndim(l2) or l2:
            diag += l2
        return diag.ravel()

    hessp.diagonal = diagonal
    return hessp


def _preconditioned(estimator) -> bool:
    """Whether the Newton solve uses the Hessian's diagonal as preconditioner (default: no).

    Measured (``benchmarks/linear_newton_profile.py``): with early stopping it changes the path
    whose iterates early stopping chooses from, and ends at a higher test KL on SJAFFE; fitted to
    convergence on standardised features it took more iterations on SJAFFE and SBU_3DFE; with
    LDL-LRR's model Hessian, which leaves the ranking term out, the scaled trust region stalled.
    It pays on raw features of very different scales (``tests/linear/test_sa.py``). The
    estimator's ``_precondition`` attribute switches it on (for benchmarks).
    """
    return bool(getattr(estimator, "_precondition", False))


def fit_maxent_objective(estimator, X1: np.ndarray, D: np.ndarray, make_objective, make_hessp):
    """Fit ``W`` of a maximum-entropy model with the estimator's solver and stopping rule.

    ``estimator`` has ``solver`` (``"newton"`` or ``"lbfgs"``), ``max_iter``, ``tol``,
    ``n_iter_no_change`` (and optionally ``max_validation_rise``) and the attributes that
    ``_LinearLDL._validation_split`` reads.
    ``make_objective(X, D)`` returns ``fun_grad`` on those rows and ``make_hessp(X, D)`` a
    Hessian-vector product (or positive semi-definite model of it) for the Newton solver. With
    early stopping the held-out rows' mean KL decides where the solve ends (``ValidationStop``).
    Sets ``n_iter_``, ``converged_``, ``loss_`` and ``validation_loss_``; returns ``W``.
    """
    n_labels = D.shape[1]
    shape = (X1.shape[1], n_labels)
    X1 = sparse_design(X1)
    split = estimator._validation_split(X1.shape[0])
    x0 = np.zeros(shape[0] * n_labels)
    stop = None
    if split is None:
        X_fit, D_fit = (X1 if sp.issparse(X1) else np.ascontiguousarray(X1)), D
    else:
        fit_rows, held_out = split
        X_fit, D_fit = X1[fit_rows], D[fit_rows]
        X_held, D_held = X1[held_out], D[held_out]
        stop = ValidationStop(
            lambda w: float(
                kl_divergence_rows(D_held, maxent_log_predict(X_held, w.reshape(shape))).mean()
            ),
            x0,
            estimator.n_iter_no_change,
            getattr(estimator, "max_validation_rise", None),
        )
    fun_grad = make_objective(X_fit, D_fit)
    owner = type(estimator).__name__
    if estimator.solver == "newton":
        hessp = make_hessp(X_fit, D_fit)
        result = minimize_trust_newton(
            fun_grad,
            hessp,
            x0,
            max_iter=estimator.max_iter,
            tol=estimator.tol,
            owner=owner,
            callback=stop,
            precondition=hessp.diagonal if _preconditioned(estimator) else None,
        )
    else:
        result = minimize_lbfgs(
            fun_grad, x0, max_iter=estimator.max_iter, tol=estimator.tol, owner=owner, callback=stop
        )
    estimator.n_iter_ = int(result.nit)
    estimator.converged_ = bool(result.converged)
    estimator.loss_ = float(fun_grad(result.x)[0])
    estimator.validation_loss_ = None if stop is None else float(stop.best_score)
    return result.x.reshape(shape)

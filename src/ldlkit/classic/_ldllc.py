"""LDLLC (Jia et al. 2018): the maximum-entropy model with a label-correlation penalty."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseLDL
from ..linear._solvers import minimize_lbfgs

__all__ = ["LDLLC"]

#: Smooths the Euclidean norm at 0 (``sqrt(||.||^2 + _SMOOTH)``) so that L-BFGS sees a gradient.
_SMOOTH = 1e-12


class LDLLC(BaseLDL):
    """LDLLC (Jia et al. 2018): label distribution learning by exploiting label correlations.

    The model is ``P = softmax(X W)`` (one weight vector ``w_j`` per label); ``W`` minimises::

        sum_i KL(d_i || p_i) + beta/2 ||W||_F^2
            + alpha/2 sum_{j != k} sgn(rho_jk) ||w_j - w_k||

    where ``rho_jk`` is the Pearson correlation of labels ``j`` and ``k``: positively correlated
    labels are pulled towards similar weights, negatively correlated ones pushed apart. L-BFGS,
    starting from ``W = 0``.

    Reading: the paper computes ``rho`` between the labels' degrees in the training set
    (``correlation="labels"``, the default); the reference package takes the signs from the
    correlations of the (centred) weight vectors themselves, updated as they are learned
    (``correlation="weights"``). The sum over ordered pairs is halved, so each pair counts once.
    The norm is smoothed at 0 (``sqrt(||.||^2 + 1e-12)``).

    Parameters
    ----------
    alpha : float, default=1e-3
        Weight of the correlation term (the reference package's default).
    beta : float, default=0.0
        L2 penalty.
    correlation : {"labels", "weights"}, default="labels"
    max_iter : int, default=500
    tol : float, default=1e-6
        Gradient tolerance of L-BFGS.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_labels)
    correlation_signs_ : ndarray of shape (n_labels, n_labels)
        ``sgn(rho)`` of the training labels (``correlation="labels"``).
    n_iter_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.classic import LDLLC
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> D = np.array([[0.7, 0.3], [0.2, 0.8], [0.45, 0.55]])
    >>> LDLLC().fit(X, D).predict([[1.0, 0.0]]).argmax(axis=1)
    array([0])
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "correlation": [StrOptions({"labels", "weights"})],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        alpha: float = 1e-3,
        beta: float = 0.0,
        correlation: str = "labels",
        max_iter: int = 500,
        tol: float = 1e-6,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.correlation = correlation
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 20}
        tags.ldl.test_variants = [{"correlation": "weights"}]
        return tags

    @staticmethod
    def _signs(columns: np.ndarray) -> np.ndarray:
        """sgn of the Pearson correlations between the columns (0 where a column is constant)."""
        centred = columns - columns.mean(axis=0)
        return np.sign(centred.T @ centred)

    def _objective(self, X: np.ndarray, D: np.ndarray, signs: np.ndarray | None):
        d, L = X.shape[1], D.shape[1]
        alpha, beta = self.alpha, self.beta
        entropy = float(np.sum(D[D > 0] * np.log(D[D > 0])))

        def fun_grad(theta):
            W = theta.reshape(d, L)
            logP = log_softmax(X @ W, axis=1)
            loss = entropy - float((D * logP).sum()) + 0.5 * beta * float((W**2).sum())
            grad = X.T @ (np.exp(logP) - D) + beta * W
            S = (self._signs(W) if signs is None else signs).copy()
            np.fill_diagonal(S, 0.0)
            diff = W[:, :, None] - W[:, None, :]  # (d, L, L): w_j - w_k
            norms = np.sqrt((diff**2).sum(axis=0) + _SMOOTH)  # (L, L)
            loss += 0.5 * alpha * float((S * norms).sum())
            # d/dw_j of 1/2 sum_{j,k} s_jk ||w_j - w_k|| (s symmetric): sum_k s_jk (w_j-w_k)/||.||
            grad += alpha * (diff * (S / norms)[None]).sum(axis=2)
            return loss, grad.ravel()

        return fun_grad

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        signs = self._signs(D) if self.correlation == "labels" else None
        result = minimize_lbfgs(
            self._objective(X, D, signs),
            np.zeros(X.shape[1] * D.shape[1]),
            max_iter=self.max_iter,
            tol=self.tol,
            owner="LDLLC",
            warn=False,
        )
        self.coef_ = result.x.reshape(X.shape[1], D.shape[1])
        self.correlation_signs_ = signs if signs is not None else self._signs(self.coef_)
        self.n_iter_ = int(result.nit)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return np.exp(log_softmax(X @ self.coef_, axis=1))

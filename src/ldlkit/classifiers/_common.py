"""Shared pieces of the LDL classifiers: a linear softmax model fitted by L-BFGS on a margin
objective, and the terms (absolute loss, top-label hinge) the objectives are built from."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import softmax
from sklearn.utils._param_validation import Interval

from ..base import BaseLDL
from ..linear._solvers import minimize_lbfgs

__all__ = ["BaseLinearLDLClassifier", "absolute_terms", "top_hinge_terms", "top_order"]


def top_order(D: np.ndarray) -> np.ndarray:
    """Label indices of every row sorted by decreasing degree (ties: the lower index first)."""
    return np.argsort(-D, axis=1, kind="stable")


def absolute_terms(target: np.ndarray, P: np.ndarray, weights: np.ndarray):
    """``sum(weights * |target - P|)`` and its gradient with respect to ``P``."""
    diff = target - P
    return float((weights * np.abs(diff)).sum()), -weights * np.sign(diff)


def top_hinge_terms(P: np.ndarray, top: np.ndarray, others: np.ndarray, rho: float):
    """``sum_i sum_{k in others_i} max(0, 1 - (p_i,top_i - p_ik) / rho)`` and its gradient.

    ``top`` holds one label per row, ``others`` a set of labels per row (shape (n, m)).
    """
    rows = np.arange(P.shape[0])[:, None]
    gap = P[rows, top[:, None]] - P[rows, others]  # (n, m)
    slack = 1.0 - gap / rho
    active = slack > 0
    value = float(slack[active].sum())
    grad = np.zeros_like(P)
    np.add.at(grad, (rows.repeat(others.shape[1], axis=1), others), active / rho)
    grad[rows[:, 0], top] -= active.sum(axis=1) / rho
    return value, grad


class BaseLinearLDLClassifier(BaseLDL):
    """A linear softmax model ``P = softmax(X W)`` (no intercept) whose ``W`` minimises a
    subclass's objective with L-BFGS from ``W = 0``.

    Subclasses define ``_prepare(D)`` (the fixed quantities of the objective: top labels,
    weights) and ``_loss_and_grad_p(P, prepared)`` (the objective, except the L2 term, and its
    gradient with respect to ``P``). The L2 penalty ``l2/2 ||W||_F^2`` and the chain rule through
    the softmax are shared.
    """

    _abstract = True

    _base_constraints = {
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 10}
        return tags

    # the L2 weight of the subclass's objective
    def _l2(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _prepare(self, D: np.ndarray) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss_and_grad_p(self, P: np.ndarray, prepared: dict):  # pragma: no cover - abstract
        raise NotImplementedError

    def objective(self, X: np.ndarray, D: np.ndarray):
        """``fun_grad(theta) -> (value, gradient)`` of the training objective on ``(X, D)``,
        ``theta`` the flattened ``W`` of shape (n_features, n_labels)."""
        prepared = self._prepare(D)
        d, L = X.shape[1], D.shape[1]
        l2 = float(self._l2())

        def fun_grad(theta: np.ndarray):
            W = theta.reshape(d, L)
            P = softmax(X @ W, axis=1)
            value, G = self._loss_and_grad_p(P, prepared)
            # chain rule through the row softmax: dZ = P * (G - <G, P>)
            dZ = P * (G - (G * P).sum(axis=1, keepdims=True))
            value += 0.5 * l2 * float((W**2).sum())
            return value, (X.T @ dZ + l2 * W).ravel()

        return fun_grad

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        result = minimize_lbfgs(
            self.objective(X, D),
            np.zeros(X.shape[1] * D.shape[1]),
            max_iter=self.max_iter,
            tol=self.tol,
            owner=type(self).__name__,
            warn=False,
        )
        self.coef_ = result.x.reshape(X.shape[1], D.shape[1])
        self.n_iter_ = int(result.nit)
        self.converged_ = bool(result.converged)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return softmax(X @ self.coef_, axis=1)

    def predict_label(self, X) -> np.ndarray:
        """Index of the predicted dominant label of every row (``predict(X).argmax(axis=1)``)."""
        return np.argmax(self.predict(X), axis=1)

"""LDL-HR (Wang & Geng 2021): learning the highest label and the rest of the distribution."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval

from ._common import BaseLinearLDLClassifier, absolute_terms, top_hinge_terms, top_order

__all__ = ["LDLHR"]


class LDLHR(BaseLinearLDLClassifier):
    """LDL-HR (Wang & Geng 2021): label distribution learning of the highest label and the rest.

    The model is ``P = softmax(X W)``. The prediction is fitted to the one-hot vector of the
    row's highest label (the label it is classified by), with a hinge that keeps that label a
    margin ``rho`` above every other one, while the remaining degrees are fitted to the true
    ones::

        sum_i 1/m sum_j |l_ij - p_ij|
            + alpha * sum_i sum_{k != a_i} max(0, 1 - (p_{i,a_i} - p_ik) / rho)
            + beta * sum_i 1/(m-1) sum_{k != a_i} |d_ik - p_ik|
            + gamma/2 ||W||_F^2

    (``a_i`` the label with the largest degree of ``d_i``, ``l_i`` its one-hot vector, ``m``
    labels). L-BFGS from ``W = 0`` on the piecewise smooth objective.

    Reading: the absolute losses are averaged over the labels they cover (as the reference
    package does); the defaults are the reference package's (``alpha=beta=1e-2``, ``gamma=0``,
    ``rho=1e-2``, 50 iterations). Ties in ``d_i`` go to the lower label index.

    Parameters
    ----------
    alpha : float, default=1e-2
        Weight of the highest-label margin term.
    beta : float, default=1e-2
        Weight of the rest-of-the-distribution term.
    gamma : float, default=0.0
        L2 penalty.
    rho : float, default=1e-2
        The margin.
    max_iter : int, default=50
        Most L-BFGS iterations.
    tol : float, default=1e-7
        Gradient tolerance of L-BFGS.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_labels)
    n_iter_ : int
    converged_ : bool

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.classifiers import LDLHR
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.2], [0.1, 1.0]])
    >>> D = np.array([[0.6, 0.4], [0.3, 0.7], [0.55, 0.45], [0.35, 0.65]])
    >>> LDLHR().fit(X, D).predict_label(X).tolist()
    [0, 1, 0, 1]
    """

    _parameter_constraints = {
        **BaseLinearLDLClassifier._base_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "rho": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        alpha: float = 1e-2,
        beta: float = 1e-2,
        gamma: float = 0.0,
        rho: float = 1e-2,
        max_iter: int = 50,
        tol: float = 1e-7,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.rho = rho
        self.max_iter = max_iter
        self.tol = tol

    def _l2(self) -> float:
        return self.gamma

    def _prepare(self, D: np.ndarray) -> dict:
        n, m = D.shape
        order = top_order(D)
        top = order[:, 0]
        onehot = np.zeros_like(D)
        onehot[np.arange(n), top] = 1.0
        rest_weights = (1.0 - onehot) / max(m - 1, 1)
        return {
            "D": D,
            "onehot": onehot,
            "top": top,
            "rest": order[:, 1:],
            "rest_weights": rest_weights,
            "uniform": np.full_like(D, 1.0 / m),
        }

    def _loss_and_grad_p(self, P: np.ndarray, prepared: dict):
        value, G = absolute_terms(prepared["onehot"], P, prepared["uniform"])
        margin, G_margin = top_hinge_terms(P, prepared["top"], prepared["rest"], self.rho)
        rest, G_rest = absolute_terms(prepared["D"], P, prepared["rest_weights"])
        value += self.alpha * margin + self.beta * rest
        return value, G + self.alpha * G_margin + self.beta * G_rest

"""LDLM (Wang & Geng 2021): the label distribution learning machine."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._common import BaseLinearLDLClassifier, top_hinge_terms, top_order

__all__ = ["LDLM"]


class LDLM(BaseLinearLDLClassifier):
    """LDLM (Wang & Geng 2021): label distribution learning with margins for classification.

    The model is ``P = softmax(X W)``. Three hinge terms: the prediction is within ``rho`` (in
    L1) of the one-hot vector of the row's highest label (the support-vector-regression part
    that learns the optimal label); the highest label beats every other one by a margin; and
    the degrees of the other labels are fitted only up to an adaptive margin, the gap between
    the row's second and third largest degrees::

        sum_i max(0, ||l_i - p_i||_1 - rho)
            + alpha * sum_i sum_{k != a_i} max(0, 1 - (p_{i,a_i} - p_ik) / rho)
            + beta * sum_i max(0, sum_{k != a_i} |d_ik - p_ik| - (d_i(2) - d_i(3)))
            + gamma/2 ||W||_F^2

    (``a_i`` the label with the largest degree of ``d_i``, ``l_i`` its one-hot vector,
    ``d_i(r)`` the ``r``-th largest degree). L-BFGS from ``W = 0`` on the piecewise smooth
    objective.

    Reading: the reference package minimises this objective by full-batch gradient descent (1000
    steps of size 1e-3 from a random start), which stops far from the minimum; here L-BFGS from
    ``W = 0`` minimises it (``solver="lbfgs"``, the default), and ``solver="gd"`` takes
    ``max_iter`` plain gradient steps of size ``learning_rate`` from ``W = 0`` instead. The
    minimiser's predictions are close to one-hot (the first term asks for it): good top labels,
    large KL divergences (``docs/classifiers.md``). With two labels there is no third degree and
    the adaptive margin is ``d_i(2)``. The defaults are the reference package's
    (``alpha=beta=1e-2``, ``gamma=0``, ``rho=1e-2``). Ties in ``d_i`` go to the lower label
    index.

    Parameters
    ----------
    alpha : float, default=1e-2
        Weight of the highest-label margin term.
    beta : float, default=1e-2
        Weight of the adaptive-margin term.
    gamma : float, default=0.0
        L2 penalty.
    rho : float, default=1e-2
        Width of the insensitive zone around the one-hot vector, and the label margin.
    solver : {"lbfgs", "gd"}, default="lbfgs"
        L-BFGS, or full-batch gradient descent with a fixed step.
    learning_rate : float, default=1e-3
        Step of ``solver="gd"``.
    max_iter : int, default=100
        Most L-BFGS iterations, or the number of gradient steps.
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
    >>> from ldlkit.classifiers import LDLM
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.2], [0.1, 1.0]])
    >>> D = np.array([[0.6, 0.4], [0.3, 0.7], [0.55, 0.45], [0.35, 0.65]])
    >>> LDLM().fit(X, D).predict_label(X).tolist()
    [0, 1, 0, 1]
    """

    _parameter_constraints = {
        **BaseLinearLDLClassifier._base_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="left")],
        "rho": [Interval(Real, 0, None, closed="neither")],
        "solver": [StrOptions({"lbfgs", "gd"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        alpha: float = 1e-2,
        beta: float = 1e-2,
        gamma: float = 0.0,
        rho: float = 1e-2,
        solver: str = "lbfgs",
        learning_rate: float = 1e-3,
        max_iter: int = 100,
        tol: float = 1e-7,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.rho = rho
        self.solver = solver
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_variants = [{"solver": "gd"}]
        return tags

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        if self.solver == "lbfgs":
            super()._fit(X, D)
            return
        fun_grad = self.objective(X, D)
        theta = np.zeros(X.shape[1] * D.shape[1])
        for _ in range(self.max_iter):
            theta = theta - self.learning_rate * fun_grad(theta)[1]
        self.coef_ = theta.reshape(X.shape[1], D.shape[1])
        self.n_iter_ = self.max_iter
        self.converged_ = False  # a fixed number of steps: no convergence test

    def _l2(self) -> float:
        return self.gamma

    def _prepare(self, D: np.ndarray) -> dict:
        n, m = D.shape
        order = top_order(D)
        top = order[:, 0]
        rows = np.arange(n)
        onehot = np.zeros_like(D)
        onehot[rows, top] = 1.0
        second = D[rows, order[:, 1]]
        third = D[rows, order[:, 2]] if m > 2 else np.zeros(n)
        return {
            "D": D,
            "onehot": onehot,
            "top": top,
            "rest": order[:, 1:],
            "adaptive": second - third,
        }

    def _loss_and_grad_p(self, P: np.ndarray, prepared: dict):
        onehot = prepared["onehot"]
        # max(0, ||l - p||_1 - rho) per row
        diff = onehot - P
        excess = np.abs(diff).sum(axis=1) - self.rho
        on = (excess > 0)[:, None]
        value = float(excess[excess > 0].sum())
        G = -np.sign(diff) * on
        margin, G_margin = top_hinge_terms(P, prepared["top"], prepared["rest"], self.rho)
        # max(0, sum_{k != a} |d_k - p_k| - (d_(2) - d_(3))) per row
        rest_diff = (prepared["D"] - P) * (1.0 - onehot)
        rest_excess = np.abs(rest_diff).sum(axis=1) - prepared["adaptive"]
        rest_on = (rest_excess > 0)[:, None]
        rest = float(rest_excess[rest_excess > 0].sum())
        G_rest = -np.sign(rest_diff) * rest_on
        value += self.alpha * margin + self.beta * rest
        return value, G + self.alpha * G_margin + self.beta * G_rest

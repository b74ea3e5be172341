"""SA-BFGS and SA-IIS (Geng 2016): the maximum-entropy model fitted to the KL divergence."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import xlogy
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions

from ._linear_base import _LinearLDL
from ._maxent import (
    fit_maxent_objective,
    kl_divergence_rows,
    maxent_kl_hessp_operator,
    maxent_kl_loss_grad,
    maxent_log_predict,
    maxent_predict,
)

__all__ = ["SABFGS", "SAIIS"]


class SABFGS(_LinearLDL):
    """SA-BFGS (a.k.a. BFGS-LLD; Geng 2016): maximum-entropy model, KL loss, second-order solver.

    The model is ``P = softmax(X W)``; ``W`` minimises the mean KL divergence
    ``mean_i KL(D_i || P_i) + alpha / 2 * ||W||_F^2`` (gradient ``X^T (P - D) / n + alpha W``),
    starting from ``W = 0`` (uniform predictions).

    Geng's model has no penalty and no intercept (``alpha=0``, ``fit_intercept=False``, the
    defaults). Without a penalty the optimum is often not finite (more features than rows, as on
    SJAFFE) or overfits, so where the solver stops decides the accuracy: Geng's BFGS and
    python-ldl stop at an iteration limit. ldlkit stops on held-out rows instead
    (``early_stopping=True``): ``validation_fraction`` of the training rows are set aside, the
    solver stops once their KL has not improved for ``n_iter_no_change`` steps, and the model is
    the iterate with the lowest held-out KL (fitted on the other rows). ``early_stopping=False``
    fits every row to the gradient tolerance (use it with ``alpha > 0``, e.g. ``1e-4`` on
    standardised features, which makes the optimum unique). See ``docs/linear.md`` for the
    measured effect of each setting and for scaling the features in a ``Pipeline``.

    The default solver is trust-region Newton-CG with the analytic Hessian-vector product
    (``solver="newton"``, as LIBLINEAR fits logistic regression): tens of iterations where
    L-BFGS takes hundreds. ``solver="lbfgs"`` is Geng's quasi-Newton method.

    Parameters
    ----------
    alpha : float, default=0.0
        L2 penalty on the weights (not on the intercept).
    fit_intercept : bool, default=False
        Add an unpenalised bias per label (needed when features are centred, e.g. after
        ``StandardScaler``).
    solver : {"newton", "lbfgs"}, default="newton"
        Trust-region Newton-CG or L-BFGS.
    early_stopping : bool, default=True
        Stop on held-out rows (see above). Ignored with fewer than 20 training rows.
    validation_fraction : float, default=0.1
        Share of the training rows held out when ``early_stopping=True``.
    n_iter_no_change : int, default=5
        Accepted steps without a lower held-out KL before the solver is stopped. The first
        Newton steps can raise the held-out KL before it falls (SJAFFE: on 4 of 10 random
        splits of one training set 3 steps stopped at the near-uniform start, 5 did not).
    max_validation_rise : float or None, default=0.25
        Also stop at once when a step's held-out KL exceeds the best so far by more than this
        fraction: past the held-out optimum the KL often turns up steeply (SJAFFE, M2B), and the
        patience would pay for further, expensive steps whose iterates are not returned. None:
        the patience alone decides (the rule before 0.25 became the default; measured side by
        side in ``benchmarks/linear_solver_variants.py``). A rise of 10 % stopped one of 10
        SJAFFE held-out draws at a transient early rise; 25 % stopped none.
    max_iter : int, default=500
        Most solver iterations.
    tol : float, default=1e-6
        Gradient tolerance (L-BFGS: largest absolute entry; Newton: Euclidean norm, which bounds
        the largest entry).
    random_state : int, RandomState instance or None, default=None
        Draws the held-out rows.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features, n_labels)
    intercept_ : ndarray of shape (n_labels,)
        Zeros when ``fit_intercept=False``.
    n_iter_ : int
        Solver iterations run.
    converged_ : bool
        Whether the gradient tolerance was reached or early stopping ended the solve (a
        ``ConvergenceWarning`` is emitted if neither).
    loss_ : float
        Objective on the fitted rows at the returned weights.
    validation_loss_ : float or None
        Mean KL on the held-out rows at the returned weights (None without early stopping).

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.linear import SABFGS
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> D = np.array([[0.7, 0.3], [0.2, 0.8], [0.45, 0.55]])
    >>> SABFGS(alpha=1e-3).fit(X, D).predict([[1.0, 0.0]]).round(2)
    array([[0.72, 0.28]])
    """

    _parameter_constraints = {
        "alpha": [Interval(Real, 0, None, closed="left")],
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
        alpha: float = 0.0,
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
        self.alpha = alpha
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
            {"fit_intercept": True, "alpha": 0.1},
            {"solver": "lbfgs", "early_stopping": False},
        ]
        return tags

    def _fit_design(self, X1: np.ndarray, D: np.ndarray) -> np.ndarray:
        l2 = self.alpha * self._penalty_mask(X1.shape[1]) if self.alpha > 0 else 0.0
        W = fit_maxent_objective(
            self,
            X1,
            D,
            lambda Xf, Df: _kl_objective(Xf, Df, l2),
            lambda Xf, Df: maxent_kl_hessp_operator(Xf, l2),
        )
        return W

    def _predict_design(self, X1: np.ndarray) -> np.ndarray:
        return maxent_predict(X1, self._weights())


def _kl_objective(X: np.ndarray, D: np.ndarray, l2):
    entropy = float(xlogy(D, D).sum())
    return lambda w: maxent_kl_loss_grad(w, X, D, l2, entropy=entropy)


class SAIIS(_LinearLDL):
    """SA-IIS (IIS-LLD; Geng et al. 2013, Geng 2016): the maximum-entropy model fitted by IIS.

    Improved Iterative Scaling: each iteration adds to every weight ``w_kj`` the root
    ``delta_kj`` of::

        sum_i p_ij x_ik exp(delta_kj sign(x_ik) g_i) = sum_i d_ij x_ik,   g_i = sum_k |x_ik|

    which never increases the KL loss. All roots are found at once: in closed form (a
    quadratic in ``exp(delta g)``) when every row has the same ``g_i`` (L1-normalised features,
    as in SJAFFE and SBU_3DFE), otherwise by a vectorised safeguarded Newton method (the cost of
    one Newton step is ``n_samples * n_features * n_labels`` exponentials). A step is capped at
    ``|delta_kj| * max(g) <= max_step``: the root is infinite when a label has zero degree on
    every row where a feature is active, and the cap keeps the weights finite there.

    The loop stops when the gradient of the mean KL loss, ``X^T (P - D) / n``, has no entry
    above ``tol`` (the optimality condition that L-BFGS uses too), or after ``max_iter``
    iterations with a ``ConvergenceWarning``. IIS is known to converge slowly; SA-BFGS reaches
    the same optimum much faster.

    Parameters
    ----------
    max_iter : int, default=200
        Most IIS iterations (Geng's LDL package uses 200).
    tol : float, default=1e-6
        Gradient tolerance.
    max_step : float, default=10.0
        Cap on ``|delta_kj| * max_i g_i`` per iteration.
    newton_steps : int, default=20
        Most Newton iterations per IIS iteration (rows with unequal ``g_i`` only); Newton stops
        earlier once every equation is solved to relative precision 1e-10.
    fit_intercept : bool, default=False
        Add a constant feature (its weights are scaled like any other).

    Attributes
    ----------
    coef_, intercept_ : ndarray
    n_iter_ : int
    converged_ : bool
    loss_history_ : list of float
        Mean KL loss before the first and after every iteration (non-increasing up to
        round-off, a property of IIS that the tests check).

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.linear import SAIIS
    >>> X = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    >>> D = np.array([[0.7, 0.3], [0.2, 0.8], [0.45, 0.55]])
    >>> SAIIS(max_iter=2000, tol=1e-8).fit(X, D).predict([[0.9, 0.1]]).round(2)
    array([[0.71, 0.29]])
    """

    _parameter_constraints = {
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_step": [Interval(Real, 0, None, closed="neither")],
        "newton_steps": [Interval(Integral, 1, None, closed="left")],
        "fit_intercept": ["boolean"],
    }

    def __init__(
        self,
        *,
        max_iter: int = 200,
        tol: float = 1e-6,
        max_step: float = 10.0,
        newton_steps: int = 20,
        fit_intercept: bool = False,
    ) -> None:
        self.max_iter = max_iter
        self.tol = tol
        self.max_step = max_step
        self.newton_steps = newton_steps
        self.fit_intercept = fit_intercept

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 5}
        tags.ldl.test_variants = [{"fit_intercept": True}]
        return tags

    def _fit_design(self, X1: np.ndarray, D: np.ndarray) -> np.ndarray:
        n, d = X1.shape
        W = np.zeros((d, D.shape[1]))
        g = np.abs(X1).sum(axis=1)
        g_max = float(g.max())
        X_pos, X_neg = np.maximum(X1, 0.0), np.maximum(-X1, 0.0)
        target = X1.T @ D  # sum_i d_ij x_ik
        constant_g = g_max > 0 and np.ptp(g) <= 1e-12 * g_max
        log_P = maxent_log_predict(X1, W)
        self.loss_history_ = [float(kl_divergence_rows(D, log_P).mean())]
        self.converged_ = False
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            P = np.exp(log_P)
            if np.abs(X1.T @ (P - D)).max() / n <= self.tol:
                self.converged_ = True
                break
            if g_max == 0:  # all-zero design: nothing to learn
                self.converged_ = True
                break
            if constant_g:
                delta = self._closed_form_step(X_pos.T @ P, X_neg.T @ P, target, g_max)
            else:
                delta = self._newton_step(X_pos, X_neg, P, g, target)
            W += np.clip(delta, -self.max_step / g_max, self.max_step / g_max)
            log_P = maxent_log_predict(X1, W)
            self.loss_history_.append(float(kl_divergence_rows(D, log_P).mean()))
            self.n_iter_ += 1
        else:
            P = np.exp(log_P)
            self.converged_ = bool(np.abs(X1.T @ (P - D)).max() / n <= self.tol)
        if not self.converged_:
            warnings.warn(
                f"SAIIS: IIS stopped after {self.n_iter_} iterations without reaching the "
                f"gradient tolerance tol={self.tol:g}. Increase max_iter, loosen tol, or use "
                "SABFGS, which fits the same model faster.",
                ConvergenceWarning,
                stacklevel=4,
            )
        return W

    @staticmethod
    def _closed_form_step(A_pos, A_neg, target, g):
        """Roots of ``A+ u - A- / u = target`` in ``u = exp(delta g)`` (one per weight)."""
        root = np.sqrt(target**2 + 4.0 * A_pos * A_neg)
        with np.errstate(divide="ignore", invalid="ignore"):
            # two algebraically equal forms of the positive root; each avoids cancellation
            u = np.where(
                target >= 0, (target + root) / (2.0 * A_pos), 2.0 * A_neg / (root - target)
            )
            delta = np.log(u) / g
        # 0/0 (an all-zero feature column): the weight stays where it is
        return np.nan_to_num(delta, nan=0.0, posinf=np.inf, neginf=-np.inf)

    def _newton_step(self, X_pos, X_neg, P, g, target):
        """Vectorised safeguarded Newton on the IIS equations; label by label to bound memory.

        Each equation ``f(delta) = 0`` has an increasing ``f``; every evaluation narrows a
        bracket ``[low, high]`` around the root (starting at the step cap), and a Newton step
        that leaves the bracket is replaced by bisection.
        """
        d, n_labels = target.shape
        delta = np.zeros((d, n_labels))
        cap = self.max_step / float(g.max())
        scale = X_pos.T @ P + X_neg.T @ P + np.abs(target) + 1e-300
        has_negative = bool(X_neg.any())  # non-negative features: half the work
        for j in range(n_labels):  # loops over labels (few), never over samples
            Pj = P[:, j][:, None]
            Apos, Aneg = X_pos * Pj, X_neg * Pj  # (n, d)
            dj = np.zeros(d)
            low, high = np.full(d, -cap), np.full(d, cap)
            for _ in range(self.newton_steps):
                E = np.exp(np.outer(g, dj))  # (n, d): exp(delta_kj * g_i), |exponent| <= max_step
                pos = Apos * E
                if has_negative:
                    neg = Aneg / E
                    f = pos.sum(axis=0) - neg.sum(axis=0) - target[:, j]
                    pos += neg  # only the sum is needed below
                else:
                    f = pos.sum(axis=0) - target[:, j]
                if np.all(np.abs(f) <= 1e-9 * scale[:, j]):
                    break
                fprime = g @ pos
                high = np.where(f > 0, dj, high)
                low = np.where(f < 0, dj, low)
                with np.errstate(divide="ignore", invalid="ignore"):
                    newton = dj - f / fprime
                inside = (newton > low) & (newton < high) & np.isfinite(newton)
                dj = np.where(inside, newton, 0.5 * (low + high))
            delta[:, j] = dj
        return delta

    def _predict_design(self, X1: np.ndarray) -> np.ndarray:
        return maxent_predict(X1, self._weights())

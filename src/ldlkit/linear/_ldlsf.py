"""LDLSF (Ren et al. 2019a): label-specific and common features, solved by ADMM."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval

from ._linear_base import _LinearLDL
from ._solvers import AdmmStopping, row_shrink, soft_threshold, sparse_design

__all__ = ["LDLSF", "project_rows_to_simplex", "label_correlation_laplacian"]


def project_rows_to_simplex(Y: np.ndarray) -> np.ndarray:
    """Euclidean projection of every row onto the probability simplex (sort-based, vectorised)."""
    n, m = Y.shape
    U = -np.sort(-Y, axis=1)
    cumulative = np.cumsum(U, axis=1) - 1.0
    steps = np.arange(1, m + 1)
    support = U - cumulative / steps > 0
    count = m - np.argmax(support[:, ::-1], axis=1)  # largest index where support holds
    theta = cumulative[np.arange(n), count - 1] / count
    return np.maximum(Y - theta[:, None], 0.0)


def label_correlation_laplacian(D: np.ndarray) -> np.ndarray:
    """``diag(R 1) - R`` for the Pearson correlation ``R`` between the label columns of ``D``.

    A label whose degrees are constant over the training rows has no defined correlation; it
    gets correlation 0 with the others (and 1 with itself).
    """
    centred = D - D.mean(axis=0)
    norms = np.linalg.norm(centred, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        R = (centred.T @ centred) / np.outer(norms, norms)
    R = np.nan_to_num(R, nan=0.0, posinf=0.0, neginf=0.0)
    np.fill_diagonal(R, 1.0)
    return np.diag(R.sum(axis=1)) - R


class LDLSF(_LinearLDL):
    """LDLSF (Ren et al. IJCAI 2019): label-specific and common features.

    A linear model ``XW`` whose weights split into label-specific weights ``W1`` (entry-wise
    sparse, L1) and common weights ``W2`` (row-sparse, L2,1: features shared by all labels)::

        min  1/2 ||X W - D||_F^2 + lambda1 ||W1||_1 + lambda2 ||W2||_{2,1}
             + lambda3 tr(X W C W^T X^T)
        s.t. W = W1 + W2,  X W 1 = 1

    ``C = diag(R 1) - R`` with ``R`` the correlation between the label columns of the training
    distributions: outputs of correlated labels are pushed together. The constraint makes every
    predicted row sum to 1; predictions are projected onto the simplex (Euclidean projection).

    Solved by ADMM with penalty ``rho``. The ``W`` step is a linear matrix equation solved
    exactly through two eigendecompositions made once per fit (``X^T X`` and an ``L x L``
    matrix), so an iteration costs two ``d x d`` by ``d x L`` products; ``W1`` and ``W2`` are
    the proximal steps of their norms. Iterations stop by Boyd et al.'s primal/dual residual
    rule (``tol``), with residual balancing of ``rho`` when ``adaptive_rho=True``.

    Parameters
    ----------
    lambda1 : float, default=1e-4
        L1 weight of the label-specific features (UAKNN searches ``10^{-6..-1}``).
    lambda2 : float, default=1e-2
        L2,1 weight of the common features (``10^{-6..-1}``).
    lambda3 : float, default=1e-3
        Label-correlation weight (``10^{-6..-1}``).
    rho : float, default=1e-3
        ADMM penalty (the paper's setting, also UAKNN's); the starting value when
        ``adaptive_rho=True``.
    adaptive_rho : bool, default=True
        Residual balancing (Boyd et al. 2011, section 3.4.1): ``rho`` is doubled or halved
        when one residual exceeds ten times the other. The problem and its solution do not
        depend on ``rho``, only the path does; with the paper's fixed ``rho=1e-3`` the
        row-sum constraint converges very slowly (Movie: no convergence in 500 iterations,
        65 iterations adaptive, same predictions). ``False`` runs the literal fixed-``rho`` ADMM.
    fit_intercept : bool, default=False
    max_iter : int, default=500
        Most ADMM iterations.
    tol : float, default=1e-4
        Relative tolerance of the residual rule (the absolute tolerance is ``tol / 100``).

    Attributes
    ----------
    coef_, intercept_ : ndarray
        ``W`` (the smooth copy of ``W1 + W2``).
    specific_coef_, common_coef_ : ndarray of shape (n_features, n_labels)
        ``W1`` and ``W2`` (``coef_ ~= specific_coef_ + common_coef_`` at convergence).
    n_iter_ : int
    converged_ : bool
    history_ : list of dict
        Primal/dual residuals and objective per iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.linear import LDLSF
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> D = np.array([[0.7, 0.3], [0.2, 0.8], [0.45, 0.55]])
    >>> LDLSF().fit(X, D).predict([[1.0, 0.0]]).round(1)
    array([[0.7, 0.3]])
    """

    _parameter_constraints = {
        "lambda1": [Interval(Real, 0, None, closed="left")],
        "lambda2": [Interval(Real, 0, None, closed="left")],
        "lambda3": [Interval(Real, 0, None, closed="left")],
        "rho": [Interval(Real, 0, None, closed="neither")],
        "adaptive_rho": ["boolean"],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        lambda1: float = 1e-4,
        lambda2: float = 1e-2,
        lambda3: float = 1e-3,
        rho: float = 1e-3,
        adaptive_rho: bool = True,
        fit_intercept: bool = False,
        max_iter: int = 500,
        tol: float = 1e-4,
    ) -> None:
        self.lambda1 = lambda1
        self.lambda2 = lambda2
        self.lambda3 = lambda3
        self.rho = rho
        self.adaptive_rho = adaptive_rho
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_iter": 20}
        tags.ldl.test_variants = [{"fit_intercept": True}, {"adaptive_rho": False}]
        return tags

    def objective(self, X1: np.ndarray, D: np.ndarray, C: np.ndarray, W, W1, W2) -> float:
        """The LDLSF objective at ``(W, W1, W2)`` on the design ``X1`` (without constraints)."""
        F = X1 @ W
        mask = self._penalty_mask(X1.shape[1])
        return float(
            0.5 * ((F - D) ** 2).sum()
            + self.lambda1 * np.abs(W1 * mask).sum()
            + self.lambda2 * np.linalg.norm(W2 * mask, axis=1).sum()
            + self.lambda3 * np.einsum("ij,jk,ik->", F, C, F)
        )

    def _fit_design(self, X1: np.ndarray, D: np.ndarray) -> np.ndarray:
        n, d = X1.shape
        n_labels = D.shape[1]
        C = label_correlation_laplacian(D)
        X1 = sparse_design(X1)  # CSR when mostly zeros: the same products, cheaper
        gram = X1.T @ X1
        gram_values, gram_vectors = np.linalg.eigh(gram.toarray() if sp.issparse(gram) else gram)
        gram_values = np.maximum(gram_values, 0.0)  # round-off below zero
        XtD, Xt1 = X1.T @ D, np.asarray(X1.sum(axis=0)).ravel()
        mask = self._penalty_mask(d)  # the intercept row is not shrunk
        rho = float(self.rho)

        label_eig: dict[float, tuple[np.ndarray, np.ndarray]] = {}  # per rho: rho changes rarely

        def solve_W(rhs: np.ndarray, rho: float) -> np.ndarray:
            # X^T X W M + rho W = rhs,  M = I + 2 lambda3 C + rho 1 1^T (symmetric)
            if rho not in label_eig:
                M = np.eye(n_labels) + 2.0 * self.lambda3 * C + rho * np.ones((n_labels, n_labels))
                label_eig[rho] = np.linalg.eigh(M)
            label_values, label_vectors = label_eig[rho]
            denominator = np.outer(gram_values, label_values) + rho
            if denominator.min() <= 0:
                raise ValueError(
                    f"LDLSF: lambda3={self.lambda3:g} makes the W-subproblem unbounded for these "
                    "labels (the label-correlation term is not positive semi-definite); use a "
                    "smaller lambda3."
                )
            rotated = gram_vectors.T @ rhs @ label_vectors
            return gram_vectors @ (rotated / denominator) @ label_vectors.T

        W = np.zeros((d, n_labels))
        W1 = np.zeros((d, n_labels))
        W2 = np.zeros((d, n_labels))
        U = np.zeros((d, n_labels))  # scaled multiplier of W - W1 - W2 = 0
        u = np.zeros(n)  # scaled multiplier of X W 1 - 1 = 0
        stopping = AdmmStopping(
            eps_abs=self.tol / 100, eps_rel=self.tol, adaptive_rho=self.adaptive_rho
        )
        self.converged_ = False
        previous_row_gap = np.zeros(n)
        iteration = 0
        while iteration < self.max_iter:
            iteration += 1
            rhs = XtD + rho * (W1 + W2 - U) + rho * np.outer(Xt1 - X1.T @ u, np.ones(n_labels))
            W = solve_W(rhs, rho)
            split_old = W1 + W2
            W1 = np.where(mask > 0, soft_threshold(W - W2 + U, self.lambda1 / rho), W - W2 + U)
            W2 = np.where(mask > 0, row_shrink(W - W1 + U, self.lambda2 / rho), W - W1 + U)
            split = W1 + W2
            row_sums = X1 @ W.sum(axis=1)
            U += W - split
            u += row_sums - 1.0
            # X W 1 = 1 cannot hold exactly when 1 is outside the span of X's columns (no
            # intercept, features not summing to a constant). ADMM's residual then converges to
            # the smallest violation instead of 0 (Banjac et al. 2019), so that constraint counts
            # as met once its residual is small *or* has stopped changing.
            row_gap = row_sums - 1.0
            row_residual = min(np.linalg.norm(row_gap), np.linalg.norm(row_gap - previous_row_gap))
            previous_row_gap = row_gap
            done = stopping.check(
                primal=[np.linalg.norm(W - split), row_residual],
                dual=[rho * np.linalg.norm(split - split_old)],
                primal_scale=[
                    max(np.linalg.norm(W), np.linalg.norm(split)),
                    max(np.linalg.norm(row_sums), np.sqrt(n)),
                ],
                dual_scale=[rho * np.linalg.norm(U)],
                sizes=[W.size, n],
                objective=self.objective(X1, D, C, W, W1, W2),
            )
            if done:
                self.converged_ = True
                break
            new_rho = stopping.update_rho(rho)
            if new_rho != rho:  # scaled multipliers follow rho
                U *= rho / new_rho
                u *= rho / new_rho
                rho = new_rho
        self.n_iter_ = iteration
        self.history_ = stopping.history_
        self.rho_ = rho
        self.specific_coef_ = W1[: self.n_features_in_].copy()
        self.common_coef_ = W2[: self.n_features_in_].copy()
        if not self.converged_:
            warnings.warn(
                f"LDLSF: ADMM stopped after {iteration} iterations before its residuals met "
                f"tol={self.tol:g}. Increase max_iter"
                + ("." if self.adaptive_rho else ", or set adaptive_rho=True."),
                ConvergenceWarning,
                stacklevel=4,
            )
        return W

    def _predict_design(self, X1: np.ndarray) -> np.ndarray:
        return project_rows_to_simplex(X1 @ self._weights())

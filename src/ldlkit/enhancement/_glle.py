"""GLLE: graph Laplacian label enhancement (Xu, Liu & Geng, TKDE 2021)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from .._blas import limit_solver_blas
from ._base import _Enhancer, softmax_rows
from ._kernels import heat_knn_graph, mean_pairwise_distance, squared_distance_blocks

#: The authors' code uses full BFGS below this many unknowns and L-BFGS above.
_FULL_BFGS_BELOW = 3000


class GLLE(_Enhancer):
    """Graph Laplacian label enhancement.

    Features are z-scored (sample standard deviation, as MATLAB's ``zscore``).
    Each row is described by a Gaussian (RBF) design vector over all the
    given rows plus a bias, ``phi(x) = [exp(-||x - x_1||^2 / (2 w^2)), ..., 1]`` with ``w`` the
    mean distance between rows. A linear model ``F = Phi W`` minimises
    ``||Phi W - L||^2 + lam tr(W^T Phi^T G Phi W)``, where ``G = diag(A 1) - A`` is the Laplacian
    of a symmetric kNN graph with heat-kernel weights ``exp(-||xi - xj||^2 / (2 sigma^2))``, by
    a quasi-Newton solver from a random ``W`` (uniform on [0, 1), as the authors' code); the
    distributions are ``softmax(Phi W)`` row by row. The solver is L-BFGS with 20 stored pairs
    (the code's choice above 3000 unknowns; it uses full BFGS below), for at most ``max_iter``
    iterations or until the largest gradient entry is below ``tol``.

    Parameters
    ----------
    lam : float >= 0, default=0.01
        Weight of the graph (smoothness) term.
    n_neighbors : int, default=19
        Other rows linked to each row in the graph (sparse, so large data sets stay fast). The
        authors' code asks ``knnsearch`` for 20 neighbours, which include the row itself: 19
        others.
    sigma : float > 0, default=10.0
        Width of the graph's heat kernel (in z-scored feature units).
    max_iter : int, default=300
        Solver iterations at most (the code's limit). The objective is a convex quadratic; the
        number of steps acts as a mild regulariser of ``W``.
    tol : float, default=1e-6
        Stop when the largest absolute gradient entry is below ``tol`` (the code's ``TolFun``).
    init : {"random", "zeros"}, default="random"
        Starting ``W``: uniform on [0, 1) from ``random_state`` (the code) or all zeros.
    solver : {"lbfgs", "bfgs", "auto"}, default="lbfgs"
        ``"lbfgs"``: L-BFGS with 20 stored pairs; ``"bfgs"``: full BFGS; ``"auto"``: full BFGS
        below 3000 unknowns, else L-BFGS (the code's rule). The default differs from the code
        on small problems because scipy's BFGS updates its inverse Hessian with dense matrix
        products, cubic in the unknowns: on SJAFFE (1,284 unknowns) it took 44 CPU seconds
        against 0.1 for L-BFGS (``docs/enhancement.md``).
    random_state : int, RandomState or None, default=None
        Seeds the random start.

    Attributes
    ----------
    label_distribution_ : ndarray of shape (n_samples, n_labels)
    coef_ : ndarray of shape (n_samples + 1, n_labels)
        ``W`` (the last row multiplies the bias).
    n_iter_ : int

    Notes
    -----
    GLLE can map new rows: :meth:`transform` builds their design vectors against the fitted rows
    and returns ``softmax(phi(x) W)``.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.enhancement import GLLE
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]])
    >>> logical = np.array([[1, 0], [1, 0], [0, 1], [1, 1]])
    >>> GLLE(n_neighbors=1, init="zeros").fit_transform(X, logical).round(2)
    array([[0.73, 0.27],
           [0.73, 0.27],
           [0.27, 0.73],
           [0.5 , 0.5 ]])
    """

    _parameter_constraints = {
        "lam": [Interval(Real, 0, None, closed="left")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "init": [StrOptions({"random", "zeros"})],
        "solver": [StrOptions({"auto", "bfgs", "lbfgs"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        lam: float = 0.01,
        n_neighbors: int = 19,
        sigma: float = 10.0,
        max_iter: int = 300,
        tol: float = 1e-6,
        init: str = "random",
        solver: str = "lbfgs",
        random_state=None,
    ) -> None:
        self.lam = lam
        self.n_neighbors = n_neighbors
        self.sigma = sigma
        self.max_iter = max_iter
        self.tol = tol
        self.init = init
        self.solver = solver
        self.random_state = random_state

    def _scale(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) / self.scale_

    def _design(self, Z: np.ndarray) -> np.ndarray:
        Phi = np.empty((len(Z), len(self.rows_) + 1))
        for start, stop, S in squared_distance_blocks(Z, self.rows_):
            Phi[start:stop, :-1] = np.exp(-S / (2.0 * self.width_**2))
        Phi[:, -1] = 1.0
        return Phi

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0, ddof=1) if len(X) > 1 else np.zeros(X.shape[1])  # MATLAB zscore
        self.scale_ = np.where(std > 0, std, 1.0)  # constant columns stay constant (zero)
        Z = self._scale(X)
        self.rows_ = Z
        distance = mean_pairwise_distance(Z)
        self.width_ = distance if distance > 0 else 1.0
        Phi = self._design(Z)
        A = heat_knn_graph(Z, self.n_neighbors, self.sigma)
        G = sp.diags(np.asarray(A.sum(axis=1)).ravel()) - A
        n_out = logical.shape[1]

        def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
            W = w.reshape(-1, n_out)
            F = Phi @ W
            residual = F - logical
            GF = G @ F
            value = float(np.sum(residual**2) + self.lam * np.sum(F * GF))
            gradient = Phi.T @ (2.0 * residual + 2.0 * self.lam * GF)
            return value, gradient.ravel()

        size = Phi.shape[1] * n_out
        if self.init == "random":
            start = check_random_state(self.random_state).random_sample(size)
        else:
            start = np.zeros(size)
        solver = self.solver
        if solver == "auto":
            solver = "bfgs" if size < _FULL_BFGS_BELOW else "lbfgs"
        if solver == "bfgs":
            method, options = "BFGS", {"maxiter": self.max_iter, "gtol": self.tol}
        else:
            method = "L-BFGS-B"
            options = {"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-15, "maxcor": 20}
        with limit_solver_blas():  # single-threaded BLAS by default: see ldlkit._blas
            result = minimize(objective, start, jac=True, method=method, options=options)
        self.coef_ = result.x.reshape(-1, n_out)
        self.n_iter_ = int(result.nit)
        return softmax_rows(Phi @ self.coef_)

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return softmax_rows(self._design(self._scale(X)) @ self.coef_)

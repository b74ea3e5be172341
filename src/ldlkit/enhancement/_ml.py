"""ML: label enhancement by manifold learning (Hou, Geng & Zhang, AAAI 2016)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.utils._param_validation import Interval

from .._blas import limit_solver_blas
from ._base import _Enhancer, softmax_rows
from ._kernels import squared_distance_blocks


def _reconstruction_weights(X: np.ndarray, n_neighbors: int, reg: float) -> sp.csr_matrix:
    """Locally linear reconstruction weights: row ``i`` rebuilds ``x_i`` from its neighbours.

    ``w_i`` minimises ``||x_i - sum_j w_ij x_j||^2`` over the ``n_neighbors`` nearest other rows,
    subject to ``sum_j w_ij = 1``; the local Gram matrix gets ``reg * trace`` on its diagonal
    (needed whenever there are more neighbours than feature dimensions).
    """
    n = len(X)
    k = min(n_neighbors, n - 1)
    neighbours = np.empty((n, k), dtype=np.intp)
    for start, stop, S in squared_distance_blocks(X):
        S[np.arange(stop - start), np.arange(start, stop)] = np.inf  # a row is not its neighbour
        part = np.argpartition(S, k - 1, axis=1)[:, :k]
        neighbours[start:stop] = part
    diffs = X[neighbours] - X[:, None, :]  # (n, k, d)
    gram = np.einsum("nkd,nld->nkl", diffs, diffs)
    trace = np.trace(gram, axis1=1, axis2=2)
    ridge = np.where(trace > 0, reg * trace, reg)
    gram[:, np.arange(k), np.arange(k)] += ridge[:, None]
    weights = np.linalg.solve(gram, np.ones((n, k, 1)))[:, :, 0]
    weights /= weights.sum(axis=1, keepdims=True)
    rows = np.repeat(np.arange(n), k)
    return sp.csr_matrix((weights.ravel(), (rows, neighbours.ravel())), shape=(n, n))


class ML(_Enhancer):
    """Label enhancement by manifold learning (the ML of the LE literature).

    The local geometry of the feature space is carried over to the label space. First every row
    is written as an affine combination of its ``n_neighbors`` nearest rows (locally linear
    reconstruction weights ``W``, each row summing to one). Then numerical labels ``mu`` with the
    same local structure are found, one label column at a time,

    ``min_mu  sum_i || mu_i - sum_j W_ij mu_j ||^2  s.t.  l_ij mu_ij >= margin``,

    with the logical labels written as ``l_ij = +1`` (relevant) or ``-1`` (irrelevant): a relevant
    label keeps a numerical value of at least ``margin``, an irrelevant one at most ``-margin``.
    The distributions are the row-wise softmax of ``mu``.

    Parameters
    ----------
    n_neighbors : int or None, default=None
        Neighbours in the reconstruction; None uses the number of labels.
    margin : float > 0, default=1.0
        ``lambda`` of the sign constraints.
    reg : float > 0, default=1e-3
        Ridge on each local Gram matrix, relative to its trace.
    scale_features : bool, default=False
        z-score the features before the neighbour search (the paper uses them as given).
    max_iter : int, default=1000
        L-BFGS-B iterations at most.
    tol : float, default=1e-8
        L-BFGS-B projected-gradient tolerance.

    Attributes
    ----------
    label_distribution_ : ndarray of shape (n_samples, n_labels)
    numerical_labels_ : ndarray of shape (n_samples, n_labels)
        ``mu`` before the softmax.
    n_iter_ : int

    Notes
    -----
    Readings where the paper leaves a choice open:

    * The sign constraints are bounds on single variables (``mu_ij >= margin`` or
      ``mu_ij <= -margin``), so the quadratic programme is solved exactly as a bound-constrained
      problem by L-BFGS-B from the feasible start ``margin * l``, all label columns at once (the
      objective is a sum over columns); no general QP solver is needed.
    * The paper leaves the number of neighbours to the user; the default, the number of labels,
      is python-ldl's choice, so that the two implementations can be compared at equal
      settings.
    * The paper produces numerical labels for multi-label learning; as in the LE review, the
      label distribution is their softmax.
    * The LLE ridge (``reg``) is not part of the paper; it only makes the local systems solvable.

    ML has no ``transform``: the numerical labels exist only for the given rows.

    References
    ----------
    .. [1] P. Hou, X. Geng and M.-L. Zhang, "Multi-Label Manifold Learning", Proceedings of the
       Thirtieth AAAI Conference on Artificial Intelligence (AAAI), 2016.
    .. [2] N. Xu, Y.-P. Liu and X. Geng, "Label Enhancement for Label Distribution Learning",
       IEEE Transactions on Knowledge and Data Engineering, 33(4):1632-1643, 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.enhancement import ML
    >>> X = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]])
    >>> logical = np.array([[1, 0], [1, 0], [1, 1], [0, 1], [0, 1], [1, 1]])
    >>> D = ML(n_neighbors=2).fit_transform(X, logical)
    >>> D.shape, bool(np.allclose(D.sum(axis=1), 1.0))
    ((6, 2), True)
    """

    _parameter_constraints = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        "margin": [Interval(Real, 0, None, closed="neither")],
        "reg": [Interval(Real, 0, None, closed="neither")],
        "scale_features": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        n_neighbors: int | None = None,
        margin: float = 1.0,
        reg: float = 1e-3,
        scale_features: bool = False,
        max_iter: int = 1000,
        tol: float = 1e-8,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.margin = margin
        self.reg = reg
        self.scale_features = scale_features
        self.max_iter = max_iter
        self.tol = tol

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:
        n, n_labels = logical.shape
        if self.scale_features:
            std = X.std(axis=0)
            X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
        signs = np.where(logical > 0, 1.0, -1.0)
        if n < 2:  # no neighbour to rebuild from: the constraints alone decide
            mu = self.margin * signs
            self.numerical_labels_, self.n_iter_ = mu, 0
            return softmax_rows(mu)
        k = self.n_neighbors if self.n_neighbors is not None else n_labels
        W = _reconstruction_weights(X, k, self.reg)
        residual_map = (sp.identity(n, format="csr") - W).tocsr()
        lower = np.where(signs > 0, self.margin, -np.inf).ravel()
        upper = np.where(signs > 0, np.inf, -self.margin).ravel()
        bounds = list(zip(lower, upper, strict=True))

        def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
            R = residual_map @ flat.reshape(n, n_labels)
            return float(np.sum(R**2)), (2.0 * (residual_map.T @ R)).ravel()

        with limit_solver_blas():
            result = minimize(
                objective,
                (self.margin * signs).ravel(),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-15},
            )
        mu = result.x.reshape(n, n_labels)
        self.numerical_labels_ = mu
        self.n_iter_ = int(result.nit)
        return softmax_rows(mu)

"""LDSVR (Geng & Hou 2015): support vector regression of label distributions."""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.special import expit, logit
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseLDL

__all__ = ["LDSVR"]


class LDSVR(BaseLDL):
    """LDSVR (Geng & Hou 2015): RBF support vector regression through a sigmoid link.

    Each degree is mapped to the real line by the logit (``log(d / (1 - d))``, degrees clipped to
    ``[eps, 1 - eps]``), an RBF-kernel epsilon-SVR is fitted per label on those targets, and a
    prediction is the sigmoid of the regressions, renormalised over the labels. The kernel width
    is ``gamma = 1 / (2 s^2)`` with ``s`` the mean pairwise Euclidean distance of the training
    rows (``gamma="mean_distance"``).

    Reading: Geng & Hou's LDSVR fits all labels jointly, with an epsilon-insensitive loss on the
    norm of the whole error vector (a multivariate SVR solved by iteratively reweighted least
    squares). This class fits one epsilon-SVR per label (``mode="per_label"``, what the reference
    package does), which shares the model, the link and the kernel but not the joint loss: the
    joint form is not implemented yet.

    Parameters
    ----------
    C : float, default=1.0
    epsilon : float, default=0.1
        Width of the insensitive tube (on the logit scale).
    gamma : "mean_distance", "scale" or float, default="mean_distance"
    eps : float, default=1e-7
        Degrees are clipped to ``[eps, 1 - eps]`` before the logit.
    tol : float, default=1e-7
        LIBSVM's stopping tolerance (tight: LIBSVM's 1e-3 leaves the solution sensitive to
        round-off in the targets).

    Attributes
    ----------
    estimators_ : list of sklearn.svm.SVR, one per label
    gamma_ : float
        The kernel width used.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.classic import LDSVR
    >>> X = np.array([[0.0], [0.3], [0.7], [1.0]])
    >>> D = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]])
    >>> LDSVR().fit(X, D).predict([[0.0], [1.0]]).argmax(axis=1)
    array([0, 1])
    """

    _parameter_constraints = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "gamma": [
            StrOptions({"mean_distance", "scale"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "eps": [Interval(Real, 0, 0.5, closed="neither")],
        "tol": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        C: float = 1.0,
        epsilon: float = 0.1,
        gamma="mean_distance",
        eps: float = 1e-7,
        tol: float = 1e-7,
    ) -> None:
        self.C = C
        self.epsilon = epsilon
        self.gamma = gamma
        self.eps = eps
        self.tol = tol

    def _kernel_width(self, X: np.ndarray) -> float | str:
        if self.gamma != "mean_distance":
            return self.gamma
        from scipy.spatial.distance import pdist

        if X.shape[0] < 2:
            return 1.0
        mean = float(pdist(X).mean())
        return 1.0 / (2.0 * mean**2) if mean > 0 else 1.0

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        from sklearn.svm import SVR

        self.gamma_ = self._kernel_width(X)
        targets = logit(np.clip(D, self.eps, 1.0 - self.eps))
        self.estimators_ = [
            SVR(C=self.C, epsilon=self.epsilon, gamma=self.gamma_, tol=self.tol).fit(X, t)
            for t in targets.T
        ]

    def _predict(self, X: np.ndarray) -> np.ndarray:
        P = expit(np.column_stack([est.predict(X) for est in self.estimators_]))
        return P / P.sum(axis=1, keepdims=True)

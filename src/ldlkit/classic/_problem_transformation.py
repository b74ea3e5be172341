"""PT-Bayes and PT-SVM (Geng 2016): LDL by problem transformation to single-label learning.

Each training row ``(x_i, d_i)`` becomes ``L`` single-label rows ``(x_i, j)`` with weights
``d_ij``; a single-label classifier with probability outputs is trained on them, and its class
posteriors are the predicted label distribution. Geng turns the weighted rows into an ordinary
training set by resampling ``n * L`` rows with probabilities proportional to the weights
(``sampling="resample"``, seeded); ``sampling="weights"`` passes the weights to the classifier
instead, which is the resampled estimate's expectation without its sampling noise.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseLDL

__all__ = ["PTBayes", "PTSVM"]


class _ProblemTransformation(BaseLDL):
    """Shared transformation: weighted or resampled single-label rows."""

    _abstract = True

    def _single_label_rows(self, X: np.ndarray, D: np.ndarray):
        """``(X_rows, y, weights)``; weights is None for the resampled form."""
        n, L = D.shape
        X_rows = np.repeat(X, L, axis=0)
        y = np.tile(np.arange(L), n)
        weights = D.ravel()
        if self.sampling == "weights":
            keep = weights > 0
            return X_rows[keep], y[keep], weights[keep]
        rng = check_random_state(self.random_state)
        chosen = rng.choice(n * L, size=n * L, replace=True, p=weights / weights.sum())
        return X_rows[chosen], y[chosen], None

    def _posteriors(self, proba: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Class posteriors as (n, L): labels that never appeared in training get 0."""
        out = np.zeros((proba.shape[0], self.n_labels_))
        out[:, classes] = proba
        return out


class PTBayes(_ProblemTransformation):
    """PT-Bayes (Geng 2016): a Gaussian Bayes classifier on the transformed single-label rows.

    Each label ``j`` gets a Gaussian class-conditional density ``p(x | j)`` with the mean and the
    per-feature variances of the (weighted or resampled) rows of that label, and the prior
    ``P(j)``, the label's share of the rows (the mean degree). The prediction is the posterior
    ``P(j | x) ∝ p(x | j) P(j)``.

    Reading: Geng specifies a Gaussian assumption without the form of the covariance; with more
    features than rows per label (SJAFFE: 243 features) a full covariance is singular, so each
    density is diagonal (naive Bayes), and ``var_smoothing`` times the largest feature variance
    is added to every variance, as scikit-learn's ``GaussianNB`` does. The paper gives no
    smoothing; the default 0.1 is the reference package's. With scikit-learn's numerical guard
    (``1e-9``) the posteriors of a product of hundreds of per-feature densities are nearly
    one-hot and score far below the training mean (``docs/classic.md`` has the numbers).

    Parameters
    ----------
    var_smoothing : float, default=0.1
        Fraction of the largest feature variance added to every variance.
    sampling : {"resample", "weights"}, default="resample"
        ``"resample"``: Geng's seeded resampling of ``n * L`` rows; ``"weights"``: the degrees as
        sample weights (deterministic, no sampling noise).
    random_state : int, RandomState or None, default=None
        Seeds the resampling.

    Attributes
    ----------
    theta_ : ndarray of shape (n_labels, n_features)
        Per-label feature means.
    var_ : ndarray of shape (n_labels, n_features)
        Per-label feature variances (smoothed).
    class_prior_ : ndarray of shape (n_labels,)

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.classic import PTBayes
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1]])
    >>> D = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9]])
    >>> PTBayes(sampling="weights").fit(X, D).predict([[0.0], [1.0]]).argmax(axis=1)
    array([0, 1])
    """

    _parameter_constraints = {
        "var_smoothing": [Interval(Real, 0, None, closed="left")],
        "sampling": [StrOptions({"resample", "weights"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self, *, var_smoothing: float = 0.1, sampling: str = "resample", random_state=None
    ) -> None:
        self.var_smoothing = var_smoothing
        self.sampling = sampling
        self.random_state = random_state

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        rows, y, weights = self._single_label_rows(X, D)
        L = D.shape[1]
        w = np.ones(len(y)) if weights is None else weights
        mass = np.bincount(y, weights=w, minlength=L)
        one_hot = np.zeros((len(y), L))
        one_hot[np.arange(len(y)), y] = w
        safe = np.where(mass > 0, mass, 1.0)[:, None]
        theta = one_hot.T @ rows / safe
        second = one_hot.T @ (rows**2) / safe
        var = np.maximum(second - theta**2, 0.0)
        overall = np.average(rows, axis=0, weights=w)
        epsilon = self.var_smoothing * float(
            np.max(np.average((rows - overall) ** 2, axis=0, weights=w))
        )
        # a constant feature with no smoothing would divide by zero: floor at the smallest
        # positive double-precision scale that keeps the log-densities finite
        self.var_ = np.maximum(var + epsilon, np.finfo(np.float64).tiny)
        self.theta_ = theta
        self.class_prior_ = mass / mass.sum()

    def _predict(self, X: np.ndarray) -> np.ndarray:
        log_prior = np.log(np.where(self.class_prior_ > 0, self.class_prior_, 1.0))
        log_like = -0.5 * (
            np.log(2 * np.pi * self.var_).sum(axis=1)[None, :]
            + ((X[:, None, :] - self.theta_[None]) ** 2 / self.var_[None]).sum(axis=2)
        )
        joint = log_like + log_prior[None, :]
        joint[:, self.class_prior_ <= 0] = -np.inf
        joint -= joint.max(axis=1, keepdims=True)
        P = np.exp(joint)
        return P / P.sum(axis=1, keepdims=True)


class PTSVM(_ProblemTransformation):
    """PT-SVM (Geng 2016): an SVM with probability outputs on the transformed single-label rows.

    The SVM's outputs become class probabilities by Platt scaling fitted on 5-fold
    cross-validated outputs (scikit-learn's ``CalibratedClassifierCV(..., ensemble=False)``,
    one label against the rest), then one SVM is fitted on all rows. ``kernel="linear"`` (the
    default) is liblinear's linear SVM (``LinearSVC``); the other kernels use LIBSVM (``SVC``).

    Reading: Geng obtains probabilities from LIBSVM's ``-b 1`` option (Platt-scaled pairwise
    outputs combined by the pairwise coupling of Wu, Lin & Weng 2004); scikit-learn deprecates
    that option in 1.9 and names this calibration as its replacement. Geng does not fix the
    kernel or ``C``. The transformation multiplies the rows by ``L``, and a kernel SVM's cost
    grows with the square of the rows: with the RBF kernel one Yeast_heat fold (13,300 rows)
    took 858 s on the shared 2-core machine, against 12 s for the reference package's
    calibrated linear SVM (``docs/classic.md``), so the default is linear, as there.

    Parameters
    ----------
    C : float, default=1.0
    kernel : {"linear", "rbf", "poly", "sigmoid"}, default="linear"
    gamma : {"scale", "auto"} or float, default="scale"
        Kernel width of the non-linear kernels.
    max_iter : int, default=1000
        liblinear's iteration limit (linear kernel; scikit-learn's default).
    sampling : {"resample", "weights"}, default="resample"
        As in :class:`PTBayes` (``"weights"`` passes the degrees as sample weights).
    random_state : int, RandomState or None, default=None
        Seeds the resampling and liblinear.

    Attributes
    ----------
    svc_ : sklearn.calibration.CalibratedClassifierCV
        The fitted, calibrated classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.classic import PTSVM
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 0.3, (20, 2)), rng.normal(2, 0.3, (20, 2))])
    >>> D = np.repeat([[0.8, 0.2], [0.3, 0.7]], 20, axis=0)
    >>> P = PTSVM(random_state=0).fit(X, D).predict([[0.0, 0.0], [2.0, 2.0]])
    >>> P.argmax(axis=1)
    array([0, 1])
    """

    _parameter_constraints = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "kernel": [StrOptions({"linear", "rbf", "poly", "sigmoid"})],
        "gamma": [StrOptions({"scale", "auto"}), Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "sampling": [StrOptions({"resample", "weights"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        C: float = 1.0,
        kernel: str = "linear",
        gamma="scale",
        max_iter: int = 1000,
        sampling: str = "resample",
        random_state=None,
    ) -> None:
        self.C = C
        self.kernel = kernel
        self.gamma = gamma
        self.max_iter = max_iter
        self.sampling = sampling
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_variants = [{"kernel": "rbf"}, {"sampling": "weights"}]
        return tags

    def _svm(self):
        from sklearn.svm import SVC, LinearSVC

        if self.kernel == "linear":
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            return LinearSVC(C=self.C, max_iter=self.max_iter, random_state=seed)
        return SVC(C=self.C, kernel=self.kernel, gamma=self.gamma)

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        import warnings

        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.exceptions import ConvergenceWarning

        rows, y, weights = self._single_label_rows(X, D)
        self.classes_ = np.unique(y)
        if len(self.classes_) == 1:  # one label only: nothing to separate
            self.svc_ = None
            return
        folds = int(min(5, np.bincount(y)[self.classes_].min()))
        svm = self._svm()
        with warnings.catch_warnings():
            # liblinear's iteration limit is a budget here, as in scikit-learn's default use
            warnings.simplefilter("ignore", ConvergenceWarning)
            if folds < 2:  # too few rows of some label to cross-validate: calibrate in-sample
                from sklearn.frozen import FrozenEstimator

                svm.fit(rows, y, sample_weight=weights)
                self.svc_ = CalibratedClassifierCV(FrozenEstimator(svm)).fit(rows, y)
                return
            self.svc_ = CalibratedClassifierCV(svm, cv=folds, ensemble=False).fit(
                rows, y, sample_weight=weights
            )

    def _predict(self, X: np.ndarray) -> np.ndarray:
        if self.svc_ is None:
            return self._posteriors(np.ones((X.shape[0], 1)), self.classes_)
        return self._posteriors(self.svc_.predict_proba(X), self.svc_.classes_)

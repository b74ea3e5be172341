"""AA-BP (Geng 2016) and CPNN with its binary-coded and augmented variants (Geng et al. 2013;
Yang et al. 2017): small neural networks fitted full-batch with L-BFGS (numpy/scipy only)."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import expit, log_softmax, softmax
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseLDL
from ..linear._solvers import minimize_lbfgs
from ._scaling import apply_minmax, fit_minmax

__all__ = ["AABP", "CPNN", "BCPNN", "ACPNN"]


def _glorot(rng, n_in: int, n_out: int) -> np.ndarray:
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


class _Network(BaseLDL):
    _abstract = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"n_hidden": 4, "max_iter": 15}
        return tags

    def _solve(self, fun_grad, x0: np.ndarray) -> np.ndarray:
        result = minimize_lbfgs(
            fun_grad,
            x0,
            max_iter=self.max_iter,
            tol=self.tol,
            owner=type(self).__name__,
            warn=False,
        )
        self.n_iter_ = int(result.nit)
        self.loss_ = float(result.fun)
        return result.x


class AABP(_Network):
    """AA-BP (Geng 2016): a three-layer backpropagation network with a softmax output.

    ``P = softmax(tanh(X' W1 + b1) W2 + b2)``, where ``X'`` is ``X`` mapped to [-1, 1] per
    feature by the training range (MATLAB's ``newff`` does this by default), trained to minimise
    the sum-squared error ``1/(2n) sum_i ||P_i - D_i||^2 + alpha/2 (||W1||^2 + ||W2||^2)``.

    Reading: Geng's toolbox builds the network with MATLAB's ``newff`` (``tansig`` hidden units,
    gradient-descent training) and 60 hidden units; here the same full-batch objective is
    minimised with L-BFGS (``max_iter`` iterations from a seeded Glorot-uniform start), which
    reaches lower training error per second than plain gradient descent. ``alpha=0`` is the
    paper's unpenalised network.

    Parameters
    ----------
    n_hidden : int, default=60
    alpha : float, default=0.0
        L2 penalty on the weights (not the biases).
    max_iter : int, default=500
        L-BFGS iterations (the training budget; no warning when it is reached).
    tol : float, default=1e-6
        Gradient tolerance.
    random_state : int, RandomState or None

    Attributes
    ----------
    coefs_ : list of two ndarrays
    intercepts_ : list of two ndarrays
    n_iter_, loss_ : int, float

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.classic import AABP
    >>> X = np.array([[0.0], [0.3], [0.7], [1.0]])
    >>> D = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]])
    >>> AABP(n_hidden=3, random_state=0).fit(X, D).predict([[0.0], [1.0]]).argmax(axis=1)
    array([0, 1])
    """

    _parameter_constraints = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_hidden: int = 60,
        alpha: float = 0.0,
        max_iter: int = 500,
        tol: float = 1e-6,
        random_state=None,
    ) -> None:
        self.n_hidden = n_hidden
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _unpack(self, theta: np.ndarray, d: int, L: int):
        H = self.n_hidden
        sizes = [d * H, H, H * L, L]
        parts = np.split(theta, np.cumsum(sizes)[:-1])
        return parts[0].reshape(d, H), parts[1], parts[2].reshape(H, L), parts[3]

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        self.scale_low_, self.scale_ = fit_minmax(X)
        Xs = apply_minmax(X, self.scale_low_, self.scale_)
        n, d = Xs.shape
        L = D.shape[1]
        rng = check_random_state(self.random_state)
        H = self.n_hidden
        theta0 = np.concatenate(
            [_glorot(rng, d, H).ravel(), np.zeros(H), _glorot(rng, H, L).ravel(), np.zeros(L)]
        )
        alpha = self.alpha

        def fun_grad(theta):
            W1, b1, W2, b2 = self._unpack(theta, d, L)
            A = np.tanh(Xs @ W1 + b1)
            P = softmax(A @ W2 + b2, axis=1)
            E = P - D
            loss = 0.5 * (E**2).sum() / n + 0.5 * alpha * ((W1**2).sum() + (W2**2).sum())
            # softmax Jacobian applied to the error
            G = P * (E - (P * E).sum(axis=1, keepdims=True)) / n
            gW2 = A.T @ G + alpha * W2
            gA = (G @ W2.T) * (1.0 - A**2)
            gW1 = Xs.T @ gA + alpha * W1
            return loss, np.concatenate([gW1.ravel(), gA.sum(0), gW2.ravel(), G.sum(0)])

        W1, b1, W2, b2 = self._unpack(self._solve(fun_grad, theta0), d, L)
        self.coefs_ = [W1, W2]
        self.intercepts_ = [b1, b2]

    def _predict(self, X: np.ndarray) -> np.ndarray:
        Xs = apply_minmax(X, self.scale_low_, self.scale_)
        A = np.tanh(Xs @ self.coefs_[0] + self.intercepts_[0])
        return softmax(A @ self.coefs_[1] + self.intercepts_[1], axis=1)


def _label_codes(L: int, encoding: str) -> np.ndarray:
    """The network's input for each label: (L, code size)."""
    if encoding == "scalar":
        # the label's index mapped to [-1, 1], as the features are
        return (np.linspace(-1.0, 1.0, L) if L > 1 else np.zeros(1))[:, None]
    if encoding == "one_hot":
        return np.eye(L)
    bits = max(1, int(np.ceil(np.log2(L))))
    return ((np.arange(L)[:, None] >> np.arange(bits)[None, ::-1]) & 1).astype(np.float64)


class CPNN(_Network):
    """CPNN (Geng, Yin & Zhou 2013): a conditional probability neural network.

    One network scores every (instance, label) pair: its input is the instance's features (mapped
    to [-1, 1] by the training range) together with a code of the label, one sigmoid hidden
    layer, one linear output ``z(x, y)``, and ``p(y | x) = exp(z(x, y)) / sum_y' exp(z(x, y'))``.
    The weights minimise the mean KL divergence ``mean_i KL(D_i || p(. | x_i))`` plus
    ``alpha/2`` times the squared weights.

    Reading: Geng et al. feed the label's value (an age) and train with RPROP; here the label's
    index is the value (``label_encoding="scalar"``, mapped to [-1, 1]) and L-BFGS minimises the
    same full-batch objective. :class:`BCPNN` codes the label in binary instead, :class:`ACPNN`
    augments the training set.

    Parameters
    ----------
    n_hidden : int, default=64
        Hidden units (the reference package's default; the papers tune it).
    label_encoding : {"scalar", "one_hot", "binary"}, default="scalar"
        ``"scalar"``: the label index scaled to [-1, 1]; ``"one_hot"``: an indicator vector;
        ``"binary"``: the index in ``ceil(log2 L)`` binary digits.
    n_augment : int, default=0
        Copies of the training set with extra mass on the dominant label (:class:`ACPNN`); 0
        trains on the data as given.
    alpha : float, default=0.0
    max_iter : int, default=500
    tol : float, default=1e-6
    random_state : int, RandomState or None

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.classic import CPNN
    >>> X = np.array([[0.0], [0.3], [0.7], [1.0]])
    >>> D = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]])
    >>> CPNN(n_hidden=3, random_state=0).fit(X, D).predict([[0.0], [1.0]]).argmax(axis=1)
    array([0, 1])
    """

    _parameter_constraints = {
        "n_hidden": [Interval(Integral, 1, None, closed="left")],
        "label_encoding": [StrOptions({"scalar", "one_hot", "binary"})],
        "n_augment": [Interval(Integral, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_hidden: int = 64,
        label_encoding: str = "scalar",
        n_augment: int = 0,
        alpha: float = 0.0,
        max_iter: int = 500,
        tol: float = 1e-6,
        random_state=None,
    ) -> None:
        self.n_hidden = n_hidden
        self.label_encoding = label_encoding
        self.n_augment = n_augment
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _augment(self, X: np.ndarray, D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ACPNN's augmentation: copy k (1..v) adds 1/k of the dominant degree to it, then the
        row is renormalised."""
        if self.n_augment == 0:
            return X, D
        dominant = np.zeros_like(D)
        dominant[np.arange(len(D)), D.argmax(axis=1)] = 1.0
        copies = []
        for k in range(1, self.n_augment + 1):
            boosted = D + D * dominant / k
            copies.append(boosted / boosted.sum(axis=1, keepdims=True))
        return np.tile(X, (self.n_augment, 1)), np.vstack(copies)

    def _unpack(self, theta, d, c):
        H = self.n_hidden
        sizes = [d * H, c * H, H, H]
        parts = np.split(theta, np.cumsum(sizes)[:-1])
        return parts[0].reshape(d, H), parts[1].reshape(c, H), parts[2], parts[3]

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        self.scale_low_, self.scale_ = fit_minmax(X)
        X, D = self._augment(apply_minmax(X, self.scale_low_, self.scale_), D)
        n, d = X.shape
        L = D.shape[1]
        codes = _label_codes(L, self.label_encoding)
        c = codes.shape[1]
        rng = check_random_state(self.random_state)
        H = self.n_hidden
        theta0 = np.concatenate(
            [
                _glorot(rng, d + c, H)[:d].ravel(),
                _glorot(rng, d + c, H)[:c].ravel(),
                np.zeros(H),
                _glorot(rng, H, 1).ravel(),
            ]
        )
        alpha = self.alpha

        def fun_grad(theta):
            Wx, Wy, b, v = self._unpack(theta, d, c)
            # pre-activations for every (row, label) pair: (n, L, H)
            S = expit((X @ Wx)[:, None, :] + (codes @ Wy + b)[None, :, :])
            Z = S @ v
            logP = log_softmax(Z, axis=1)
            loss = -(D * logP).sum() / n + 0.5 * alpha * ((Wx**2).sum() + (Wy**2).sum() + v @ v)
            G = (np.exp(logP) - D) / n  # dLoss/dZ, (n, L)
            gv = np.einsum("nl,nlh->h", G, S) + alpha * v
            gS = G[:, :, None] * v[None, None, :] * S * (1.0 - S)  # (n, L, H)
            gWx = X.T @ gS.sum(axis=1) + alpha * Wx
            per_label = gS.sum(axis=0)  # (L, H)
            gWy = codes.T @ per_label + alpha * Wy
            return loss, np.concatenate([gWx.ravel(), gWy.ravel(), per_label.sum(0), gv])

        Wx, Wy, b, v = self._unpack(self._solve(fun_grad, theta0), d, c)
        self.weights_features_, self.weights_labels_ = Wx, Wy
        self.hidden_bias_, self.output_weights_ = b, v
        self.label_codes_ = codes

    def _predict(self, X: np.ndarray) -> np.ndarray:
        Xs = apply_minmax(X, self.scale_low_, self.scale_)
        S = expit(
            (Xs @ self.weights_features_)[:, None, :]
            + (self.label_codes_ @ self.weights_labels_ + self.hidden_bias_)[None]
        )
        return softmax(S @ self.output_weights_, axis=1)


class BCPNN(CPNN):
    """BCPNN (Yang, Sun & Sun 2017): :class:`CPNN` with the label given in binary code.

    Reading: "binary coding" of the label is read as its index in ``ceil(log2 L)`` binary digits
    (``label_encoding="binary"``); the reference package feeds a one-hot vector
    (``label_encoding="one_hot"``).

    Examples
    --------
    >>> from ldlkit.classic import BCPNN
    >>> BCPNN().label_encoding
    'binary'
    """

    def __init__(
        self,
        *,
        n_hidden: int = 64,
        label_encoding: str = "binary",
        n_augment: int = 0,
        alpha: float = 0.0,
        max_iter: int = 500,
        tol: float = 1e-6,
        random_state=None,
    ) -> None:
        super().__init__(
            n_hidden=n_hidden,
            label_encoding=label_encoding,
            n_augment=n_augment,
            alpha=alpha,
            max_iter=max_iter,
            tol=tol,
            random_state=random_state,
        )


class ACPNN(CPNN):
    """ACPNN (Yang, Sun & Sun 2017): :class:`CPNN` on an augmented training set.

    ``n_augment`` copies of the training set; copy ``k`` adds ``1/k`` of each row's dominant
    degree to it and renormalises, so that the network sees the dominant label emphasised at
    decreasing strengths. Labels are one-hot coded.

    Reading: the reference package adds the boost without renormalising (its targets then sum
    to more than 1); here every target is a distribution.

    Examples
    --------
    >>> from ldlkit.classic import ACPNN
    >>> ACPNN().n_augment
    5
    """

    def __init__(
        self,
        *,
        n_hidden: int = 64,
        label_encoding: str = "one_hot",
        n_augment: int = 5,
        alpha: float = 0.0,
        max_iter: int = 500,
        tol: float = 1e-6,
        random_state=None,
    ) -> None:
        super().__init__(
            n_hidden=n_hidden,
            label_encoding=label_encoding,
            n_augment=n_augment,
            alpha=alpha,
            max_iter=max_iter,
            tol=tol,
            random_state=random_state,
        )

"""The artificial toy dataset of Geng (2016), the embedded default for demos and tests."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from .._validation import check_in_range, check_positive_int

__all__ = ["make_artificial"]

# Constants of the generator in Geng, "Label Distribution Learning", IEEE TKDE 2016 (Section 7.1).
_A, _B, _C, _D = 1.0, 0.5, 0.2, 1.0
_W = np.array([[4.0, 2.0, 1.0], [1.0, 2.0, 4.0], [1.0, -2.0, 1.0]])
_LAMBDA = 0.01


def _distributions(x: np.ndarray) -> np.ndarray:
    t = _A * x + _B * x**2 + _C * x**3 + _D
    psi1 = (t @ _W[0]) ** 2
    psi2 = (t @ _W[1] + _LAMBDA * psi1) ** 2
    psi3 = (t @ _W[2] + _LAMBDA * psi2) ** 2
    psi = np.column_stack([psi1, psi2, psi3])
    return psi / psi.sum(axis=1, keepdims=True)


def make_artificial(
    n_samples: int = 500,
    *,
    noise: float = 0.0,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Generate the 3-feature, 3-label synthetic LDL dataset of Geng (2016).

    Each feature is drawn uniformly from [-1, 1]; the label distribution is a smooth non-linear
    function of the features: ``t = a x + b x^2 + c x^3 + d`` (a=1, b=0.5, c=0.2, d=1) and
    ``psi_1 = (w_1.t)^2``, ``psi_2 = (w_2.t + 0.01 psi_1)^2``, ``psi_3 = (w_3.t + 0.01 psi_2)^2``,
    normalised to sum to 1.

    Parameters
    ----------
    n_samples : int, default=500
    noise : float, default=0.0
        Standard deviation of Gaussian noise added to the returned features (the distributions
        are computed from the clean features), to make the task harder.
    random_state : int, RandomState or None

    Returns
    -------
    X : ndarray of shape (n_samples, 3)
    D : ndarray of shape (n_samples, 3), rows on the simplex.

    Examples
    --------
    >>> X, D = make_artificial(4, random_state=0)
    >>> X.shape, D.shape, bool(abs(D.sum(axis=1) - 1).max() < 1e-12)
    ((4, 3), (4, 3), True)
    """
    n_samples = check_positive_int(n_samples, name="n_samples")
    noise = check_in_range(noise, name="noise", low=0.0)
    rng = check_random_state(random_state)
    x = rng.uniform(-1.0, 1.0, size=(n_samples, 3))
    D = _distributions(x)
    X = x + rng.normal(scale=noise, size=x.shape) if noise > 0 else x
    return X, D

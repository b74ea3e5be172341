"""Feature scaling shared by the classic networks: MATLAB ``mapminmax`` to [-1, 1]."""

from __future__ import annotations

import numpy as np


def fit_minmax(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column offset and scale mapping the training range onto [-1, 1].

    A constant column maps to 0 (MATLAB's toolbox removes such rows of its transposed input).
    """
    low = X.min(axis=0)
    span = X.max(axis=0) - low
    scale = np.where(span > 0, 2.0 / np.where(span > 0, span, 1.0), 0.0)
    return low, scale


def apply_minmax(X: np.ndarray, low: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return (X - low) * scale - (scale > 0)

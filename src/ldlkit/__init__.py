"""ldlkit: label distribution learning and label enhancement.

Methods (UAKNN, DILDL on RDA, AMEMA, ConLE and their papers' baselines), metrics, benchmark
datasets and the papers' evaluation protocols, with a scikit-learn-style API.
"""

from __future__ import annotations

from . import datasets, metrics
from ._version import __version__
from .base import BaseLabelEnhancer, BaseLDL, all_estimators, get_estimator
from .datasets import load_dataset, make_artificial
from .dummy import MeanPredictor

__all__ = [
    "BaseLDL",
    "BaseLabelEnhancer",
    "MeanPredictor",
    "__version__",
    "all_estimators",
    "datasets",
    "get_estimator",
    "load_dataset",
    "make_artificial",
    "metrics",
]

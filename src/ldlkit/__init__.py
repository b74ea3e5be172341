"""ldlkit: label distribution learning and label enhancement.

Methods (UAKNN, DILDL on RDA, AMEMA, ConLE and their papers' baselines), metrics, benchmark
datasets, the evaluation protocols (:mod:`ldlkit.model_selection`), an experiment engine
(:mod:`ldlkit.experiments`) and one folder per paper (:mod:`ldlkit.papers`), with a
scikit-learn-style API.

The names below are imported on first use (PEP 562 ``__getattr__``), not with the package: a
bare ``import ldlkit`` (and so ``ldlkit --help`` / ``ldlkit --version``) does not pay for
numpy, scipy and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__

#: public name -> (module, attribute or None for the module itself)
_LAZY = {
    "datasets": (".datasets", None),
    "metrics": (".metrics", None),
    "model_selection": (".model_selection", None),
    "papers": (".papers", None),
    "BaseLDL": (".base", "BaseLDL"),
    "BaseLabelEnhancer": (".base", "BaseLabelEnhancer"),
    "all_estimators": (".base", "all_estimators"),
    "get_estimator": (".base", "get_estimator"),
    "load_dataset": (".datasets", "load_dataset"),
    "make_artificial": (".datasets", "make_artificial"),
    "MeanPredictor": (".dummy", "MeanPredictor"),
}

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
    "model_selection",
    "papers",
]

if TYPE_CHECKING:  # static tools see ordinary imports
    from . import datasets, metrics, model_selection, papers
    from .base import BaseLabelEnhancer, BaseLDL, all_estimators, get_estimator
    from .datasets import load_dataset, make_artificial
    from .dummy import MeanPredictor


def __getattr__(name: str):
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'ldlkit' has no attribute {name!r}") from None
    module = importlib.import_module(module_name, __name__)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

"""Evaluation protocols as scikit-learn compatible splitters, usable without the runner.

* :class:`RepeatedKFold`: ``n_repeats`` x ``n_splits``-fold cross-validation, seeded; named
  presets of the paper folders with :func:`get_protocol`.
* :class:`ImbalancedSplit`: the imbalanced LDL protocol (shuffled k-fold whose training folds
  keep only the rows of a subset rule; the test folds are untouched).
* :class:`EnhancementProtocol` and :func:`evaluate_enhancement`: label enhancement (binarize the
  ground truth, recover it, compare).
* :func:`make_protocol`: a splitter by kind (``"kfold"``, ``"ildl"``, ``"le"``), as
  ``ldlkit run --protocol`` builds it.

Each splitter's ``split(X, D)`` yields ``(train, test)`` index arrays, so it drops into
:func:`sklearn.model_selection.cross_validate` and the other scikit-learn tools.
"""

from __future__ import annotations

#: No estimator is defined here (the splitters): ldlkit.base.all_estimators() does not import it.
__ldlkit_no_estimators__ = True

from ._enhancement import EnhancementProtocol, evaluate_enhancement
from ._imbalanced import (
    ImbalancedSplit,
    builtin_parameters,
    imbalanced_parameters,
    imbalanced_subset,
)
from ._kfold import RepeatedKFold, describe_splitter, get_protocol
from ._protocols import PROTOCOLS, default_folds, describe_protocol, make_protocol

__all__ = [
    "PROTOCOLS",
    "EnhancementProtocol",
    "ImbalancedSplit",
    "RepeatedKFold",
    "builtin_parameters",
    "default_folds",
    "describe_protocol",
    "describe_splitter",
    "evaluate_enhancement",
    "get_protocol",
    "imbalanced_parameters",
    "imbalanced_subset",
    "make_protocol",
]

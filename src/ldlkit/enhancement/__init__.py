"""Label enhancement: recover label distributions from 0/1 logical labels.

Every enhancer follows :class:`ldlkit.base.BaseLabelEnhancer`: ``fit_transform(X, logical)``
returns one distribution per given row (label enhancement is transductive) and ``fit`` stores it
as ``label_distribution_``. Enhancers that can map new rows without their logical labels (FCM,
GLLE) also have ``transform(X_new)``.
"""

from __future__ import annotations

from ._binarize import binarize
from ._conle import ConLE
from ._fcm import FCM
from ._glle import GLLE
from ._km import KM
from ._levi import LEVI, LEVI_SETTINGS
from ._lible import LIBLE
from ._lp import LP
from ._ml import ML
from ._pipeline import EnhancedLDL
from ._scoring import logical_scorer, make_logical_scorers
from ._trivial import NormalizedLogical, SoftmaxLogical, UniformDistribution

__all__ = [
    "FCM",
    "GLLE",
    "KM",
    "LEVI",
    "LEVI_SETTINGS",
    "LIBLE",
    "LP",
    "ML",
    "ConLE",
    "EnhancedLDL",
    "NormalizedLogical",
    "SoftmaxLogical",
    "UniformDistribution",
    "binarize",
    "logical_scorer",
    "make_logical_scorers",
]

"""The kNN family: AA-kNN, UAKNN, WUAKNN, a tuned UAKNN, an ensemble and the gene-style metric.

All share one similarity-search core (exact numpy or torch backends, approximate faiss indexes)
and learn incrementally: ``partial_fit`` appends rows and :meth:`~UAKNN.remove` drops them; with
the exact backends the predictions equal those of ``fit`` on the resulting training set.
"""

from __future__ import annotations

from ..metrics import label_normalized_metric  # also public here: the gene-style scheme
from ._aaknn import AAKNN
from ._common import clipped_gaussian_mean, softmax_base
from ._ensemble import LDLEnsemble
from ._search import SearchIndex
from ._tuned import TunedUAKNN
from ._uaknn import UAKNN, WUAKNN

__all__ = [
    "AAKNN",
    "LDLEnsemble",
    "SearchIndex",
    "TunedUAKNN",
    "UAKNN",
    "WUAKNN",
    "clipped_gaussian_mean",
    "label_normalized_metric",
    "softmax_base",
]

"""Ensembles of scikit-learn learners for label distribution learning.

* :class:`LDLogitBoost` — logistic boosting of regression trees (Xing, Geng & Xue 2016).
* :class:`AdaBoostLDL` — an LDL learner boosted by resampling the rows it ranks labels worst on
  (the reference package's scheme).
* :class:`StructRF` — a random forest whose splits cluster the label distributions (Chen et al.
  2018).

``docs/ensemble.md`` describes each method, its hyperparameters and where the sources leave a
choice open.
"""

from __future__ import annotations

from ._adaboost import AdaBoostLDL, ranking_loss_rows
from ._logitboost import LDLogitBoost
from ._structrf import StructRF

__all__ = ["AdaBoostLDL", "LDLogitBoost", "StructRF", "ranking_loss_rows"]

"""Meta-estimators that wrap any ldlkit LDL estimator.

* :class:`PriorCorrectedLDL` — re-weights a fitted model's predictions by the ratio of a target
  label prior to the training label prior (logit adjustment / prior-shift correction carried to
  label distributions).
"""

from ._prior import PriorCorrectedLDL

__all__ = ["PriorCorrectedLDL"]

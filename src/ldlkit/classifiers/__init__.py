"""LDL classifiers: label distribution learners trained so that their dominant label is a good
classifier (linear softmax models, numpy/scipy).

* :class:`LDL4C` — absolute loss, entropy-weighted rows and a top-two margin (Wang & Geng
  2019).
* :class:`LDLHR` — LDL-HR: the highest label as a one-hot target with a margin, the rest of
  the distribution fitted beside it (Wang & Geng 2021).
* :class:`LDLM` — the label distribution learning machine: insensitive and adaptive margins
  (Wang & Geng 2021).

Each predicts label distributions like every LDL learner; ``predict_label`` gives the dominant
label, and :func:`ldlkit.metrics.error_probability` and :func:`ldlkit.metrics.top1_accuracy`
score the classification. ``docs/classifiers.md`` describes the methods.
"""

from __future__ import annotations

from ._ldl4c import LDL4C
from ._ldl_hr import LDLHR
from ._ldlm import LDLM

__all__ = ["LDL4C", "LDLHR", "LDLM"]

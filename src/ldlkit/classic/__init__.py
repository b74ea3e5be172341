"""The classic LDL algorithms of Geng's LDL toolbox and their early variants (numpy/scipy/
scikit-learn).

* :class:`PTBayes`, :class:`PTSVM` — problem transformation to weighted single-label learning
  (Geng 2016).
* :class:`AABP` — algorithm adaptation of a backpropagation network (Geng 2016).
* :class:`CPNN`, :class:`BCPNN`, :class:`ACPNN` — conditional probability neural networks (Geng
  et al. 2013; Yang et al. 2017).
* :class:`LDSVR` — support vector regression through a sigmoid link (Geng & Hou 2015).
* :class:`LDLLC` — the maximum-entropy model with a label-correlation penalty (Jia et al. 2018).

``docs/classic.md`` describes each method, its hyperparameters and where the papers leave a
choice open.
"""

from __future__ import annotations

from ._ldllc import LDLLC
from ._ldsvr import LDSVR
from ._networks import AABP, ACPNN, BCPNN, CPNN
from ._problem_transformation import PTSVM, PTBayes

__all__ = ["AABP", "ACPNN", "BCPNN", "CPNN", "LDLLC", "LDSVR", "PTBayes", "PTSVM"]

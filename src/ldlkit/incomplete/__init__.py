"""Incomplete label distribution learning: training rows with missing degrees.

* :class:`IncomLDL` — trace-norm regularised least squares on the known degrees (Xu & Zhou
  2017).
* :class:`WInLDL` — weighted squared error on the simplex, no regulariser (Li & Chen 2023).

Every learner here takes ``fit(X, D, observed=mask)``; ``fit(X, D)`` is ordinary LDL.
:func:`ldlkit.simulation.random_missing` hides degrees of complete data, and
:class:`ldlkit.simulation.CorruptedTraining` runs a learner on incomplete training folds inside
any protocol. ``docs/classic.md`` describes the methods.
"""

from __future__ import annotations

from ._base import BaseIncompleteLDL
from ._incomldl import IncomLDL
from ._winldl import WInLDL

__all__ = ["BaseIncompleteLDL", "IncomLDL", "WInLDL"]

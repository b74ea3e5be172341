"""Linear and optimisation-based LDL baselines (numpy/scipy).

The classic methods that LDL papers compare against:

* :class:`SABFGS` — SA-BFGS / BFGS-LLD (Geng 2016): maximum-entropy model, KL loss,
  trust-region Newton-CG (or L-BFGS) with early stopping on held-out rows.
* :class:`SAIIS` — SA-IIS / IIS-LLD (Geng et al. 2013): the same model fitted by Improved
  Iterative Scaling.
* :class:`LDLSF` — label-specific and common features (Ren et al. 2019a), ADMM.
* :class:`LDLLCLR` — label correlations via low-rank approximation (Ren et al. 2019b), ADMM.
* :class:`LDLLRR` — label ranking relation (Jia et al. 2021), as SA-BFGS is solved.
* :class:`LALOT` — optimal-transport loss with a learned ground metric, alternating solver.
* :class:`EDLLRL` — local low-rank label correlations, ADMM.
* :class:`LDLSCL` — local sample correlations, trained with Adam ("Adam-LDL-SCL").
* :class:`LDLLDM` — label distribution manifold, L-BFGS.

``docs/linear.md`` describes each method, its hyperparameters and the
feature scaling to use (a :class:`sklearn.pipeline.Pipeline` with a scaler).
"""

from __future__ import annotations

from ._edl_lrl import EDLLRL
from ._lalot import LALOT
from ._lclr import LDLLCLR
from ._ldlsf import LDLSF
from ._ldm import LDLLDM
from ._lrr import LDLLRR
from ._sa import SABFGS, SAIIS
from ._scl import LDLSCL

__all__ = [
    "EDLLRL",
    "LALOT",
    "LDLLCLR",
    "LDLLDM",
    "LDLLRR",
    "LDLSCL",
    "LDLSF",
    "SABFGS",
    "SAIIS",
]

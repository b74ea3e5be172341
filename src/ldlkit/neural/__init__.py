"""Neural label distribution learners for imbalanced LDL (the torch extra).

* :class:`MLPLDL` — features -> softmax with a composable prediction loss (``loss``): the
  neural baseline. :class:`OFRFocal`, :class:`OFRClassBalanced`,
  :class:`OFRDistributionBalanced` are presets of it with the OFR losses.
* The losses: :class:`KLLoss`, :class:`FocalLoss`, :class:`ClassBalancedLoss`,
  :class:`DistributionBalancedLoss` (objects with their own parameters, or names).
* :class:`RDA` — representation distribution alignment (Zhao et al., AAAI 2023), on the
  distribution-balanced loss as its code and appendix.
* :class:`DILDL` — decoupled imbalanced LDL (Gao et al., IJCAI 2025), built on RDA.
* :class:`AMEMA` — adaptive momentum and EMA weighting (Gao et al., AAAI 2026), on DILDL.

Importing this package does not import torch; ``fit`` does (and raises an ImportError naming the
``ldlkit[torch]`` extra when it is missing). ``docs/neural.md`` describes every reading of the
papers chosen here and the parameter that selects the alternative.
"""

from ._criteria import (
    ClassBalancedLoss,
    DistributionBalancedLoss,
    FocalLoss,
    KLLoss,
    LDLLoss,
)
from ._estimators import (
    AMEMA,
    DILDL,
    MLPLDL,
    RDA,
    OFRClassBalanced,
    OFRDistributionBalanced,
    OFRFocal,
)

__all__ = [
    "AMEMA",
    "ClassBalancedLoss",
    "DistributionBalancedLoss",
    "FocalLoss",
    "KLLoss",
    "LDLLoss",
    "DILDL",
    "MLPLDL",
    "OFRClassBalanced",
    "OFRDistributionBalanced",
    "OFRFocal",
    "RDA",
]

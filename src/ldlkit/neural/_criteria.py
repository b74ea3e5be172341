"""Prediction losses of the neural family as small objects (the way skorch takes a criterion).

An estimator of :mod:`ldlkit.neural` takes its prediction loss as one parameter, ``loss``: a
name (``"kl"``, ``"focal"``, ``"class_balanced"``, ``"distribution_balanced"``) or one of the
objects below, whose parameters are the loss's own. In ``fit`` the loss is *bound* to the
training rows (:meth:`LDLLoss.bind`): the losses that rebalance labels read each label's summed
degree there (after the validation rows are held out). The bound loss is kept as the fitted
attribute ``prediction_loss_``; it holds numpy arrays only, so it pickles with the estimator.

Every loss is a reshaped element-wise KL divergence ``sum_j omega_j d_j log(d_j / p'_j)``
(:func:`ldlkit.neural._losses.reshape_logits`); a bound loss returns that value
(:meth:`BoundLoss.__call__`), its decoupled parts (:meth:`BoundLoss.decoupled`, DILDL's DLD on
this base) and the reshaped logits and weights themselves (:meth:`BoundLoss.reshape`).
Nothing here imports torch at module level.
"""

from __future__ import annotations

from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints

__all__ = [
    "LOSSES",
    "BoundLoss",
    "ClassBalancedLoss",
    "DistributionBalancedLoss",
    "FocalLoss",
    "KLLoss",
    "LDLLoss",
    "resolve_loss",
]

_REDUCTION = [StrOptions({"rows", "elements"})]
_NONNEGATIVE = [Interval(Real, 0, None, closed="left")]


class LDLLoss(BaseEstimator):
    """Base of the prediction losses: parameters, validation and binding to training rows.

    ``reduction="rows"`` averages the per-row sums over the rows (the KL divergence of a batch);
    ``"elements"`` averages over all ``n x L`` elements (``"rows"`` divided by ``L``), as the
    distribution-balanced loss code of RDA and the OFR baselines does.
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {"reduction": _REDUCTION}

    def bind(self, D: np.ndarray) -> BoundLoss:
        """The loss for training rows ``D`` (n, L): label masses and logit bias computed here."""
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        D = np.asarray(D, dtype=np.float64)
        mass = D.sum(axis=0)
        return BoundLoss(self, np.where(mass > 0, mass, 1.0), int(D.shape[0]), D.shape[1])

    # what a loss reshapes (overridden below); tensors in, tensors out
    def _weight_terms(self, D, bound: BoundLoss) -> dict:
        """The target-only parts of the weights, row by row (computed once per fit)."""
        return {}

    def _weights(self, D, bound: BoundLoss, terms: dict):
        """The element or row weights of a batch from its :meth:`_weight_terms`, or None."""
        return None

    def _logit_bias(self, bound: BoundLoss) -> np.ndarray | None:
        return None

    _focal_gamma = 0.0
    _negative_scale = 1.0


class KLLoss(LDLLoss):
    """The plain KL divergence ``KL(D || softmax(logits))``.

    Parameters
    ----------
    reduction : {"rows", "elements"}, default="rows"

    Examples
    --------
    >>> from ldlkit.neural import KLLoss, MLPLDL
    >>> MLPLDL(loss=KLLoss()).loss
    KLLoss()
    """

    def __init__(self, *, reduction: str = "rows"):
        self.reduction = reduction


class FocalLoss(LDLLoss):
    """OFR-FL: the element-wise KL with the focal factor ``(1 - p_j)^gamma``.

    Parameters
    ----------
    gamma : float, default=2
    reduction : {"rows", "elements"}, default="elements"

    Examples
    --------
    >>> from ldlkit.neural import FocalLoss
    >>> FocalLoss(gamma=1.0)
    FocalLoss(gamma=1.0)
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **LDLLoss._parameter_constraints,
        "gamma": _NONNEGATIVE,
    }

    def __init__(self, *, gamma: float = 2.0, reduction: str = "elements"):
        self.gamma = gamma
        self.reduction = reduction

    @property
    def _focal_gamma(self) -> float:  # type: ignore[override]
        return float(self.gamma)


class ClassBalancedLoss(FocalLoss):
    """OFR-CB: the focal KL with class-balanced row weights.

    Label ``j`` weighs ``(1 - beta) / (1 - beta ** m_j)``, ``m_j`` its summed degree over the
    training rows; a row weighs the degree-weighted mean of its labels' weights (the
    ``average_w`` mode of the distribution-balanced loss code).

    Parameters
    ----------
    beta : float, default=0.9
    gamma : float, default=2
    reduction : {"rows", "elements"}, default="elements"

    Examples
    --------
    >>> from ldlkit.neural import ClassBalancedLoss
    >>> ClassBalancedLoss().beta
    0.9
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **FocalLoss._parameter_constraints,
        "beta": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, *, beta: float = 0.9, gamma: float = 2.0, reduction: str = "elements"):
        self.beta = beta
        self.gamma = gamma
        self.reduction = reduction

    def _weight_terms(self, D, bound):
        from ._losses import class_balanced_weights

        return {
            "row_weight": class_balanced_weights(D, bound.tensor(bound.label_mass, D), self.beta)
        }

    def _weights(self, D, bound, terms):
        return terms["row_weight"]


class DistributionBalancedLoss(FocalLoss):
    """The distribution-balanced focal loss: OFR-DB, and RDA's prediction loss.

    Element weights ``sigmoid(map_scale (pos_w_j - map_shift)) + map_floor`` with
    ``pos_w_j = (1/m_j) / sum_i d_i / m_i`` (``m_j`` label ``j``'s summed degree over the
    training rows); logits shifted by ``-init_bias * log(N / m_j - 1)`` (``N`` training rows;
    the log's argument is clamped at 1e-6 when one label carries all the mass) and scaled by
    ``1 + (negative_scale - 1)(1 - d_j)``; focal factor ``(1 - p_j)^gamma`` on the reshaped
    logits. The bias belongs to the loss only: predictions are the softmax of the network's
    logits. The defaults are those of RDA's code and appendix (A.3.3).

    Parameters
    ----------
    gamma : float, default=2
    map_floor, map_scale, map_shift : float, default=0.1, 10, 0.9
    init_bias : float, default=0.05
    negative_scale : float, default=2
    reduction : {"rows", "elements"}, default="elements"

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.neural import DistributionBalancedLoss
    >>> bound = DistributionBalancedLoss().bind(np.array([[0.7, 0.3], [0.6, 0.4]]))
    >>> bound.label_mass
    array([1.3, 0.7])
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        **FocalLoss._parameter_constraints,
        "map_floor": _NONNEGATIVE,
        "map_scale": _NONNEGATIVE,
        "map_shift": [Interval(Real, None, None, closed="neither")],
        "init_bias": _NONNEGATIVE,
        "negative_scale": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        gamma: float = 2.0,
        map_floor: float = 0.1,
        map_scale: float = 10.0,
        map_shift: float = 0.9,
        init_bias: float = 0.05,
        negative_scale: float = 2.0,
        reduction: str = "elements",
    ):
        self.gamma = gamma
        self.map_floor = map_floor
        self.map_scale = map_scale
        self.map_shift = map_shift
        self.init_bias = init_bias
        self.negative_scale = negative_scale
        self.reduction = reduction

    @property
    def _negative_scale(self) -> float:  # type: ignore[override]
        return float(self.negative_scale)

    def _weight_terms(self, D, bound):
        from ._losses import rebalance_logits

        mass = bound.tensor(bound.label_mass, D)
        return {
            "weight_logit": rebalance_logits(D, mass, scale=self.map_scale, shift=self.map_shift)
        }

    def _weights(self, D, bound, terms):
        # rebalance_weights, with the sigmoid applied to each batch (see rebalance_logits)
        import torch

        return torch.sigmoid(terms["weight_logit"]) + self.map_floor

    def _logit_bias(self, bound):
        odds = np.maximum(bound.n_rows / bound.label_mass - 1.0, 1e-6)
        return -self.init_bias * np.log(odds)


#: The loss names an estimator's ``loss`` parameter accepts.
LOSSES: dict[str, type[LDLLoss]] = {
    "kl": KLLoss,
    "focal": FocalLoss,
    "class_balanced": ClassBalancedLoss,
    "distribution_balanced": DistributionBalancedLoss,
}

#: Constraint of a ``loss`` parameter: a name or a loss object.
LOSS_CONSTRAINT = [StrOptions(set(LOSSES)), LDLLoss]


def resolve_loss(loss) -> LDLLoss:
    """The loss object a ``loss`` parameter names (a fresh default object for a name)."""
    if isinstance(loss, LDLLoss):
        return loss
    if isinstance(loss, str) and loss in LOSSES:
        return LOSSES[loss]()
    raise ValueError(
        f"loss must be one of {sorted(LOSSES)} or an ldlkit.neural loss object, got {loss!r}."
    )


class BoundLoss:
    """A loss bound to training rows: ``label_mass`` (zeros counted as 1), ``n_rows``,
    ``logit_bias`` (or None). Calls take tensors ``D`` and ``logits`` of one batch."""

    def __init__(self, criterion: LDLLoss, label_mass: np.ndarray, n_rows: int, n_labels: int):
        self.criterion = criterion
        self.label_mass = label_mass
        self.n_rows = n_rows
        self.n_labels = n_labels
        self.logit_bias = criterion._logit_bias(self)

    def __repr__(self) -> str:
        return f"BoundLoss({self.criterion!r}, n_rows={self.n_rows})"

    @staticmethod
    def tensor(array: np.ndarray, like):
        import torch

        return torch.as_tensor(array, dtype=like.dtype, device=like.device)

    @property
    def _scale(self) -> float:
        return 1.0 / self.n_labels if self.criterion.reduction == "elements" else 1.0

    def row_terms(self, D) -> dict:
        """The terms of this loss that depend on the targets only, one row per row of ``D``
        (:func:`ldlkit.neural._losses.reshape_row_terms`): computed once for the training rows,
        a batch's rows of them give the same loss as computing them from the batch."""
        from ._losses import reshape_row_terms

        criterion = self.criterion
        bias = None if self.logit_bias is None else self.tensor(self.logit_bias, D)
        terms = reshape_row_terms(D, logit_bias=bias, negative_scale=criterion._negative_scale)
        terms.update(criterion._weight_terms(D, self))
        return terms

    def reshape(self, D, logits, terms: dict | None = None):
        """``(logits', omega)``: the reshaped logits and element weights (omega may be None).
        ``terms``: :meth:`row_terms` of these rows (computed here when None)."""
        from ._losses import reshape_logits

        if terms is None:
            terms = self.row_terms(D)
        criterion = self.criterion
        return reshape_logits(
            D,
            logits,
            focal_gamma=criterion._focal_gamma,
            weight=criterion._weights(D, self, terms),
            terms=terms,
        )

    def __call__(self, D, logits, terms: dict | None = None):
        """The loss of a batch (a scalar tensor)."""
        import torch.nn.functional as F

        if terms is None:
            terms = self.row_terms(D)
        logits, omega = self.reshape(D, logits, terms)
        element = terms["D_log_D"] - D * F.log_softmax(logits, dim=1)
        if omega is not None:
            element = element * omega
        loss = element.sum(dim=1).mean()
        return loss * self._scale if self._scale != 1.0 else loss

    def decoupled(
        self,
        D,
        logits,
        *,
        dominant_target: str,
        nondominant_target: str,
        terms: dict | None = None,
        targets: dict | None = None,
    ):
        """DILDL's two parts (dominant, non-dominant) on this loss's reshaped logits and weights
        (:func:`ldlkit.neural._losses.decoupled_kl`); with :class:`KLLoss` the paper's parts.
        ``terms``, ``targets``: :meth:`row_terms` and
        :func:`~ldlkit.neural._losses.decoupled_row_terms` of these rows, or None."""
        from ._losses import decoupled_kl

        logits, omega = self.reshape(D, logits, terms)
        dominant, nondominant = decoupled_kl(
            D,
            logits,
            dominant_target=dominant_target,
            nondominant_target=nondominant_target,
            element_weight=omega,
            targets=targets,
        )
        if self._scale != 1.0:
            dominant, nondominant = dominant * self._scale, nondominant * self._scale
        return dominant, nondominant

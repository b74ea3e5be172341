"""The imbalanced-LDL neural estimators: MLPLDL (with the OFR losses as presets), RDA, DILDL and
AMEMA.

One estimator per idea: the network and its training are the estimator, the prediction loss is
its ``loss`` parameter (``ldlkit.neural._criteria``). OFR-FL/CB/DB are :class:`MLPLDL` with
another default loss. The parameters every class shares are declared once
(``_base.SHARED_PARAMETERS``); each class states only its own. torch is imported inside the
methods only, so importing this module (and ``ldlkit.neural``) does not import torch.
"""

from __future__ import annotations

from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import COMMON_CONSTRAINTS as _COMMON_CONSTRAINTS
from ._base import SHARED_PARAMETERS_DOC, _NeuralLDL
from ._criteria import LOSS_CONSTRAINT, resolve_loss

_FRACTION = [Interval(Real, 0, 1, closed="both")]
_NONNEGATIVE = [Interval(Real, 0, None, closed="left")]
_POSITIVE = [Interval(Real, 0, None, closed="neither")]
_MOMENTUM = [Interval(Real, 0, 1, closed="left")]


def _shared_doc(cls):
    """Append the shared parameters' documentation where the docstring says ``**shared**``."""
    cls.__doc__ = cls.__doc__.replace("    **shared**\n", SHARED_PARAMETERS_DOC)
    return cls


class _PredictionLossMixin:
    """Binds the ``loss`` parameter to the training rows in fit (``prediction_loss_``)."""

    def _setup_training(self, X, D) -> None:
        self.prediction_loss_ = resolve_loss(self.loss).bind(D)

    def _row_terms(self, D) -> dict[str, dict]:
        return {"loss": self.prediction_loss_.row_terms(D)}

    @property
    def label_mass_(self) -> np.ndarray:
        """Each label's summed degree over the rows trained on (zeros counted as 1)."""
        return self.prediction_loss_.label_mass


@_shared_doc
class MLPLDL(_PredictionLossMixin, _NeuralLDL):
    """Multilayer perceptron with a composable prediction loss: the neural baseline.

    The network is RDA's prediction path on its own — ``Linear(d, hidden) -> ReLU ->
    Linear(hidden, L) -> softmax`` — trained like RDA (AdamW with AMSGrad, Kaiming-normal
    initialisation, RDA's gradient clipping, the epoch with the lowest KL on held-out training
    rows), so that it differs from RDA only by RDA's alignment terms, and the OFR losses differ
    from it only by their loss.

    Parameters
    ----------
    loss : str or LDLLoss, default="kl"
        The prediction loss: ``"kl"``, ``"focal"`` (OFR-FL), ``"class_balanced"`` (OFR-CB),
        ``"distribution_balanced"`` (OFR-DB), or a loss object with its own parameters
        (:class:`~ldlkit.neural.KLLoss`, :class:`~ldlkit.neural.FocalLoss`,
        :class:`~ldlkit.neural.ClassBalancedLoss`,
        :class:`~ldlkit.neural.DistributionBalancedLoss`).
    **shared**

    Attributes
    ----------
    module_ : torch.nn.Module
    optimizer_ : torch.optim.Optimizer
    prediction_loss_ : BoundLoss
        The loss bound to the rows trained on (label masses, logit bias).
    history_ : ldlkit._torch.TrainingHistory
        One dict per epoch (``train_loss``, ``val_score`` = validation KL, ``seconds``), the
        best epoch and the number of optimiser steps.
    best_epoch_ : int or None
        The restored epoch, 1-based (None without validation rows).
    n_train_, n_validation_ : int
        Rows trained on and held out.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neural import FocalLoss, MLPLDL
    >>> X, D = make_artificial(60, random_state=0)
    >>> model = MLPLDL(loss=FocalLoss(gamma=1.0), max_epochs=5, random_state=0).fit(X, D)
    >>> model.predict(X[:2]).shape
    (2, 3)
    """

    _parameters: ClassVar[dict[str, object]] = {"loss": "kl"}
    _parameter_constraints: ClassVar[dict[str, list]] = {
        **_COMMON_CONSTRAINTS,
        "loss": LOSS_CONSTRAINT,
    }

    def _build_network(self, n_features: int, n_labels: int):
        from ._modules import MLPNet

        return MLPNet(n_features, n_labels, self.hidden_size)

    def get_loss(self, module, batch, state):
        X, D, terms = self._split_batch(batch)
        return self.prediction_loss_(D, module(X), terms.get("loss"))


class OFRFocal(MLPLDL):
    """OFR-FL: :class:`MLPLDL` with ``loss="focal"`` (a preset; same parameters).

    ``sum_j (1 - p_j)^gamma d_j log(d_j / p_j)`` with ``gamma = 2``, averaged over elements;
    pass ``loss=FocalLoss(gamma=...)`` to change it.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neural import OFRFocal
    >>> X, D = make_artificial(60, random_state=0)
    >>> OFRFocal(max_epochs=5, random_state=0).fit(X, D).predict(X[:1]).shape
    (1, 3)
    """

    _defaults: ClassVar[dict[str, object]] = {"loss": "focal"}


class OFRClassBalanced(MLPLDL):
    """OFR-CB: :class:`MLPLDL` with ``loss="class_balanced"`` (a preset; same parameters).

    The focal KL of OFR-FL with class-balanced row weights, ``beta = 0.9``
    (:class:`~ldlkit.neural.ClassBalancedLoss`).

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neural import OFRClassBalanced
    >>> X, D = make_artificial(60, random_state=0)
    >>> OFRClassBalanced(max_epochs=5, random_state=0).fit(X, D).predict(X[:1]).shape
    (1, 3)
    """

    _defaults: ClassVar[dict[str, object]] = {"loss": "class_balanced"}


class OFRDistributionBalanced(MLPLDL):
    """OFR-DB: :class:`MLPLDL` with ``loss="distribution_balanced"`` (a preset).

    The distribution-balanced focal loss (:class:`~ldlkit.neural.DistributionBalancedLoss`),
    the same loss RDA trains its prediction with.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neural import OFRDistributionBalanced
    >>> X, D = make_artificial(60, random_state=0)
    >>> OFRDistributionBalanced(max_epochs=5, random_state=0).fit(X, D).predict(X[:1]).shape
    (1, 3)
    """

    _defaults: ClassVar[dict[str, object]] = {"loss": "distribution_balanced"}


@_shared_doc
class RDA(_PredictionLossMixin, _NeuralLDL):
    """Representation distribution alignment (Zhao et al., AAAI 2023): the ILDL base method.

    A feature encoder ``Linear(d, h)`` and a label encoder ``Linear(L, h)``, each with Gaussian
    mean / log-variance heads ``Linear(h, h)``, share one decoder ``Linear(h, L)``. The prediction
    is ``softmax(decoder(ReLU(feature_encoder(x))))``. Loss, as the authors' code computes it::

        V(D, logits) + reconstruction_weight * CE(D, decoder(z_y))       soft-target CE
                     + alignment_weight * KL(N_x || N_y)                 label side detached
                     + similarity_weight * MSE(cos-sim(z_x), cos-sim(z_y))

    divided by its own value (``unit_loss``), with ``z_x``, ``z_y`` drawn by the
    reparameterisation trick and ``V`` the distribution-balanced focal loss (RDA's appendix
    A.3.3; label frequencies from the rows trained on, after the validation rows are held out).
    AdamW (AMSGrad), lr 1e-3, weight decay 1e-4 on weights and 0.01 on biases, Kaiming-normal
    init, batch 50, 300 epochs, RDA's adaptive gradient clipping, 20 training rows held out,
    best epoch by strict improvement of their KL, min-max scaled features (``docs/neural.md``).

    Parameters
    ----------
    loss : str or LDLLoss, default="distribution_balanced"
        The prediction loss ``V``; ``"kl"`` is the plain KL divergence (the alternative reading:
        RDA's paper body writes a KL term).
    alignment_weight, reconstruction_weight, similarity_weight : float, default=0.1
    unit_loss : bool, default=True
        Divide the total loss by its value before back-propagating (``loss / loss.item()`` in
        the authors' code): only the gradient's direction is kept.
    **shared**

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neural import RDA
    >>> X, D = make_artificial(60, random_state=0)
    >>> RDA(max_epochs=5, random_state=0).fit(X, D).predict(X[:1]).shape
    (1, 3)
    """

    _parameters: ClassVar[dict[str, object]] = {
        "loss": "distribution_balanced",
        "alignment_weight": 0.1,
        "reconstruction_weight": 0.1,
        "similarity_weight": 0.1,
        "unit_loss": True,
    }
    _parameter_constraints: ClassVar[dict[str, list]] = {
        **_COMMON_CONSTRAINTS,
        "loss": LOSS_CONSTRAINT,
        "alignment_weight": _NONNEGATIVE,
        "reconstruction_weight": _NONNEGATIVE,
        "similarity_weight": _NONNEGATIVE,
        "unit_loss": ["boolean"],
    }

    _decoupled_network = False

    def _build_network(self, n_features: int, n_labels: int):
        from ._modules import AlignmentNet

        return AlignmentNet(
            n_features, n_labels, self.hidden_size, decoupled=self._decoupled_network
        )

    def get_loss(self, module, batch, state):
        import torch

        from ._losses import similarity_alignment, soft_cross_entropy

        X, D, terms = self._split_batch(batch)
        h, mu_x, logvar_x = module.features(X)
        _, mu_y, logvar_y = module.labels(D)
        z_x = mu_x + torch.exp(0.5 * logvar_x) * torch.randn_like(mu_x)
        z_y = mu_y + torch.exp(0.5 * logvar_y) * torch.randn_like(mu_y)
        logits = module.decoder(torch.relu(h))
        prediction = self._prediction_term(D, logits, state, terms)
        alignment = self._alignment_term(module, D, (mu_x, logvar_x), (mu_y, logvar_y), terms)
        return (
            prediction
            + self.reconstruction_weight * soft_cross_entropy(D, module.decoder(z_y))
            + self.alignment_weight * alignment
            + self.similarity_weight * similarity_alignment(z_x, z_y)
        )

    def _prediction_term(self, D, logits, state, terms):
        return self.prediction_loss_(D, logits, terms.get("loss"))

    def _alignment_term(self, module, D, feature, label, terms):
        from ._losses import gaussian_kl

        (mu_x, lv_x), (mu_y, lv_y) = feature, label
        return gaussian_kl(mu_x, lv_x, mu_y.detach(), lv_y.detach())


@_shared_doc
class DILDL(RDA):
    """Decoupled imbalanced label distribution learning (Gao et al., IJCAI 2025), on RDA.

    RDA with (1) the decoupled label-distribution loss (DLD), ``alpha * L_DDL + (1 - alpha) *
    L_NDDL`` in place of RDA's prediction loss, computed on that loss's reshaped logits and
    element weights (so on RDA's distribution-balanced loss by default, on the paper's plain KL
    with ``loss="kl"``), and (2) the decoupled representation alignment (DRDA): dominant and
    non-dominant label branches, each a Gaussian encoder, aligned with the feature latent by
    ``KL(N_x || N_branch)`` weighted ``lambda * (alpha, 1 - alpha)`` (Eq. 17); the whole-label
    branch keeps the similarity (``beta``) and reconstruction (``gamma``) terms. With both parts
    switched off it is :class:`RDA` exactly (same initialisation, same draws).

    Parameters
    ----------
    alpha : float, default=0.6
        Weight of the dominant part (Eq. 17).
    decoupled_loss : bool, default=True
        DLD on; off: RDA's prediction loss (DILDL Table 3 ablation).
    decoupled_alignment : bool, default=True
        DRDA on; off: RDA's single ``KL(N_x || N_y)`` alignment.
    dominant_target : {"binary", "one_hot"}, default="binary"
        ``"binary"`` (the reading the paper's gradient derivation follows): ``KL((d_k, 1 - d_k)
        || (p_k, 1 - p_k))``, so that with the plain KL ``L_DDL + (1 - d_k) L_NDDL`` is the KL
        divergence. ``"one_hot"``: Eq. 2 as printed, ``-log p_k``. The dominant branch of DRDA
        encodes ``d_k e_k`` (binary) or ``e_k`` (one-hot).
    nondominant_target : {"normalized", "softmax"}, default="normalized"
        ``d_j / (1 - d_k)`` (the identity; AMEMA Eq. 3) or the ``softmax`` of the degrees
        (DILDL Eq. 3 as printed).
    loss : str or LDLLoss, default="distribution_balanced"
        RDA's prediction loss, on which DLD is built; ``"kl"``: the plain-KL base.
    alignment_weight, similarity_weight, reconstruction_weight : float, default=0.1
        ``lambda``, ``beta``, ``gamma``.
    unit_loss : bool, default=True
        As :class:`RDA`.
    **shared**

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neural import DILDL
    >>> X, D = make_artificial(60, random_state=0)
    >>> DILDL(max_epochs=5, random_state=0).fit(X, D).predict(X[:1]).shape
    (1, 3)
    """

    _parameters: ClassVar[dict[str, object]] = {
        "alpha": 0.6,
        "decoupled_loss": True,
        "decoupled_alignment": True,
        "dominant_target": "binary",
        "nondominant_target": "normalized",
        **RDA._parameters,
    }
    _parameter_constraints: ClassVar[dict[str, list]] = {
        **RDA._parameter_constraints,
        "alpha": _FRACTION,
        "decoupled_loss": ["boolean"],
        "decoupled_alignment": ["boolean"],
        "dominant_target": [StrOptions({"binary", "one_hot"})],
        "nondominant_target": [StrOptions({"normalized", "softmax"})],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_variants = [
            {"decoupled_loss": False, "decoupled_alignment": False},
            {"dominant_target": "one_hot", "nondominant_target": "softmax", "loss": "kl"},
        ]
        return tags

    @property
    def _decoupled_network(self) -> bool:  # type: ignore[override]
        return bool(self.decoupled_alignment)

    def _row_terms(self, D) -> dict[str, dict]:
        groups = super()._row_terms(D)
        if self.decoupled_loss or self.decoupled_alignment:
            from ._losses import decoupled_row_terms

            targets = decoupled_row_terms(
                D,
                nondominant_target=self.nondominant_target,
                dominant_target=self.dominant_target,
            )
            if self.decoupled_alignment:
                targets["dominant_input"] = self._dominant_input(D, targets)
            groups["decoupled"] = targets
        return groups

    def _dominant_input(self, D, targets):
        """What DRDA's dominant branch encodes: ``d_k e_k`` (binary) or ``e_k`` (one-hot)."""
        dominant_input = targets["mask"].to(D.dtype)
        if self.dominant_target == "binary":
            dominant_input = dominant_input * targets["d_k"][:, None]
        return dominant_input

    def _prediction_term(self, D, logits, state, terms):
        if not self.decoupled_loss:
            return super()._prediction_term(D, logits, state, terms)
        dominant, nondominant = self.prediction_loss_.decoupled(
            D,
            logits,
            dominant_target=self.dominant_target,
            nondominant_target=self.nondominant_target,
            terms=terms.get("loss"),
            targets=terms.get("decoupled"),
        )
        return self._combine_parts(dominant, nondominant, state)

    def _combine_parts(self, dominant, nondominant, state):
        return self.alpha * dominant + (1.0 - self.alpha) * nondominant

    def _alignment_term(self, module, D, feature, label, terms):
        if not self.decoupled_alignment:
            return super()._alignment_term(module, D, feature, label, terms)
        from ._losses import decoupled_row_terms, gaussian_kl

        mu_x, lv_x = feature
        targets = terms.get("decoupled")
        if targets is None:
            targets = decoupled_row_terms(
                D, nondominant_target=self.nondominant_target, dominant_target=self.dominant_target
            )
            targets["dominant_input"] = self._dominant_input(D, targets)
        _, mu_s, lv_s = module.dominant(targets["dominant_input"])
        _, mu_ns, lv_ns = module.nondominant(targets["D_hat"])
        return self.alpha * gaussian_kl(mu_x, lv_x, mu_s, lv_s) + (1.0 - self.alpha) * gaussian_kl(
            mu_x, lv_x, mu_ns, lv_ns
        )


@_shared_doc
class AMEMA(DILDL):
    """Adaptive momentum and EMA-weighted modelling (Gao et al., AAAI 2026), on DILDL.

    :class:`DILDL`'s network and losses with AMEMA's two mechanisms on top:

    * **WEIG** (``adaptive_weights``): the decoupled parts are weighted ``w_s * L_DDL + w_ns *
      L_NDDL`` instead of ``alpha`` / ``1 - alpha``, with ``EMA_s``, ``EMA_ns`` the exponential
      moving averages (factor ``ema_decay``) of the two parts, ``r = EMA_ns / (EMA_s + eps)``,
      ``w_ns = b + (1 - b) sigmoid(alpha_w (r - 1))`` and ``w_s = 1 - w_ns`` (Eqs. 6-11).
    * **MOME** (``adaptive_momentum``): the parameters of the dominant and of the non-dominant
      branch (DRDA's two label encoders) get their own momentum — AdamW's first-moment factor
      ``beta_1`` — starting at 0.75 and 0.95 and moved after every step by ``-/+ gamma *
      sigmoid(beta (r - 1))`` within ``[min_momentum, max_momentum]`` (Eqs. 16-18); the shared
      feature encoder, decoder and whole-label encoder keep AdamW's 0.9.

    With both off (and DILDL's training settings) it is :class:`DILDL` exactly, as the paper's
    ablation row "w/o WEIG and MOME" equals DILDL's result. The trajectories are kept in
    ``momentum_history_``, ``branch_weight_history_`` and ``branch_loss_history_`` (the paper's
    Figures 3-4). The authors' public code differs (no prediction term, fixed momenta); this
    class follows the paper; ``docs/neural.md`` lists every reading.

    Parameters
    ----------
    adaptive_weights : bool, default=True
        WEIG; off: DILDL's ``alpha`` / ``1 - alpha``. Needs ``decoupled_loss=True``.
    adaptive_momentum : bool, default=True
        MOME; off: DILDL's optimiser. Needs ``decoupled_alignment=True`` (the branches).
    momentum_dominant, momentum_nondominant : float, default=0.75, 0.95
        Initial momenta of the two branches.
    weight_base : float, default=0.2
        ``b`` of Eq. 9.
    weight_sharpness : float, default=5
        ``alpha`` of Eq. 9.
    ema_decay : float, default=0.9
        ``m`` of Eqs. 6-7 (not given in the paper). The EMAs start at the first step's values.
    momentum_steepness : float, default=5
        ``beta`` of Eq. 16 (not given in the paper; the same value as ``alpha``).
    momentum_rate : float, default=1e-3
        ``gamma`` of Eqs. 17-18 (not given in the paper).
    min_momentum, max_momentum : float, default=0.0, 0.99
    alpha, decoupled_loss, decoupled_alignment, dominant_target, nondominant_target, loss, \
alignment_weight, similarity_weight, reconstruction_weight, unit_loss
        As :class:`DILDL`.
    max_epochs : int, default=50
    batch_size : int, default=64
        AMEMA's stated settings (DILDL's: 300 and 50).
    **shared**

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neural import AMEMA
    >>> X, D = make_artificial(60, random_state=0)
    >>> model = AMEMA(max_epochs=5, random_state=0).fit(X, D)
    >>> model.momentum_history_.shape[1]
    2
    """

    _parameters: ClassVar[dict[str, object]] = {
        "adaptive_weights": True,
        "adaptive_momentum": True,
        "momentum_dominant": 0.75,
        "momentum_nondominant": 0.95,
        "weight_base": 0.2,
        "weight_sharpness": 5.0,
        "ema_decay": 0.9,
        "momentum_steepness": 5.0,
        "momentum_rate": 1e-3,
        "min_momentum": 0.0,
        "max_momentum": 0.99,
        **DILDL._parameters,
    }
    _defaults: ClassVar[dict[str, object]] = {"max_epochs": 50, "batch_size": 64}
    _parameter_constraints: ClassVar[dict[str, list]] = {
        **DILDL._parameter_constraints,
        "adaptive_weights": ["boolean"],
        "adaptive_momentum": ["boolean"],
        "momentum_dominant": _MOMENTUM,
        "momentum_nondominant": _MOMENTUM,
        "weight_base": [Interval(Real, 0, 1, closed="left")],
        "weight_sharpness": _POSITIVE,
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "momentum_steepness": _POSITIVE,
        "momentum_rate": _NONNEGATIVE,
        "min_momentum": _MOMENTUM,
        "max_momentum": _MOMENTUM,
    }

    def _check_params(self) -> None:
        super()._check_params()
        if self.min_momentum > self.max_momentum:
            raise ValueError(
                f"min_momentum={self.min_momentum} is above max_momentum={self.max_momentum}; "
                "the momenta are kept in [min_momentum, max_momentum]."
            )
        for name in ("momentum_dominant", "momentum_nondominant"):
            value = getattr(self, name)
            if not self.min_momentum <= value <= self.max_momentum:
                raise ValueError(
                    f"{name}={value} is outside [min_momentum, max_momentum] = "
                    f"[{self.min_momentum}, {self.max_momentum}]."
                )
        if self.adaptive_weights and not self.decoupled_loss:
            raise ValueError(
                "adaptive_weights=True weighs DILDL's decoupled parts: it needs "
                "decoupled_loss=True (or set adaptive_weights=False)."
            )
        if self.adaptive_momentum and not self.decoupled_alignment:
            raise ValueError(
                "adaptive_momentum=True gives DRDA's two branches their own momenta: it needs "
                "decoupled_alignment=True (or set adaptive_momentum=False)."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_variants = [
            {"adaptive_weights": False, "adaptive_momentum": False},
            {"dominant_target": "one_hot", "loss": "kl"},
        ]
        return tags

    def _parameter_groups(self, module) -> list[dict]:
        groups = super()._parameter_groups(module)
        if not self.adaptive_momentum:
            return groups
        # DILDL's two groups, each split into dominant branch / non-dominant branch / shared
        branch_of = {}
        for name, parameter in module.named_parameters():
            branch_of[id(parameter)] = name.split(".", 1)[0]
        split = []
        for branch, momentum in (
            ("dominant", self.momentum_dominant),
            ("nondominant", self.momentum_nondominant),
            (None, None),
        ):
            for group in groups:
                members = [
                    p
                    for p in group["params"]
                    if (branch_of[id(p)] == branch)
                    or (branch is None and branch_of[id(p)] not in ("dominant", "nondominant"))
                ]
                if not members:
                    continue
                entry = {**group, "params": members, "branch": branch or "shared"}
                if momentum is not None:
                    entry["betas"] = (float(momentum), 0.999)
                split.append(entry)
        return split

    def _running(self, state) -> dict:
        """AMEMA's running values in the trainer's ``state.extra`` (kept across partial_fit)."""
        extra = state.extra
        if "momenta" not in extra:
            initial = (float(self.momentum_dominant), float(self.momentum_nondominant))
            extra.update(ema=None, momenta=[initial], weights=[], branch_losses=[])
        return extra

    def _combine_parts(self, dominant, nondominant, state):
        from ._losses import amema_branch_weight

        running = self._running(state)
        current = (float(dominant.detach()), float(nondominant.detach()))
        m = self.ema_decay
        if running["ema"] is None:
            running["ema"] = current
        else:
            running["ema"] = tuple(
                m * old + (1.0 - m) * new for old, new in zip(running["ema"], current)
            )
        running["branch_losses"].append(current)
        if not self.adaptive_weights:
            running["weights"].append(1.0 - self.alpha)
            return super()._combine_parts(dominant, nondominant, state)
        w_ns = amema_branch_weight(
            *running["ema"], base=self.weight_base, sharpness=self.weight_sharpness
        )
        running["weights"].append(w_ns)
        return (1.0 - w_ns) * dominant + w_ns * nondominant

    def _batch_hook(self):
        return self._adapt_momenta

    def _adapt_momenta(self, state) -> None:
        """Eqs. 16-18 after every step: the two branches' momenta move apart."""
        from ._losses import momentum_step

        running = self._running(state)
        momenta = running["momenta"][-1]
        if self.adaptive_momentum and running["ema"] is not None:
            momenta = momentum_step(
                *momenta,
                *running["ema"],
                steepness=self.momentum_steepness,
                rate=self.momentum_rate,
                low=self.min_momentum,
                high=self.max_momentum,
            )
            value = {"dominant": momenta[0], "nondominant": momenta[1]}
            for group in state.optimizer.param_groups:
                if group.get("branch") in value:
                    group["betas"] = (value[group["branch"]], group["betas"][1])
        running["momenta"].append(momenta)

    def _after_training(self) -> None:
        running = self._train_extra
        self.momentum_history_ = np.asarray(running["momenta"], dtype=np.float64)
        self.branch_weight_history_ = np.asarray(running["weights"], dtype=np.float64)
        self.branch_loss_history_ = np.asarray(running["branch_losses"], dtype=np.float64)
        self.branch_loss_history_ = self.branch_loss_history_.reshape(-1, 2)
        self.ema_losses_ = running["ema"]


__all__ = [
    "AMEMA",
    "DILDL",
    "MLPLDL",
    "OFRClassBalanced",
    "OFRDistributionBalanced",
    "OFRFocal",
    "RDA",
]

"""Every loss of the neural family, as small functions of tensors (imported only inside ``fit``).

Conventions: ``D`` is a batch of target distributions (n, L), ``logits`` the network's raw
outputs (n, L). Each loss returns the mean over rows of a per-row sum over labels unless it says
otherwise. ``0 * log 0`` is taken as 0 (``torch.xlogy``), so targets with exact zeros are fine.
Every function is checked against finite differences in float64 (``tests/neural/test_losses.py``).

What depends on the targets only (dominant masks, normalised non-dominant targets, ``d log d``,
element weights) can be computed once for all training rows and passed in (``targets=`` /
``terms=``): :func:`decoupled_row_terms` and :func:`reshape_row_terms` compute it with the same
operations, row by row, so a batch's loss is the same to the bit either way.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "amema_branch_weight",
    "class_balanced_weights",
    "decoupled_kl",
    "decoupled_row_terms",
    "decoupled_targets",
    "gaussian_kl",
    "kl_divergence",
    "momentum_step",
    "ofr_loss",
    "rebalance_logits",
    "rebalance_weights",
    "reshape_logits",
    "reshape_row_terms",
    "similarity_alignment",
    "soft_cross_entropy",
]


def _reduce(per_row: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return per_row.mean()
    if reduction == "sum":
        return per_row.sum()
    if reduction == "none":
        return per_row
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}.")


def kl_divergence(D: torch.Tensor, logits: torch.Tensor, *, reduction: str = "mean"):
    """``KL(D || softmax(logits))`` per row: ``sum_j d_j (log d_j - log p_j)``."""
    log_p = F.log_softmax(logits, dim=1)
    per_row = (torch.xlogy(D, D) - D * log_p).sum(dim=1)
    return _reduce(per_row, reduction)


def soft_cross_entropy(D: torch.Tensor, logits: torch.Tensor, *, reduction: str = "mean"):
    """``-sum_j d_j log softmax(logits)_j`` per row: KL plus the entropy of ``D``.

    The gradient is the KL divergence's; the value is not, which matters where a loss is divided
    by its own value (RDA's unit-loss scaling). RDA's reconstruction term is this loss.
    """
    per_row = -(D * F.log_softmax(logits, dim=1)).sum(dim=1)
    return _reduce(per_row, reduction)


def _dominant_mask(D: torch.Tensor) -> torch.Tensor:
    """Boolean (n, L) mask of each row's dominant label (the first maximum on ties)."""
    index = D.argmax(dim=1)
    return F.one_hot(index, D.shape[1]).bool()


def decoupled_targets(D: torch.Tensor, *, nondominant_target: str = "normalized"):
    """Split ``D`` into its dominant degree and its non-dominant distribution.

    Returns ``(mask, d_k, D_hat)``: the dominant-label mask (n, L), the dominant degree ``d_k``
    (n,), and the non-dominant distribution (n, L) with 0 at the dominant label. With
    ``nondominant_target="normalized"`` (AMEMA Eq. 3 and the identity
    ``KL(d||p) = KL(b||b') + (1 - d_k) KL(d_hat||p_hat)``) the other degrees are divided by their
    sum ``1 - d_k`` (all zeros when ``d_k = 1``); with ``"softmax"`` (DILDL Eq. 3 as printed)
    they are ``exp(d_j) / sum_{i != k} exp(d_i)``.
    """
    mask = _dominant_mask(D)
    d_k = (D * mask).sum(dim=1)
    if nondominant_target == "normalized":
        rest = D.masked_fill(mask, 0.0)
        total = rest.sum(dim=1, keepdim=True)
        safe = total.clamp_min(torch.finfo(D.dtype).tiny)
        D_hat = torch.where(total > 0, rest / safe, torch.zeros_like(rest))
    elif nondominant_target == "softmax":
        D_hat = torch.softmax(D.masked_fill(mask, float("-inf")), dim=1)
    else:
        raise ValueError(
            f"nondominant_target must be 'normalized' or 'softmax', got {nondominant_target!r}."
        )
    return mask, d_k, D_hat


def decoupled_row_terms(
    D: torch.Tensor, *, nondominant_target: str = "normalized", dominant_target: str = "binary"
) -> dict:
    """The target-only terms of :func:`decoupled_kl`, row by row, to compute once and index.

    ``mask``, ``d_k``, ``D_hat`` (:func:`decoupled_targets`), ``D_hat_log_D_hat``, and with
    ``dominant_target="binary"`` also ``d_k_log_d_k``, ``rest = 1 - d_k`` and ``rest_log_rest``.
    """
    mask, d_k, D_hat = decoupled_targets(D, nondominant_target=nondominant_target)
    terms = {"mask": mask, "d_k": d_k, "D_hat": D_hat, "D_hat_log_D_hat": torch.xlogy(D_hat, D_hat)}
    if dominant_target == "binary":
        rest = 1.0 - d_k
        terms.update(
            d_k_log_d_k=torch.xlogy(d_k, d_k), rest=rest, rest_log_rest=torch.xlogy(rest, rest)
        )
    return terms


def decoupled_kl(
    D: torch.Tensor,
    logits: torch.Tensor,
    *,
    dominant_target: str = "binary",
    nondominant_target: str = "normalized",
    element_weight: torch.Tensor | None = None,
    reduction: str = "mean",
    targets: dict | None = None,
):
    """The two parts of the decoupled KL loss (DILDL Eqs. 4-8, AMEMA Eqs. 4-5).

    The dominant label ``k`` of each row is the argmax of ``D``. Returns
    ``(dominant_part, nondominant_part)``:

    * dominant part, ``dominant_target="binary"`` (the coherent reading): ``KL(b || b')`` with
      ``b = (d_k, 1 - d_k)`` and ``b' = (p_k, 1 - p_k)``; ``"one_hot"`` (DILDL/AMEMA Eq. 2 as
      printed): ``KL(onehot_k || p) = -log p_k``.
    * non-dominant part: ``KL(D_hat || p_hat)`` over the labels ``j != k``, where ``p_hat`` is the
      softmax of the logits with the dominant label left out (the predicted non-dominant
      distribution) and ``D_hat`` comes from :func:`decoupled_targets`.

    With ``"binary"`` and ``"normalized"``, ``dominant + (1 - d_k) * nondominant`` equals
    ``KL(D || softmax(logits))`` exactly.

    ``element_weight`` (n, L) multiplies each label's term, as a reshaped KL (the OFR losses,
    :func:`reshape_logits`) weighs its elements: the non-dominant part weighs label ``j``'s term
    by ``w_j``, the dominant part weighs its dominant term by ``w_k`` and its "rest" term (the
    labels ``j != k`` merged) by ``sum_{j != k} D_hat_j w_j``. With all weights 1 the parts are
    unchanged.

    ``targets``: :func:`decoupled_row_terms` of these rows (computed here when None).
    """
    if dominant_target not in ("binary", "one_hot"):
        raise ValueError(f"dominant_target must be 'binary' or 'one_hot', got {dominant_target!r}.")
    if targets is None:
        targets = decoupled_row_terms(
            D, nondominant_target=nondominant_target, dominant_target=dominant_target
        )
    mask, d_k, D_hat = targets["mask"], targets["d_k"], targets["D_hat"]
    log_p = F.log_softmax(logits, dim=1)
    log_p_k = (log_p * mask).sum(dim=1)
    if element_weight is None:
        w_k = w_rest = 1.0
    else:
        w_k = (element_weight * mask).sum(dim=1)
        w_rest = (element_weight * D_hat).sum(dim=1)
    if dominant_target == "binary":
        # log(1 - p_k) = logsumexp of the other logits - logsumexp of all, stable near p_k = 1
        log_rest = torch.logsumexp(logits.masked_fill(mask, float("-inf")), dim=1)
        log_not_k = log_rest - torch.logsumexp(logits, dim=1)
        rest = targets["rest"]
        dominant = w_k * (targets["d_k_log_d_k"] - d_k * log_p_k)
        dominant = dominant + w_rest * (targets["rest_log_rest"] - rest * log_not_k)
    else:
        dominant = -w_k * log_p_k
    log_p_hat = F.log_softmax(logits.masked_fill(mask, float("-inf")), dim=1)
    log_p_hat = log_p_hat.masked_fill(mask, 0.0)  # the dominant label is not part of p_hat
    element = targets["D_hat_log_D_hat"] - D_hat * log_p_hat
    if element_weight is not None:
        element = element * element_weight
    nondominant = element.sum(dim=1)
    return _reduce(dominant, reduction), _reduce(nondominant, reduction)


def gaussian_kl(mu_q, logvar_q, mu_p, logvar_p, *, reduction: str = "mean"):
    """``KL(N(mu_q, var_q) || N(mu_p, var_p))`` for diagonal Gaussians, summed over dimensions.

    This is DILDL Eq. 12: ``-1/2 sum [log v - v - tau + 1]`` with ``v = var_q / var_p`` and
    ``tau = (mu_q - mu_p)^2 / var_p``.
    """
    ratio = torch.exp(logvar_q - logvar_p)
    tau = (mu_q - mu_p).pow(2) * torch.exp(-logvar_p)
    per_row = -0.5 * ((logvar_q - logvar_p) - ratio - tau + 1.0).sum(dim=1)
    return _reduce(per_row, reduction)


def similarity_alignment(Z_a: torch.Tensor, Z_b: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the in-batch cosine-similarity matrices (DILDL Eq. 14)."""
    A = F.normalize(Z_a, dim=1, eps=1e-12)
    B = F.normalize(Z_b, dim=1, eps=1e-12)
    return ((A @ A.T - B @ B.T) ** 2).mean()


# -- the OFR losses (objective function reshaping; Zhao et al.) ------------------------------------
def class_balanced_weights(D: torch.Tensor, label_mass: torch.Tensor, beta: float = 0.9):
    """Row weights of OFR-CB: ``w_j = (1 - beta) / (1 - beta ** mass_j)`` averaged by ``D``.

    ``label_mass`` is each label's summed degree over the training rows (zero masses count as 1).
    The per-row weight is ``sum_j d_j w_j / sum_j d_j`` (shape (n, 1)).
    """
    mass = torch.where(label_mass > 0, label_mass, torch.ones_like(label_mass))
    per_label = (1.0 - beta) / (1.0 - beta**mass)
    return (D * per_label).sum(dim=1, keepdim=True) / D.sum(dim=1, keepdim=True)


def rebalance_weights(
    D: torch.Tensor,
    label_mass: torch.Tensor,
    *,
    scale: float = 10.0,
    shift: float = 0.9,
    floor: float = 0.1,
):
    """Element weights of OFR-DB: ``sigmoid(scale * (pos_w - shift)) + floor``.

    ``pos_w_j = (1 / mass_j) / sum_i d_i / mass_i``: how much rarer label ``j`` is than the
    labels the row actually carries.
    """
    return torch.sigmoid(rebalance_logits(D, label_mass, scale=scale, shift=shift)) + floor


def rebalance_logits(D: torch.Tensor, label_mass: torch.Tensor, *, scale: float, shift: float):
    """The argument of :func:`rebalance_weights`' sigmoid, ``scale * (pos_w - shift)``.

    Only arithmetic, so it is the same for a row whatever batch the row is in; the sigmoid is
    not (its vectorised and scalar kernels may round differently), so a loss that computes this
    once for all training rows applies the sigmoid to each batch.
    """
    mass = torch.where(label_mass > 0, label_mass, torch.ones_like(label_mass))
    inverse = 1.0 / mass
    repeat = (D * inverse).sum(dim=1, keepdim=True)
    return scale * (inverse / repeat - shift)


def reshape_row_terms(
    D: torch.Tensor,
    *,
    logit_bias: torch.Tensor | None = None,
    negative_scale: float = 1.0,
) -> dict:
    """The target-only terms of :func:`reshape_logits` and of the element-wise KL, row by row.

    ``D_log_D`` (``xlogy(D, D)``), ``logit_bias`` (expanded to the rows) when given, and when
    ``negative_scale != 1`` the logits' factor ``logit_scale = 1 + (negative_scale - 1)(1 - D)``
    and the weights' factor ``weight_scale = D + (1 - D) / negative_scale``. Only operations
    that round the same way in every position of a tensor, so that a batch's rows of these are
    the values the batch would compute.
    """
    terms = {"D_log_D": torch.xlogy(D, D)}
    if logit_bias is not None:
        terms["logit_bias"] = logit_bias.expand_as(D).contiguous()
    if negative_scale != 1.0:
        terms["logit_scale"] = 1.0 + (negative_scale - 1.0) * (1.0 - D)
        terms["weight_scale"] = D + (1.0 - D) / negative_scale
    return terms


def reshape_logits(
    D: torch.Tensor,
    logits: torch.Tensor,
    *,
    focal_gamma: float = 0.0,
    weight: torch.Tensor | None = None,
    logit_bias: torch.Tensor | None = None,
    negative_scale: float = 1.0,
    terms: dict | None = None,
):
    """OFR's reshaping of the element-wise KL: ``(logits', omega)``.

    The reshaped loss is ``sum_j omega_j d_j (log d_j - log p'_j)`` with ``p' = softmax(logits')``.
    ``logit_bias`` shifts the logits; ``negative_scale`` scales them by
    ``1 + (negative_scale - 1)(1 - d_j)`` (labels with small degrees get sharper logits) and
    divides the weights likewise (``weight * (d_j + (1 - d_j) / negative_scale)``): with soft
    degrees this interpolates the multi-label rule between a positive (``d_j = 1``) and a
    negative (``d_j = 0``) label. ``omega = weight' * (1 - p'_j)^focal_gamma`` (the focal factor
    carries gradients, as in the distribution-balanced loss code); ``omega`` is None when there
    is neither a weight nor a focal factor.

    ``terms``: :func:`reshape_row_terms` of these rows, used instead of ``logit_bias`` and
    ``negative_scale``.
    """
    if terms is None:
        terms = reshape_row_terms(D, logit_bias=logit_bias, negative_scale=negative_scale)
    if "logit_bias" in terms:
        logits = logits + terms["logit_bias"]
    if "logit_scale" in terms:
        logits = logits * terms["logit_scale"]
        if weight is not None:
            weight = weight * terms["weight_scale"]
    omega = weight
    if focal_gamma:
        focal = (1.0 - torch.softmax(logits, dim=1)).pow(focal_gamma)
        omega = focal if omega is None else omega * focal
    return logits, omega


def ofr_loss(
    D: torch.Tensor,
    logits: torch.Tensor,
    *,
    focal_gamma: float = 2.0,
    weight: torch.Tensor | None = None,
    logit_bias: torch.Tensor | None = None,
    negative_scale: float = 1.0,
    reduction: str = "mean",
):
    """Element-wise KL reshaped by OFR: focal factor, weights and logit regularisation.

    Per element ``w_j (1 - p_j)^gamma d_j (log d_j - log p_j)``, summed over labels, with the
    logits and weights of :func:`reshape_logits`.
    """
    terms = reshape_row_terms(D, logit_bias=logit_bias, negative_scale=negative_scale)
    logits, omega = reshape_logits(D, logits, focal_gamma=focal_gamma, weight=weight, terms=terms)
    element = terms["D_log_D"] - D * F.log_softmax(logits, dim=1)
    if omega is not None:
        element = element * omega
    return _reduce(element.sum(dim=1), reduction)


# -- AMEMA's adaptive weights and momenta (scalars; no gradients flow through them) ----------------
def amema_branch_weight(
    ema_s: float, ema_ns: float, *, base: float = 0.2, sharpness: float = 5.0, eps: float = 1e-8
) -> float:
    """AMEMA Eqs. 8-9: ``w_ns = b + (1 - b) sigmoid(alpha (r - 1))``.

    ``r = EMA_ns / (EMA_s + eps)``. The dominant branch gets ``w_s = 1 - w_ns`` (Eq. 10).
    """
    r = ema_ns / (ema_s + eps)
    return base + (1.0 - base) * _sigmoid(sharpness * (r - 1.0))


def momentum_step(
    mu_s: float,
    mu_ns: float,
    ema_s: float,
    ema_ns: float,
    *,
    steepness: float,
    rate: float,
    low: float,
    high: float,
    eps: float = 1e-8,
) -> tuple[float, float]:
    """AMEMA Eqs. 16-18: ``delta = sigmoid(beta (r - 1))``; ``mu_ns += gamma delta``,
    ``mu_s -= gamma delta``, both kept in ``[low, high]`` (``high < 1``)."""
    r = ema_ns / (ema_s + eps)
    delta = _sigmoid(steepness * (r - 1.0))
    return (
        min(max(mu_s - rate * delta, low), high),
        min(max(mu_ns + rate * delta, low), high),
    )


def _sigmoid(u: float) -> float:
    import math

    if u >= 0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)

"""What the neural estimators share, on top of the platform's torch core (``ldlkit._torch``).

``_NeuralLDL`` adds, to :class:`ldlkit._torch.TorchLDLMixin`: the shared parameters (declared
once, :data:`SHARED_PARAMETERS`), min-max feature scaling learned in ``fit``, Kaiming-normal
initialisation, RDA's optimiser (AdamW with AMSGrad, weight decay 1e-4 on weight matrices and
0.01 on biases, the fused kernel), RDA's adaptive gradient clipping, and a validation split of
the training rows whose KL divergence picks the epoch that is kept. Subclasses implement
``_build_network(n_features, n_labels)`` and ``get_loss(module, batch, state)``. No torch
import at module level.
"""

from __future__ import annotations

import inspect
import math
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._torch import TORCH_PARAMETER_CONSTRAINTS, TorchLDLMixin, seed_from
from ..base import BaseLDL

#: The parameters every estimator of the family shares, with their defaults (RDA's recipe from its
#: authors' code). They are declared here once; each class adds its own (``_parameters``) and may
#: change a default (``_defaults``): :meth:`_NeuralLDL.__init_subclass__` writes the keyword-only
#: ``__init__`` that scikit-learn's ``get_params`` reads.
SHARED_PARAMETERS: dict[str, object] = {
    "hidden_size": 100,
    "max_epochs": 300,
    "batch_size": 50,
    "learning_rate": 1e-3,
    "weight_decay": 1e-4,
    "bias_weight_decay": 0.01,
    "gradient_clip": 5.0,
    "clip_mode": "adaptive",
    "validation_size": 20,
    "scale_features": True,
    "device": "cpu",
    "random_state": None,
    "verbose": False,
}

COMMON_CONSTRAINTS: dict[str, list] = {
    **TORCH_PARAMETER_CONSTRAINTS,
    "hidden_size": [Interval(Integral, 1, None, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "bias_weight_decay": [Interval(Real, 0, None, closed="left")],
    "gradient_clip": [Interval(Real, 0, None, closed="neither"), None],
    "clip_mode": [StrOptions({"adaptive", "fixed"})],
    "validation_size": [
        Interval(Integral, 0, None, closed="left"),
        Interval(Real, 0, 1, closed="left"),
    ],
    "scale_features": ["boolean"],
}

SHARED_PARAMETERS_DOC = """\
    hidden_size : int, default=100
        Width of the hidden (and latent) layers.
    max_epochs : int, default=300
    batch_size : int, default=50
    learning_rate : float, default=1e-3
    weight_decay : float, default=1e-4
        AdamW weight decay on the weight matrices.
    bias_weight_decay : float, default=0.01
        AdamW weight decay on the biases (RDA's code leaves them at AdamW's default, 0.01).
    gradient_clip : float or None, default=5.0
        With ``clip_mode="adaptive"`` (RDA's code) the gradient norm is clipped at
        ``gradient_clip`` times the largest of the last 5 recorded norms (each capped at 1), the
        first 5 steps unclipped; with ``"fixed"`` at ``gradient_clip``. None: no clipping.
    clip_mode : {"adaptive", "fixed"}, default="adaptive"
    validation_size : int or float, default=20
        Training rows held out to pick the epoch whose weights are kept: the first epoch with
        the lowest validation KL (strict improvement). A fraction when a float below 1. None are
        held out when fewer than ``max(2, validation_size)`` rows would remain for training.
    scale_features : bool, default=True
        Min-max scale the features with the training rows' range (``feature_min_``,
        ``feature_scale_``; applied again in ``predict``).
    device : {"cpu", "cuda", "cuda:N", "auto"}, default="cpu"
    random_state : int, RandomState instance or None, default=None
        Seeds a forked torch generator (initialisation, shuffling, validation rows, noise).
    verbose : bool, default=False
        Show a progress bar over the epochs.
"""


def _keyword_init(names_defaults: dict[str, object], qualname: str):
    """A keyword-only ``__init__`` storing ``names_defaults``' parameters (scikit-learn style)."""

    def __init__(self, **params):
        unknown = sorted(set(params) - set(names_defaults))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword argument(s) {unknown}; "
                f"its parameters are {list(names_defaults)}."
            )
        for name, default in names_defaults.items():
            setattr(self, name, params.get(name, default))

    self_parameter = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    __init__.__signature__ = inspect.Signature(
        [self_parameter]
        + [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
            for name, default in names_defaults.items()
        ]
    )
    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__


def validation_rows(n: int, size, random_state) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` into training and held-out rows (seeded); none held out when fewer
    than ``max(2, n_held_out)`` rows would remain for training."""
    n_val = int(size) if isinstance(size, Integral) else math.ceil(float(size) * n)
    if n_val < 1 or n - n_val < max(n_val, 2):
        return np.arange(n), np.arange(0)
    order = np.random.RandomState(seed_from(random_state)).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


class _NeuralLDL(TorchLDLMixin, BaseLDL):
    """Base of the imbalanced-LDL networks: scaling, initialisation, optimiser, validation.

    A subclass sets ``_parameters`` (its own parameters and defaults, those of its parent
    included when it extends one) and ``_defaults`` (changed defaults of inherited or shared
    parameters); its ``__init__`` is generated from them and :data:`SHARED_PARAMETERS`.
    """

    _abstract = True
    _parameter_constraints: ClassVar[dict[str, list]] = dict(COMMON_CONSTRAINTS)
    _parameters: ClassVar[dict[str, object]] = {}
    _defaults: ClassVar[dict[str, object]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            return
        names_defaults = {**cls._parameters, **SHARED_PARAMETERS}
        for klass in reversed(cls.__mro__):
            names_defaults.update(klass.__dict__.get("_defaults", {}))
        cls.__init__ = _keyword_init(names_defaults, cls.__qualname__)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"max_epochs": 2, "hidden_size": 8}
        return tags

    # -- hooks for subclasses ---------------------------------------------------------------------
    def _build_network(self, n_features: int, n_labels: int):  # pragma: no cover - abstract
        raise NotImplementedError

    def _setup_training(self, X: np.ndarray, D: np.ndarray) -> None:
        """Called once per fit with the training rows (after the validation rows are held out)."""

    def _batch_hook(self):
        """A ``state -> None`` hook run after every optimiser step, or None."""
        return None

    def _after_training(self) -> None:
        """Called at the end of every fit and partial_fit (e.g. to store histories as arrays)."""

    def _row_terms(self, D) -> dict[str, dict]:
        """Target-only loss terms of the training rows ``D`` (a tensor), by group: ``{group:
        {name: tensor with one row per row of D}}``. They are computed once per fit and every
        batch carries its rows of them (:meth:`_split_batch`), instead of recomputing them from
        the batch's targets at every step; the values are the same."""
        return {}

    def _extend_rows(self, tensors: list) -> list:
        X, D = tensors
        groups = self._row_terms(D)
        self._row_term_names = [(group, name) for group, terms in groups.items() for name in terms]
        return [X, D, *(groups[group][name] for group, name in self._row_term_names)]

    def _split_batch(self, batch) -> tuple:
        """``(X, D, terms)`` of a batch; ``terms`` is ``{}`` for a plain ``(X, D)`` batch."""
        X, D, *rest = batch
        names = getattr(self, "_row_term_names", ())
        terms: dict[str, dict] = {}
        if rest and len(rest) == len(names):
            for (group, name), tensor in zip(names, rest):
                terms.setdefault(group, {})[name] = tensor
        return X, D, terms

    # -- the platform's hooks -------------------------------------------------------------------
    def _build_module(self, n_features: int, n_labels: int):
        from ._modules import kaiming_init

        module = self._build_network(n_features, n_labels)
        kaiming_init(module)
        return module

    def _parameter_groups(self, module) -> list[dict]:
        """RDA's two groups: weights (``weight_decay``) and biases (``bias_weight_decay``)."""
        named = list(module.named_parameters())
        return [
            {
                "params": [p for n, p in named if "bias" not in n],
                "weight_decay": self.weight_decay,
            },
            {
                "params": [p for n, p in named if "bias" in n],
                "weight_decay": self.bias_weight_decay,
            },
        ]

    def _build_optimizer(self, module):
        """AdamW with AMSGrad over :meth:`_parameter_groups` (RDA's optimiser), fused kernel."""
        import torch

        from .._torch import fast_optimizer_options

        return torch.optim.AdamW(
            self._parameter_groups(module),
            lr=self.learning_rate,
            amsgrad=True,
            **fast_optimizer_options(torch.optim.AdamW, self.device_),
        )

    def _prepare_features(self, X: np.ndarray, fitting: bool) -> np.ndarray:
        """Min-max scaling with the training rows' range (constant columns are only shifted)."""
        if not self.scale_features:
            return X
        if fitting:
            low = X.min(axis=0)
            span = X.max(axis=0) - low
            self.feature_min_ = low
            self.feature_scale_ = np.where(span > 0, span, 1.0)
        return (X - self.feature_min_) / self.feature_scale_

    def _training_options(self, X: np.ndarray, D: np.ndarray) -> dict:
        clip = self.gradient_clip
        if clip is not None and self.clip_mode == "adaptive":
            if getattr(self, "_gradient_clipper", None) is None:
                from .._torch import AdaptiveGradientClipper

                self._gradient_clipper = AdaptiveGradientClipper(clip)
            clip = self._gradient_clipper
        return {
            "clip_grad_norm": clip,
            "unit_loss": bool(getattr(self, "unit_loss", False)),
            "on_batch_end": self._batch_hook(),
            "extend_rows": self._extend_rows,
        }

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        X = self._prepare_features(X, True)
        train, held_out = validation_rows(X.shape[0], self.validation_size, self.random_state)
        self.n_train_, self.n_validation_ = len(train), len(held_out)
        self._gradient_clipper = None  # a new fit starts a new clipping history
        self._setup_training(X[train], D[train])
        validation = None
        if len(held_out):
            validation = (X[held_out], D[held_out])
        self._run_training(
            (X[train], D[train]),
            self.get_loss,
            build=lambda: self._build_module(X.shape[1], D.shape[1]),
            validation=validation,
            validation_score=_validation_kl if validation is not None else None,
            **self._training_options(X, D),
        )
        self._after_training()

    def _partial_fit(self, X: np.ndarray, D: np.ndarray) -> None:
        super()._partial_fit(X, D)
        self._after_training()

    @property
    def best_epoch_(self) -> int | None:
        """The epoch (1-based) whose weights were kept, None without validation rows."""
        return self.history_.best_epoch


def _validation_kl(module, validation) -> float:
    from ._losses import kl_divergence

    X, D = validation
    return float(kl_divergence(D, module(X)))

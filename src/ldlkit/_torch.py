"""The torch core shared by ldlkit's network estimators (``ldlkit.neural``, ``ldlkit.enhancement``).

Private: nothing here is public API. torch is imported inside functions only, so that importing
ldlkit, listing estimators or unpickling an unfitted estimator never imports it.

What it gives a network estimator:

* :func:`resolve_device` — ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``, with a clear error
  when CUDA is asked for and absent;
* :func:`local_seed` — a context in which torch's random generators are forked and seeded from
  ``random_state`` (weight initialisation, shuffling, dropout and sampling become reproducible, and
  the caller's global RNG is left exactly as it was);
* :func:`train` — a small trainer: mini-batches, epochs, an optional validation split with
  best-epoch restore and patience, gradient clipping, per-batch and per-epoch hooks (AMEMA adapts
  its optimizer's momenta there), a progress bar, and continuation from an earlier history;
* :func:`training_threads` / :func:`limit_torch_threads` — torch's intra-op thread count while
  training and predicting (one thread by default, ``LDLKIT_TORCH_THREADS`` changes it);
* :func:`fast_optimizer_options` — the fused (or foreach) implementation of torch's optimisers;
* :class:`AdaptiveGradientClipper` — RDA's gradient clipping (a multiple of recent norms), and
  :func:`clip_gradients`, ``clip_grad_norm_``'s result with less work per step;
* :class:`TorchMixin` — the estimator glue: common parameters and their constraints, the training
  call under :func:`local_seed`, batched prediction without gradients, and pickling that reloads a
  CUDA-trained model on a CPU-only machine; :class:`TorchLDLMixin` adds ``_fit``/``_partial_fit``/
  ``_predict`` for :class:`ldlkit.base.BaseLDL` subclasses.

A network LDL estimator then reads::

    class MyNet(TorchLDLMixin, BaseLDL):
        _parameter_constraints = {**TORCH_PARAMETER_CONSTRAINTS, "hidden": [Interval(...)]}

        def __init__(self, *, hidden=64, max_epochs=100, batch_size=32, learning_rate=1e-3,
                     device="cpu", random_state=None, verbose=False):
            ...

        def _build_module(self, n_features, n_labels):
            import torch.nn as nn
            return nn.Sequential(nn.Linear(n_features, self.hidden), nn.ReLU(),
                                 nn.Linear(self.hidden, n_labels))

        def get_loss(self, module, batch, state):
            X, D = batch
            return kl_loss(D, module(X))          # one overridable method, as skorch's get_loss

The trainer is written here rather than taken from skorch: skorch owns ``fit``/``get_params`` and
seeds torch's global RNG, which ldlkit's contract rules out (``docs/contributing.md``).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from ._optional import require_torch

__all__ = [
    "TORCH_PARAMETER_CONSTRAINTS",
    "TORCH_THREADS_ENV",
    "AdaptiveGradientClipper",
    "TorchLDLMixin",
    "TorchMixin",
    "TrainState",
    "TrainingHistory",
    "check_device",
    "clip_gradients",
    "fast_optimizer_options",
    "limit_torch_threads",
    "local_seed",
    "resolve_device",
    "seed_from",
    "train",
    "training_threads",
]

#: Constraints of the parameters every network estimator has (merge into the class's own).
TORCH_PARAMETER_CONSTRAINTS: dict[str, list] = {
    "device": [str],
    "random_state": ["random_state"],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "verbose": ["verbose"],
}


# -- threads and optimiser implementations ----------------------------------------------------
TORCH_THREADS_ENV = "LDLKIT_TORCH_THREADS"


def training_threads() -> int:
    """torch's intra-op thread count while ldlkit trains or predicts (0: leave torch alone).

    The networks here are small (a few hundred thousand weights) and their batches tiny (50 rows):
    every operation is shorter than the cost of waking a second thread, and with two threads on a
    shared 2-core machine the workers wait for each other behind other processes. So training
    runs single-threaded by default (``benchmarks/neural_training.py`` times the 10 Movie folds;
    its ``--threads 0`` runs them at torch's own thread count).
    ``LDLKIT_TORCH_THREADS`` changes that: a positive number is the thread count, ``0`` leaves
    torch's setting as it is (for large networks or batches on many cores).
    """
    raw = os.environ.get(TORCH_THREADS_ENV, "").strip()
    if not raw:
        return 1
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(
            f"{TORCH_THREADS_ENV}={raw!r}: give a thread count (1 or more), or 0 to leave "
            "torch's intra-op threads as configured."
        )
    return value


@contextlib.contextmanager
def limit_torch_threads(threads: int | None = None) -> Iterator[None]:
    """A context in which torch uses ``threads`` intra-op threads (default
    :func:`training_threads`); the previous count is restored on exit."""
    torch = require_torch()
    threads = training_threads() if threads is None else int(threads)
    previous = torch.get_num_threads()
    if threads == 0 or threads == previous:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def fast_optimizer_options(optimizer_class, device: str) -> dict:
    """Keyword arguments selecting the fastest implementation of a torch optimiser.

    ``{"fused": True}`` where the optimiser has a fused kernel for ``device`` (AdamW with AMSGrad
    otherwise steps through a Python loop over its parameters),
    else ``{"foreach": True}`` where it has the multi-tensor path, else ``{}``. The result is the
    same update rule; only the order of floating-point operations may differ.
    """
    import inspect

    parameters = inspect.signature(optimizer_class.__init__).parameters
    kind = "cuda" if str(device).startswith("cuda") else "cpu"
    if "fused" in parameters and _fused_supported(optimizer_class, kind):
        return {"fused": True}
    if "foreach" in parameters:
        return {"foreach": True}
    return {}


@functools.cache
def _fused_supported(optimizer_class, kind: str) -> bool:
    torch = require_torch()
    try:
        probe = torch.nn.Parameter(torch.zeros(1, device=kind))
        optimizer = optimizer_class([probe], lr=1e-3, fused=True)
        probe.grad = torch.zeros_like(probe)
        optimizer.step()
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


class AdaptiveGradientClipper:
    """RDA's gradient clipping: clip at ``factor`` times the largest of the last ``window``
    recorded norms.

    The history starts with one infinite entry, so the first ``window`` steps are not clipped;
    after each step the gradient norm (before clipping) is recorded as ``min(norm, 2 * bound,
    cap)``, with ``bound`` the largest recorded value, so that the clipping threshold never
    exceeds ``factor * cap``. Call it between ``backward`` and the optimiser step; it keeps its
    history (a plain list of floats) across calls and pickles with the estimator.
    """

    def __init__(self, factor: float = 5.0, *, window: int = 5, cap: float = 1.0):
        self.factor = float(factor)
        self.window = int(window)
        self.cap = float(cap)
        self.recent: list[float] = [math.inf]

    def __call__(self, parameters) -> float:
        bound = max(self.recent)
        norm = clip_gradients(parameters, bound * self.factor)
        self.recent.append(min(norm, bound * 2.0, self.cap))
        del self.recent[: -self.window]
        return norm


def clip_gradients(parameters, max_norm: float) -> float:
    """``torch.nn.utils.clip_grad_norm_(parameters, max_norm)`` with less overhead; the norm.

    The same result to the bit: the global 2-norm of the gradients (per-tensor norms with
    ``torch._foreach_norm``, then the norm of those) and, when ``max_norm / (norm + 1e-6)`` is
    below 1, the gradients scaled by it. Scaling by exactly 1 is skipped (it changes nothing),
    which is most steps. Gradients on several devices or dtypes go through torch's function.
    """
    torch = require_torch()
    parameters = list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    first = grads[0]
    if not all(
        type(g) is torch.Tensor and g.device == first.device and g.dtype == first.dtype
        for g in grads
    ):
        return float(torch.nn.utils.clip_grad_norm_(parameters, max_norm))
    # torch's _get_total_norm and _clip_grads_with_norm_ for one device and dtype
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads, 2.0)), 2.0)
    coefficient = torch.clamp(float(max_norm) / (total + 1e-6), max=1.0)
    if not bool(coefficient >= 1.0):  # NaN norms scale too, as torch's function does
        torch._foreach_mul_(grads, coefficient)
    return float(total)


class _FusedAdamStep:
    """``optimizer.step()`` of a CPU torch Adam/AdamW with ``fused=True``, without the Python
    wrapping around its kernel (profiler ranges, hooks, per-step dynamo checks, regrouping).

    It calls the same kernel (``torch._fused_adamw_`` / ``torch._fused_adam_``) with the same
    arguments after the same step-count increment, and creates missing state as torch does, so
    parameters and optimizer state are bit-identical to ``optimizer.step()``. :meth:`build`
    returns None (use ``optimizer.step()``) for anything else: another optimizer class or a
    subclass, a step patched on the instance (learning-rate schedulers do that), step hooks,
    gradient scaling, tensor learning rates or betas, capturable/differentiable groups,
    complex or mixed-device parameters, GPU tensors, or a torch without these kernels.
    """

    def __init__(self, optimizer, scalar_dtype) -> None:
        self.optimizer = optimizer
        self.scalar_dtype = scalar_dtype

    @classmethod
    def build(cls, optimizer) -> _FusedAdamStep | None:
        torch = require_torch()
        try:
            from torch.optim import optimizer as optimizer_module

            scalar_dtype = optimizer_module._get_scalar_dtype(is_fused=True)
        except (ImportError, AttributeError, TypeError):
            return None
        if type(optimizer) not in (torch.optim.Adam, torch.optim.AdamW):
            return None
        if "step" in vars(optimizer) or cls._hooked(optimizer):
            return None
        if getattr(optimizer, "grad_scale", None) is not None:
            return None
        if getattr(optimizer, "found_inf", None) is not None:
            return None
        if not (hasattr(torch, "_fused_adamw_") and hasattr(torch, "_fused_adam_")):
            return None
        for group in optimizer.param_groups:
            if not group.get("fused") or group.get("capturable") or group.get("differentiable"):
                return None
            if "decoupled_weight_decay" not in group or torch.is_tensor(group["lr"]):
                return None
            if any(torch.is_tensor(beta) for beta in group["betas"]):
                return None
            for p in group["params"]:
                if type(p) is not torch.nn.Parameter or p.device.type != "cpu":
                    return None
                if p.dtype != torch.float32:
                    return None
        return cls(optimizer, scalar_dtype)

    @staticmethod
    def _hooked(optimizer) -> bool:
        from torch.optim import optimizer as optimizer_module

        return bool(
            getattr(optimizer, "_optimizer_step_pre_hooks", None)
            or getattr(optimizer, "_optimizer_step_post_hooks", None)
            or getattr(optimizer_module, "_global_optimizer_pre_hooks", None)
            or getattr(optimizer_module, "_global_optimizer_post_hooks", None)
        )

    def __call__(self) -> None:
        torch = require_torch()
        optimizer = self.optimizer
        if self._hooked(optimizer):  # hooks registered since build: torch's path runs them
            optimizer.step()
            return
        states = optimizer.state
        with torch.no_grad():
            for group in optimizer.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                if not params:
                    continue
                amsgrad = group["amsgrad"]
                grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps = [], [], [], [], []
                for p in params:
                    state = states[p]
                    if len(state) == 0:  # torch's lazy initialisation (Adam._init_group)
                        state["step"] = torch.zeros((), dtype=self.scalar_dtype, device=p.device)
                        state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                        state["exp_avg_sq"] = torch.zeros_like(
                            p, memory_format=torch.preserve_format
                        )
                        if amsgrad:
                            state["max_exp_avg_sq"] = torch.zeros_like(
                                p, memory_format=torch.preserve_format
                            )
                    grads.append(p.grad)
                    exp_avgs.append(state["exp_avg"])
                    exp_avg_sqs.append(state["exp_avg_sq"])
                    if amsgrad:
                        max_exp_avg_sqs.append(state["max_exp_avg_sq"])
                    steps.append(state["step"])
                torch._foreach_add_(steps, 1)
                kernel = (
                    torch._fused_adamw_ if group["decoupled_weight_decay"] else torch._fused_adam_
                )
                beta1, beta2 = group["betas"]
                kernel(
                    params,
                    grads,
                    exp_avgs,
                    exp_avg_sqs,
                    max_exp_avg_sqs,
                    steps,
                    amsgrad=amsgrad,
                    lr=group["lr"],
                    beta1=float(beta1),
                    beta2=float(beta2),
                    weight_decay=group["weight_decay"],
                    eps=group["eps"],
                    maximize=group["maximize"],
                    grad_scale=None,
                    found_inf=None,
                )


# -- devices and seeds -------------------------------------------------------------------------
def check_device(device) -> str:
    """Check the spelling of a ``device`` parameter (without importing torch)."""
    if not isinstance(device, str) or not (
        device in ("cpu", "cuda", "auto") or (device.startswith("cuda:") and device[5:].isdigit())
    ):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {device!r}.")
    return device


def resolve_device(device: str) -> str:
    """The torch device a ``device`` parameter names: ``"auto"`` is CUDA when available.

    Raises a ValueError that says what to do when CUDA is asked for but unavailable (a CPU-only
    build of torch, or no GPU), instead of torch's assertion at the first tensor moved there.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    """
    check_device(device)
    if device == "cpu":
        return "cpu"
    torch = require_torch(f"device={device!r}")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if not torch.cuda.is_available():
        why = "torch was built without CUDA" if torch.version.cuda is None else "no GPU is visible"
        raise ValueError(
            f"device={device!r} asks for CUDA, but {why}; use device='cpu' (or 'auto', which "
            "falls back to the CPU)."
        )
    index = int(device[5:]) if device.startswith("cuda:") else 0
    if index >= torch.cuda.device_count():
        raise ValueError(
            f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) are visible."
        )
    return device


def seed_from(random_state) -> int:
    """An integer seed for torch drawn from ``random_state`` (None, an int or a RandomState)."""
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


@contextlib.contextmanager
def local_seed(seed: int, device: str = "cpu", *, rng_state=None) -> Iterator[None]:
    """Fork torch's RNGs, seed them (or restore ``rng_state``), and restore them on exit.

    Everything inside — weight initialisation, ``torch.randn``, dropout, shuffling — is
    reproducible from ``seed``, and the caller's global RNG state is unchanged afterwards.
    """
    torch = require_torch()
    devices = []
    if device.startswith("cuda"):
        devices = [torch.device(device).index or 0]
    with torch.random.fork_rng(devices=devices):
        if rng_state is None:
            torch.manual_seed(seed)
        else:
            torch.set_rng_state(rng_state["cpu"])
            if devices and rng_state.get("cuda") is not None:
                torch.cuda.set_rng_state(rng_state["cuda"], devices[0])
        yield


def _rng_state(device: str) -> dict:
    torch = require_torch()
    state = {"cpu": torch.get_rng_state(), "cuda": None}
    if device.startswith("cuda"):
        state["cuda"] = torch.cuda.get_rng_state(torch.device(device).index or 0)
    return state


# -- the trainer -----------------------------------------------------------------------------------
@dataclass
class TrainingHistory:
    """One dict per epoch (``epoch``, ``train_loss``, ``seconds`` and ``val_score`` when there is a
    validation split), the best epoch by validation score, and the number of optimizer steps."""

    epochs: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float = math.inf
    n_steps: int = 0

    @property
    def n_epochs(self) -> int:
        return len(self.epochs)


@dataclass
class TrainState:
    """What the hooks see: the module, the optimizer, the position in training, the last loss,
    and ``extra``, a dict an estimator may use to keep its own running values (e.g. EMAs)."""

    module: Any
    optimizer: Any
    history: TrainingHistory
    epoch: int = 0
    step: int = 0
    loss: float = math.nan
    batch: tuple = ()
    extra: dict = field(default_factory=dict)


LossFunction = Callable[[Any, tuple, TrainState], Any]


def _batches(n: int, batch_size: int, shuffle: bool, device) -> Iterator[Any]:
    torch = require_torch()
    order = torch.randperm(n, device="cpu") if shuffle else torch.arange(n)
    order = order.to(device)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def train(
    module,
    loss_fn: LossFunction,
    tensors: Sequence,
    *,
    optimizer,
    max_epochs: int,
    batch_size: int,
    shuffle: bool = True,
    validation: Sequence | None = None,
    validation_score: Callable[[Any, Sequence], float] | None = None,
    patience: int | None = None,
    clip_grad_norm: float | Callable[[Any], Any] | None = None,
    unit_loss: bool = False,
    on_batch_end: Callable[[TrainState], None] | None = None,
    on_epoch_end: Callable[[TrainState], None] | None = None,
    history: TrainingHistory | None = None,
    extra: dict | None = None,
    progress: bool = False,
    description: str = "training",
) -> TrainingHistory:
    """Train ``module`` with mini-batches; return the (continued) :class:`TrainingHistory`.

    Parameters
    ----------
    module : torch.nn.Module
    loss_fn : callable ``(module, batch, state) -> scalar tensor``
        ``batch`` is the tuple of rows of ``tensors`` for this step.
    tensors : sequence of tensors with the same first dimension
        The training data, already on the module's device.
    optimizer : torch.optim.Optimizer
    max_epochs, batch_size : int
        Epochs of this call (on top of ``history``'s) and rows per step.
    shuffle : bool
        Reshuffle the rows every epoch (with torch's RNG: run under :func:`local_seed`).
    validation : sequence of tensors or None
        Held-out rows; with ``validation_score`` (lower is better) the best epoch's weights are
        restored at the end, and ``patience`` epochs without improvement stop training early.
    clip_grad_norm : float, callable or None
        Clip the global gradient norm to this value before each step; a callable
        ``(parameters) -> None`` (e.g. an :class:`AdaptiveGradientClipper`) clips instead.
    unit_loss : bool
        Back-propagate ``loss / loss.item()`` (RDA's code): every step sees a loss of 1, only the
        gradient's direction is kept. The history records the unscaled loss.
    on_batch_end, on_epoch_end : callable ``(state) -> None`` or None
        Hooks; they may change the optimizer (learning rates, momenta) or ``state.extra``.
    history : TrainingHistory or None
        Continue from an earlier call (``partial_fit``): epochs are numbered on from it.
    extra : dict or None
        Initial ``state.extra`` (kept by reference, so the caller sees its final content).
    progress : bool
        Show a tqdm progress bar over epochs.
    """
    torch = require_torch()
    history = TrainingHistory() if history is None else history
    state = TrainState(module, optimizer, history, extra={} if extra is None else extra)
    n = int(tensors[0].shape[0])
    if n == 0:
        raise ValueError("train: no training rows.")
    use_validation = validation is not None and validation_score is not None
    best_weights = None
    since_best = 0
    # the per-step work of torch's generic paths, done once or more directly (same numbers):
    # the parameter list, the optimiser's kernel call, setting gradients to None, one .item()
    parameters = list(module.parameters())
    optimizer_step = _FusedAdamStep.build(optimizer) or optimizer.step
    plain_zero_grad = type(optimizer).zero_grad is torch.optim.Optimizer.zero_grad
    set_mode = _mode_switch(module)
    epochs = range(history.n_epochs, history.n_epochs + max_epochs)
    if progress:
        from tqdm.auto import tqdm

        epochs = tqdm(epochs, desc=description, leave=False)
    for epoch in epochs:
        state.epoch = epoch
        set_mode(True)
        started = time.perf_counter()
        total, seen = 0.0, 0
        for index in _batches(n, batch_size, shuffle, tensors[0].device):
            batch = tuple(t.index_select(0, index) for t in tensors)
            state.batch = batch
            if plain_zero_grad:
                for group in optimizer.param_groups:
                    for p in group["params"]:
                        p.grad = None
            else:
                optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(module, batch, state)
            value = float(loss.detach())
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"{description}: the loss became {value} at epoch {epoch + 1}, step "
                    f"{history.n_steps + 1}; lower the learning rate or scale the features."
                )
            if unit_loss and value != 0.0:
                (loss / loss.detach()).backward()
            else:
                loss.backward()
            if callable(clip_grad_norm):
                clip_grad_norm(parameters)
            elif clip_grad_norm is not None:
                clip_gradients(parameters, clip_grad_norm)
            optimizer_step()
            history.n_steps += 1
            state.step = history.n_steps
            state.loss = value
            rows = int(index.shape[0])
            total += value * rows
            seen += rows
            if on_batch_end is not None:
                on_batch_end(state)
        record = {"epoch": epoch + 1, "train_loss": total / seen}
        if use_validation:
            set_mode(False)
            with torch.inference_mode():
                score = float(validation_score(module, validation))
            record["val_score"] = score
            if score < history.best_score:
                history.best_score, history.best_epoch = score, epoch + 1
                best_weights = _keep_weights(module, best_weights)
                since_best = 0
            else:
                since_best += 1
        record["seconds"] = time.perf_counter() - started
        history.epochs.append(record)
        if on_epoch_end is not None:
            on_epoch_end(state)
        if progress:
            epochs.set_postfix(loss=f"{record['train_loss']:.4g}")
        if use_validation and patience is not None and since_best >= patience:
            break
    if best_weights is not None:
        module.load_state_dict(best_weights)
    module.eval()
    return history


def _mode_switch(module) -> Callable[[bool], None]:
    """``module.train(mode)``; when no submodule overrides ``train``, as setting every
    submodule's ``training`` flag directly (what ``nn.Module.train`` does, without recursion)."""
    torch = require_torch()
    modules = list(module.modules())
    if any(type(m).train is not torch.nn.Module.train for m in modules):
        return module.train

    def set_mode(training: bool) -> None:
        for m in modules:
            m.training = training

    return set_mode


def _keep_weights(module, kept: dict | None) -> dict:
    """A copy of ``module.state_dict()``: into ``kept``'s tensors when given (no reallocation)."""
    current = module.state_dict()
    if kept is None or kept.keys() != current.keys():
        return {
            k: v.detach().clone() if hasattr(v, "detach") else copy.deepcopy(v)
            for k, v in current.items()
        }
    for k, v in current.items():
        if hasattr(v, "detach") and kept[k].shape == v.shape and kept[k].dtype == v.dtype:
            kept[k].copy_(v)
        else:
            kept[k] = v.detach().clone() if hasattr(v, "detach") else copy.deepcopy(v)
    return kept


# -- estimator glue --------------------------------------------------------------------------------
def _is_torch_object(value) -> bool:
    if "torch" not in sys.modules:
        return False
    torch = sys.modules["torch"]
    return isinstance(value, torch.nn.Module | torch.optim.Optimizer | torch.Tensor)


class TorchMixin:
    """Shared parts of ldlkit's torch estimators (mix in before the ldlkit base class).

    Expects the parameters ``device``, ``random_state``, ``max_epochs``, ``batch_size``,
    ``learning_rate`` and ``verbose``. Provides tags (``requires_torch``, two test epochs),
    :meth:`_run_training`, :meth:`_forward_numpy` and pickling that stores every torch object
    (modules, optimizers, tensors) with ``torch.save`` and loads them with ``map_location="cpu"``
    when CUDA is absent, so a model trained on a GPU predicts on a CPU-only machine.
    """

    #: Rows per forward pass in predict (memory bound, not a training parameter).
    _predict_batch_rows: ClassVar[int] = 8192

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.requires_torch = True
        tags.ldl.test_params = {"max_epochs": 2}
        return tags

    def _check_params(self) -> None:
        check_device(self.device)
        super()._check_params()

    # -- training ---------------------------------------------------------------------------
    def _build_optimizer(self, module):
        """Default optimizer: Adam at ``learning_rate``; override for the method's own."""
        import torch

        return torch.optim.Adam(module.parameters(), lr=self.learning_rate)

    def _run_training(
        self,
        arrays: Sequence[np.ndarray],
        loss_fn: LossFunction,
        *,
        build: Callable[[], Any] | None,
        validation: Sequence[np.ndarray] | None = None,
        validation_score: Callable | None = None,
        max_epochs: int | None = None,
        extend_rows: Callable[[list], Sequence] | None = None,
        **train_options,
    ) -> None:
        """Train (``build`` given: a new module from ``build()``) or continue training.

        Sets ``module_``, ``optimizer_``, ``history_`` and ``device_``; runs under
        :func:`local_seed` from ``random_state`` (continuations restore the RNG state where the
        previous call left it, so fit + partial_fit is reproducible too). ``extend_rows``
        (``tensors -> tensors``) may append per-row tensors computed once from the training
        tensors (e.g. a loss's target-only terms); batches then carry their rows too.
        """
        torch = require_torch(type(self).__name__)
        if build is not None:
            self.device_ = resolve_device(self.device)
            seed, rng_state = seed_from(self.random_state), None
        else:
            seed, rng_state = 0, self._rng_state
        with limit_torch_threads(), local_seed(seed, self.device_, rng_state=rng_state):
            if build is not None:
                self.module_ = build().to(self.device_)
                self.optimizer_ = self._build_optimizer(self.module_)
                self.history_ = TrainingHistory()
                self._train_extra = {}
            tensors = [self._to_tensor(a) for a in arrays]
            if extend_rows is not None:
                with torch.no_grad():
                    tensors = list(extend_rows(tensors))
            held_out = None if validation is None else [self._to_tensor(a) for a in validation]
            train(
                self.module_,
                loss_fn,
                tensors,
                optimizer=self.optimizer_,
                max_epochs=self.max_epochs if max_epochs is None else max_epochs,
                batch_size=self.batch_size,
                validation=held_out,
                validation_score=validation_score,
                history=self.history_,
                extra=self._train_extra,
                progress=bool(self.verbose),
                description=type(self).__name__,
                **train_options,
            )
            self._rng_state = _rng_state(self.device_)

    def _to_tensor(self, array: np.ndarray):
        import torch

        array = np.ascontiguousarray(array)
        if not array.flags.writeable:  # read-only memory maps (joblib workers): torch warns on them
            array = array.copy()
        dtype = torch.long if np.issubdtype(array.dtype, np.integer) else torch.float32
        return torch.as_tensor(array, dtype=dtype, device=self.device_)

    def _forward_numpy(self, X: np.ndarray, forward: Callable) -> np.ndarray:
        """``forward(module, X_batch) -> tensor`` over row blocks, without gradients, as float64."""
        import torch

        self.module_.eval()
        out = []
        with limit_torch_threads(), torch.no_grad():
            for start in range(0, len(X), self._predict_batch_rows):
                block = self._to_tensor(X[start : start + self._predict_batch_rows])
                out.append(forward(self.module_, block).double().cpu().numpy())
        return np.concatenate(out)

    # -- pickling ------------------------------------------------------------------------------
    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())
        tensors = {k: v for k, v in state.items() if _is_torch_object(v) or k == "_rng_state"}
        if tensors:
            torch = sys.modules["torch"]
            buffer = io.BytesIO()
            torch.save({k: state.pop(k) for k in tensors}, buffer)
            state["_torch_objects"] = buffer.getvalue()
        return state

    def __setstate__(self, state: dict) -> None:
        blob = state.pop("_torch_objects", None)
        super().__setstate__(state)
        if blob is not None:
            torch = require_torch(type(self).__name__)
            on_gpu = torch.cuda.is_available() and str(state.get("device_", "cpu")) != "cpu"
            objects = torch.load(
                io.BytesIO(blob), map_location=None if on_gpu else "cpu", weights_only=False
            )
            vars(self).update(objects)
            if not on_gpu and "device_" in state:
                self.device_ = "cpu"  # reloaded without CUDA: predict (and train on) the CPU


class TorchLDLMixin(TorchMixin):
    """``_fit``/``_partial_fit``/``_predict`` of a torch :class:`~ldlkit.base.BaseLDL` estimator.

    Subclasses implement ``_build_module(n_features, n_labels)`` and ``get_loss(module, batch,
    state)`` (``batch = (X, D)`` tensors), and may override ``_build_optimizer``,
    ``_predict_tensor`` (default: softmax of the module's output), ``_training_options`` (extra
    :func:`train` arguments: hooks, clipping, validation), ``_prepare_features(X, fitting)``
    (feature scaling learned in fit), and ``_on_fit_end``. ``partial_fit`` continues training the
    fitted module and optimizer for one epoch over the given rows (like scikit-learn's MLP).
    """

    def _prepare_features(self, X: np.ndarray, fitting: bool) -> np.ndarray:
        return X

    def _predict_tensor(self, module, X):
        import torch

        return torch.softmax(module(X), dim=1)

    def _training_options(self, X: np.ndarray, D: np.ndarray) -> dict:
        """Extra :func:`train` arguments (validation, hooks, clipping) for this fit."""
        return {}

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        X = self._prepare_features(X, True)
        self._run_training(
            (X, D),
            self.get_loss,
            build=lambda: self._build_module(X.shape[1], D.shape[1]),
            **self._training_options(X, D),
        )

    def _partial_fit(self, X: np.ndarray, D: np.ndarray) -> None:
        X = self._prepare_features(X, False)
        options = {k: v for k, v in self._training_options(X, D).items() if "valid" not in k}
        self._run_training((X, D), self.get_loss, build=None, max_epochs=1, **options)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return self._forward_numpy(self._prepare_features(X, False), self._predict_tensor)

    def get_loss(self, module, batch, state):  # pragma: no cover - abstract
        raise NotImplementedError

    def _build_module(self, n_features: int, n_labels: int):  # pragma: no cover - abstract
        raise NotImplementedError

"""The training path the network enhancers (ConLE, LEVI) share, on top of :mod:`ldlkit._torch`.

Both enhancers resolve their device, fork and seed torch's RNGs and train with the shared
:func:`ldlkit._torch.train`; this module adds the one thing they need beyond it, a stopping rule on
the training loss (label enhancement has no validation rows: every row is a row to recover).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._torch import (
    TrainingHistory,
    limit_torch_threads,
    local_seed,
    resolve_device,
    seed_from,
    train,
)

__all__ = ["fit_network", "loss_plateaued", "to_tensors"]


def loss_plateaued(losses: Sequence[float], window: int, tol: float, abs_tol: float = 0.0) -> bool:
    """True when the mean loss of the last ``window`` epochs has stopped falling.

    The last window's mean is compared with the mean of the window before it; the loss has
    plateaued when it fell by less than ``max(tol * |earlier mean|, abs_tol)``. The relative part
    reads the same for losses of different scales; the absolute floor ``abs_tol`` also stops a
    loss that keeps falling towards 0, where every relative step stays large although the loss
    itself no longer moves. Fewer than two windows: False.

    Examples
    --------
    >>> loss_plateaued([4.0, 3.0, 2.0, 1.0], window=2, tol=0.01)
    False
    >>> loss_plateaued([1.0, 1.0, 1.0, 0.9999], window=2, tol=0.01)
    True
    >>> loss_plateaued([4e-5, 3e-5, 2e-5, 1e-5], window=2, tol=0.01, abs_tol=1e-4)
    True
    """
    if window < 1 or len(losses) < 2 * window:
        return False
    last = float(np.mean(losses[-window:]))
    before = float(np.mean(losses[-2 * window : -window]))
    return before - last < max(tol * abs(before), abs_tol, 1e-12 * tol)


def to_tensors(device: str, *arrays: np.ndarray) -> list:
    """float32 tensors of ``arrays`` on ``device``."""
    import torch

    return [
        torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32, device=device) for a in arrays
    ]


def fit_network(
    estimator,
    build: Callable[[], Any],
    make_optimizer: Callable[[Any], Any],
    loss_fn: Callable,
    arrays: Sequence[np.ndarray],
    *,
    batch_size: int | None,
    max_epochs: int,
    n_iter_no_change: int | None,
    tol: float,
    abs_tol: float = 0.0,
    output: Callable[[Any, Sequence], Any],
    scheduler: Callable[[Any], Any] | None = None,
    description: str,
) -> np.ndarray:
    """Train a network enhancer and return ``output(module, tensors)`` as a float64 array.

    Runs under :func:`ldlkit._torch.local_seed` from ``estimator.random_state`` on
    ``estimator.device``. Training runs in windows of ``n_iter_no_change`` epochs through
    :func:`ldlkit._torch.train` and stops at ``max_epochs`` or when :func:`loss_plateaued` says the
    last window's mean loss fell by less than ``max(tol * |loss|, abs_tol)``;
    ``n_iter_no_change=None`` trains exactly ``max_epochs``. ``scheduler(optimizer)`` builds an
    epoch-wise learning-rate scheduler stepped once per epoch. Sets ``loss_curve_`` and
    ``n_epochs_`` on the estimator.
    """
    import torch

    device = resolve_device(estimator.device)
    tensors = to_tensors(device, *arrays)
    n = len(arrays[0])
    rows = n if batch_size is None else min(batch_size, n)
    # torch's intra-op threads pinned as for the neural family (ldlkit._torch.training_threads)
    with limit_torch_threads(), local_seed(seed_from(estimator.random_state), device):
        module = build().to(device)
        optimizer = make_optimizer(module)
        schedule = None if scheduler is None else scheduler(optimizer)
        on_epoch_end = None if schedule is None else (lambda state: schedule.step())
        history = TrainingHistory()
        window = max_epochs if n_iter_no_change is None else n_iter_no_change
        while history.n_epochs < max_epochs:
            train(
                module,
                loss_fn,
                tensors,
                optimizer=optimizer,
                max_epochs=min(window, max_epochs - history.n_epochs),
                batch_size=rows,
                shuffle=rows < n,
                on_epoch_end=on_epoch_end,
                history=history,
                description=description,
            )
            losses = [record["train_loss"] for record in history.epochs]
            if n_iter_no_change is not None and loss_plateaued(
                losses, n_iter_no_change, tol, abs_tol
            ):
                break
        module.eval()
        with torch.no_grad():
            out = output(module, tensors)
    estimator.loss_curve_ = [record["train_loss"] for record in history.epochs]
    estimator.n_epochs_ = history.n_epochs
    return out.double().cpu().numpy()

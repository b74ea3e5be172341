"""ConLE: contrastive label enhancement (Wang, Zhou, Zhu, Liu, Yan & Tian, IJCAI 2023)."""

from __future__ import annotations

import functools
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._torch import check_device
from ._base import _Enhancer
from ._training import fit_network


@functools.cache
def _negatives_function():
    """The autograd function of ``sum_m log sum_{k negative of m} exp((c_mk - 1) / tau)``.

    ``c = V @ V.T`` are the cosines of the ``2n`` unit rows ``V`` (both views); the negatives of
    row ``m`` are every row but itself and its other view. Written out by hand so that the
    ``(2n, 2n)`` matrix is built once, exponentiated in place and kept for the backward pass,
    where the gradient is ``(A + A.T) @ V`` with ``A = E / (tau * rowsum(E))``: three matrix
    products and a few passes over the matrix, where autograd's graph of the same formula
    makes about a dozen passes (``benchmarks/conle_epoch_cost.py``).
    """
    import torch

    class _Negatives(torch.autograd.Function):
        @staticmethod
        def forward(ctx, V, temperature: float):
            n = V.shape[0] // 2
            E = V @ V.T
            E.sub_(1.0).mul_(1.0 / temperature).exp_()
            for block in (E, E[:n, n:], E[n:, :n]):
                block.diagonal().zero_()
            sums = E.sum(dim=1)
            ctx.save_for_backward(V, E, sums)
            ctx.temperature = temperature
            return torch.log(sums).sum()

        @staticmethod
        def backward(ctx, grad):
            V, E, sums = ctx.saved_tensors
            A = E * (grad / (ctx.temperature * sums)).unsqueeze(1)
            out = A @ V
            out.addmm_(A.T, V)
            return out, None

    return _Negatives


def contrastive_loss(Z, Q, temperature: float):
    """The paper's two-view instance-level loss (Eqs. 5-8), averaged over the rows.

    For row ``m`` the positive is the other view of the same row; the negatives are every other
    row of both views. As written in Eqs. 6-7, the denominator sums the negatives only (SimCLR's
    NT-Xent also adds the positive there). Similarities are cosine similarities over ``tau``.
    """
    import torch
    import torch.nn.functional as F

    n = Z.shape[0]
    if n < 2:  # a lone row has no negatives: nothing to contrast
        return Z.sum() * 0.0
    views = F.normalize(torch.cat([Z, Q], dim=0), dim=1)
    # the positive of row m in either view: the cosine of its two views
    positive = (views[:n] * views[n:]).sum(dim=1) / temperature
    if temperature >= 0.025:
        # Cosines are at most 1, so shifting the logits by 1/tau bounds them by 0 and, for
        # tau >= 0.025, keeps every exp above float32's smallest normal number: a plain sum of
        # exps is then exact enough and cheaper than logsumexp.
        denominators = _negatives_function().apply(views, float(temperature))
        denominators = denominators + 2 * n / temperature
    else:
        logits = (views @ views.T) / temperature
        for block in (logits, logits[:n, n:], logits[n:, :n]):
            block.diagonal().fill_(float("-inf"))
        denominators = torch.logsumexp(logits, dim=1).sum()
    # l_m = l_Zm + l_Qm; l_con is the mean of l_m over the n rows.
    return (denominators - 2.0 * positive.sum()) / n


def threshold_loss(D, logical, margin: float):
    """``mean_m max(max_{y-} d_m - min_{y+} d_m + margin, 0)`` (Eq. 14).

    A row whose labels are all relevant has no irrelevant label and contributes 0.
    """
    import torch

    relevant = logical > 0
    largest_irrelevant = D.masked_fill(relevant, float("-inf")).max(dim=1).values
    smallest_relevant = D.masked_fill(~relevant, float("inf")).min(dim=1).values
    gap = largest_irrelevant - smallest_relevant + margin
    has_both = (~relevant).any(dim=1)
    return torch.where(has_both, gap.clamp(min=0.0), torch.zeros_like(gap)).mean()


#: Training defaults (measured: ``docs/enhancement.md``).
MAX_EPOCHS = 3000
N_ITER_NO_CHANGE = 20
TOL = 1e-3
#: The absolute floor of the plateau rule: the square of the threshold margin's default 0.01
#: (``docs/enhancement.md``, Training to convergence).
ABS_TOL = 1e-4
BATCH_SIZE = 1024


class ConLE(_Enhancer):
    """Contrastive label enhancement.

    Two encoders project the features ``F1(x) = Z`` and the logical labels ``F2(l) = Q`` into one
    projection space; a contrastive loss pulls the two views of the same row together and pushes
    every other row of both views away (temperature ``tau``). The high-level features
    ``H = concat(Z, Q)`` go through a mapping network ``F3`` with a softmax output, the recovered
    distributions. The loss is ``l_con + lambda1 l_dis + lambda2 l_thr`` with ``l_dis`` the squared
    distance between the distributions and the logical labels and ``l_thr`` the threshold loss
    ``max(max d- - min d+ + epsilon, 0)`` that wants every relevant label above every irrelevant
    one. All three networks are trained together by SGD; activations are LeakyReLU.

    Parameters
    ----------
    hidden_size : int, default=256
        Width of the hidden layer of each of the three networks (the paper does not give it).
    projection_size : int, default=128
        Dimension of the projection space of ``Z`` and ``Q`` (the paper's ``dim_2``, not given).
    temperature : float, default=0.5
        The paper's ``tau_I``.
    lambda1 : float, default=0.5
        Weight of the distance loss ``l_dis``.
    lambda2 : float, default=1.0
        Weight of the threshold loss ``l_thr``.
    margin : float, default=0.01
        The threshold ``epsilon`` of ``l_thr`` (not given in the paper; small next to the
        smallest uniform degree 1/18 of the paper's data sets, so it orders labels without
        forcing a wide gap).
    contrastive : bool, default=True
        False gives the paper's ablation ConLE_h (no contrastive loss, Eq. 16).
    threshold : bool, default=True
        False gives the paper's ablation ConLE_l (no threshold loss, Eq. 17).
    target : {"softmax", "logical", "normalized"}, default="softmax"
        The target of ``l_dis``. Eq. 11's text says the logical labels are "normalized by the
        softmax normalization form": ``"softmax"`` is ``softmax(L)`` row by row; ``"logical"``
        is ``L`` itself (the formula as printed) and ``"normalized"`` is ``L`` over its row
        sums. ``docs/enhancement.md`` gives the fixed points of each reading.
    distance_reduction : {"mean", "sum"}, default="mean"
        ``l_dis`` is a sum over rows in Eq. 11 while ``l_con`` and ``l_thr`` are means; with
        ``"sum"`` the weight of ``l_dis`` would grow with the batch size. ``"mean"`` (default)
        averages over the rows of the batch; ``"sum"`` is the literal Eq. 11.
    scale_features : bool, default=True
        z-score the features before the encoder (not stated in the paper; keeps SGD stable on
        features of very different ranges, e.g. Movie's 0/1 columns and Yeast's expressions).
    max_epochs : int, default=3000
        Passes over the rows at most (the paper trains "until converged").
    n_iter_no_change : int or None, default=20
        Stop on a loss plateau: after every window of this many epochs, when the window's mean
        training loss fell by less than ``tol`` (relative) from the window before. None trains
        exactly ``max_epochs``.
    tol : float, default=1e-3
        Relative fall of the windowed mean loss below which training stops.
    abs_tol : float, default=1e-4
        Absolute fall of the windowed mean loss below which training stops as well: training
        stops when the fall is below ``max(tol * |loss|, abs_tol)``. Without it a loss that
        keeps falling towards 0 (the ablation ConLE_h, whose loss is 0 at its fixed point) never
        plateaus in relative terms. 1e-4 is the square of the default margin 0.01, the degree
        resolution the threshold loss works at; 0 gives the relative rule alone.
    batch_size : int or None, default=1024
        Rows per SGD step; the contrastive negatives are the other rows of the batch. None trains
        on all rows at once (the literal Eqs. 6-8, memory quadratic in the rows).
    learning_rate : float, default=0.1
        SGD step size (not given in the paper).
    momentum : float, default=0.0
        SGD momentum. The paper says SGD and nothing more, so the default is plain SGD.
    negative_slope : float, default=0.01
        LeakyReLU slope (PyTorch's default).
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
    random_state : int, RandomState or None, default=None

    Attributes
    ----------
    label_distribution_ : ndarray of shape (n_samples, n_labels)
    loss_curve_ : list of float
        Mean training loss per epoch.

    Notes
    -----
    ConLE needs a row's logical labels to recover its distribution (they feed ``F2``), so it has
    no ``transform`` for new rows: enhance the rows you have, then train an LDL model on them
    (:class:`ldlkit.enhancement.EnhancedLDL`).

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.enhancement import ConLE
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3))
    >>> logical = (X[:, :2] > 0).astype(float); logical[logical.sum(1) == 0, 0] = 1
    >>> D = ConLE(max_epochs=5, random_state=0).fit_transform(X, logical)
    >>> D.shape, bool(np.allclose(D.sum(axis=1), 1))
    ((40, 2), True)
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.requires_torch = True
        tags.ldl.test_params = {"max_epochs": 2, "hidden_size": 16, "projection_size": 8}
        tags.ldl.test_variants = [{"contrastive": False}, {"threshold": False}]
        return tags

    _parameter_constraints = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "projection_size": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "lambda1": [Interval(Real, 0, None, closed="left")],
        "lambda2": [Interval(Real, 0, None, closed="left")],
        "margin": [Interval(Real, 0, None, closed="left")],
        "contrastive": ["boolean"],
        "threshold": ["boolean"],
        "target": [StrOptions({"softmax", "logical", "normalized"})],
        "distance_reduction": [StrOptions({"mean", "sum"})],
        "scale_features": ["boolean"],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "abs_tol": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left"), None],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "negative_slope": [Interval(Real, 0, None, closed="left")],
        "device": [str],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        hidden_size: int = 256,
        projection_size: int = 128,
        temperature: float = 0.5,
        lambda1: float = 0.5,
        lambda2: float = 1.0,
        margin: float = 0.01,
        contrastive: bool = True,
        threshold: bool = True,
        target: str = "softmax",
        distance_reduction: str = "mean",
        scale_features: bool = True,
        max_epochs: int = MAX_EPOCHS,
        n_iter_no_change: int | None = N_ITER_NO_CHANGE,
        tol: float = TOL,
        abs_tol: float = ABS_TOL,
        batch_size: int | None = BATCH_SIZE,
        learning_rate: float = 0.1,
        momentum: float = 0.0,
        negative_slope: float = 0.01,
        device: str = "cpu",
        random_state=None,
    ) -> None:
        self.hidden_size = hidden_size
        self.projection_size = projection_size
        self.temperature = temperature
        self.lambda1 = lambda1
        self.lambda2 = lambda2
        self.margin = margin
        self.contrastive = contrastive
        self.threshold = threshold
        self.target = target
        self.distance_reduction = distance_reduction
        self.scale_features = scale_features
        self.max_epochs = max_epochs
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.abs_tol = abs_tol
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.negative_slope = negative_slope
        self.device = device
        self.random_state = random_state

    def _build(self, n_features: int, n_labels: int):
        from torch import nn

        def mlp(n_in: int, n_out: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Linear(n_in, self.hidden_size),
                nn.LeakyReLU(self.negative_slope),
                nn.Linear(self.hidden_size, n_out),
            )

        return nn.ModuleDict(
            {
                "features": mlp(n_features, self.projection_size),  # F1
                "labels": mlp(n_labels, self.projection_size),  # F2
                "mapping": mlp(2 * self.projection_size, n_labels),  # F3
            }
        )

    def _forward(self, module, X, logical):
        import torch

        Z = module["features"](X)
        Q = module["labels"](logical)
        H = torch.cat([Z, Q], dim=1)
        return Z, Q, torch.softmax(module["mapping"](H), dim=1)

    def _distance_target(self, logical):
        """The target of ``l_dis`` (Eq. 11) that ``target`` names."""
        import torch

        if self.target == "softmax":
            return torch.softmax(logical, dim=1)
        if self.target == "normalized":
            return logical / logical.sum(dim=1, keepdim=True)
        return logical

    def _loss(self, module, X, logical, goal=None):
        Z, Q, D = self._forward(module, X, logical)
        goal = self._distance_target(logical) if goal is None else goal
        squared = ((D - goal) ** 2).sum(dim=1)
        distance = squared.mean() if self.distance_reduction == "mean" else squared.sum()
        loss = self.lambda1 * distance
        if self.threshold:
            loss = loss + self.lambda2 * threshold_loss(D, logical, self.margin)
        if self.contrastive:
            loss = loss + contrastive_loss(Z, Q, self.temperature)
        return loss

    def _check_params(self) -> None:
        check_device(self.device)

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:
        import torch

        if self.scale_features:
            std = X.std(axis=0)
            X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
        goal = self._distance_target(torch.as_tensor(logical, dtype=torch.float32)).numpy()
        return fit_network(
            self,
            lambda: self._build(X.shape[1], logical.shape[1]),
            lambda module: torch.optim.SGD(
                module.parameters(), lr=self.learning_rate, momentum=self.momentum
            ),
            lambda module, batch, state: self._loss(module, *batch),
            (X, logical, goal),
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            abs_tol=self.abs_tol,
            output=lambda module, tensors: self._forward(module, tensors[0], tensors[1])[2],
            description="ConLE",
        )

"""LIBLE: label enhancement by a label information bottleneck (Zheng, Zhu & Tang, CVPR 2023)."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._optional import require_torch
from .._torch import (
    check_device,
    limit_torch_threads,
    local_seed,
    resolve_device,
    seed_from,
    train,
)
from ._base import _Enhancer

#: Added to the squared gap scale before dividing by it and taking its log.
_GAP_EPS = 1e-8


class LIBLE(_Enhancer):
    """Label information bottleneck for label enhancement (LIB).

    A stochastic encoder maps the z-scored features ``x`` to a Gaussian representation
    ``z ~ N(mu(x), diag(s(x))^2)`` (``s`` through a softplus). The representation is a
    bottleneck: it is pulled towards a standard normal (KL term) while it must keep what the
    labels need, split in two parts.

    * Label assignments: a linear decoder predicts the logical labels from ``z``
      (cross-entropy of its softmax against the logical label vector), ``L_as``.
    * Label gaps: a network ``f`` turns ``z`` into the label distribution and a network ``g``
      gives one gap scale per row; the logical labels are treated as the distribution plus a
      Gaussian gap of that scale, ``L_gap = mean_j (l_j - f_j(z))^2 / (2 g^2) + log |g|``.

    Training first fits the encoder and the assignment decoder alone
    (``L_as + alpha KL``, ``pretrain_epochs`` epochs), then everything jointly on
    ``L_as + alpha KL + beta L_gap`` with a step-decayed learning rate. The recovered
    distribution is ``softmax(f(mu(x)))``.

    Parameters
    ----------
    latent_size : int, default=256
        Dimension of the representation ``z``.
    hidden_size : int, default=256
        Width of the encoder's two hidden layers and of the first hidden layer of ``f`` and
        ``g`` (their second hidden layer has half this width).
    alpha : float >= 0, default=1.0
        Weight of the KL (compression) term.
    beta : float >= 0, default=1e-3
        Weight of the label-gap term.
    pretrain_epochs : int >= 0, default=200
        Epochs of the encoder and assignment decoder alone.
    max_epochs : int >= 1, default=100
        Epochs of joint training.
    batch_size : int or None, default=128
        None: full batch.
    pretrain_learning_rate : float, default=5e-3
        Adam step size of the pre-training.
    learning_rate : float, default=1e-3
        Adam step size of the joint training, multiplied by ``lr_decay`` every
        ``lr_decay_steps`` optimizer steps.
    lr_decay : float in (0, 1], default=0.9
    lr_decay_steps : int, default=20
    noise_scale : {"std", "mean"}, default="std"
        How a representation is sampled: ``mu + s * eps`` (the paper's reparameterisation) or
        ``mu + mu * eps`` (what the authors' public code computes).
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``.
    random_state : int, RandomState or None, default=None

    Attributes
    ----------
    label_distribution_ : ndarray of shape (n_samples, n_labels)
    loss_curve_ : list of float
        Mean training loss per epoch, pre-training epochs first.

    Notes
    -----
    Readings (architecture, weights and schedule follow the authors' public code, where the
    paper gives no numbers):

    * The recovered distribution is computed from the mean ``mu(x)`` of the representation, so
      it is deterministic once fitted; the authors' code feeds one random sample instead.
    * The gap scale ``g`` has no output activation, as in the authors' code; ``1e-8`` is added
      to ``g^2`` before dividing by it and taking its log so that the loss stays finite.
    * The assignment loss is the cross-entropy with the (unnormalised) logical label vector as
      target and the KL term is in bits (divided by ``ln 2``), as in the authors' code.

    The encoder reads only the features, but the method is fitted transductively like the other
    enhancers; there is no ``transform`` for new rows.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.enhancement import LIBLE
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 3))
    >>> logical = (X[:, :2] > 0).astype(float); logical[logical.sum(1) == 0, 0] = 1
    >>> LIBLE(pretrain_epochs=1, max_epochs=2, random_state=0).fit_transform(X, logical).shape
    (40, 2)

    References
    ----------
    .. [1] Q. Zheng, J. Zhu and H. Tang, "Label Information Bottleneck for Label Enhancement",
       Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition
       (CVPR), 2023. Authors' code: https://github.com/qinghai-zheng/LIBLE
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.requires_torch = True
        tags.ldl.test_params = {
            "pretrain_epochs": 1,
            "max_epochs": 2,
            "hidden_size": 16,
            "latent_size": 8,
        }
        return tags

    _parameter_constraints = {
        "latent_size": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 2, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "pretrain_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "lr_decay_steps": [Interval(Integral, 1, None, closed="left")],
        "noise_scale": [StrOptions({"std", "mean"})],
        "device": [str],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        latent_size: int = 256,
        hidden_size: int = 256,
        alpha: float = 1.0,
        beta: float = 1e-3,
        pretrain_epochs: int = 200,
        max_epochs: int = 100,
        batch_size: int | None = 128,
        pretrain_learning_rate: float = 5e-3,
        learning_rate: float = 1e-3,
        lr_decay: float = 0.9,
        lr_decay_steps: int = 20,
        noise_scale: str = "std",
        device: str = "cpu",
        random_state=None,
    ) -> None:
        self.latent_size = latent_size
        self.hidden_size = hidden_size
        self.alpha = alpha
        self.beta = beta
        self.pretrain_epochs = pretrain_epochs
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.pretrain_learning_rate = pretrain_learning_rate
        self.learning_rate = learning_rate
        self.lr_decay = lr_decay
        self.lr_decay_steps = lr_decay_steps
        self.noise_scale = noise_scale
        self.device = device
        self.random_state = random_state

    def _check_params(self) -> None:
        check_device(self.device)

    def _build(self, n_features: int, n_labels: int):
        from torch import nn

        h, z = self.hidden_size, self.latent_size

        def head(n_out: int):
            return nn.Sequential(
                nn.Linear(z, h), nn.Sigmoid(), nn.Linear(h, h // 2), nn.Sigmoid(),
                nn.Linear(h // 2, n_out),
            )  # fmt: skip

        return nn.ModuleDict(
            {
                "encoder": nn.Sequential(
                    nn.Linear(n_features, h),
                    nn.Sigmoid(),
                    nn.Linear(h, h),
                    nn.Sigmoid(),
                    nn.Linear(h, 2 * z),
                ),  # fmt: skip
                "assignment": nn.Linear(z, n_labels),
                "distribution": head(n_labels),
                "gap": head(1),
            }
        )

    def _encode(self, module, X):
        import torch.nn.functional as F

        out = module["encoder"](X)
        return out[:, : self.latent_size], F.softplus(out[:, self.latent_size :])

    def _loss(self, module, X, logical, joint: bool):
        import torch

        mu, std = self._encode(module, X)
        scale = std if self.noise_scale == "std" else mu
        z = mu + scale * torch.randn_like(mu)
        log_p = torch.log_softmax(module["assignment"](z), dim=1)
        assignment = -(logical * log_p).sum(dim=1).mean() / math.log(2.0)
        var = std.clamp_min(1e-12) ** 2
        kl = 0.5 * (mu**2 + var - 1.0 - torch.log(var)).sum(dim=1).mean() / math.log(2.0)
        loss = assignment + self.alpha * kl
        if joint:
            d = module["distribution"](z)
            g2 = module["gap"](z) ** 2 + _GAP_EPS
            gap = ((logical - d) ** 2 / (2.0 * g2) + 0.5 * torch.log(g2)).mean(dim=1).mean()
            loss = loss + self.beta * gap
        return loss

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:
        torch = require_torch("LIBLE")
        device = resolve_device(self.device)
        std = X.std(axis=0)
        X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)
        features = torch.as_tensor(X, dtype=torch.float32, device=device)
        labels = torch.as_tensor(logical, dtype=torch.float32, device=device)
        batch_size = self.batch_size or len(X)
        curve: list[float] = []
        # torch's intra-op threads pinned as for the neural family (ldlkit._torch.training_threads)
        with limit_torch_threads(), local_seed(seed_from(self.random_state), device):
            module = self._build(X.shape[1], logical.shape[1]).to(device)
            if self.pretrain_epochs > 0:
                first = list(module["encoder"].parameters()) + list(
                    module["assignment"].parameters()
                )
                history = train(
                    module,
                    lambda m, batch, state: self._loss(m, *batch, joint=False),
                    (features, labels),
                    optimizer=torch.optim.Adam(first, lr=self.pretrain_learning_rate),
                    max_epochs=self.pretrain_epochs,
                    batch_size=batch_size,
                    description="LIBLE pre-training",
                )
                curve += [record["train_loss"] for record in history.epochs]
            optimizer = torch.optim.Adam(module.parameters(), lr=self.learning_rate)

            def decay(state) -> None:
                rate = self.learning_rate * self.lr_decay ** (state.step // self.lr_decay_steps)
                for group in state.optimizer.param_groups:
                    group["lr"] = rate

            history = train(
                module,
                lambda m, batch, state: self._loss(m, *batch, joint=True),
                (features, labels),
                optimizer=optimizer,
                max_epochs=self.max_epochs,
                batch_size=batch_size,
                on_batch_end=decay,
                description="LIBLE",
            )
            curve += [record["train_loss"] for record in history.epochs]
            with torch.no_grad():
                mu, _ = self._encode(module, features)
                D = torch.softmax(module["distribution"](mu).double(), dim=1)
        self.loss_curve_ = curve
        return D.cpu().numpy()

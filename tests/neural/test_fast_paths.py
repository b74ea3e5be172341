"""The trainer's and the losses' fast paths give the numbers of the generic paths, to the bit.

Each fast path (the fused Adam/AdamW kernel called directly, the clipping helper, the target-only
loss terms computed once per fit) is compared with what it replaces: torch's ``optimizer.step()``,
``torch.nn.utils.clip_grad_norm_``, and the loss computed from each batch's targets. The
estimator-level test trains with every fast path switched off and on and asks for the same
predictions.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ldlkit import _torch  # noqa: E402
from ldlkit._torch import AdaptiveGradientClipper, _FusedAdamStep, clip_gradients  # noqa: E402
from ldlkit.neural import AMEMA, DILDL, MLPLDL, RDA, OFRDistributionBalanced  # noqa: E402
from ldlkit.neural import _losses as L  # noqa: E402
from ldlkit.neural._criteria import resolve_loss  # noqa: E402

FUSED_CPU = _torch._fused_supported(torch.optim.AdamW, "cpu")


def _net(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(7, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3))


def _groups(net, split):
    named = list(net.named_parameters())
    if not split:
        return net.parameters()
    return [
        {"params": [p for n, p in named if "bias" not in n], "weight_decay": 1e-4},
        {"params": [p for n, p in named if "bias" in n], "weight_decay": 0.01, "betas": (0.8, 0.9)},
    ]


def _run(optimizer_class, step_with, *, amsgrad, split, steps=12):
    net = _net()
    opt = optimizer_class(_groups(net, split), lr=1e-2, amsgrad=amsgrad, fused=True)
    fast = _FusedAdamStep.build(opt)
    assert fast is not None
    X = torch.randn(20, 7, generator=torch.Generator().manual_seed(1))
    for step in range(steps):
        for p in net.parameters():
            p.grad = None
        net(X[step % 4 :: 4]).pow(2).mean().backward()
        if step == 5:  # AMEMA moves the first moment's factor of some groups between steps
            opt.param_groups[0]["betas"] = (0.7, 0.999)
        (fast if step_with == "fast" else opt.step)()
    return net, opt


@pytest.mark.skipif(not FUSED_CPU, reason="this torch has no fused AdamW kernel on the CPU")
@pytest.mark.parametrize("optimizer_class", [torch.optim.AdamW, torch.optim.Adam])
@pytest.mark.parametrize("amsgrad", [True, False])
@pytest.mark.parametrize("split", [True, False])
def test_direct_fused_step_is_torchs_step(optimizer_class, amsgrad, split):
    net_a, opt_a = _run(optimizer_class, "torch", amsgrad=amsgrad, split=split)
    net_b, opt_b = _run(optimizer_class, "fast", amsgrad=amsgrad, split=split)
    for a, b in zip(net_a.parameters(), net_b.parameters()):
        assert torch.equal(a, b)
    state_a, state_b = opt_a.state_dict()["state"], opt_b.state_dict()["state"]
    assert state_a.keys() == state_b.keys()
    for key in state_a:
        assert list(state_a[key]) == list(state_b[key])  # same entries, same order
        for name in state_a[key]:
            assert state_a[key][name].dtype == state_b[key][name].dtype
            assert torch.equal(state_a[key][name], state_b[key][name]), name


@pytest.mark.skipif(not FUSED_CPU, reason="this torch has no fused AdamW kernel on the CPU")
def test_direct_fused_step_declines_what_it_does_not_replicate():
    net = _net()
    assert _FusedAdamStep.build(torch.optim.AdamW(net.parameters())) is None  # not fused
    assert _FusedAdamStep.build(torch.optim.SGD(net.parameters(), lr=0.1)) is None

    class Mine(torch.optim.AdamW):
        pass

    assert _FusedAdamStep.build(Mine(net.parameters(), fused=True)) is None
    hooked = torch.optim.AdamW(net.parameters(), fused=True)
    handle = hooked.register_step_pre_hook(lambda *args: None)
    assert _FusedAdamStep.build(hooked) is None
    handle.remove()
    assert _FusedAdamStep.build(hooked) is not None
    scheduled = torch.optim.AdamW(net.parameters(), fused=True)
    torch.optim.lr_scheduler.StepLR(scheduled, step_size=2)  # patches scheduled.step
    assert _FusedAdamStep.build(scheduled) is None


def test_direct_fused_step_runs_hooks_registered_after_it_was_built():
    if not FUSED_CPU:
        pytest.skip("this torch has no fused AdamW kernel on the CPU")
    net = _net()
    opt = torch.optim.AdamW(net.parameters(), fused=True)
    fast = _FusedAdamStep.build(opt)
    calls = []
    opt.register_step_post_hook(lambda *args: calls.append(1))
    net(torch.ones(2, 7)).sum().backward()
    fast()
    assert calls == [1]


@pytest.mark.parametrize("max_norm", [1e-3, 0.5, 1e6, float("inf")])
def test_clip_gradients_is_clip_grad_norm(max_norm):
    nets = [_net(3), _net(3)]
    X = torch.randn(9, 7, generator=torch.Generator().manual_seed(2))
    for net in nets:
        net(X).pow(2).sum().backward()
    expected = torch.nn.utils.clip_grad_norm_(nets[0].parameters(), max_norm)
    norm = clip_gradients(nets[1].parameters(), max_norm)  # a generator, as torch accepts
    assert norm == float(expected)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.equal(a.grad, b.grad)


def test_clip_gradients_scales_nan_norms_as_torch_does():
    nets = [_net(), _net()]
    for net in nets:
        net(torch.ones(2, 7)).sum().backward()
        next(net.parameters()).grad[0, 0] = float("nan")
    torch.nn.utils.clip_grad_norm_(nets[0].parameters(), 1.0)
    clip_gradients(list(nets[1].parameters()), 1.0)
    for a, b in zip(nets[0].parameters(), nets[1].parameters()):
        assert torch.equal(a.grad.isnan(), b.grad.isnan())
    assert clip_gradients([torch.nn.Parameter(torch.ones(2))], 1.0) == 0.0  # no gradients


def test_adaptive_clipper_keeps_its_history():
    clipper = AdaptiveGradientClipper(5.0)
    net = _net()
    for _ in range(7):
        net.zero_grad()
        net(torch.ones(3, 7)).sum().backward()
        norm = clipper(net.parameters())
        assert norm > 0
    assert len(clipper.recent) == clipper.window
    assert max(clipper.recent) <= clipper.cap


# -- the loss terms computed once for all training rows -------------------------------------------
def _batches(n, seed=0):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return [order[i : i + 50] for i in range(0, n, 50)]


def _data(n, n_features, seed):
    rng = np.random.RandomState(seed)
    D = rng.dirichlet(np.full(5, 0.4), size=n)
    X = rng.rand(n, n_features) * (rng.rand(n_features) < 0.5)  # sparse-ish, as Movie
    return X, D


@pytest.fixture(scope="module")
def rows():
    _, D = _data(131, 1, seed=4)
    D = torch.as_tensor(D, dtype=torch.float32)
    D[3] = torch.tensor([1.0, 0, 0, 0, 0])  # a one-hot row (d_k = 1, empty non-dominant part)
    logits = torch.randn(131, 5, generator=torch.Generator().manual_seed(5))
    return D, logits


@pytest.mark.parametrize("loss", ["kl", "focal", "class_balanced", "distribution_balanced"])
def test_loss_from_precomputed_rows_is_the_loss_of_the_batch(loss, rows):
    D, logits = rows
    bound = resolve_loss(loss).bind(D.numpy())
    terms = bound.row_terms(D)
    for index in _batches(len(D)):
        Db, zb = D[index], logits[index]
        mine = {k: v.index_select(0, index) for k, v in terms.items()}
        assert torch.equal(bound(Db, zb, mine), bound(Db, zb))
        for dominant_target in ("binary", "one_hot"):
            for nondominant_target in ("normalized", "softmax"):
                targets = L.decoupled_row_terms(
                    D, nondominant_target=nondominant_target, dominant_target=dominant_target
                )
                targets = {k: v.index_select(0, index) for k, v in targets.items()}
                options = {
                    "dominant_target": dominant_target,
                    "nondominant_target": nondominant_target,
                }
                fast = bound.decoupled(Db, zb, terms=mine, targets=targets, **options)
                slow = bound.decoupled(Db, zb, **options)
                assert torch.equal(fast[0], slow[0]) and torch.equal(fast[1], slow[1])


def test_rebalance_weights_split_at_the_sigmoid(rows):
    D, _ = rows
    mass = D.sum(dim=0)
    z = L.rebalance_logits(D, mass, scale=10.0, shift=0.9)
    assert torch.equal(torch.sigmoid(z) + 0.1, L.rebalance_weights(D, mass))


# -- whole fits: every fast path off vs on ------------------------------------------------------
def _slow_paths(monkeypatch):
    """The generic paths the fast ones replace."""
    monkeypatch.setattr(_FusedAdamStep, "build", classmethod(lambda cls, optimizer: None))
    monkeypatch.setattr(
        _torch,
        "clip_gradients",
        lambda parameters, max_norm: float(torch.nn.utils.clip_grad_norm_(parameters, max_norm)),
    )
    from ldlkit.neural._base import _NeuralLDL

    def plain_rows(self, tensors):
        self._row_term_names = []
        return tensors

    monkeypatch.setattr(_NeuralLDL, "_extend_rows", plain_rows)


@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (RDA, {}),
        (RDA, {"clip_mode": "fixed", "gradient_clip": 0.05}),  # clips most steps
        (DILDL, {}),
        (DILDL, {"dominant_target": "one_hot", "nondominant_target": "softmax"}),
        (AMEMA, {}),
        (OFRDistributionBalanced, {}),
        (MLPLDL, {"loss": "class_balanced"}),
    ],
)
def test_fits_with_and_without_the_fast_paths_are_identical(cls, params, monkeypatch):
    X, D = _data(130, 30, seed=2)
    settings = {"max_epochs": 6, "hidden_size": 16, "random_state": 0, **params}
    fast_model = cls(**settings).fit(X, D)
    fast = fast_model.predict(X[:40])
    with monkeypatch.context() as patch:
        _slow_paths(patch)
        slow_model = cls(**settings).fit(X, D)
        slow = slow_model.predict(X[:40])
    np.testing.assert_array_equal(fast, slow)
    assert fast_model.best_epoch_ == slow_model.best_epoch_
    assert [e["train_loss"] for e in fast_model.history_.epochs] == [
        e["train_loss"] for e in slow_model.history_.epochs
    ]

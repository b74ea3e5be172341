"""ConLE's losses against the paper's equations, its ablation switches, and its trivial optimum."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ldlkit.enhancement import ConLE, binarize  # noqa: E402
from ldlkit.enhancement._conle import contrastive_loss, threshold_loss  # noqa: E402


def cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_contrastive_loss_is_equations_5_to_8():
    rng = np.random.default_rng(0)
    Z, Q = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    tau = 0.5
    total = 0.0
    for m in range(4):
        for anchor, same, other in ((Z, Q, Z), (Q, Z, Q)):
            positive = math.exp(cos(anchor[m], same[m]) / tau)
            negatives = sum(
                math.exp(cos(anchor[m], other[s]) / tau) + math.exp(cos(anchor[m], same[s]) / tau)
                for s in range(4)
                if s != m
            )
            total += -math.log(positive / negatives)
    got = contrastive_loss(torch.tensor(Z), torch.tensor(Q), tau)
    assert float(got) == pytest.approx(total / 4, rel=1e-10)
    assert float(contrastive_loss(torch.tensor(Z[:1]), torch.tensor(Q[:1]), tau)) == 0.0


def test_threshold_loss_is_equation_14():
    D = torch.tensor([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.4, 0.3, 0.3]])
    L = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    # row 0: max d- 0.2, min d+ 0.3 -> max(-0.1 + eps, 0); row 1: 0.5 - 0.2 + eps; row 2: no d-.
    eps = 0.05
    expected = (max(0.2 - 0.3 + eps, 0) + (0.5 - 0.2 + eps) + 0.0) / 3
    assert float(threshold_loss(D, L, eps)) == pytest.approx(expected)


def test_ablation_switches_remove_exactly_one_term():
    rng = np.random.default_rng(1)
    X = torch.tensor(rng.normal(size=(8, 3)), dtype=torch.float32)
    L = torch.tensor(binarize(rng.dirichlet(np.ones(3), size=8)), dtype=torch.float32)
    full = ConLE(hidden_size=4, projection_size=2)
    module = full._build(3, 3)
    module.requires_grad_(False)  # values only: no autograd graph is needed here
    Z, Q, D = full._forward(module, X, L)
    goal = torch.softmax(L, 1)  # the default target (Eq. 11's softmax normalisation)
    l_dis = ((D - goal) ** 2).sum(1).mean()
    l_thr = threshold_loss(D, L, full.margin)
    l_con = contrastive_loss(Z, Q, full.temperature)
    parts = {
        (True, True): l_con + 0.5 * l_dis + l_thr,
        (False, True): 0.5 * l_dis + l_thr,  # ConLE_h, Eq. 16
        (True, False): 0.5 * l_dis + l_con,  # ConLE_l, Eq. 17
    }
    for (contrastive, threshold), expected in parts.items():
        est = ConLE(hidden_size=4, projection_size=2, contrastive=contrastive, threshold=threshold)
        assert float(est._loss(module, X, L)) == pytest.approx(float(expected), rel=1e-6)
    summed = ConLE(distance_reduction="sum")._loss(module, X, L) - l_con - l_thr
    assert float(summed) == pytest.approx(0.5 * float(((D - goal) ** 2).sum()), rel=1e-5)


def test_long_training_drives_the_logical_target_to_the_normalised_logical_labels():
    """target="logical": l_dis and l_thr are minimised by L / row sum."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(30, 4))
    logical = binarize(rng.dirichlet(np.ones(4) * 0.5, size=30))
    trivial = logical / logical.sum(1, keepdims=True)
    fixed = dict(batch_size=None, target="logical", n_iter_no_change=None, random_state=0)
    short = ConLE(max_epochs=1, learning_rate=0.01, **fixed).fit_transform(X, logical)
    long = ConLE(max_epochs=1000, learning_rate=0.2, momentum=0.9, **fixed).fit_transform(
        X, logical
    )
    assert np.abs(long - trivial).max() < 0.05
    assert np.abs(short - trivial).max() > 0.3


def test_default_target_is_softmax_of_the_logical_labels_and_training_reaches_it():
    """Eq. 11's softmax normalisation: the fixed point of l_dis is softmax(L), not L / k."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 4))
    logical = binarize(rng.dirichlet(np.ones(4) * 0.5, size=30))
    est = ConLE(hidden_size=16, projection_size=8, random_state=0)
    assert est.target == "softmax"
    L = torch.tensor(logical, dtype=torch.float32)
    np.testing.assert_allclose(est._distance_target(L).numpy(), torch.softmax(L, 1).numpy())
    D = ConLE(hidden_size=32, projection_size=16, random_state=0).fit_transform(X, logical)
    target = np.exp(logical) / np.exp(logical).sum(1, keepdims=True)
    normalised = logical / logical.sum(1, keepdims=True)
    # trained to the plateau, the rows sit much nearer softmax(L) than L / k
    assert np.abs(D - target).mean() < 0.5 * np.abs(D - normalised).mean()


def test_training_stops_on_a_loss_plateau_before_max_epochs():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 3))
    logical = binarize(rng.dirichlet(np.ones(3), size=40))
    est = ConLE(hidden_size=16, projection_size=8, max_epochs=3000, random_state=0)
    est.fit(X, logical)
    assert 2 * est.n_iter_no_change <= est.n_epochs_ < 3000
    assert len(est.loss_curve_) == est.n_epochs_
    fixed = ConLE(hidden_size=16, projection_size=8, max_epochs=30, n_iter_no_change=None)
    assert fixed.set_params(random_state=0).fit(X, logical).n_epochs_ == 30


def test_loss_plateau_rule():
    from ldlkit.enhancement._training import loss_plateaued

    falling = list(np.linspace(10, 1, 100))
    assert not loss_plateaued(falling, 20, 1e-3)
    flat = [1.0] * 40
    assert loss_plateaued(flat, 20, 1e-3)
    assert not loss_plateaued(flat[:39], 20, 1e-3)  # fewer than two windows
    assert loss_plateaued([2.0] * 20 + [1.999] * 20, 20, 1e-3)
    assert not loss_plateaued([2.0] * 20 + [1.99] * 20, 20, 1e-3)


def test_loss_plateau_rule_absolute_floor():
    from ldlkit.enhancement._training import loss_plateaued

    # a loss halving towards 0 every window: each relative fall is 50 %, far above tol
    towards_zero = [1e-3 * 0.5**k for k in range(10) for _ in range(20)]
    assert not loss_plateaued(towards_zero, 20, 1e-3)
    assert not loss_plateaued(towards_zero[:40], 20, 1e-3, abs_tol=1e-4)  # falls 5e-4 > 1e-4
    assert loss_plateaued(towards_zero, 20, 1e-3, abs_tol=1e-4)
    # the floor never stops a loss that still falls by more than it
    assert not loss_plateaued([2.0] * 20 + [1.99] * 20, 20, 1e-3, abs_tol=1e-4)


def test_ablation_without_contrast_stops_before_max_epochs():
    # ConLE_h's loss falls towards 0 at its fixed point; the absolute floor ends its training
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 4))
    logical = binarize(rng.dirichlet(np.ones(4), size=60))
    kwargs = dict(hidden_size=16, projection_size=8, contrastive=False, random_state=0)
    floored = ConLE(max_epochs=3000, **kwargs).fit(X, logical)
    assert floored.n_epochs_ < 3000
    relative = ConLE(max_epochs=floored.n_epochs_ + 200, abs_tol=0.0, **kwargs).fit(X, logical)
    assert relative.n_epochs_ > floored.n_epochs_
    np.testing.assert_allclose(
        relative.loss_curve_[: floored.n_epochs_], floored.loss_curve_, rtol=1e-5
    )


def _plain_contrastive_loss(Z, Q, tau):
    # Eqs. 5-8 through autograd's own graph: logsumexp over the negatives of each of the 2n rows
    n = Z.shape[0]
    views = torch.nn.functional.normalize(torch.cat([Z, Q]), dim=1)
    logits = views @ views.T / tau
    mask = torch.eye(2 * n, dtype=torch.bool)
    mask |= torch.roll(torch.eye(2 * n, dtype=torch.bool), n, dims=1)
    denominator = torch.logsumexp(logits.masked_fill(mask, float("-inf")), dim=1)
    positive = (views[:n] * views[n:]).sum(1) / tau
    return (denominator.sum() - 2 * positive.sum()) / n


@pytest.mark.parametrize("tau", [0.5, 0.1, 0.01])
def test_contrastive_loss_gradient_matches_autograd_graph(tau):
    torch.manual_seed(0)
    Z = torch.randn(13, 4, dtype=torch.float64, requires_grad=True)
    Q = torch.randn(13, 4, dtype=torch.float64, requires_grad=True)
    got = contrastive_loss(Z, Q, tau)
    got.backward()
    grads = Z.grad.clone(), Q.grad.clone()
    Z.grad, Q.grad = None, None
    want = _plain_contrastive_loss(Z, Q, tau)
    want.backward()
    np.testing.assert_allclose(got.detach().item(), want.detach().item(), rtol=1e-10)
    np.testing.assert_allclose(grads[0].numpy(), Z.grad.numpy(), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(grads[1].numpy(), Q.grad.numpy(), rtol=1e-8, atol=1e-10)
    assert torch.autograd.gradcheck(lambda z, q: contrastive_loss(z, q, tau), (Z, Q))

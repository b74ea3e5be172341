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

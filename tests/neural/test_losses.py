"""Each loss of ldlkit.neural: its value on hand-checked inputs and its gradient (gradcheck)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ldlkit.neural import _losses as L  # noqa: E402


def _targets(n=4, n_labels=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    D = torch.rand(n, n_labels, generator=g, dtype=torch.float64) + 0.05
    D[0, 1] = 0.0  # an exact zero degree
    D = D / D.sum(dim=1, keepdim=True)
    logits = torch.randn(n, n_labels, generator=g, dtype=torch.float64, requires_grad=True)
    return D, logits


def _check_grad(fn, *inputs):
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5)


def test_kl_divergence_value_and_gradient():
    D, logits = _targets()
    p = torch.softmax(logits, 1).detach().numpy()
    d = D.numpy()
    expected = np.mean(
        [sum(a * math.log(a / b) for a, b in zip(r, q) if a > 0) for r, q in zip(d, p)]
    )
    assert float(L.kl_divergence(D, logits.detach())) == pytest.approx(expected, rel=1e-12)
    assert float(L.kl_divergence(D, torch.log(D + 1e-300))) == pytest.approx(0.0, abs=1e-12)
    _check_grad(lambda z: L.kl_divergence(D, z), logits)


@pytest.mark.parametrize("dominant_target", ["binary", "one_hot"])
@pytest.mark.parametrize("nondominant_target", ["normalized", "softmax"])
def test_decoupled_kl_gradient(dominant_target, nondominant_target):
    D, logits = _targets()

    def both(z):
        a, b = L.decoupled_kl(
            D, z, dominant_target=dominant_target, nondominant_target=nondominant_target
        )
        return a + 2 * b

    _check_grad(both, logits)


def test_binary_decoupling_is_the_kl_identity():
    # KL(d || p) = KL(b || b') + (1 - d_k) KL(d_hat || p_hat), row by row
    D, logits = _targets(n=6, n_labels=5, seed=3)
    dom, nondom = L.decoupled_kl(D, logits, reduction="none")
    d_k = D.max(dim=1).values
    np.testing.assert_allclose(
        (dom + (1 - d_k) * nondom).detach().numpy(),
        L.kl_divergence(D, logits, reduction="none").detach().numpy(),
        rtol=1e-10,
    )


def test_one_hot_dominant_part_is_minus_log_p_k():
    D, logits = _targets()
    dom, _ = L.decoupled_kl(D, logits, dominant_target="one_hot", reduction="none")
    k = D.argmax(dim=1)
    expected = -torch.log_softmax(logits, 1)[torch.arange(len(k)), k]
    np.testing.assert_allclose(dom.detach().numpy(), expected.detach().numpy(), rtol=1e-12)


def test_decoupled_targets():
    D = torch.tensor([[0.5, 0.3, 0.2], [1.0, 0.0, 0.0]], dtype=torch.float64)
    mask, d_k, D_hat = L.decoupled_targets(D)
    assert mask.tolist() == [[True, False, False], [True, False, False]]
    np.testing.assert_allclose(d_k.numpy(), [0.5, 1.0])
    np.testing.assert_allclose(D_hat.numpy(), [[0, 0.6, 0.4], [0, 0, 0]])
    _, _, soft = L.decoupled_targets(D, nondominant_target="softmax")
    e = math.exp(0.3) / (math.exp(0.3) + math.exp(0.2))
    np.testing.assert_allclose(soft[0].numpy(), [0, e, 1 - e])
    with pytest.raises(ValueError, match="nondominant_target"):
        L.decoupled_targets(D, nondominant_target="other")
    with pytest.raises(ValueError, match="dominant_target"):
        L.decoupled_kl(D, D, dominant_target="other")


def test_gaussian_kl_value_and_gradient():
    g = torch.Generator().manual_seed(1)
    args = [
        torch.randn(3, 2, generator=g, dtype=torch.float64, requires_grad=True) for _ in range(4)
    ]
    mu_q, lv_q, mu_p, lv_p = (a.detach().numpy() for a in args)
    var_q, var_p = np.exp(lv_q), np.exp(lv_p)
    expected = np.mean(
        np.sum(0.5 * (np.log(var_p / var_q) + (var_q + (mu_q - mu_p) ** 2) / var_p - 1), axis=1)
    )
    plain = [a.detach() for a in args]
    assert float(L.gaussian_kl(*plain)) == pytest.approx(expected, rel=1e-12)
    assert float(L.gaussian_kl(*plain[:2], *plain[:2])) == pytest.approx(0, abs=1e-14)
    _check_grad(L.gaussian_kl, *args)


def test_similarity_alignment_value_and_gradient():
    g = torch.Generator().manual_seed(2)
    A = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    B = torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        assert float(L.similarity_alignment(A, 2 * A)) == pytest.approx(0.0, abs=1e-14)
    a = A.detach().numpy() / np.linalg.norm(A.detach().numpy(), axis=1, keepdims=True)
    b = B.detach().numpy() / np.linalg.norm(B.detach().numpy(), axis=1, keepdims=True)
    expected = np.mean((a @ a.T - b @ b.T) ** 2)
    assert float(L.similarity_alignment(A, B).detach()) == pytest.approx(expected, rel=1e-12)
    _check_grad(L.similarity_alignment, A, B)


def test_ofr_loss_reduces_to_kl_and_gradients():
    D, logits = _targets()
    with torch.no_grad():
        plain = L.ofr_loss(D, logits, focal_gamma=0.0)
        assert float(plain) == pytest.approx(float(L.kl_divergence(D, logits)), rel=1e-12)
    mass = D.sum(dim=0)
    weight = L.rebalance_weights(D, mass)
    bias = -0.05 * torch.log(len(D) / mass - 1)
    _check_grad(lambda z: L.ofr_loss(D, z), logits)
    _check_grad(lambda z: L.ofr_loss(D, z, weight=L.class_balanced_weights(D, mass)), logits)
    _check_grad(
        lambda z: L.ofr_loss(D, z, weight=weight, logit_bias=bias, negative_scale=2.0), logits
    )


def test_ofr_focal_factor_by_hand():
    D = torch.tensor([[0.7, 0.3]], dtype=torch.float64)
    z = torch.tensor([[0.2, -0.1]], dtype=torch.float64)
    p = torch.softmax(z, 1)[0].numpy()
    expected = sum((1 - p[j]) ** 2 * d * math.log(d / p[j]) for j, d in enumerate([0.7, 0.3]))
    assert float(L.ofr_loss(D, z)) == pytest.approx(expected, rel=1e-12)
    # logit regularisation: bias first, then scale by 1 + (s - 1)(1 - d)
    zz = (z + torch.tensor([0.1, -0.2], dtype=torch.float64)) * torch.tensor(
        [1 + 0.3, 1 + 0.7], dtype=torch.float64
    )
    pp = torch.softmax(zz, 1)[0].numpy()
    w = np.array([0.7 + 0.3 / 2, 0.3 + 0.7 / 2])
    expected = sum(
        w[j] * (1 - pp[j]) ** 2 * d * math.log(d / pp[j]) for j, d in enumerate([0.7, 0.3])
    )
    got = L.ofr_loss(
        D,
        z,
        weight=torch.ones(1, 2, dtype=torch.float64),
        logit_bias=torch.tensor([0.1, -0.2], dtype=torch.float64),
        negative_scale=2.0,
    )
    assert float(got) == pytest.approx(expected, rel=1e-12)


def test_class_balanced_and_rebalance_weights_by_hand():
    D = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8]], dtype=torch.float64)
    mass = torch.tensor([2.0, 10.0, 0.0], dtype=torch.float64)
    w = (1 - 0.9) / (1 - 0.9 ** np.array([2.0, 10.0, 1.0]))  # zero mass counts as 1
    cb = L.class_balanced_weights(D, mass, 0.9).numpy().ravel()
    np.testing.assert_allclose(cb, [0.5 * w[0] + 0.5 * w[1], 0.2 * w[1] + 0.8 * w[2]])
    inv = 1 / np.array([2.0, 10.0, 1.0])
    rb = L.rebalance_weights(D, mass).numpy()
    repeat = D.numpy() @ inv
    expected = 1 / (1 + np.exp(-10 * (inv[None] / repeat[:, None] - 0.9))) + 0.1
    np.testing.assert_allclose(rb, expected, rtol=1e-12)


def test_amema_weight_and_momentum_rules():
    assert L.amema_branch_weight(1.0, 1.0) == pytest.approx(0.2 + 0.8 * 0.5)
    # w_ns stays within [b, 1]; larger non-dominant loss -> larger weight
    low, high = L.amema_branch_weight(1.0, 1e-9), L.amema_branch_weight(1e-9, 1.0)
    assert 0.2 <= low < 0.21 and 0.99 < high <= 1.0
    assert L.amema_branch_weight(1.0, 2.0) > L.amema_branch_weight(1.0, 1.5)
    mu_s, mu_ns = L.momentum_step(0.75, 0.95, 1.0, 1.0, steepness=5, rate=0.01, low=0, high=0.99)
    assert (mu_s, mu_ns) == pytest.approx((0.75 - 0.005, 0.95 + 0.005))
    mu_s, mu_ns = 0.75, 0.95
    for _ in range(1000):
        mu_s, mu_ns = L.momentum_step(
            mu_s, mu_ns, 1.0, 3.0, steepness=5, rate=0.01, low=0.0, high=0.99
        )
    assert mu_ns == 0.99 and mu_s == 0.0


# -- the composable losses and the base they give DILDL's decoupled parts ----------------------
def _db_reference(D, logits, mass, n_rows):
    """The distribution-balanced focal loss written out element by element (numpy, float64):
    rebalance map 0.1 + sigmoid(10 (pos_w - 0.9)), init bias 0.05, negative scale 2, focal
    gamma 2, mean over all n x L elements."""
    D = np.asarray(D, dtype=np.float64)
    z = np.asarray(logits, dtype=np.float64)
    inverse = 1.0 / mass
    pos_w = inverse[None, :] / (D * inverse).sum(axis=1, keepdims=True)
    weight = 0.1 + 1.0 / (1.0 + np.exp(-10.0 * (pos_w - 0.9)))
    z = z - 0.05 * np.log(n_rows / mass - 1.0)
    z = z * (1.0 - D) * 2.0 + z * D
    weight = weight / 2.0 * (1.0 - D) + weight * D
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        element = np.where(D > 0, D * np.log(D / p), 0.0)
    return float(np.mean(weight * (1.0 - p) ** 2 * element))


def test_distribution_balanced_loss_matches_the_element_wise_formula():
    from ldlkit.neural import DistributionBalancedLoss

    D, logits = _targets(n=6, n_labels=5, seed=3)
    train = np.random.RandomState(0).dirichlet(np.ones(5) * 0.5, size=30)
    bound = DistributionBalancedLoss().bind(train)
    expected = _db_reference(D.numpy(), logits.detach().numpy(), train.sum(axis=0), 30)
    assert float(bound(D, logits.detach())) == pytest.approx(expected, rel=1e-10)
    _check_grad(lambda z: bound(D, z), logits)
    # "rows" reduction is L times "elements"
    rows = DistributionBalancedLoss(reduction="rows").bind(train)
    assert float(rows(D, logits.detach())) == pytest.approx(5 * expected, rel=1e-10)


def test_named_losses_agree_with_ofr_loss():
    from ldlkit.neural import ClassBalancedLoss, FocalLoss, KLLoss

    D, logits = _targets(n=5, n_labels=4, seed=1)
    z = logits.detach()
    train = np.random.RandomState(1).dirichlet(np.ones(4), size=20)
    mass = torch.as_tensor(train.sum(axis=0))
    assert float(KLLoss().bind(train)(D, z)) == pytest.approx(float(L.kl_divergence(D, z)))
    focal = FocalLoss(reduction="rows").bind(train)
    assert float(focal(D, z)) == pytest.approx(float(L.ofr_loss(D, z, focal_gamma=2.0)))
    cb = ClassBalancedLoss(reduction="rows").bind(train)
    weight = L.class_balanced_weights(D, mass, 0.9)
    assert float(cb(D, z)) == pytest.approx(float(L.ofr_loss(D, z, weight=weight)))


def test_decoupled_parts_with_unit_weights_are_the_plain_parts():
    D, logits = _targets(n=5, n_labels=4, seed=2)
    z = logits.detach()
    for dominant_target in ("binary", "one_hot"):
        plain = L.decoupled_kl(D, z, dominant_target=dominant_target)
        ones = L.decoupled_kl(
            D, z, dominant_target=dominant_target, element_weight=torch.ones_like(D)
        )
        for a, b in zip(plain, ones):
            assert float(a) == pytest.approx(float(b), rel=1e-12)
    # on the KL base the bound loss's parts are the paper's parts
    from ldlkit.neural import KLLoss

    bound = KLLoss().bind(D.numpy())
    parts = bound.decoupled(D, z, dominant_target="binary", nondominant_target="normalized")
    for a, b in zip(parts, L.decoupled_kl(D, z)):
        assert float(a) == pytest.approx(float(b), rel=1e-12)


def test_decoupled_parts_on_the_db_base_weigh_each_term_and_have_gradients():
    from ldlkit.neural import DistributionBalancedLoss

    D, logits = _targets(n=5, n_labels=4, seed=4)
    train = np.random.RandomState(2).dirichlet(np.ones(4), size=25)
    bound = DistributionBalancedLoss().bind(train)
    z, omega = bound.reshape(D, logits.detach())
    mask, d_k, D_hat = L.decoupled_targets(D)
    w_k = (omega * mask).sum(1)
    w_rest = (omega * D_hat).sum(1)
    p = torch.softmax(z, 1)
    p_k = (p * mask).sum(1)
    binary = torch.xlogy(d_k, d_k) - d_k * torch.log(p_k)
    rest = 1 - d_k
    binary_rest = torch.xlogy(rest, rest) - rest * torch.log(1 - p_k)
    expected = (w_k * binary + w_rest * binary_rest).mean() / 4
    dominant, _ = bound.decoupled(
        D, logits.detach(), dominant_target="binary", nondominant_target="normalized"
    )
    assert float(dominant) == pytest.approx(float(expected), rel=1e-10)
    for part in range(2):
        _check_grad(
            lambda x, part=part: bound.decoupled(
                D, x, dominant_target="binary", nondominant_target="normalized"
            )[part],
            logits,
        )


def test_soft_cross_entropy_is_kl_plus_entropy():
    D, logits = _targets()
    entropy = float(-(torch.xlogy(D, D)).sum(1).mean())
    ce = float(L.soft_cross_entropy(D, logits.detach()))
    assert ce == pytest.approx(float(L.kl_divergence(D, logits.detach())) + entropy, rel=1e-12)
    _check_grad(lambda z: L.soft_cross_entropy(D, z), logits)

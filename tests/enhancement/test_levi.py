"""LEVI follows its authors' code: networks, latent size, initialisation, optimiser, scaling."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ldlkit.enhancement import LEVI, binarize  # noqa: E402
from ldlkit.enhancement._levi import gaussian_kl  # noqa: E402


def _layers(module, kind):
    return [m for m in module.modules() if isinstance(m, kind)]


def test_code_networks_latent_and_initialisation():
    est = LEVI()
    module = est._build(7, 5)
    encoder, decoder = module["encoder"], module["decoder"]
    linear = _layers(encoder, torch.nn.Linear)
    assert [(m.in_features, m.out_features) for m in linear] == [(12, 500), (500, 500), (500, 400)]
    assert [type(m) for m in encoder][:6] == [
        torch.nn.Linear,
        torch.nn.ELU,
        torch.nn.Dropout,
        torch.nn.Linear,
        torch.nn.Tanh,
        torch.nn.Dropout,
    ]
    dec = _layers(decoder, torch.nn.Linear)
    assert [(m.in_features, m.out_features) for m in dec] == [(200, 500), (500, 500), (500, 7)]
    assert [type(m) for m in decoder][1:5] == [
        torch.nn.Tanh,
        torch.nn.Dropout,
        torch.nn.Linear,
        torch.nn.ELU,
    ]
    assert all(m.p == pytest.approx(0.1) for m in _layers(module, torch.nn.Dropout))
    for m in _layers(module, torch.nn.Linear):
        np.testing.assert_allclose(m.bias.detach().numpy(), 0.01)
    # latent max(200, L): 250 labels give a latent of 250
    assert LEVI()._build(3, 250)["encoder"][-1].out_features == 500


def test_kl_is_averaged_over_latent_dimensions():
    mean, std = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 2.0]])
    expected = 0.5 * ((1 + 1 - 0 - 1) + (0 + 4 - np.log(4) - 1)) / 2
    assert float(gaussian_kl(mean, std)) == pytest.approx(expected, rel=1e-6)


def test_global_min_max_scaling():
    X = np.array([[0.0, 10.0], [5.0, 20.0]])
    np.testing.assert_allclose(LEVI()._scale(X), X / 20.0)
    z = LEVI(scaling="standard")._scale(X)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-12)


def test_fit_is_full_batch_adam_with_weight_decay_and_reproducible():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    logical = binarize(rng.dirichlet(np.ones(3), size=30))
    a = LEVI(max_epochs=5, hidden_size=16, latent_size=8, random_state=0).fit_transform(X, logical)
    b = LEVI(max_epochs=5, hidden_size=16, latent_size=8, random_state=0).fit_transform(X, logical)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.sum(1), 1)
    compact = LEVI(architecture="compact", max_epochs=3, random_state=0).fit(X, logical)
    assert compact._build(4, 3)["encoder"][-1].out_features == 6
    with pytest.raises(ValueError, match="latent_size"):
        LEVI(latent_size=2, max_epochs=1).fit(X, logical)
    with pytest.raises(ValueError, match="milestones"):
        LEVI(milestones=(0,), max_epochs=1).fit(X, logical)

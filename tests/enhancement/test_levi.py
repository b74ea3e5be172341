"""LEVI follows its authors' code: networks, latent size, initialisation, optimiser, scaling;
its defaults are the authors' recovery-task command."""

from __future__ import annotations

import numpy as np
import pytest

from ldlkit.enhancement import LEVI, LEVI_SETTINGS, binarize


def test_defaults_are_the_authors_recovery_command():
    # LEVI-MLP/README.md: run_main.py -t recovery -e 45 -lr 0.001 -hidden 128 -dim_z 50
    # -a 0.5 -beta 1 (keep_prob 0.9, weight decay 1e-5, recovery milestones 500/800/900)
    params = LEVI().get_params()
    expected = {
        "architecture": "code",
        "max_epochs": 45,
        "learning_rate": 1e-3,
        "hidden_size": 128,
        "latent_size": 50,
        "beta_kl": 0.5,
        "beta_x": 1.0,
        "dropout": 0.1,
        "weight_decay": 1e-5,
        "milestones": (500, 800, 900),
        "gamma": 0.2,
        "batch_size": None,
        "scaling": "global",
    }
    assert {k: params[k] for k in expected} == expected
    assert LEVI_SETTINGS["recovery"] == {}
    # run_main.py's argparse defaults
    code = LEVI(**LEVI_SETTINGS["code-defaults"]).get_params()
    assert (code["hidden_size"], code["latent_size"], code["beta_kl"], code["beta_x"]) == (
        500,
        200,
        0.01,
        0.01,
    )
    assert code["max_epochs"] == 200 and code["architecture"] == "code"
    compact = LEVI(**LEVI_SETTINGS["compact"]).get_params()
    assert compact["architecture"] == "compact" and compact["max_epochs"] == 100


def test_latent_is_the_larger_of_latent_size_and_the_labels():
    est = LEVI()
    assert est._latent(5) == 50 and est._latent(80) == 80
    assert LEVI(latent_size=None)._latent(7) == 7
    # the encoder's last layer gives mean and std: 2 * max(50, L)
    assert LEVI()._build(3, 5)["encoder"][-1].out_features == 100
    assert LEVI()._build(3, 80)["encoder"][-1].out_features == 160
    assert LEVI(latent_size=2)._build(3, 6)["decoder"][0].in_features == 6


torch = pytest.importorskip("torch")

from ldlkit.enhancement._levi import gaussian_kl  # noqa: E402


def _layers(module, kind):
    return [m for m in module.modules() if isinstance(m, kind)]


def test_code_networks_and_initialisation():
    module = LEVI()._build(7, 5)
    encoder, decoder = module["encoder"], module["decoder"]
    linear = _layers(encoder, torch.nn.Linear)
    assert [(m.in_features, m.out_features) for m in linear] == [(12, 128), (128, 128), (128, 100)]
    assert [type(m) for m in encoder][:6] == [
        torch.nn.Linear,
        torch.nn.ELU,
        torch.nn.Dropout,
        torch.nn.Linear,
        torch.nn.Tanh,
        torch.nn.Dropout,
    ]
    dec = _layers(decoder, torch.nn.Linear)
    assert [(m.in_features, m.out_features) for m in dec] == [(50, 128), (128, 128), (128, 7)]
    assert [type(m) for m in decoder][1:5] == [
        torch.nn.Tanh,
        torch.nn.Dropout,
        torch.nn.Linear,
        torch.nn.ELU,
    ]
    assert all(m.p == pytest.approx(0.1) for m in _layers(module, torch.nn.Dropout))
    for m in _layers(module, torch.nn.Linear):
        np.testing.assert_allclose(m.bias.detach().numpy(), 0.01)
    code = LEVI(**LEVI_SETTINGS["code-defaults"])._build(7, 5)
    assert code["encoder"][0].out_features == 500 and code["encoder"][-1].out_features == 400
    compact = LEVI(**LEVI_SETTINGS["compact"])._build(4, 3)
    assert compact["encoder"][0].out_features == 200 and compact["encoder"][-1].out_features == 6


def test_kl_is_averaged_over_latent_dimensions():
    mean, std = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 2.0]])
    expected = 0.5 * ((1 + 1 - 0 - 1) + (0 + 4 - np.log(4) - 1)) / 2
    assert float(gaussian_kl(mean, std)) == pytest.approx(expected, rel=1e-6)


def test_global_min_max_scaling():
    X = np.array([[0.0, 10.0], [5.0, 20.0]])
    np.testing.assert_allclose(LEVI()._scale(X), X / 20.0)
    z = LEVI(scaling="standard")._scale(X)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-12)


def _toy(n=60, seed=0):
    """Three labels whose degrees follow the first three features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    D = np.exp(2 * X[:, :3])
    D /= D.sum(1, keepdims=True)
    return X, D, binarize(D)


def test_default_fit_is_full_batch_reproducible_and_not_softmax_of_the_labels():
    X, D, logical = _toy()
    a = LEVI(random_state=0).fit(X, logical)
    b = LEVI(random_state=0).fit_transform(X, logical)
    np.testing.assert_array_equal(a.label_distribution_, b)
    np.testing.assert_allclose(b.sum(1), 1)
    assert a.n_epochs_ == 45 and len(a.loss_curve_) == 45
    # the distribution ranks relevant labels above irrelevant ones on most rows ...
    top = b.argmax(1)
    assert logical[np.arange(len(b)), top].mean() > 0.9
    # ... and, unlike the code's argparse defaults, does not saturate at softmax(L)
    softmax_L = np.exp(logical) / np.exp(logical).sum(1, keepdims=True)
    assert np.abs(b - softmax_L).max() > 0.05
    with pytest.raises(ValueError, match="milestones"):
        LEVI(milestones=(0,), max_epochs=1).fit(X, logical)


def test_compact_setting_fits():
    X, _, logical = _toy(30)
    est = LEVI(**{**LEVI_SETTINGS["compact"], "max_epochs": 3}, random_state=0).fit(X, logical)
    assert est.label_distribution_.shape == logical.shape

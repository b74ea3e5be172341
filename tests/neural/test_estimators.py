"""The neural estimators: they learn on a Movie ILDL fold, are reproducible, continue training,
reload on CPU, and implement their papers' switches."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ldlkit.datasets import make_artificial  # noqa: E402
from ldlkit.experiments import ImbalancedSplit  # noqa: E402
from ldlkit.metrics import kl_divergence  # noqa: E402
from ldlkit.neural import (  # noqa: E402
    AMEMA,
    DILDL,
    MLPLDL,
    RDA,
    DistributionBalancedLoss,
    FocalLoss,
    OFRClassBalanced,
    OFRDistributionBalanced,
    OFRFocal,
)

ALL = [MLPLDL, OFRFocal, OFRClassBalanced, OFRDistributionBalanced, RDA, DILDL, AMEMA]
cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture(scope="module")
def movie_fold(load_real):
    X, D = load_real("Movie")
    train, test = next(ImbalancedSplit(dataset="Movie").split(X, D))
    return X[train], D[train], X[test], D[test]


@pytest.fixture(scope="module")
def toy():
    X, D = make_artificial(80, noise=0.05, random_state=0)
    return X[:60], D[:60], X[60:], D[60:]


# Few epochs keep the test fast; the Adam-trained methods reach their best validation epoch on
# this fold within 5-30 epochs at full settings (AMEMA trains its paper's 50 epochs).
LEARN_SETTINGS = {cls: ({} if cls is AMEMA else {"max_epochs": 30}) for cls in ALL}


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_beats_the_training_mean_on_a_movie_ildl_fold(cls, movie_fold):
    X, D, X_test, D_test = movie_fold
    mean_kl = kl_divergence(D_test, np.tile(D.mean(axis=0), (len(D_test), 1)))
    model = cls(random_state=0, **LEARN_SETTINGS[cls]).fit(X, D)
    kl = kl_divergence(D_test, model.predict(X_test))
    # the training mean scores 0.754 on this fold; every method must be clearly below it
    assert kl < mean_kl - 0.05, f"{cls.__name__}: KL {kl:.4f} vs training mean {mean_kl:.4f}"


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_same_seed_same_data_same_predictions_and_global_rng_untouched(cls, toy):
    X, D, X_test, _ = toy
    torch.manual_seed(123)
    before = torch.random.get_rng_state().clone()
    first = cls(max_epochs=3, hidden_size=16, random_state=5).fit(X, D).predict(X_test)
    assert torch.equal(torch.random.get_rng_state(), before)
    second = cls(max_epochs=3, hidden_size=16, random_state=5).fit(X, D).predict(X_test)
    other = cls(max_epochs=3, hidden_size=16, random_state=6).fit(X, D).predict(X_test)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_partial_fit_continues_training(cls, toy):
    X, D, X_test, _ = toy
    model = cls(max_epochs=2, hidden_size=16, random_state=0).fit(X, D)
    before = model.predict(X_test)
    restored = pickle.loads(pickle.dumps(model))
    model.partial_fit(X[:20], D[:20])
    assert model.history_.n_epochs == 3
    assert not np.array_equal(model.predict(X_test), before)
    # a reloaded model continues exactly as the original (optimiser state travels with it)
    restored.partial_fit(X[:20], D[:20])
    np.testing.assert_array_equal(restored.predict(X_test), model.predict(X_test))


def test_partial_fit_on_an_unfitted_model_is_fit(toy):
    X, D, X_test, _ = toy
    a = MLPLDL(max_epochs=2, random_state=0).partial_fit(X, D).predict(X_test)
    b = MLPLDL(max_epochs=2, random_state=0).fit(X, D).predict(X_test)
    np.testing.assert_array_equal(a, b)


def test_dildl_with_both_parts_off_is_rda(toy):
    X, D, X_test, _ = toy
    rda = RDA(max_epochs=4, random_state=3).fit(X, D).predict(X_test)
    off = DILDL(max_epochs=4, random_state=3, decoupled_loss=False, decoupled_alignment=False)
    np.testing.assert_array_equal(off.fit(X, D).predict(X_test), rda)
    on = DILDL(max_epochs=4, random_state=3).fit(X, D).predict(X_test)
    assert not np.array_equal(on, rda)
    # the same holds on the plain-KL base
    rda_kl = RDA(max_epochs=4, random_state=3, loss="kl").fit(X, D).predict(X_test)
    off_kl = DILDL(
        max_epochs=4, random_state=3, loss="kl", decoupled_loss=False, decoupled_alignment=False
    )
    np.testing.assert_array_equal(off_kl.fit(X, D).predict(X_test), rda_kl)
    assert not np.array_equal(rda_kl, rda)


DILDL_SETTINGS = {"max_epochs": 4, "batch_size": 50}


def test_amema_with_weig_and_mome_off_is_dildl(toy):
    X, D, X_test, _ = toy
    dildl = DILDL(random_state=2, **DILDL_SETTINGS).fit(X, D).predict(X_test)
    off = AMEMA(random_state=2, adaptive_weights=False, adaptive_momentum=False, **DILDL_SETTINGS)
    np.testing.assert_array_equal(off.fit(X, D).predict(X_test), dildl)
    for on in ({"adaptive_weights": True}, {"adaptive_momentum": True}):
        params = {"adaptive_weights": False, "adaptive_momentum": False, **on}
        variant = AMEMA(random_state=2, **params, **DILDL_SETTINGS).fit(X, D).predict(X_test)
        assert not np.array_equal(variant, dildl), on


def test_amema_with_every_part_off_is_rda(toy):
    X, D, X_test, _ = toy
    rda = RDA(random_state=4, **DILDL_SETTINGS).fit(X, D).predict(X_test)
    off = AMEMA(
        random_state=4,
        adaptive_weights=False,
        adaptive_momentum=False,
        decoupled_loss=False,
        decoupled_alignment=False,
        **DILDL_SETTINGS,
    )
    np.testing.assert_array_equal(off.fit(X, D).predict(X_test), rda)


@pytest.mark.parametrize(
    "params",
    [
        {"decoupled_loss": False},
        {"decoupled_alignment": False},
        {"dominant_target": "one_hot"},
        {"nondominant_target": "softmax"},
        {"loss": "kl"},
    ],
)
def test_dildl_switches_change_the_model(params, toy):
    X, D, X_test, _ = toy
    base = DILDL(max_epochs=3, random_state=1).fit(X, D).predict(X_test)
    variant = DILDL(max_epochs=3, random_state=1, **params).fit(X, D).predict(X_test)
    assert not np.array_equal(base, variant)


def test_amema_records_momentum_trajectories_and_weights(toy):
    X, D, _, _ = toy
    model = AMEMA(max_epochs=20, batch_size=16, random_state=0, validation_size=0).fit(X, D)
    history = model.momentum_history_
    n_steps = 20 * 4
    assert model.history_.n_steps == n_steps
    assert history.shape == (n_steps + 1, 2)
    np.testing.assert_array_equal(history[0], [0.75, 0.95])
    # the dominant momentum only falls, the non-dominant one only rises, and both stay below 1
    assert (np.diff(history[:, 0]) <= 0).all() and (np.diff(history[:, 1]) >= 0).all()
    assert history[-1, 0] < 0.75 and history[-1, 1] > 0.95 and history.max() <= 0.99
    # the branches' AdamW groups carry the momenta as beta_1; the shared groups keep 0.9
    betas = {g["branch"]: g["betas"][0] for g in model.optimizer_.param_groups}
    assert betas == {"dominant": history[-1, 0], "nondominant": history[-1, 1], "shared": 0.9}
    weights = model.branch_weight_history_
    assert weights.shape == (n_steps,) and ((weights >= 0.2) & (weights <= 1)).all()
    assert model.branch_loss_history_.shape == (n_steps, 2)


def test_amema_ablation_switches(toy):
    X, D, _, _ = toy
    fixed = AMEMA(max_epochs=5, random_state=0, adaptive_momentum=False).fit(X, D)
    assert (fixed.momentum_history_ == [0.75, 0.95]).all()
    assert len(fixed.optimizer_.param_groups) == 2  # DILDL's optimiser
    equal = AMEMA(max_epochs=5, random_state=0, adaptive_weights=False).fit(X, D)
    assert (equal.branch_weight_history_ == 0.4).all()  # DILDL's 1 - alpha
    with pytest.raises(ValueError, match="momentum_nondominant=0.995 is outside"):
        AMEMA(momentum_nondominant=0.995).fit(X, D)
    with pytest.raises(ValueError, match="needs decoupled_loss=True"):
        AMEMA(decoupled_loss=False).fit(X, D)
    with pytest.raises(ValueError, match="needs decoupled_alignment=True"):
        AMEMA(decoupled_alignment=False).fit(X, D)


def test_ofr_presets_are_mlpldl_with_their_loss(toy):
    X, D, X_test, _ = toy
    for preset, name in [
        (OFRFocal, "focal"),
        (OFRClassBalanced, "class_balanced"),
        (OFRDistributionBalanced, "distribution_balanced"),
    ]:
        assert preset().get_params() == MLPLDL(loss=name).get_params()
        a = preset(max_epochs=3, random_state=0).fit(X, D).predict(X_test)
        b = MLPLDL(loss=name, max_epochs=3, random_state=0).fit(X, D).predict(X_test)
        np.testing.assert_array_equal(a, b)
    # a loss object with its own parameters, and the name of its default, train the same model
    a = MLPLDL(loss=FocalLoss(), max_epochs=3, random_state=0).fit(X, D).predict(X_test)
    b = MLPLDL(loss="focal", max_epochs=3, random_state=0).fit(X, D).predict(X_test)
    np.testing.assert_array_equal(a, b)
    c = MLPLDL(loss=FocalLoss(gamma=0.5), max_epochs=3, random_state=0).fit(X, D).predict(X_test)
    assert not np.array_equal(a, c)


def test_loss_parameters_are_nested_and_validated(toy):
    X, D, _, _ = toy
    model = MLPLDL(loss=DistributionBalancedLoss(init_bias=0.1))
    assert model.get_params()["loss__init_bias"] == 0.1
    model.set_params(loss__init_bias=0.2)
    assert model.loss.init_bias == 0.2
    with pytest.raises(ValueError, match="loss"):
        MLPLDL(loss="hinge").fit(X, D)
    with pytest.raises(ValueError, match="gamma"):
        MLPLDL(loss=FocalLoss(gamma=-1.0), max_epochs=1).fit(X, D)
    with pytest.raises(TypeError, match="unexpected keyword"):
        MLPLDL(focal_gamma=2.0)


def test_rda_trains_like_its_code(toy):
    X, D, _, _ = toy
    model = RDA(max_epochs=2, random_state=0).fit(X, D)
    groups = model.optimizer_.param_groups
    assert [g["weight_decay"] for g in groups] == [1e-4, 0.01] and groups[0]["amsgrad"]
    names = [n for n, _ in model.module_.named_parameters()]
    assert sum(len(g["params"]) for g in groups) == len(names)
    assert model.optimizer_.defaults.get("fused") or model.optimizer_.defaults.get("foreach")
    # the label frequencies are those of the rows trained on (after the validation split)
    assert model.prediction_loss_.n_rows == model.n_train_ == 40
    # unit-loss scaling: the history keeps the unscaled loss
    assert model.history_.epochs[0]["train_loss"] != 1.0


def test_validation_rows_pick_the_best_epoch(toy):
    X, D, _, _ = toy
    model = RDA(max_epochs=6, validation_size=10, random_state=0).fit(X, D)
    assert model.n_validation_ == 10 and model.n_train_ == 50
    kl = [epoch["val_score"] for epoch in model.history_.epochs]
    assert len(kl) == 6 and model.best_epoch_ == int(np.argmin(kl)) + 1
    tiny = RDA(max_epochs=2, random_state=0).fit(X[:15], D[:15])  # 20 rows cannot be spared
    assert tiny.n_validation_ == 0 and tiny.best_epoch_ is None


def test_features_are_min_max_scaled_inside_the_estimator(toy):
    X, D, X_test, _ = toy
    a = MLPLDL(max_epochs=3, random_state=0).fit(X, D).predict(X_test)
    b = MLPLDL(max_epochs=3, random_state=0).fit(X * 1000 + 7, D).predict(X_test * 1000 + 7)
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_bad_parameters_are_named(toy):
    X, D, _, _ = toy
    with pytest.raises(ValueError, match="max_epochs"):
        MLPLDL(max_epochs=0).fit(X, D)
    with pytest.raises(ValueError, match="dominant_target"):
        DILDL(dominant_target="onehot").fit(X, D)
    with pytest.raises(ValueError, match="device"):
        RDA(device="tpu").fit(X, D)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA message")
def test_cuda_without_a_device_is_a_clear_error(toy):
    X, D, _, _ = toy
    with pytest.raises(ValueError, match="device='cuda' asks for CUDA"):
        MLPLDL(device="cuda", max_epochs=1).fit(X, D)
    assert MLPLDL(device="auto", max_epochs=1).fit(X, D).device_ == "cpu"


def test_verbose_shows_a_progress_bar(toy, capsys):
    X, D, _, _ = toy
    MLPLDL(max_epochs=2, verbose=True, random_state=0).fit(X, D)
    assert "MLPLDL" in capsys.readouterr().err


def test_importing_ldlkit_neural_does_not_import_torch():
    code = "import sys, ldlkit.neural; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@cuda
@pytest.mark.gpu
@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_cuda_model_reloads_and_predicts_on_cpu(cls, toy):
    X, D, X_test, _ = toy
    model = cls(max_epochs=3, device="cuda", random_state=0).fit(X, D)
    on_gpu = model.predict(X_test)
    blob = pickle.dumps(model)
    code = (
        "import pickle, sys, torch\n"
        "torch.cuda.is_available = lambda: False\n"
        "m = pickle.loads(sys.stdin.buffer.read())\n"
        "assert next(m.module_.parameters()).device.type == 'cpu'\n"
        "import numpy as np\n"
        "np.save(sys.stdout.buffer, m.predict(np.load(sys.argv[1])))\n"
    )
    import io
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".npy") as f:
        np.save(f.name, X_test)
        out = subprocess.run(
            [sys.executable, "-c", code, f.name], input=blob, capture_output=True, check=True
        )
    on_cpu = np.load(io.BytesIO(out.stdout))
    np.testing.assert_allclose(on_cpu, on_gpu, atol=1e-5)
    # same seed, same data, same device -> same predictions on CUDA as well
    again = cls(max_epochs=3, device="cuda", random_state=0).fit(X, D).predict(X_test)
    np.testing.assert_array_equal(again, on_gpu)

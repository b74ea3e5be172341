"""The torch core (ldlkit._torch) through a toy network estimator defined here."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from ldlkit.base import BaseLDL, get_tags
from ldlkit.datasets import make_artificial
from ldlkit.metrics import kl_divergence

torch = pytest.importorskip("torch")

from ldlkit._torch import (  # noqa: E402
    TORCH_PARAMETER_CONSTRAINTS,
    TorchLDLMixin,
    local_seed,
    resolve_device,
    train,
)

CUDA = torch.cuda.is_available()


class _ToyNet(TorchLDLMixin, BaseLDL):
    _parameter_constraints = dict(TORCH_PARAMETER_CONSTRAINTS)

    def __init__(
        self,
        *,
        max_epochs=30,
        batch_size=16,
        learning_rate=0.05,
        device="cpu",
        random_state=None,
        verbose=False,
        validation_rows=0,
        blow_up=False,
    ):
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.validation_rows = validation_rows
        self.blow_up = blow_up

    def _build_module(self, n_features, n_labels):
        return torch.nn.Sequential(
            torch.nn.Linear(n_features, 16), torch.nn.ReLU(), torch.nn.Linear(16, n_labels)
        )

    def get_loss(self, module, batch, state):
        X, D = batch
        log_p = torch.log_softmax(module(X), dim=1)
        loss = -(D * log_p).sum(dim=1).mean()
        return loss * float("nan") if self.blow_up else loss

    def _training_options(self, X, D):
        if not self.validation_rows:
            return {}
        v = self.validation_rows

        def score(module, validation):
            Xv, Dv = validation
            return float(-(Dv * torch.log_softmax(module(Xv), dim=1)).sum(dim=1).mean())

        return {"validation": (X[:v], D[:v]), "validation_score": score}


@pytest.fixture(scope="module")
def data():
    X, D = make_artificial(120, noise=0.05, random_state=3)
    return X[:90], D[:90], X[90:], D[90:]


def test_toy_network_learns_and_tags_say_torch(data):
    X, D, Xt, Dt = data
    model = _ToyNet(random_state=0, max_epochs=15, learning_rate=0.1).fit(X, D)
    mean = np.tile(D.mean(axis=0), (len(Dt), 1))
    assert kl_divergence(Dt, model.predict(Xt)) < 0.6 * kl_divergence(Dt, mean)
    assert get_tags(model).ldl.requires_torch
    assert model.history_.n_epochs == 15
    assert model.history_.n_steps == 15 * 6  # ceil(90 / 16) batches per epoch


def test_same_seed_same_predictions_and_global_rng_untouched(data):
    X, D, Xt, _ = data
    torch.manual_seed(123)
    before = torch.get_rng_state().clone()
    first = _ToyNet(random_state=5, max_epochs=3).fit(X, D).predict(Xt)
    assert torch.equal(torch.get_rng_state(), before), "fit moved the caller's torch RNG"
    second = _ToyNet(random_state=5, max_epochs=3).fit(X, D).predict(Xt)
    other = _ToyNet(random_state=6, max_epochs=3).fit(X, D).predict(Xt)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_partial_fit_continues_training_reproducibly(data):
    X, D, Xt, _ = data
    a = _ToyNet(random_state=1, max_epochs=3).fit(X, D)
    steps = a.history_.n_steps
    a.partial_fit(X[:40], D[:40])
    assert a.history_.n_epochs == 4 and a.history_.n_steps == steps + 3
    b = _ToyNet(random_state=1, max_epochs=3).fit(X, D).partial_fit(X[:40], D[:40])
    np.testing.assert_array_equal(a.predict(Xt), b.predict(Xt))


def test_pickle_round_trip_keeps_predictions_and_training_state(data):
    X, D, Xt, _ = data
    model = _ToyNet(random_state=2, max_epochs=3).fit(X, D)
    blob = pickle.dumps(model)
    restored = pickle.loads(blob)
    np.testing.assert_array_equal(restored.predict(Xt), model.predict(Xt))
    # continuing after a reload equals continuing without one
    model.partial_fit(X, D)
    restored.partial_fit(X, D)
    np.testing.assert_array_equal(restored.predict(Xt), model.predict(Xt))


def test_validation_split_restores_the_best_epoch():
    # A validation score scripted to be best at epoch 2: the final weights are epoch 2's.
    module = torch.nn.Linear(3, 2)
    X = torch.randn(20, 3, generator=torch.Generator().manual_seed(0))
    Y = torch.softmax(torch.randn(20, 2, generator=torch.Generator().manual_seed(1)), dim=1)
    scores = iter([3.0, 1.0, 2.0, 5.0, 4.0])
    snapshots = []

    def loss_fn(m, batch, state):
        x, y = batch
        return -(y * torch.log_softmax(m(x), dim=1)).sum(dim=1).mean()

    with local_seed(0):
        history = train(
            module,
            loss_fn,
            (X, Y),
            optimizer=torch.optim.SGD(module.parameters(), lr=0.5),
            max_epochs=5,
            batch_size=5,
            validation=(X, Y),
            validation_score=lambda m, v: next(scores),
            on_epoch_end=lambda s: snapshots.append(
                {k: t.clone() for k, t in s.module.state_dict().items()}
            ),
        )
    assert history.best_epoch == 2
    for key, value in module.state_dict().items():
        assert torch.equal(value, snapshots[1][key])
        assert not torch.equal(value, snapshots[-1][key])


def test_patience_stops_training_early_and_hooks_run_per_batch():
    module = torch.nn.Linear(2, 2)
    X, Y = torch.zeros(10, 2), torch.full((10, 2), 0.5)
    batches = []
    with local_seed(0):
        history = train(
            module,
            lambda m, b, s: (m(b[0]) ** 2).mean(),
            (X, Y),
            optimizer=torch.optim.SGD(module.parameters(), lr=0.1),
            max_epochs=50,
            batch_size=4,
            validation=(X, Y),
            validation_score=lambda m, v: 1.0,  # never improves after the first epoch
            patience=3,
            on_batch_end=lambda s: batches.append(s.step),
        )
    assert history.n_epochs == 4
    assert batches == list(range(1, 4 * 3 + 1))  # 3 batches of <= 4 rows per epoch


def test_gradient_clipping_bounds_each_step():
    module = torch.nn.Linear(4, 1, bias=False)
    start = module.weight.detach().clone()
    X = torch.full((8, 4), 100.0)
    with local_seed(0):
        train(
            module,
            lambda m, b, s: m(b[0]).sum() * 1e3,
            (X,),
            optimizer=torch.optim.SGD(module.parameters(), lr=1.0),
            max_epochs=1,
            batch_size=8,
            clip_grad_norm=1e-3,
        )
    assert float((module.weight.detach() - start).norm()) <= 1e-3 + 1e-9


def test_best_epoch_of_an_estimator_and_failed_fit_leaves_it_unfitted(data):
    X, D, Xt, _ = data
    model = _ToyNet(random_state=0, max_epochs=6, validation_rows=20).fit(X, D)
    assert 1 <= model.history_.best_epoch <= 6
    assert all("val_score" in e for e in model.history_.epochs)
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 1"):
        model.set_params(blow_up=True).fit(X, D)
    assert not hasattr(model, "module_") and not hasattr(model, "n_labels_")
    with pytest.raises(Exception, match="not fitted"):
        model.predict(Xt)


def test_device_errors_are_clear():
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda', 'cuda:N' or 'auto'"):
        resolve_device("gpu")
    assert resolve_device("auto") == ("cuda" if CUDA else "cpu")
    if not CUDA:
        with pytest.raises(ValueError, match="asks for CUDA.*device='cpu'"):
            resolve_device("cuda")
        X, D = make_artificial(20, random_state=0)
        with pytest.raises(ValueError, match="asks for CUDA"):
            _ToyNet(device="cuda").fit(X, D)


def test_importing_ldlkit_and_listing_estimators_does_not_import_torch():
    code = "import sys, ldlkit.base as b; b.all_estimators(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.gpu
@pytest.mark.skipif(not CUDA, reason="no CUDA device")
def test_cuda_trained_model_reloads_and_predicts_on_cpu(data, tmp_path):
    X, D, Xt, _ = data
    model = _ToyNet(random_state=0, device="cuda").fit(X, D)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    np.save(tmp_path / "Xt.npy", Xt)
    np.save(tmp_path / "expected.npy", model.predict(Xt))
    code = (
        "import pickle, sys, numpy as np; sys.path.insert(0, {tests!r});"
        "import test_torch_core;"
        "m = pickle.loads(open({path!r}, 'rb').read());"
        "assert m.device_ == 'cpu';"
        "np.testing.assert_allclose(m.predict(np.load({xt!r})), np.load({exp!r}), atol=1e-5)"
    ).format(
        tests=str(__import__("pathlib").Path(__file__).parent),
        path=str(path),
        xt=str(tmp_path / "Xt.npy"),
        exp=str(tmp_path / "expected.npy"),
    )
    env = {**__import__("os").environ, "CUDA_VISIBLE_DEVICES": ""}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_torch_threads_are_pinned_while_training_and_restored(monkeypatch):
    from ldlkit import _torch as core

    monkeypatch.delenv(core.TORCH_THREADS_ENV, raising=False)
    assert core.training_threads() == 1
    monkeypatch.setenv(core.TORCH_THREADS_ENV, "0")
    assert core.training_threads() == 0
    monkeypatch.setenv(core.TORCH_THREADS_ENV, "two")
    with pytest.raises(ValueError, match="LDLKIT_TORCH_THREADS='two'"):
        core.training_threads()
    monkeypatch.setenv(core.TORCH_THREADS_ENV, "1")
    before = torch.get_num_threads()
    seen = []
    with core.limit_torch_threads():
        seen.append(torch.get_num_threads())
    assert seen == [1] and torch.get_num_threads() == before


def test_fast_optimizer_options_pick_a_multi_tensor_path():
    from ldlkit import _torch as core

    options = core.fast_optimizer_options(torch.optim.AdamW, "cpu")
    assert options in ({"fused": True}, {"foreach": True})
    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.AdamW([w], lr=0.1, amsgrad=True, **options)
    w.grad = torch.ones(3)
    opt.step()
    assert (w < 1).all()


def test_adaptive_gradient_clipper_follows_recent_norms():
    from ldlkit._torch import AdaptiveGradientClipper

    w = torch.nn.Parameter(torch.zeros(4))
    clip = AdaptiveGradientClipper(5.0)
    norms = []
    for _ in range(8):
        w.grad = torch.full((4,), 10.0)  # norm 20
        clip([w])
        norms.append(float(w.grad.norm()))
    # the first five steps are unclipped; each recorded norm is capped at 1, so from then on the
    # gradient is clipped at 5 x 1
    assert norms[:5] == [20.0] * 5
    assert norms[5:] == pytest.approx([5.0] * 3)
    assert clip.recent == [1.0] * 5


def test_unit_loss_keeps_the_direction_and_records_the_raw_loss():
    from ldlkit._torch import train

    def run(unit):
        torch.manual_seed(0)
        module = torch.nn.Linear(2, 1)
        X = torch.randn(8, 2)
        opt = torch.optim.SGD(module.parameters(), lr=0.1)
        grads = []

        def loss_fn(m, batch, state):
            return 7.0 * (m(batch[0]) ** 2).mean()

        def hook(state):
            grads.append(state.loss)

        history = train(
            module,
            loss_fn,
            [X],
            optimizer=opt,
            max_epochs=1,
            batch_size=8,
            shuffle=False,
            unit_loss=unit,
            on_batch_end=hook,
        )
        return module.weight.detach().clone(), history.epochs[0]["train_loss"]

    w_raw, loss_raw = run(False)
    w_unit, loss_unit = run(True)
    assert loss_raw == pytest.approx(loss_unit)  # the history keeps the unscaled loss
    torch.manual_seed(0)
    w0 = torch.nn.Linear(2, 1).weight.detach()
    step_raw, step_unit = w_raw - w0, w_unit - w0
    # same direction, the unit step is the raw one divided by the loss
    assert torch.allclose(step_unit * loss_raw, step_raw, atol=1e-6)

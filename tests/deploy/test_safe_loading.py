"""Model files whose loading runs no code: every estimator round-trips without pickle, and crafted
files are refused before anything from them runs."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import ldlkit
from ldlkit.base import all_estimators, get_tags
from ldlkit.datasets import make_artificial
from ldlkit.deploy import load_model, save_model
from ldlkit.deploy._persistence import MAGIC, convert_model, read_header
from ldlkit.neighbors import AAKNN

SRC = str(Path(ldlkit.__file__).resolve().parents[1])


def _estimators():
    from ldlkit.enhancement import EnhancedLDL

    found = [(name, cls) for name, cls in all_estimators()]
    found.append(("EnhancedLDL", EnhancedLDL))
    return found


@pytest.fixture(scope="module")
def data():
    X, D = make_artificial(40, noise=0.05, random_state=1)
    return X, D, (D > D.mean(axis=1, keepdims=True)).astype(float)


def _fitted(cls, data):
    X, D, L = data
    tags = getattr(get_tags(cls), "ldl", None)  # EnhancedLDL is not an ldlkit template
    if tags is not None and tags.requires_torch:
        pytest.importorskip("torch")
    params = dict(tags.test_params) if tags is not None else {}
    est = cls(**params)
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if tags is not None and tags.kind == "le" or cls.__name__ == "EnhancedLDL":
            return est.fit(X, L)
        return est.fit(X, D)


def _outputs(est, X):
    if hasattr(est, "predict"):
        return est.predict(X)
    if hasattr(est, "transform"):
        return est.transform(X)
    return est.label_distribution_


@pytest.fixture
def no_unpickling(monkeypatch):
    """pickle, joblib and unrestricted torch.load all raise."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model file was unpickled")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    try:
        import joblib

        monkeypatch.setattr(joblib, "load", refuse)
    except ImportError:
        pass
    if "torch" in sys.modules or _torch_installed():
        import torch

        real = torch.load

        def restricted_only(*args, **kwargs):
            if kwargs.get("weights_only") is False:
                refuse()
            return real(*args, **kwargs)

        monkeypatch.setattr(torch, "load", restricted_only)


def _torch_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is not None


@pytest.mark.parametrize("name,cls", _estimators(), ids=[n for n, _ in _estimators()])
def test_every_estimator_round_trips_without_unpickling(tmp_path, data, name, cls, request):
    X = data[0]
    est = _fitted(cls, data)
    path = tmp_path / f"{name}.ldl"
    save_model(est, path)
    _, payload = read_header(path)
    assert payload.startswith(b"PK")  # an npz archive, not a pickle
    request.getfixturevalue("no_unpickling")
    loaded = load_model(path)
    assert type(loaded) is cls
    np.testing.assert_array_equal(_outputs(loaded, X), _outputs(est, X))
    if hasattr(loaded, "partial_fit"):
        _, D, _ = data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded.partial_fit(X[:3], D[:3])  # the rebuilt model keeps learning
        assert loaded.predict(X).shape == D.shape


class _Marker:
    """Unpickling this writes a marker file (what a hostile model file would do)."""

    def __init__(self, path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (Path.write_text, (Path(self.path), "ran"))


def _model_file(path, header_changes, payload) -> None:
    header = {
        "format": 2,
        "ldlkit_version": ldlkit.__version__,
        "model_id": "x" * 32,
        "method": {"class": "AAKNN", "module": "ldlkit.neighbors._aaknn", "params": {}},
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        **header_changes,
    }
    path.write_bytes(MAGIC + json.dumps(header).encode() + b"\n" + payload)


def _npz(state, **arrays) -> bytes:
    buffer = io.BytesIO()
    raw = np.frombuffer(json.dumps(state).encode(), dtype=np.uint8)
    np.savez(buffer, state=raw, **arrays)
    return buffer.getvalue()


def test_old_pickle_file_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.ldl"
    _model_file(path, {"format": 1}, pickle.dumps(_Marker(marker)))
    with pytest.raises(ValueError, match="Refit or convert"):
        load_model(path)
    assert not marker.exists()
    env = {**os.environ, "PYTHONPATH": SRC}
    X = tmp_path / "X.npy"
    np.save(X, np.zeros((2, 3)))
    commands = [["predict", str(path), "--data", str(X), "--out", str(tmp_path / "P.npy")],
                ["compact", str(path)]]  # fmt: skip
    if importlib.util.find_spec("fastapi") is not None:  # without it, serve names the extra
        commands.append(["serve", str(path), "--port", "0"])
    for cmd in commands:
        done = subprocess.run([sys.executable, "-m", "ldlkit.cli", *cmd], env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert "refit or convert" in done.stderr.lower()
        assert len(done.stderr.strip().splitlines()) == 1
    assert not marker.exists()


@pytest.mark.parametrize(
    "state",
    [
        {"O": "os:system", "id": 0, "state": []},  # a class outside ldlkit
        {"O": "builtins:eval", "id": 0, "state": []},
        {"O": "subprocess:Popen", "id": 0, "state": []},
        {"TY": "os:system"},
        {"FN": "os:system"},
        {"FN": "builtins:exec"},
        {"FN": "ldlkit.deploy._persistence:write_atomically"},  # no functions, not even ldlkit's
        {"TY": "ldlkit.deploy._persistence:ModelFile"},  # classes as values: builtins, numpy
        {"O": "ldlkit.deploy._persistence:load_model", "id": 0, "state": []},  # not a class
        {"UF": "system"},
        {"DT": "|O"},  # object dtype
        {"X": 1},  # unknown node kind
    ],
)
def test_crafted_state_is_refused(tmp_path, state, no_unpickling):
    path = tmp_path / "crafted.ldl"
    _model_file(path, {}, _npz(state))
    with pytest.raises(ValueError, match="crafted.ldl"):
        load_model(path)


def test_pickled_object_array_inside_the_archive_is_refused(tmp_path, no_unpickling):
    marker = tmp_path / "marker"
    buffer = io.BytesIO()
    raw = np.frombuffer(json.dumps({"A": 0, "id": 0}).encode(), dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.savez(buffer, state=raw, a0=np.array([_Marker(marker)], dtype=object))
    path = tmp_path / "crafted.ldl"
    _model_file(path, {}, buffer.getvalue())
    with pytest.raises(ValueError, match="cannot be read"):
        load_model(path)
    assert not marker.exists()


def test_unstorable_state_is_refused_at_save_time(tmp_path):
    X, D = make_artificial(30, random_state=0)
    model = AAKNN(k=3).fit(X, D)
    model.hook_ = lambda x: x  # a function from outside ldlkit
    with pytest.raises(TypeError, match=r"AAKNN\.hook_"):
        save_model(model, tmp_path / "m.ldl")
    assert not (tmp_path / "m.ldl").exists()


def test_trusted_old_file_is_converted_explicitly(tmp_path):
    X, D = make_artificial(30, random_state=0)
    model = AAKNN(k=3).fit(X, D)
    payload = pickle.dumps(model)
    old = tmp_path / "old.ldl"
    _model_file(old, {"format": 1, "model_id": "a" * 32}, payload)
    with pytest.raises(ValueError, match="trust"):
        convert_model(old)
    env = {**os.environ, "PYTHONPATH": SRC}
    cmd = [sys.executable, "-m", "ldlkit.cli", "convert-model", str(old), "--trust"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = load_model(old, with_header=True)
    assert loaded.header["format"] == 2 and loaded.header["model_id"] == "a" * 32
    np.testing.assert_array_equal(loaded.model.predict(X), model.predict(X))


def test_spare_capacity_of_a_served_model_is_not_stored(tmp_path):
    """A kNN model reserves room for appends while served; its file must not store that room."""
    X, D = make_artificial(200, random_state=0)
    model = AAKNN(k=3).fit(X, D)
    save_model(model, tmp_path / "plain.ldl")
    model.reserve(20_000)
    model.partial_fit(X[:2], D[:2])
    save_model(model, tmp_path / "served.ldl")
    plain, served = (
        (tmp_path / "plain.ldl").stat().st_size,
        (tmp_path / "served.ldl").stat().st_size,
    )
    assert served < 1.2 * plain, (plain, served)
    np.testing.assert_array_equal(load_model(tmp_path / "served.ldl").predict(X), model.predict(X))


@pytest.mark.parametrize("backend", ["torch", "faiss"])
def test_knn_search_backends_round_trip_without_unpickling(tmp_path, backend, no_unpickling):
    pytest.importorskip(backend)
    X, D = make_artificial(80, random_state=0)
    model = AAKNN(k=3, backend=backend).fit(X, D)
    save_model(model, tmp_path / "m.ldl")
    loaded = load_model(tmp_path / "m.ldl")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    loaded.partial_fit(X[:2], D[:2])
    model.partial_fit(X[:2], D[:2])
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))

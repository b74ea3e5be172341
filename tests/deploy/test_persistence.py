"""Model files: round trip, header contents, version and format refusal, atomic writes."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from ldlkit import __version__
from ldlkit.datasets import make_artificial
from ldlkit.deploy import (
    compatible_version,
    data_fingerprint,
    load_model,
    read_header,
    save_model,
)
from ldlkit.deploy._persistence import MAGIC
from ldlkit.dummy import MeanPredictor
from ldlkit.neighbors import AAKNN, UAKNN


@pytest.fixture
def data():
    return make_artificial(80, random_state=3)


def _rewrite_header(path, **changes):
    raw = path.read_bytes()
    end = raw.index(b"\n", len(MAGIC))
    header = json.loads(raw[len(MAGIC) : end])
    header.update(changes)
    path.write_bytes(MAGIC + json.dumps(header).encode() + raw[end:])


@pytest.mark.parametrize("make", [lambda: AAKNN(k=4), lambda: UAKNN(random_state=0)])
def test_round_trip_predicts_identically_and_records_the_method(tmp_path, data, make):
    X, D = data
    model = make().fit(X, D)
    path = tmp_path / "model.ldl"
    header = save_model(model, path, training_data=(X, D))
    loaded = load_model(path, with_header=True)
    np.testing.assert_array_equal(loaded.model.predict(X), model.predict(X))
    assert loaded.header == header
    assert header["ldlkit_version"] == __version__
    assert header["method"]["class"] == type(model).__name__
    assert header["method"]["params"] == json.loads(json.dumps(model.get_params(deep=False)))
    assert header["training_data"] == data_fingerprint(X, D)
    assert (header["n_features"], header["n_labels"]) == (X.shape[1], D.shape[1])
    assert {"numpy", "scipy", "scikit-learn"} <= set(header["libraries"])
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_fingerprint_follows_the_numbers_not_the_dtype(data):
    X, D = data
    fp = data_fingerprint(X, D)
    assert fp == data_fingerprint(np.asfortranarray(X), D.tolist())
    assert fp["X_shape"] == list(X.shape) and fp["D_shape"] == list(D.shape)
    X2 = X.copy()
    X2[5, 1] += 1e-12
    assert data_fingerprint(X2, D)["sha256"] != fp["sha256"]
    # The same bytes cut into another shape are other data.
    assert data_fingerprint(X.reshape(-1, 1), D)["sha256"] != fp["sha256"]


@pytest.mark.parametrize(
    ("saved", "running", "ok"),
    [
        ("0.1.0", "0.1.7", True),
        ("0.1.3", "0.1.0", True),
        ("0.2.0", "0.1.0", False),
        ("0.1.0", "0.2.0", False),
        ("1.0.0", "1.3.0", True),
        ("1.4.0", "1.3.0", False),
        ("2.0.0", "1.3.0", False),
        ("0.1.0.dev3", "0.1.0", True),
    ],
)
def test_compatible_version(saved, running, ok):
    assert compatible_version(saved, running) is ok


def test_file_from_an_incompatible_version_is_refused_before_unpickling(tmp_path, data):
    path = tmp_path / "model.ldl"
    save_model(MeanPredictor().fit(*data), path)
    major, minor = (int(v) for v in __version__.split(".")[:2])
    _rewrite_header(path, ldlkit_version=f"{major + 1}.{minor}.0")
    with pytest.raises(ValueError, match="incompatible with the installed ldlkit") as info:
        load_model(path)
    assert "\n" not in str(info.value)
    _rewrite_header(path, ldlkit_version=__version__, format=99)
    with pytest.raises(ValueError, match="model file format 99"):
        load_model(path)


def test_files_that_are_not_models_are_refused(tmp_path, data):
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps(AAKNN().fit(*data)))
    text = tmp_path / "data.csv"
    text.write_text("1,2,3\n")
    for path in (plain, text):
        with pytest.raises(ValueError, match="is not an ldlkit model file") as info:
            load_model(path)
        assert "\n" not in str(info.value)
    damaged = tmp_path / "damaged.ldl"
    damaged.write_bytes(MAGIC + b"{not json\n")
    with pytest.raises(ValueError, match="damaged header"):
        load_model(damaged)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.ldl")


def test_truncated_or_altered_payload_is_refused(tmp_path, data):
    path = tmp_path / "model.ldl"
    save_model(AAKNN().fit(*data), path)
    raw = path.read_bytes()
    path.write_bytes(raw[:-10])
    with pytest.raises(ValueError, match="does not match the checksum"):
        load_model(path)
    header, _ = read_header(tmp_path / "model.ldl")  # the header itself still reads
    assert header["method"]["class"] == "AAKNN"


def test_failed_save_leaves_the_old_file_whole(tmp_path, data):
    path = tmp_path / "model.ldl"
    save_model(AAKNN(k=3).fit(*data), path)
    before = path.read_bytes()
    broken = AAKNN(k=3).fit(*data)
    broken.unpicklable_ = lambda: None  # pickle fails after the header is built
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        save_model(broken, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.ldl"]


def test_unfitted_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        save_model(AAKNN(), tmp_path / "m.ldl")

"""``ldlkit fit``, ``predict`` and ``compact`` through the real entry point, ``ldlkit.cli.main``."""

from __future__ import annotations

import numpy as np
import pytest

from ldlkit.cli import main
from ldlkit.datasets import make_artificial
from ldlkit.deploy import ModelService, data_fingerprint, load_model
from ldlkit.neighbors import AAKNN


@pytest.fixture
def files(tmp_path):
    X, D = make_artificial(90, random_state=2)
    np.savez(tmp_path / "train.npz", X=X[:60], D=D[:60])
    np.savetxt(tmp_path / "train.csv", np.hstack([X[:60], D[:60]]), delimiter=",",
               header="f0,f1,f2,l0,l1,l2", comments="")  # fmt: skip
    np.save(tmp_path / "query.npy", X[60:])
    return tmp_path, X, D


def _read(path):
    if path.suffix == ".csv":
        return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if path.suffix == ".npz":
        return np.load(path)["P"]
    return np.load(path)


@pytest.mark.parametrize("train", ["train.npz", "train.csv"])
@pytest.mark.parametrize("out", ["p.csv", "p.npy", "p.npz"])
def test_fit_then_predict_equals_the_library(files, train, out, capsys):
    tmp, X, D = files
    model = tmp / "m.ldl"
    assert main(["fit", "--data", str(tmp / train), "--labels", "3",
                 "--method", "AAKNN:k=4", "--out", str(model)]) == 0  # fmt: skip
    assert "saved AAKNN" in capsys.readouterr().out
    loaded = load_model(model, with_header=True)
    assert loaded.model.k == 4
    assert loaded.header["training_data"] == data_fingerprint(X[:60], D[:60])
    assert main(["predict", str(model), "--data", str(tmp / "query.npy"),
                 "--out", str(tmp / out)]) == 0  # fmt: skip
    expected = AAKNN(k=4).fit(X[:60], D[:60]).predict(X[60:])
    np.testing.assert_allclose(_read(tmp / out), expected, rtol=0, atol=1e-15)


def test_fit_on_a_named_dataset_and_predict_a_training_csv(files):
    tmp, X, D = files
    model = tmp / "m.ldl"
    assert main(["fit", "--dataset", "artificial", "--method", "MeanPredictor",
                 "--out", str(model)]) == 0  # fmt: skip
    assert main(["predict", str(model), "--data", str(tmp / "train.csv"), "--labels", "3",
                 "--out", str(tmp / "p.npy")]) == 0  # fmt: skip
    assert np.load(tmp / "p.npy").shape == (60, 3)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit", "--data", "{tmp}/train.csv", "--method", "AAKNN", "--out", "{tmp}/m.ldl"],
         "--labels"),
        (["fit", "--data", "{tmp}/query.npy", "--method", "AAKNN", "--out", "{tmp}/m.ldl"],
         "holds one array"),
        (["fit", "--data", "{tmp}/train.npz", "--method", "NoSuchMethod", "--out", "{tmp}/m.ldl"],
         "unknown estimator"),
        (["fit", "--data", "{tmp}/train.npz", "--method", "AAKNN:k", "--out", "{tmp}/m.ldl"],
         "cannot read"),
        (["fit", "--data", "{tmp}/missing.npz", "--method", "AAKNN", "--out", "{tmp}/m.ldl"],
         "does not exist"),
        (["predict", "{tmp}/train.csv", "--data", "{tmp}/query.npy", "--out", "{tmp}/p.csv"],
         "not an ldlkit model file"),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_errors(files, argv, message, capsys):
    tmp = files[0]
    assert main([a.format(tmp=tmp) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ldlkit: error:") and message in err and "\n" not in err
    assert not (tmp / "m.ldl").exists()


def test_predict_with_a_wrong_width_or_format(files, capsys):
    tmp, X, D = files
    model = tmp / "m.ldl"
    main(["fit", "--data", str(tmp / "train.npz"), "--method", "AAKNN", "--out", str(model)])
    np.save(tmp / "narrow.npy", X[:5, :2])
    assert main(["predict", str(model), "--data", str(tmp / "narrow.npy"),
                 "--out", str(tmp / "p.csv")]) == 2  # fmt: skip
    assert "2 features, but the model was fitted with 3" in capsys.readouterr().err
    assert main(["predict", str(model), "--data", str(tmp / "query.npy"),
                 "--out", str(tmp / "p.txt")]) == 2  # fmt: skip
    assert "use .csv, .npy or .npz" in capsys.readouterr().err
    assert not (tmp / "p.csv").exists() and not (tmp / "p.txt").exists()


def test_compact_folds_the_log(files, capsys):
    tmp, X, D = files
    model = tmp / "m.ldl"
    main(["fit", "--data", str(tmp / "train.npz"), "--method", "AAKNN", "--out", str(model)])
    service = ModelService(model)
    service.append(X[60:70], D[60:70])
    service.close()
    assert main(["compact", str(model), "--out", str(tmp / "c.ldl")]) == 0
    assert "folded 1 log entries" in capsys.readouterr().out
    compacted = load_model(tmp / "c.ldl")
    np.testing.assert_allclose(
        compacted.predict(X[70:]), AAKNN().fit(X[:70], D[:70]).predict(X[70:]), atol=1e-12
    )
    # The log now extends c.ldl; the original file no longer matches it.
    with pytest.raises(ValueError, match="compacted into a newer model file"):
        ModelService(model)


def test_serve_refuses_an_open_address_without_a_key(files, capsys, monkeypatch):
    pytest.importorskip("uvicorn")
    pytest.importorskip("fastapi")
    tmp = files[0]
    model = tmp / "m.ldl"
    main(["fit", "--data", str(tmp / "train.npz"), "--method", "AAKNN", "--out", str(model)])
    monkeypatch.delenv("LDLKIT_API_KEY", raising=False)
    assert main(["serve", str(model), "--host", "0.0.0.0"]) == 2
    assert "LDLKIT_API_KEY is not set" in capsys.readouterr().err
    monkeypatch.setenv("LDLKIT_API_KEY", " ")
    assert main(["serve", str(model)]) == 2
    assert "LDLKIT_API_KEY is set but empty" in capsys.readouterr().err


def test_serve_freezes_start_up_objects_out_of_the_garbage_collector(files, monkeypatch):
    # A full collection over the libraries and the model held the GIL for 100-130 ms and
    # stalled every request; serve freezes what exists before it starts answering.
    uvicorn = pytest.importorskip("uvicorn")
    pytest.importorskip("fastapi")
    import gc

    tmp = files[0]
    model = tmp / "m.ldl"
    main(["fit", "--data", str(tmp / "train.npz"), "--method", "AAKNN", "--out", str(model)])
    monkeypatch.delenv("LDLKIT_API_KEY", raising=False)
    seen = {}

    def run(server, *args, **kwargs):
        seen["frozen"] = gc.get_freeze_count()
        seen["app"] = server.config.loaded_app

    monkeypatch.setattr(uvicorn.Server, "run", run)
    gc.unfreeze()
    try:
        assert main(["serve", str(model), "--port", "0", "--blas-threads", "0"]) == 0
    finally:
        gc.unfreeze()  # give the test process its collector back
    assert seen["frozen"] > 1000
    assert seen["app"] is not None

"""Every fault a clear answer (in process: the routes of ``ldlkit serve`` through TestClient), and
binary request bodies beside JSON."""

from __future__ import annotations

import asyncio
import io
import sqlite3

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from ldlkit.deploy import ModelService, _server, save_model  # noqa: E402
from ldlkit.deploy._server import create_app  # noqa: E402
from ldlkit.neighbors import AAKNN  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
KEY = "k3y"
AUTH = {"X-API-Key": KEY}
JSON = {"content-type": "application/json"}


@pytest.fixture
def served(tmp_path, data):
    X, D = data
    path = tmp_path / "m.ldl"
    save_model(AAKNN(k=5).fit(X[:150], D[:150]), path)
    service = ModelService(path)
    with TestClient(create_app(service, api_key=KEY, max_rows=300)) as client:
        yield client, service, X, D
    service.close()


def _npy(arr) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, arr, allow_pickle=True)
    return buffer.getvalue()


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


BAD = [
    (b'{"rows": [[' + b"1" * 400 + b', 0.2, 0.3]]}', "400 digits"),
    (b'{"rows": [[0.1, 0.2, 0.3]], "distributions": [[' + b"9" * 30 + b", 0, 0]]}", "30 digits"),
    (b'{"rows": [[true, 0.2, 0.3]], "distributions": [[1, 0, 0]]}', "a boolean"),
    (b'{"rows": [[0.1, 0.2, 0.3]], "distributions": [[false, true, 0]]}', "a boolean"),
    (b'{"rows": [[null, 0.2, 0.3]], "distributions": [[1, 0, 0]]}', "'null'"),
    (b'{"rows": [[{"a": 1}, 0.2, 0.3]], "distributions": [[1, 0, 0]]}', "numbers only"),
    (b'{"rows": [["0.1", 0.2, 0.3]], "distributions": [[1, 0, 0]]}', "numbers only"),
    (b'{"rows": ' + b"[" * 100_000 + b"]" * 100_000 + b', "distributions": [[1, 0, 0]]}',
     "nested too deeply"),
    (b'{"rows": [[[0.1], [0.2], [0.3]]], "distributions": [[1, 0, 0]]}', "2-D"),
    (b'{"rows": {"a": 1}, "distributions": [[1, 0, 0]]}', "list of rows"),
    (b'{"rows": 7, "distributions": [[1, 0, 0]]}', "list of rows"),
]  # fmt: skip


@pytest.mark.parametrize("body,message", BAD, ids=range(len(BAD)))
def test_bad_values_get_4xx_never_500(served, body, message):
    client, service, X, _ = served
    rows = service.n_rows()
    r = client.post("/samples", content=body, headers={**JSON, **AUTH})
    assert 400 <= r.status_code < 500, r.text
    assert message in r.json()["detail"]
    assert service.n_rows() == rows


@pytest.mark.parametrize(
    "rows,message",
    [(b"[[1" + b"0" * 400 + b", 0, 0]]", "401 digits"), (b"[[true, 0, 0]]", "a boolean"),
     (b"[" * 50_000 + b"]" * 50_000, "nested too deeply"), (b'[["x", 0, 0]]', "numbers only")],
)  # fmt: skip
def test_bad_predict_values_get_422(served, rows, message):
    client, *_ = served
    r = client.post("/predict", content=b'{"rows": ' + rows + b"}", headers=JSON)
    assert r.status_code == 422 and message in r.json()["detail"], r.text


def test_the_key_is_checked_before_anything_is_parsed(served):
    client, *_ = served
    assert client.delete("/samples/not-a-number").status_code == 401
    assert client.delete("/samples/1", headers={"X-API-Key": "no"}).status_code == 403
    assert client.post("/samples", content=b"{broken", headers=JSON).status_code == 401
    r = client.delete("/samples/not-a-number", headers=AUTH)
    assert r.status_code == 422 and "sample_id" in r.json()["detail"]


def test_first_full_disk_failure_is_a_503_with_a_message(served, monkeypatch):
    client, service, X, D = served

    def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(service.log, "add", disk_full)
    body = {"rows": X[150:152].tolist(), "distributions": D[150:152].tolist()}
    for _ in range(2):  # the first failure and the next are the same clear answer
        r = client.post("/samples", json=body, headers=AUTH)
        assert r.status_code == 503, r.text
        assert "disk is full" in r.json()["detail"] and "nothing was changed" in r.json()["detail"]
    r = client.delete("/samples/3", headers=AUTH)
    assert r.status_code == 503 and "disk is full" in r.json()["detail"]
    monkeypatch.undo()
    assert client.post("/samples", json=body, headers=AUTH).status_code == 201


def test_model_hides_paths_and_ids_without_the_key(served):
    client, service, *_ = served
    public = client.get("/model").json()
    text = str(public)
    assert str(service.log_path) not in text and service.log.log_id not in text
    assert service.header["model_id"] not in text and "path" not in public["log"]
    assert public["n_rows"] == 150 and "applied_seq" in public["log"]
    private = client.get("/model", headers=AUTH).json()
    assert private["log"]["path"] == str(service.log_path)
    assert private["model_id"] == service.header["model_id"]


def test_bodies_are_parsed_off_the_event_loop(served, monkeypatch):
    client, service, X, D = served
    seen = []
    real = _server.parse_body

    def spy(*args, **kwargs):
        try:
            asyncio.get_running_loop()
            seen.append("event loop")
        except RuntimeError:
            seen.append("worker thread")
        return real(*args, **kwargs)

    monkeypatch.setattr(_server, "parse_body", spy)
    assert client.post("/predict", json={"rows": X[:3].tolist()}).status_code == 200
    body = {"rows": X[150:151].tolist(), "distributions": D[150:151].tolist()}
    assert client.post("/samples", json=body, headers=AUTH).status_code == 201
    assert seen == ["worker thread", "worker thread"]


# -- binary bodies ---------------------------------------------------------------------------
def test_npy_predict_equals_json_and_npz_appends(served):
    client, service, X, D = served
    rows = X[200:256]
    r = client.post("/predict", json={"rows": rows.tolist()})
    by_json = np.asarray(r.json()["distributions"])
    r = client.post("/predict", content=_npy(rows), headers={"content-type": "application/x-npy"})
    assert r.status_code == 200, r.text
    np.testing.assert_array_equal(np.asarray(r.json()["distributions"]), by_json)
    binary = {"content-type": "application/x-npy", "accept": "application/x-npy"}
    r = client.post("/predict", content=_npy(rows.astype(np.float32)), headers=binary)
    assert r.headers["content-type"] == "application/x-npy"
    P = np.load(io.BytesIO(r.content), allow_pickle=False)
    np.testing.assert_allclose(P, service.predict(rows.astype(np.float32)))
    body = _npz(rows=X[150:160], distributions=D[150:160])
    r = client.post("/samples", content=body,
                    headers={"content-type": "application/x-npz", **AUTH})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["ids"] == list(range(150, 160)) and service.n_rows() == 160


BAD_BINARY = [
    ("/predict", "application/x-npy", _npy(np.array([[object()]], dtype=object)), 400,
     "not a readable .npy"),
    ("/predict", "application/x-npy", _npy(np.ones((2, 3), dtype=bool)), 422, "dtype bool"),
    ("/predict", "application/x-npy", b"\x93NUMPY garbage", 400, "not a readable .npy"),
    ("/predict", "application/x-npy", _npy(np.ones((2, 2))), 422, "2 features"),
    ("/predict", "application/x-npy", _npy(np.ones((301, 3))), 413, "at most 300"),
    ("/samples", "application/x-npy", _npy(np.ones((2, 3))), 415, "application/x-npz"),
    ("/samples", "application/x-npz", _npz(rows=np.ones((1, 3))), 422, "missing distributions"),
    ("/samples", "application/x-npz", b"PK not a zip", 400, "not a readable .npz"),
    ("/predict", "text/plain", b"1,2,3", 415, "unsupported content type"),
]  # fmt: skip


@pytest.mark.parametrize("route,ctype,body,status,message", BAD_BINARY, ids=range(len(BAD_BINARY)))
def test_bad_binary_bodies_are_refused_clearly(served, route, ctype, body, status, message):
    client, service, *_ = served
    r = client.post(route, content=body, headers={"content-type": ctype, **AUTH})
    assert r.status_code == status, r.text
    assert message in r.json()["detail"]
    assert service.n_rows() == 150


def test_npz_that_expands_past_the_body_limit_is_refused(tmp_path, data):
    X, D = data
    path = tmp_path / "m.ldl"
    save_model(AAKNN(k=5).fit(X[:50], D[:50]), path)
    service = ModelService(path)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, rows=np.zeros((200_000, 3)), distributions=np.zeros((1, 3)))
    assert len(buffer.getvalue()) < 1024 * 1024
    with TestClient(create_app(service, max_body_bytes=1024 * 1024, max_rows=10**6)) as client:
        r = client.post("/samples", content=buffer.getvalue(),
                        headers={"content-type": "application/x-npz"})  # fmt: skip
        assert r.status_code == 413 and "expands" in r.json()["detail"]
    service.close()

"""The real ``ldlkit serve`` on a loopback port: predictions, durable appends, bad input, keys."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

from ldlkit.deploy import save_model  # noqa: E402
from ldlkit.linear import SABFGS  # noqa: E402
from ldlkit.neighbors import AAKNN  # noqa: E402

N_BASE = 150


KEY = "s3cret-key"


@pytest.fixture(scope="module")
def shared(tmp_path_factory, data, server_class):
    """One server for the tests below (starting one takes seconds on a loaded machine); the
    tests that change it check their own before/after state."""
    X, D = data
    path = tmp_path_factory.mktemp("shared") / "aaknn.ldl"
    save_model(AAKNN(k=5).fit(X[:N_BASE], D[:N_BASE]), path, training_data=(X[:N_BASE], D[:N_BASE]))
    server = server_class(
        path, api_key=KEY, extra=["--max-rows", "64", "--max-body-mb", "1"]
    ).start()
    yield server
    server.stop()


def _rows(url) -> int:
    return httpx.get(url + "/model").json()["n_rows"]


def _predict(url, X) -> np.ndarray:
    r = httpx.post(url + "/predict", json={"rows": np.asarray(X).tolist()}, timeout=30)
    assert r.status_code == 200, r.text
    return np.asarray(r.json()["distributions"])


def _append(url, X, D, headers=None) -> httpx.Response:
    body = {"rows": np.asarray(X).tolist(), "distributions": np.asarray(D).tolist()}
    return httpx.post(url + "/samples", json=body, headers=headers or {}, timeout=30)


def test_predict_model_health_and_openapi(shared, data):
    X, D = data
    rows = _rows(shared.url)  # N_BASE, or more once the key test appended
    local = AAKNN(k=5).fit(X[:rows], D[:rows]).predict(X[300:340])
    np.testing.assert_allclose(_predict(shared.url, X[300:340]), local, atol=1e-12)
    info = httpx.get(shared.url + "/model").json()
    assert info["method"] == "AAKNN" and info["params"]["k"] == 5
    assert (info["n_labels"], info["n_features"]) == (3, 3)
    assert info["version"] == info["saved_with"]
    assert httpx.get(shared.url + "/health").json()["status"] == "ok"
    paths = httpx.get(shared.url + "/openapi.json").json()["paths"]
    assert {"/predict", "/samples", "/samples/{sample_id}", "/model", "/health"} <= set(paths)
    assert httpx.get(shared.url + "/docs").status_code == 200


BAD_BODIES = [
    ("/predict", b'{"rows": [[0.1, 0.2, 0.3]', 400, "malformed JSON"),
    ("/predict", b"[[0.1, 0.2, 0.3]]", 422, "JSON object"),
    ("/predict", b'{"row": [[0.1, 0.2, 0.3]]}', 422, "missing rows"),
    ("/predict", b'{"rows": [[0.1, 0.2, 0.3]], "x": 1}', 422, "unknown x"),
    ("/predict", b'{"rows": [0.1, 0.2, 0.3]}', 422, "list of rows"),
    ("/predict", b'{"rows": [[0.1, 0.2]]}', 422, "has 2 features, but the model was fitted with 3"),
    ("/predict", b'{"rows": [[0.1, 0.2, 0.3], [0.1, 0.2]]}', 422, "rectangular"),
    ("/predict", b'{"rows": [[0.1, NaN, 0.3]]}', 422, "NaN at row 0, column 1"),
    ("/predict", b'{"rows": [[0.1, Infinity, 0.3]]}', 422, "infinity"),
    ("/predict", b'{"rows": [[0.1, "a", 0.3]]}', 422, "numbers only"),
    ("/predict", b'{"rows": []}', 422, "empty"),
    ("/samples", b'{"rows": [[0.1, 0.2, 0.3]], "distributions": [[0.5, 0.6, 0.1]]}', 422,
     "sums to 1.2, not 1"),
    ("/samples", b'{"rows": [[0.1, 0.2, 0.3]], "distributions": [[1.5, -0.5, 0.0]]}', 422,
     "negative degree"),
    ("/samples", b'{"rows": [[0.1, 0.2, 0.3]], "distributions": [[0.5, 0.5]]}', 422,
     "has 2 labels, but 3 were expected"),
    ("/samples", b'{"rows": [[0.1, 0.2, 0.3]], "distributions": [[0.5, NaN, 0.5]]}', 422, "NaN"),
    ("/samples", b'{"rows": [[0.1, 0.2, 0.3]], "distributions": [[0.5, 0.5, 0], [1, 0, 0]]}',
     422, "rows has 1, distributions has 2"),
    ("/samples", b'{"rows": [[0.1, 0.2, 0.3]]}', 422, "missing distributions"),
    ("/samples", b'{"rows": [[0.1, 0.2]], "distributions": [[0.5, 0.5, 0.0]]}', 422, "features"),
]  # fmt: skip


def test_bad_input_gets_4xx_with_a_message_and_changes_nothing(shared, data):
    X, D = data
    url, auth = shared.url, {"X-API-Key": KEY}
    before_info = httpx.get(url + "/model").json()
    before = _predict(url, X[300:340])
    for path, body, status, message in BAD_BODIES:
        r = httpx.post(url + path, content=body,
                       headers={"content-type": "application/json", **auth})  # fmt: skip
        assert r.status_code == status, (path, body, r.text)
        assert message in r.json()["detail"], (body, r.json())
    r = httpx.post(url + "/predict", json={"rows": X[:65].tolist()})
    assert r.status_code == 413 and "at most 64" in r.json()["detail"]
    big = json.dumps({"rows": [[0.123456789] * 3] * 40_000}).encode()
    assert len(big) > 1024 * 1024
    r = httpx.post(url + "/predict", content=big)
    assert r.status_code == 413 and "limit of 1048576 bytes" in r.json()["detail"]
    # Without a Content-Length (chunked), the body is counted as it arrives.
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
    r = httpx.post(url + "/predict", content=chunks)
    assert r.status_code == 413 and "limit of 1048576 bytes" in r.json()["detail"]
    r = httpx.delete(url + "/samples/abc", headers=auth)
    assert r.status_code == 422 and "sample_id" in r.json()["detail"]
    if before_info["writes"]["remove"]:
        r = httpx.delete(url + "/samples/99999", headers=auth)
        assert r.status_code == 404 and "99999" in r.json()["detail"]
    after_info = httpx.get(url + "/model").json()
    assert after_info["n_rows"] == before_info["n_rows"]
    assert after_info["log"]["applied_seq"] == before_info["log"]["applied_seq"]
    np.testing.assert_array_equal(_predict(url, X[300:340]), before)


def test_api_key_guards_writes_and_append_then_predict_equals_a_refit(shared, data):
    X, D = data
    url = shared.url
    rows = _rows(url)
    new = slice(rows, rows + 30)
    assert _append(url, X[new], D[new]).status_code == 401
    r = _append(url, X[new], D[new], headers={"X-API-Key": "wrong"})
    assert r.status_code == 403 and "wrong" in r.json()["detail"]
    assert httpx.delete(url + "/samples/0").status_code == 401
    assert _rows(url) == rows
    _predict(url, X[:2])  # reads need no key
    r = _append(url, X[new], D[new], headers={"X-API-Key": KEY})
    assert r.status_code == 201, r.text
    assert r.json()["rows"] == rows + 30 == _rows(url)
    refit = AAKNN(k=5).fit(X[: rows + 30], D[: rows + 30])
    np.testing.assert_allclose(_predict(url, X[300:340]), refit.predict(X[300:340]), atol=1e-12)


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
def test_model_without_partial_fit_answers_405(tmp_path, data):
    # In process (the routes are the same; no need for another server start).
    from fastapi.testclient import TestClient

    from ldlkit.deploy import ModelService
    from ldlkit.deploy._server import create_app

    X, D = data
    path = tmp_path / "sabfgs.ldl"
    save_model(SABFGS(max_iter=200).fit(X[:N_BASE], D[:N_BASE]), path)
    service = ModelService(path)
    with TestClient(create_app(service)) as client:
        body = {"rows": X[200:201].tolist(), "distributions": D[200:201].tolist()}
        r = client.post("/samples", json=body)
        assert r.status_code == 405 and "partial_fit" in r.json()["detail"]
        assert client.delete("/samples/0").status_code == 405
        r = client.post("/predict", json={"rows": X[:3].tolist()})
        assert np.asarray(r.json()["distributions"]).shape == (3, 3)
    service.close()

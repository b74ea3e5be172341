"""The real ``ldlkit serve``: acknowledged appends survive ``kill -9``; concurrent clients lose,
duplicate or tear no row."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import ldlkit  # noqa: E402
from ldlkit.deploy import save_model  # noqa: E402
from ldlkit.neighbors import AAKNN  # noqa: E402

N_BASE = 150
SRC = str(Path(ldlkit.__file__).resolve().parents[1])


@pytest.fixture
def model_file(tmp_path, data):
    X, D = data
    path = tmp_path / "aaknn.ldl"
    save_model(AAKNN(k=5).fit(X[:N_BASE], D[:N_BASE]), path)
    return path


def _predict(url, X) -> np.ndarray:
    r = httpx.post(url + "/predict", json={"rows": np.asarray(X).tolist()}, timeout=30)
    assert r.status_code == 200, r.text
    return np.asarray(r.json()["distributions"])


def _append(url, X, D) -> httpx.Response:
    body = {"rows": np.asarray(X).tolist(), "distributions": np.asarray(D).tolist()}
    return httpx.post(url + "/samples", json=body, timeout=30)


def _log_entries(path):
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT op, n_rows, X, D, ids FROM entries ORDER BY seq").fetchall()
    return [
        (op, np.frombuffer(x, "<f8").reshape(n, -1), np.frombuffer(d, "<f8").reshape(n, -1),
         np.frombuffer(i, "<i8"))
        for op, n, x, d, i in rows
    ]  # fmt: skip


@pytest.mark.slow  # two server starts: seconds each on a loaded machine
def test_acknowledged_append_survives_kill_9(start_server, model_file, data, tmp_path):
    X, D = data
    log = tmp_path / "updates.sqlite"
    server = start_server(model_file, log)
    r = _append(server.url, X[N_BASE : N_BASE + 4], D[N_BASE : N_BASE + 4])
    assert r.status_code == 201 and r.json()["ids"] == list(range(N_BASE, N_BASE + 4))
    assert httpx.delete(f"{server.url}/samples/{N_BASE + 1}").status_code == 200
    assert httpx.delete(f"{server.url}/samples/7").status_code == 200
    r = _append(server.url, X[N_BASE + 4 : N_BASE + 5], D[N_BASE + 4 : N_BASE + 5])
    assert r.status_code == 201
    last = r.json()["ids"]
    server.kill9()  # right after the last acknowledgement: no clean shutdown
    server = start_server(model_file, log)
    info = httpx.get(server.url + "/model").json()
    assert info["log"]["replayed_at_start"] == 4
    assert last == [N_BASE + 4] and info["n_rows"] == N_BASE + 3
    keep = [i for i in range(N_BASE + 5) if i not in (7, N_BASE + 1)]
    refit = AAKNN(k=5).fit(X[keep], D[keep])
    np.testing.assert_allclose(_predict(server.url, X[300:]), refit.predict(X[300:]), atol=1e-12)
    # The rows are there under the ids they were acknowledged with; removed ids stay removed.
    assert httpx.delete(f"{server.url}/samples/{N_BASE + 4}").status_code == 200
    assert httpx.delete(f"{server.url}/samples/{N_BASE + 1}").status_code == 404
    r = _append(server.url, X[N_BASE + 5 : N_BASE + 6], D[N_BASE + 5 : N_BASE + 6])
    assert r.json()["ids"] == [N_BASE + 5]  # ids are never reused


@pytest.mark.slow
def test_concurrent_appends_and_predictions(start_server, model_file, data, tmp_path):
    X, D = data
    log = tmp_path / "updates.sqlite"
    server = start_server(model_file, log)
    n_writers, per_writer, batch = 4, 8, 3
    acknowledged: list[tuple[int, list[int]]] = []
    errors: list[str] = []
    done = threading.Event()

    def writer(w: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for j in range(per_writer):
                start = N_BASE + (w * per_writer + j) * batch
                body = {"rows": X[start : start + batch].tolist(),
                        "distributions": D[start : start + batch].tolist()}  # fmt: skip
                r = client.post("/samples", json=body)
                if r.status_code != 201:
                    errors.append(r.text)
                else:
                    acknowledged.append((start, r.json()["ids"]))

    def reader() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            while not done.is_set():
                r = client.post("/predict", json={"rows": X[300:340].tolist()})
                P = np.asarray(r.json()["distributions"])
                if r.status_code != 200 or P.shape != (40, 3):
                    errors.append(r.text)
                elif not np.allclose(P.sum(axis=1), 1.0):
                    errors.append(f"predictions not distributions: {P.sum(axis=1)}")

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(n_writers)]
    readers = [threading.Thread(target=reader) for _ in range(3)]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert errors == []
    total = n_writers * per_writer * batch
    assert len(acknowledged) == n_writers * per_writer
    assert httpx.get(server.url + "/model").json()["n_rows"] == N_BASE + total
    served = _predict(server.url, X[300:])
    # Every acknowledged batch is in the log exactly once, byte for byte, under its ids.
    entries = _log_entries(log)
    assert len(entries) == len(acknowledged)
    logged = {}
    for op, Xe, De, ide in entries:
        assert op == "append"
        start = int(np.flatnonzero((X == Xe[0]).all(axis=1))[0])
        assert start not in logged
        np.testing.assert_array_equal(Xe, X[start : start + batch])
        np.testing.assert_array_equal(De, D[start : start + batch])
        logged[start] = ide.tolist()
    assert logged == dict(acknowledged)
    all_ids = [i for ids in logged.values() for i in ids]
    assert len(set(all_ids)) == len(all_ids)
    if all_ids:
        assert sorted(all_ids) == list(range(N_BASE, N_BASE + total))
    # The model equals a refit on the base rows plus the log in commit order, and a restart
    # (replay) gives the same model.
    starts = [int(np.flatnonzero((X == e[1][0]).all(axis=1))[0]) for e in entries]
    order = np.concatenate([np.arange(N_BASE)] + [np.arange(s, s + batch) for s in starts])
    refit = AAKNN(k=5).fit(X[order], D[order])
    np.testing.assert_allclose(served, refit.predict(X[300:]), atol=1e-12)
    server.stop()
    server = start_server(model_file, log)
    np.testing.assert_array_equal(_predict(server.url, X[300:]), served)


# A server (the real app under uvicorn) whose write path stops at a chosen point, so that the
# test can look at its predictions there and then kill -9 it: the targeted-kill fault trial.
_STOPPING_SERVER = """
import os, sys, time
from pathlib import Path
import uvicorn
from ldlkit.deploy import ModelService
from ldlkit.deploy._server import create_app

model, log, port, where, reached = sys.argv[1:]
service = ModelService(model, log)

parent = os.getppid()

def stop_here(*args, **kwargs):
    Path(reached).write_text(where)
    while os.getppid() == parent:
        time.sleep(0.2)  # until the test kills the process (or goes away itself)
    os._exit(1)

if where == "inside_commit":  # validated, the entry not yet committed
    service.log.commit = stop_here
else:  # committed, not yet applied to the model
    service.model.partial_fit = stop_here
uvicorn.run(create_app(service), host="127.0.0.1", port=int(port), log_level="warning")
"""


@pytest.mark.slow
@pytest.mark.parametrize("where", ["inside_commit", "after_commit"])
def test_a_prediction_never_shows_a_change_that_a_kill_can_lose(
    start_server, model_file, data, tmp_path, where
):
    X, D = data
    log = tmp_path / "updates.sqlite"
    script = tmp_path / "stopping_server.py"
    script.write_text(_STOPPING_SERVER)
    reached = tmp_path / "reached"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])),
    }
    proc = subprocess.Popen([sys.executable, str(script), str(model_file), str(log), str(port),
                             where, str(reached)], env=env)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        new = slice(N_BASE, N_BASE + 3)
        probe = X[new]  # the new rows' own neighbourhood: any change there shows
        before = _predict(url, probe)

        def append_until_killed() -> None:
            try:
                _append(url, X[new], D[new])
            except httpx.TransportError:  # the server is killed before it answers
                pass

        writer = threading.Thread(target=append_until_killed, daemon=True)
        writer.start()
        while not reached.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        # Stopped inside the write path: the change must not be visible.
        np.testing.assert_array_equal(_predict(url, probe), before)
        assert httpx.get(url + "/model").json()["n_rows"] == N_BASE
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        writer.join(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    server = start_server(model_file, log)
    n_rows = httpx.get(server.url + "/model").json()["n_rows"]
    # Committed entries are durable and come back; an uncommitted one never existed.
    assert n_rows == (N_BASE + 3 if where == "after_commit" else N_BASE)
    if where == "inside_commit":
        np.testing.assert_array_equal(_predict(server.url, probe), before)

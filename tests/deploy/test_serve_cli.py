"""``ldlkit serve`` as an operator starts it: one writer per model, and start-up faults as one
``ldlkit: error:`` line with status 2; model files follow the umask."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

import ldlkit  # noqa: E402
from ldlkit.datasets import make_artificial  # noqa: E402
from ldlkit.deploy import save_model  # noqa: E402
from ldlkit.neighbors import AAKNN  # noqa: E402

SRC = str(Path(ldlkit.__file__).resolve().parents[1])


@pytest.fixture
def model_file(tmp_path, data):
    X, D = data
    path = tmp_path / "aaknn.ldl"
    save_model(AAKNN(k=5).fit(X[:150], D[:150]), path)
    return path


def _ldlkit(*argv, timeout=300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("LDLKIT_API_KEY", None)
    return subprocess.run([sys.executable, "-m", "ldlkit.cli", *map(str, argv)], env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def _one_error_line(done: subprocess.CompletedProcess, *words: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ldlkit: error: "), done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert "serving" not in done.stderr


def test_a_second_server_on_the_same_model_exits_and_the_first_keeps_serving(
    start_server, model_file, data, tmp_path
):
    X, D = data
    first = start_server(model_file)
    second = _ldlkit("serve", model_file, "--port", 0)
    _one_error_line(second, "in use by pid", str(first.proc.pid), "ldlkit serve")
    other_log = _ldlkit("serve", model_file, "--port", 0, "--log", tmp_path / "other.sqlite")
    _one_error_line(other_log, "model file", "in use by pid")
    _one_error_line(_ldlkit("compact", model_file), "in use by pid")
    body = {"rows": X[150:152].tolist(), "distributions": D[150:152].tolist()}
    r = httpx.post(first.url + "/samples", json=body, timeout=30)
    assert r.status_code == 201 and r.json()["ids"] == [150, 151]
    r = httpx.post(first.url + "/predict", json={"rows": X[:2].tolist()}, timeout=30)
    assert r.status_code == 200
    assert first.proc.poll() is None


def test_port_in_use_bad_host_and_unreadable_model_are_one_line(model_file, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        _one_error_line(_ldlkit("serve", model_file, "--port", port), "already in use", str(port))
    _one_error_line(_ldlkit("serve", model_file, "--host", "no such host!"), "--host")
    _one_error_line(_ldlkit("serve", model_file, "--host", "203.0.113.7", "--port", 0,
                            "--allow-open-writes"), "cannot listen")  # fmt: skip
    _one_error_line(_ldlkit("serve", model_file, "--port", 70000), "not a TCP port")
    garbage = tmp_path / "garbage.ldl"
    garbage.write_bytes(b"not a model")
    _one_error_line(_ldlkit("serve", garbage, "--port", 0), "not an ldlkit model file")
    _one_error_line(_ldlkit("serve", tmp_path / "missing.ldl", "--port", 0), "does not exist")
    _one_error_line(_ldlkit("serve", tmp_path, "--port", 0), "is not a model file")
    if os.geteuid() != 0:  # root reads any file
        model_file.chmod(0)
        _one_error_line(_ldlkit("serve", model_file, "--port", 0), "cannot be read")
        _one_error_line(_ldlkit("predict", model_file, "--data", garbage, "--out", "p.npy"),
                        "cannot be read")  # fmt: skip


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_model_files_follow_the_umask(tmp_path, umask, mode):
    X, D = make_artificial(30, random_state=0)
    old = os.umask(umask)
    try:
        save_model(AAKNN(k=3).fit(X, D), tmp_path / "m.ldl")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.ldl").stat().st_mode) == mode
    np.testing.assert_equal(mode & 0o400, 0o400)

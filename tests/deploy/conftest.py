"""Deploy test fixtures: the real ``ldlkit serve`` in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ldlkit

SRC = str(Path(ldlkit.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def data():
    """Rows for the server tests: the first N_BASE train the served model, the rest are sent."""
    from ldlkit.datasets import make_artificial

    return make_artificial(400, random_state=7)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``ldlkit serve MODEL`` as a child process; ``url`` once :meth:`start` returned."""

    def __init__(self, model, log=None, *, api_key=None, extra=()) -> None:
        self.model, self.log, self.api_key, self.extra = model, log, api_key, list(extra)
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self, timeout: float = 60.0) -> Server:
        import httpx

        self.port = free_port()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [SRC, env.get("PYTHONPATH")]))
        env.pop("LDLKIT_API_KEY", None)
        if self.api_key is not None:
            env["LDLKIT_API_KEY"] = self.api_key
        cmd = [sys.executable, "-m", "ldlkit.cli", "serve", str(self.model)]
        cmd += ["--port", str(self.port), *self.extra]
        if self.log is not None:
            cmd += ["--log", str(self.log)]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ldlkit serve exited: {self.proc.stdout.read()}")
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("ldlkit serve did not answer /health in time")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture
def start_server():
    """``start_server(model, log=None, api_key=None)`` -> a started :class:`Server`; all stopped
    at the end of the test."""
    started: list[Server] = []

    def _start(model, log=None, **kwargs) -> Server:
        server = Server(model, log, **kwargs)
        started.append(server)
        return server.start()

    yield _start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server_class():
    """The :class:`Server` class, for module-scoped servers (test modules cannot import conftest
    under ``--import-mode=importlib``)."""
    return Server

"""Downloads by name: served from a local HTTP server on 127.0.0.1 (no test reaches the internet).

The server serves the provided files (the folder of ``$LDLKIT_DATA``) and can misbehave per file:
change one byte, cut the transfer short, stall, answer 404, or break off once and then serve
the rest of the file to a ``Range`` request.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from ldlkit.cli import main
from ldlkit.datasets import (
    DATA_ENV,
    DATA_HOME_ENV,
    DATA_URL_ENV,
    ChecksumError,
    DatasetNotFoundError,
    DownloadError,
    _download,
    clear_data_home,
    dataset_url,
    fetch_dataset,
    get_data_home,
    get_dataset_info,
    git_blob_sha1,
    load_dataset,
    sha256sum,
)

PROVIDED_FOLDER = os.environ.get(DATA_ENV, "").split(os.pathsep)[0]


def _provided(name: str) -> bytes:
    path = Path(PROVIDED_FOLDER) / f"{name}.mat"
    if not path.is_file():
        message = f"{name}.mat not found; set {DATA_ENV} to the folder of the provided files"
        if os.environ.get("LDLKIT_REQUIRE_DATA", "") not in ("", "0"):
            pytest.fail(message)
        pytest.skip(message)
    return path.read_bytes()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        server = self.server
        name = urllib.parse.unquote(self.path.lstrip("/"))
        wanted = self.headers.get("Range")
        server.requests.append((name, wanted))
        mode = server.modes.get(name, "ok")
        data = server.files.get(name)
        if data is None or mode == "404":
            self.send_error(404, "Not Found")
            return
        if mode == "corrupt":
            data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
        start = 0
        if wanted and server.ranges and wanted.startswith("bytes="):
            start = int(wanted[len("bytes=") :].split("-")[0])
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        first = sum(1 for n, _ in server.requests if n == name) == 1
        if mode == "truncate" or (mode == "drop-once" and first):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "stall" or (mode == "stall-once" and first):
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            time.sleep(server.stall_seconds)
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture
def server():
    """A local HTTP server of the provided files; ``.modes[file] = ...`` makes it misbehave."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.files = {}
    httpd.modes = {}
    httpd.requests = []
    httpd.ranges = True
    httpd.stall_seconds = 1.5
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def empty_cache(tmp_path, monkeypatch, server):
    """No local data folders, an empty cache, and downloads from the local server."""
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.delenv(DATA_HOME_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(DATA_URL_ENV, server.base)
    monkeypatch.setattr(_download, "RETRY_DELAY", 0.0)
    server.files["SJAFFE.mat"] = _provided("SJAFFE")
    return tmp_path / "xdg" / "ldlkit"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_by_name_is_verified_and_cached(empty_cache, server):
    assert dataset_url(get_dataset_info("SJAFFE")) == server.base + "SJAFFE.mat"
    bunch = load_dataset("SJAFFE")
    assert bunch.features.shape == (213, 243) and bunch.data is bunch.features
    assert Path(bunch.path) == empty_cache / "SJAFFE.mat"
    assert sha256sum(bunch.path) == get_dataset_info("SJAFFE").sha256
    assert _leftovers(empty_cache) == ["SJAFFE.mat"]  # no temporary file left
    load_dataset("SJAFFE")
    fetch_dataset("SJAFFE")
    assert len(server.requests) == 1  # found in the cache afterwards


def test_a_file_with_one_byte_changed_is_refused_and_not_kept(empty_cache, server):
    server.modes["SJAFFE.mat"] = "corrupt"
    with pytest.raises(ChecksumError, match=r"not the registered SJAFFE \(checksum mismatch"):
        load_dataset("SJAFFE")
    assert _leftovers(empty_cache) == []
    assert len(server.requests) == 1  # a wrong file is not fetched again and again


def test_truncated_transfer_is_retried_then_named(empty_cache, server):
    server.modes["SJAFFE.mat"] = "truncate"
    server.ranges = False
    url = server.base + "SJAFFE.mat"
    with pytest.raises(DownloadError, match=rf"could not download SJAFFE from {url} \(after 3 "
                       r"attempts\): the transfer broke off: \d+ of 100607 bytes"):  # fmt: skip
        fetch_dataset("SJAFFE", retries=2)
    assert len(server.requests) == 3
    assert _leftovers(empty_cache) == []


def test_404_names_the_url_and_is_not_retried(empty_cache, server):
    url = server.base + "Yeast_cold.mat"
    with pytest.raises(DatasetNotFoundError, match=rf"from {url}: HTTP 404.*put it in one of"):
        load_dataset("Yeast_cold")
    assert len(server.requests) == 1
    assert _leftovers(empty_cache) == []


def test_timeout_names_the_url(empty_cache, server):
    server.modes["SJAFFE.mat"] = "stall"
    with pytest.raises(DownloadError, match=r"SJAFFE\.mat \(after 2 attempts\): the transfer "
                       r"stalled after \d+ bytes \(no data within 0\.3 s"):  # fmt: skip
        fetch_dataset("SJAFFE", timeout=0.3, retries=1)
    assert _leftovers(empty_cache) == []


@pytest.mark.parametrize("ranges", [True, False], ids=["resumed", "restarted"])
def test_an_interrupted_download_is_resumed_or_restarted(empty_cache, server, ranges):
    server.modes["SJAFFE.mat"] = "drop-once"
    server.ranges = ranges
    path = fetch_dataset("SJAFFE")
    assert sha256sum(path) == get_dataset_info("SJAFFE").sha256
    (first, _), (second, asked) = server.requests
    assert asked == f"bytes={100607 // 2}-"  # the second request asks for the rest
    assert _leftovers(empty_cache) == ["SJAFFE.mat"]


def test_a_stalled_transfer_is_retried(empty_cache, server):
    server.modes["SJAFFE.mat"] = "stall-once"
    path = fetch_dataset("SJAFFE", timeout=0.3)
    assert sha256sum(path) == get_dataset_info("SJAFFE").sha256


def test_ctrl_c_during_a_download_leaves_nothing(empty_cache, server, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(_download, "_progress_bar", interrupted)
    with pytest.raises(KeyboardInterrupt):
        fetch_dataset("SJAFFE")
    assert _leftovers(empty_cache) == []


def test_a_damaged_cached_copy_is_replaced(empty_cache, server):
    empty_cache.mkdir(parents=True)
    (empty_cache / "SJAFFE.mat").write_bytes(_provided("SJAFFE")[:5000])
    path = fetch_dataset("SJAFFE")
    assert sha256sum(path) == get_dataset_info("SJAFFE").sha256
    assert len(server.requests) == 1


def test_file_url_base_and_data_home(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    if not Path(PROVIDED_FOLDER, "M2B.mat").is_file():
        _provided("M2B")
    monkeypatch.setenv(DATA_URL_ENV, Path(PROVIDED_FOLDER).resolve().as_uri())
    path = fetch_dataset("M2B", data_home=tmp_path / "home")
    assert path == tmp_path / "home" / "M2B.mat"
    monkeypatch.setenv(DATA_HOME_ENV, str(tmp_path / "env-home"))
    assert get_data_home() == tmp_path / "env-home"
    bunch = load_dataset("M2B")  # downloaded into $LDLKIT_DATA_HOME
    assert Path(bunch.path).parent == tmp_path / "env-home"
    clear_data_home()
    assert not (tmp_path / "env-home").exists()
    assert (tmp_path / "home" / "M2B.mat").is_file()  # another data home is not touched


def test_git_blob_sha1_verifies_the_large_files(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"hello\n")
    # `printf 'hello\n' | git hash-object --stdin`
    assert git_blob_sha1(path) == "ce013625030ba8dba906f756967f9e9ca394464a"
    twitter = get_dataset_info("Twitter")
    assert twitter.name == "Twitter_LDL" and twitter.sha256 is None
    assert dataset_url(twitter).endswith("/Twitter.mat")
    assert _download.verify_file(path, twitter).startswith("its git blob SHA-1 is ce01362")


def test_every_public_file_is_registered_with_a_checksum():
    public = [
        "M2B", "Movie", "SBU_3DFE", "SCUT_FBP", "SJAFFE", "emotion6", "jaffe", "Music",
        "Painting", "FG-Net", "MOR-PH", "Flickr", "Human_Gene", "Natural_Scene", "RAF_ML",
        "Twitter", "fbp5500",
        *(f"Yeast_{s}" for s in
          ("alpha", "cdc", "diau", "elu", "heat", "spo", "spo5", "spoem", "cold", "dtt")),
    ]  # fmt: skip
    for name in public:
        info = get_dataset_info(name)
        assert info.public and (info.sha256 or info.git_sha1), name
        assert dataset_url(info).endswith(f"/{urllib.parse.quote(name)}.mat"), name
    sums = Path(PROVIDED_FOLDER, "SHA256SUMS")
    if sums.is_file():  # the provided files' checksums are the registry's
        for line in sums.read_text().splitlines():
            digest, file = line.split()
            assert get_dataset_info(Path(file).stem).sha256 == digest, file


# -- the command line ---------------------------------------------------------------------------
def test_datasets_fetch_command(empty_cache, server, capsys):
    server.files["M2B.mat"] = _provided("M2B")
    assert main(["datasets", "fetch", "SJAFFE", "m2b", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert f"SJAFFE: downloaded from {server.base}SJAFFE.mat" in out and "sha256 checked" in out
    assert main(["datasets", "fetch", "SJAFFE", "--quiet"]) == 0
    assert "SJAFFE: already in" in capsys.readouterr().out
    assert main(["datasets", "fetch", "Yeast_cold", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"from {server.base}Yeast_cold.mat: HTTP 404" in err and "1 of 1 downloads" in err
    assert main(["datasets", "fetch"]) == 2
    assert "or pass --all" in capsys.readouterr().err


def test_datasets_fetch_into_data_home_with_a_bad_checksum(empty_cache, server, tmp_path, capsys):
    server.modes["SJAFFE.mat"] = "corrupt"
    home = tmp_path / "mine"
    assert main(["datasets", "fetch", "SJAFFE", "--data-home", str(home), "--quiet"]) == 2
    assert "checksum mismatch" in capsys.readouterr().err
    assert _leftovers(home) == []


def test_fetch_then_run_with_an_empty_cache(empty_cache, server, tmp_path):
    """`ldlkit datasets fetch SJAFFE`, then `ldlkit run` on it: the console commands."""
    env = {k: v for k, v in os.environ.items() if k != DATA_ENV}
    env.update({DATA_URL_ENV: server.base, "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    cli = [sys.executable, "-m", "ldlkit.cli"]
    fetched = subprocess.run(
        [*cli, "datasets", "fetch", "SJAFFE"], env=env, capture_output=True, text=True
    )
    assert fetched.returncode == 0, fetched.stderr
    assert (empty_cache / "SJAFFE.mat").is_file()
    ran = subprocess.run(
        [*cli, "run", "--datasets", "SJAFFE", "--methods", "AAKNN", "--folds", "2",
         "--repeats", "1", "--format", "csv"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    rows = [line.split(",") for line in ran.stdout.splitlines()]
    header, body = rows[0], rows[1:]
    assert {r[header.index("dataset")] for r in body} == {"SJAFFE"}
    cheb = [r for r in body if r[header.index("metric")] == "chebyshev"]
    assert cheb and 0 < float(cheb[0][header.index("mean")]) < 0.2
    assert len(server.requests) == 1  # run used the cached copy
    assert np.isfinite(float(cheb[0][header.index("mean")]))


def test_run_downloads_a_missing_dataset_and_says_so(empty_cache, server, capsys):
    argv = ["run", "--datasets", "SJAFFE", "--methods", "MeanPredictor", "--folds", "2",
            "--quiet", "--format", "csv"]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert f"SJAFFE is not on disk; downloading it from {server.base}SJAFFE.mat" in err
    assert (empty_cache / "SJAFFE.mat").is_file()
    server.modes["SJAFFE.mat"] = "corrupt"  # the cached copy is used, nothing is fetched again
    assert main(argv) == 0
    assert "downloading" not in capsys.readouterr().err and len(server.requests) == 1

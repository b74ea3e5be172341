"""Downloading registered dataset files into the user cache, verified before use.

The public copies are the ``{name}.mat`` files under one base URL (:data:`DEFAULT_BASE_URL`);
``$LDLKIT_DATA_URL`` replaces that base (a mirror, or a local folder as ``file:///...``). Every
download goes to a temporary file beside its destination, is checked against the registered
SHA-256 (or, for the files where only that is known, the git blob SHA-1 prefix), and only then
renamed into place with :func:`os.replace`; any failure removes the temporary file and raises
:class:`DownloadError` naming the URL.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from http.client import HTTPException
from pathlib import Path

from ._registry import DatasetInfo

__all__ = [
    "DATA_HOME_ENV",
    "DATA_URL_ENV",
    "DEFAULT_BASE_URL",
    "ChecksumError",
    "DatasetNotFoundError",
    "DownloadError",
    "clear_data_home",
    "dataset_url",
    "download_file",
    "git_blob_sha1",
    "verify_file",
]

#: Environment variable replacing the base URL of the public files (``{base}/{name}.mat``).
DATA_URL_ENV = "LDLKIT_DATA_URL"
#: Environment variable naming the user cache folder (default ``$XDG_CACHE_HOME/ldlkit``).
DATA_HOME_ENV = "LDLKIT_DATA_HOME"
#: Where the public benchmark files are served from when ``$LDLKIT_DATA_URL`` is not set: the
#: ``datasets`` folder of the PyLDL repository, the copies the field's recent code uses.
DEFAULT_BASE_URL = "https://raw.githubusercontent.com/SpriteMisaka/PyLDL/main/datasets/"

#: Seconds to wait before the second, third, ... attempt (doubled each time).
RETRY_DELAY = 1.0
_CHUNK = 1 << 16


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a registered dataset is neither on disk nor downloadable."""


class DownloadError(DatasetNotFoundError):
    """A dataset file could not be downloaded (network, HTTP status, truncated transfer)."""


class ChecksumError(DownloadError, ValueError):
    """A downloaded file is not the registered one (its checksum differs); it was not kept.

    Both a :class:`DownloadError` (the dataset is still not available) and a ``ValueError``
    (the data is not what the registry describes).
    """


def _base_url() -> str:
    base = os.environ.get(DATA_URL_ENV, "").strip() or DEFAULT_BASE_URL
    if "://" not in base:  # a plain folder: file:// of its absolute path
        base = Path(base).expanduser().resolve().as_uri()
    return base if base.endswith("/") else base + "/"


def dataset_url(info: DatasetInfo) -> str | None:
    """The address ``info`` is downloaded from, or None for generated data.

    An explicit ``info.url`` wins; otherwise ``{base}{file}.mat`` where ``base`` is
    ``$LDLKIT_DATA_URL`` or :data:`DEFAULT_BASE_URL` and ``file`` the public file's name
    (``info.remote_name``, default the dataset's name).
    """
    if info.builtin:
        return None
    if info.url:
        return info.url
    if not info.public:
        return None
    return _base_url() + urllib.parse.quote(f"{info.remote_name or info.name}.mat")


def git_blob_sha1(path: str | os.PathLike) -> str:
    """``git hash-object`` of a file: SHA-1 of ``b"blob <size>\\0"`` followed by its bytes."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(b"blob %d\0" % os.path.getsize(path))
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path, info: DatasetInfo) -> str | None:
    """Why ``path`` is not the registered file of ``info`` (a sentence), or None when it is.

    Checks the SHA-256 where it is registered, else the git blob SHA-1 prefix; a dataset with
    neither cannot be verified and passes (None).
    """
    if info.sha256:
        got = _sha256(path)
        if got != info.sha256:
            return f"its SHA-256 is {got}, expected {info.sha256}"
    elif info.git_sha1:
        got = git_blob_sha1(path)
        if not got.startswith(info.git_sha1):
            return f"its git blob SHA-1 is {got}, expected one starting with {info.git_sha1}"
    return None


def _progress_bar(total, name: str, progress):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=name,
        disable=None if progress is None else not progress,
        file=sys.stderr,
        leave=False,
    )


def _attempt(url: str, part: Path, timeout: float, progress, name: str) -> None:
    """One attempt: fetch ``url`` into ``part``, resuming from its size where the server allows.

    Raises :class:`DownloadError` for a transfer that may succeed when retried (it carries
    ``retry=True``) or that cannot (``retry=False``: 404, a missing local file).
    """
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "ldlkit"})
    if have and url.startswith(("http://", "https://")):
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()  # the error carries the open response: close its socket
        if exc.code == 416 and have:  # asked past the end: restart from scratch
            part.unlink()
            raise _retryable(f"the server refused to resume (HTTP {exc.code})") from None
        retry = exc.code >= 500 or exc.code in (408, 429)
        err = DownloadError(f"HTTP {exc.code} {exc.reason}")
        err.retry = retry
        raise err from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, socket.gaierror):  # the host name does not resolve: offline
            err = DownloadError(f"the host name does not resolve ({reason})")
            err.retry = False
            raise err from None
        if isinstance(reason, FileNotFoundError) or url.startswith("file:"):
            err = DownloadError(f"no such file ({reason})")
            err.retry = False
            raise err from None
        raise _retryable(str(reason)) from None
    except TimeoutError as exc:
        raise _retryable(f"no answer within {timeout:g} s ({exc})") from None
    except (OSError, HTTPException) as exc:
        raise _retryable(str(exc)) from None
    with response:
        status = getattr(response, "status", None)
        resumed = have and status == 206
        if have and not resumed:  # the server sent the whole file again
            have = 0
        length = response.headers.get("Content-Length")
        expected = int(length) + have if length and length.isdigit() else None
        received = have
        try:
            with (
                open(part, "ab" if resumed else "wb") as out,
                _progress_bar(expected, name, progress) as bar,
            ):
                bar.update(have)
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        except TimeoutError as exc:
            raise _retryable(
                f"the transfer stalled after {received} bytes (no data within {timeout:g} s: {exc})"
            ) from None
        except (OSError, HTTPException) as exc:
            if isinstance(exc, OSError) and exc.filename is not None:  # writing failed
                raise
            raise _retryable(f"the transfer broke off after {received} bytes ({exc})") from None
    if expected is not None and received < expected:
        raise _retryable(f"the transfer broke off: {received} of {expected} bytes received")


def _retryable(message: str) -> DownloadError:
    err = DownloadError(message)
    err.retry = True
    return err


def download_file(
    url: str,
    destination: str | os.PathLike,
    *,
    info: DatasetInfo | None = None,
    timeout: float = 60.0,
    retries: int = 3,
    progress: bool | None = None,
) -> Path:
    """Download ``url`` to ``destination`` atomically, verified against ``info``'s checksum.

    The bytes go to a temporary file in the destination's folder; an attempt that breaks off is
    retried (``retries`` more times, resuming with an HTTP ``Range`` request where the server
    supports it, else restarting), the finished file is verified (:func:`verify_file`), and only
    then renamed to ``destination``. On any failure, an interruption (Ctrl-C) included, the
    temporary file is removed and nothing is left at ``destination``.

    Parameters
    ----------
    url : str
        ``http://``, ``https://`` or ``file://`` address.
    destination : path
        The file to create (its folder is created).
    info : DatasetInfo, optional
        The registry entry whose checksum the file must match.
    timeout : float, default=60
        Seconds to wait for the connection and for each block of data.
    retries : int, default=3
        Further attempts after a failed transfer (not after a 404 or a checksum mismatch).
    progress : bool or None, default=None
        Show a tqdm progress bar on stderr; None shows it when stderr is a terminal.

    Raises
    ------
    DownloadError
        The file could not be fetched; the message names the URL and the reason.
    ChecksumError
        The fetched file is not the registered one; it was discarded.
    """
    destination = Path(destination)
    name = info.name if info is not None else destination.stem
    folder = destination.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"cannot download {name} from {url}: cannot create the folder {folder} "
            f"({exc.strerror or exc})."
        ) from None
    try:
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{destination.name}.", suffix=".part")
    except OSError as exc:
        raise DownloadError(
            f"cannot download {name} from {url}: cannot write in {folder} ({exc.strerror or exc})."
        ) from None
    os.close(handle)
    part = Path(tmp)
    try:
        attempts = max(0, int(retries)) + 1
        for attempt in range(attempts):
            try:
                _attempt(url, part, timeout, progress, name)
                break
            except DownloadError as exc:
                if not getattr(exc, "retry", False) or attempt == attempts - 1:
                    tried = f" (after {attempts} attempts)" if attempt else ""
                    raise DownloadError(
                        f"could not download {name} from {url}{tried}: {exc}. Check the "
                        f"address or set {DATA_URL_ENV} to a mirror; nothing was written to "
                        f"{folder}."
                    ) from None
                time.sleep(RETRY_DELAY * 2**attempt)
        if info is not None and not (info.sha256 or info.git_sha1):
            warnings.warn(
                f"{name!r} has no registered checksum, so the download from {url} could not be "
                f"verified; its SHA-256 is {_sha256(part)} (register it with "
                "DatasetInfo(..., sha256=...) to verify later downloads).",
                UserWarning,
                stacklevel=3,
            )
        elif info is not None:
            problem = verify_file(part, info)
            if problem is not None:
                raise ChecksumError(
                    f"the file downloaded from {url} is not the registered {name} "
                    f"(checksum mismatch: {problem}); it was discarded and nothing was written "
                    f"to {folder}. The source may have changed or the transfer was corrupted: "
                    "try again, or use another mirror."
                )
        os.replace(part, destination)
    finally:
        if part.exists():
            part.unlink()
    return destination


def clear_data_home(data_home: str | os.PathLike | None = None) -> None:
    """Delete the dataset cache folder and everything in it (as scikit-learn's does).

    ``data_home`` defaults to :func:`ldlkit.datasets.get_data_home` (``$LDLKIT_DATA_HOME``, else
    ``$XDG_CACHE_HOME/ldlkit``). The folders of ``$LDLKIT_DATA`` are never touched.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> home = pathlib.Path(tempfile.mkdtemp()) / "cache"
    >>> home.mkdir()
    >>> clear_data_home(home)
    >>> home.exists()
    False
    """
    from ._loaders import get_data_home

    folder = get_data_home(data_home)
    if folder.resolve() in (Path.home().resolve(), Path(folder.anchor).resolve()):
        raise ValueError(f"data_home {folder} is your home or the file-system root; refusing.")
    shutil.rmtree(folder, ignore_errors=True)

"""One writer per file: an exclusive ``flock`` on ``<file>.lock``, naming its holder.

``ldlkit serve`` and ``ldlkit compact`` hold the lock of the update log and of the model file
for as long as they run; :func:`~ldlkit.deploy.save_model` refuses to write a model file whose
lock another process holds. A second process asking for a held lock is refused at once with one
line naming the holder (pid, command, since when), which the holder wrote into the lock file.

The lock is the kernel's (``fcntl.flock``): it disappears with the process, even after
``kill -9``, so a stale lock file never blocks anyone. A second holder within one process is
refused too; writing a model file whose lock this process holds is allowed. On platforms
without ``fcntl`` (Windows) nothing is locked.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class LockHeld(OSError):
    """Another process holds the lock (an OSError: a fault of the environment, one line)."""


_HELD: dict[str, int | None] = {}  # resolved lock path -> descriptor holding its flock
_GUARD = threading.Lock()


def lock_path(path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".lock")


def _holder(fd: int) -> str:
    try:
        raw = os.pread(fd, 4096, 0)
        info = json.loads(raw.decode()) if raw else {}
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another process"
    return f"pid {info.get('pid')} ({info.get('command', '?')}, since {info.get('since', '?')})"


def _command() -> str:
    argv = sys.argv or ["python"]
    if "ldlkit" in argv[0]:
        return " ".join(["ldlkit", *argv[1:2]])
    return Path(argv[0]).name or "python"


def _refuse(path, what: str, holder: str, purpose: str) -> LockHeld:
    return LockHeld(
        f"{what} {path} is in use by {holder}: only one process may write it; stop that one "
        f"before you {purpose}."
    )


def acquire(path, what: str, *, purpose: str = "use it") -> None:
    """Take the lock of ``path`` or raise :class:`LockHeld` naming the holder (another process,
    or another holder in this one)."""
    target = lock_path(path)
    key = str(target.resolve())
    with _GUARD:
        if key in _HELD:
            fd = _HELD[key]
            raise _refuse(path, what, _holder(fd) if fd is not None else "this process", purpose)
        if fcntl is None:  # pragma: no cover
            _HELD[key] = None
            return
        try:
            fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise OSError(
                f"cannot open the lock file {target} ({exc.strerror or exc}): serving or "
                f"compacting needs write access to the folder of the {what}."
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise _refuse(path, what, holder, purpose) from None
        except BaseException:
            os.close(fd)
            raise
        info = {
            "pid": os.getpid(),
            "command": _command(),
            "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        _HELD[key] = fd


def release(path) -> None:
    key = str(lock_path(path).resolve())
    with _GUARD:
        if key not in _HELD:
            return
        fd = _HELD.pop(key)
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock


def check_free(path, what: str, *, purpose: str = "write it") -> None:
    """Raise :class:`LockHeld` if another process holds the lock of ``path``.

    Used by writers that do not need to keep the lock (``save_model``): no lock file is created,
    and a lock this process holds (a server rewriting its own model file) does not count.
    """
    target = lock_path(path)
    with _GUARD:
        if fcntl is None or str(target.resolve()) in _HELD:
            return
        try:
            fd = os.open(target, os.O_RDWR)
        except FileNotFoundError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _refuse(path, what, _holder(fd), purpose) from None
        finally:
            os.close(fd)

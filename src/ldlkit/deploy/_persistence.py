"""Model files: a JSON header, then the fitted state as arrays and plain data.

Layout of a model file (format 2)::

    b"LDLKIT-MODEL\\n"            magic line: anything else is "not an ldlkit model file"
    <header as one line of JSON>\\n
    <.npz archive>                its sha256 is in the header (a truncated file is refused)

The archive holds ``state`` (the estimator's object graph as JSON, see ``_state.py``) and the
arrays it refers to (``a0``, ``a1``, ...), read with ``allow_pickle=False``. Loading a model never
unpickles: the state may only name ldlkit's own classes and a short allow-list (torch modules,
optimizers and tensors, numpy types), and nothing from the file is called.

Format 1 files (a pickle after the header) are refused; :func:`convert_model` rewrites a trusted
one in format 2 (it unpickles it, so only for files you made).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__

MAGIC = b"LDLKIT-MODEL\n"
#: Layout of the header and payload; bumped when the file layout itself changes.
FORMAT_VERSION = 2
#: The pickle-based layout of earlier ldlkit versions (refused; see :func:`convert_model`).
PICKLE_FORMAT = 1
# The longest header we read before giving up (a header is a few kilobytes).
_MAX_HEADER = 1 << 20


@dataclass
class ModelFile:
    """A loaded model file: the estimator and the header that described it."""

    model: Any
    header: dict = field(default_factory=dict)

    @property
    def model_id(self) -> str:
        return self.header["model_id"]


def _release(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def compatible_version(saved: str, running: str = __version__) -> bool:
    """Whether a model saved by ldlkit ``saved`` may be loaded by ldlkit ``running``.

    Before 1.0 every minor release may change estimators' internals, so the major and minor
    numbers must match (0.1.x loads 0.1.y); from 1.0 on, the major number must match and the file
    must not come from a newer minor release than the one loading it.
    """
    s, r = _release(saved), _release(running)
    if s[0] != r[0]:
        return False
    if s[0] == 0:
        return s[:2] == r[:2]
    return s[1] <= r[1]


def data_fingerprint(X, D) -> dict:
    """sha256 of the training data (float64, C order) with its shapes.

    The same numbers give the same fingerprint whatever the dtype or memory layout they came in.
    """
    digest = hashlib.sha256()
    shapes = {}
    for name, values in (("X", X), ("D", D)):
        arr = np.ascontiguousarray(np.asarray(values, dtype=np.float64))
        shapes[f"{name}_shape"] = list(arr.shape)
        digest.update(f"{name}{arr.shape}".encode())
        digest.update(arr.tobytes())
    return {"sha256": digest.hexdigest(), **shapes}


def library_versions() -> dict[str, str]:
    """Versions of the numerical libraries a pickled model depends on (torch if it is loaded)."""
    import scipy
    import sklearn

    versions = {
        "python": ".".join(str(v) for v in sys.version_info[:3]),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
    }
    for optional in ("torch", "faiss"):
        module = sys.modules.get(optional)
        if module is not None and hasattr(module, "__version__"):
            versions[optional] = str(module.__version__)
    return versions


def _json_safe(value):
    """Parameters as JSON: numbers, strings and containers as they are, anything else as repr."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return repr(value)


def describe_method(model) -> dict:
    cls = type(model)
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    return {
        "class": cls.__name__,
        "module": cls.__module__,
        "params": _json_safe(params),
    }


def model_summary(model) -> dict:
    """Rows, features and labels of a fitted model, where it says."""
    summary: dict[str, Any] = {}
    for key, attr in (("n_features", "n_features_in_"), ("n_labels", "n_labels_")):
        if hasattr(model, attr):
            summary[key] = int(getattr(model, attr))
    ids = getattr(model, "sample_ids_", None)
    if ids is not None:
        summary["n_rows"] = len(ids)
    elif hasattr(model, "n_train_"):
        summary["n_rows"] = int(model.n_train_)
    return summary


def encode_payload(model) -> bytes:
    """The estimator as an ``.npz`` archive: its state tree (JSON) and the arrays it names."""
    from ._state import encode

    tree, arrays = encode(model)
    state = json.dumps(tree, allow_nan=False, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    np.savez(
        buffer,
        state=np.frombuffer(state, dtype=np.uint8),
        **{f"a{i}": arr for i, arr in enumerate(arrays)},
    )
    return buffer.getvalue()


def decode_payload(payload: bytes, path) -> Any:
    """Rebuild an estimator from :func:`encode_payload`'s bytes; nothing is unpickled."""
    from ._state import decode

    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            names = set(archive.files)
            if "state" not in names:
                raise ValueError("no state in the archive")
            tree = json.loads(archive["state"].tobytes())
            count = sum(1 for n in names if n.startswith("a") and n[1:].isdigit())
            arrays = [archive[f"a{i}"] for i in range(count)]
        return decode(tree, arrays)
    except (ValueError, OSError, KeyError, EOFError, RecursionError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: the model data cannot be read ({exc}).") from None


def save_model(
    model,
    path,
    *,
    training_data=None,
    fingerprint: dict | None = None,
    folded_log: dict | None = None,
    model_id: str | None = None,
) -> dict:
    """Save a fitted estimator to ``path`` atomically; return the header written.

    The file is written to a temporary file in the same folder, flushed to disk, then renamed
    over ``path`` (``os.replace``): a reader sees the old file or the new one, never half of one.
    Its permissions follow the umask, like any file the process creates. A model file that a
    running ``ldlkit serve`` or ``ldlkit compact`` holds is refused (see ``_lock.py``).

    Parameters
    ----------
    model : fitted estimator
        Any ldlkit estimator; its state must be storable as arrays and plain data (a TypeError
        names the attribute that is not).
    path : str or Path
    training_data : (X, D), optional
        The data the model was fitted on; its fingerprint (:func:`data_fingerprint`) goes in the
        header so that a model can be traced to its data.
    fingerprint : dict, optional
        A fingerprint computed earlier (used instead of ``training_data``).
    folded_log : dict, optional
        ``{"log_id": ..., "seq": ...}``: the update log this model extends and the entries of
        it that the model already contains (written by ``ldlkit serve`` and ``ldlkit compact``).
    model_id : str, optional
        Keep this id (a conversion of the same model); by default a new one.
    """
    if not hasattr(model, "n_labels_") and not hasattr(model, "n_features_in_"):
        raise ValueError(
            f"model is not fitted: {type(model).__name__} has no n_labels_; fit it first."
        )
    if training_data is not None:
        if fingerprint is not None:
            raise ValueError("give training_data or fingerprint, not both.")
        X, D = training_data
        fingerprint = data_fingerprint(X, D)
    payload = encode_payload(model)
    header = {
        "format": FORMAT_VERSION,
        "ldlkit_version": __version__,
        "model_id": model_id or uuid.uuid4().hex,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "method": describe_method(model),
        **model_summary(model),
        "training_data": fingerprint,
        "folded_log": folded_log,
        "libraries": library_versions(),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }
    write_model_file(Path(path), header, payload)
    return header


def write_model_file(path: Path, header: dict, payload: bytes) -> None:
    """Write a header and payload atomically, unless another process holds the file's lock."""
    from ._lock import check_free

    line = json.dumps(header, sort_keys=True, allow_nan=False).encode()
    check_free(path, "model file", purpose="write it")
    write_atomically(path, [MAGIC, line, b"\n", payload])


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # pragma: no cover - no /proc (one racy read of the umask)
    os.umask(mask)
    return mask


def write_atomically(path: Path, chunks) -> None:
    """Write ``chunks`` to ``path`` through a synced temporary file in the same folder.

    The file gets the permissions a plain ``open(path, "w")`` would (0666 less the umask), not
    the 0600 of a temporary file.
    """
    folder = path.resolve().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"folder {folder} does not exist; create it first.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    # The rename is durable only once the folder's entry is on disk.
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory file descriptors
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_header(path, *, formats: tuple[int, ...] = (FORMAT_VERSION,)) -> tuple[dict, bytes]:
    """Read and check a model file's header; return it and the (unverified) payload bytes."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"model file {path} does not exist.")
    if not path.is_file():
        raise ValueError(f"{path} is not a model file (it is a folder or a special file).")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OSError(f"model file {path} cannot be read ({exc.strerror or exc}).") from None
    if not data.startswith(MAGIC):
        raise ValueError(
            f"{path} is not an ldlkit model file (it does not start with the ldlkit header); "
            "save models with ldlkit.deploy.save_model or `ldlkit fit`."
        )
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + _MAX_HEADER)
    try:
        if end < 0:
            raise ValueError("no end of header")
        header = json.loads(data[len(MAGIC) : end])
        if not isinstance(header, dict):
            raise ValueError("header is not an object")
    except (ValueError, RecursionError) as exc:
        raise ValueError(
            f"{path} is not a readable ldlkit model file (damaged header: {exc})."
        ) from None
    fmt = header.get("format")
    if fmt == PICKLE_FORMAT and PICKLE_FORMAT not in formats:
        raise ValueError(
            f"{path} is an older pickle-based ldlkit model file (format 1): loading it would run "
            "code from the file, so it is refused. Refit or convert it: refit the model with "
            "`ldlkit fit`, or, if you made the file yourself and trust it, convert it with "
            f"`ldlkit convert-model {path} --trust`."
        )
    if fmt not in formats:
        raise ValueError(
            f"{path} uses model file format {fmt!r}, which this ldlkit "
            f"({__version__}) cannot read (it reads format {FORMAT_VERSION})."
        )
    saved = str(header.get("ldlkit_version", "?"))
    if not compatible_version(saved):
        raise ValueError(
            f"{path} was saved by ldlkit {saved}, which is incompatible with the installed "
            f"ldlkit {__version__}; load it with ldlkit {'.'.join(saved.split('.')[:2])}.x "
            "and refit, or refit from the training data."
        )
    return header, data[end + 1 :]


def _check_payload(path, header: dict, payload: bytes) -> None:
    if hashlib.sha256(payload).hexdigest() != header.get("payload_sha256"):
        raise ValueError(
            f"{path} is damaged: its model data does not match the checksum in its header "
            "(truncated or modified file)."
        )


def load_model(path, *, with_header: bool = False):
    """Load a model saved by :func:`save_model`.

    Nothing in the file is unpickled or called: the model is rebuilt from arrays and plain
    data, naming only ldlkit's own classes and an allow-list (``_state.py``). Refused with a
    one-line ValueError: a file that is not an ldlkit model file, one from an incompatible
    ldlkit version, a pickle-based file of format 1 ("refit or convert"), and one whose payload
    does not match its checksum (truncated or altered).

    Returns the estimator, or a :class:`ModelFile` (estimator and header) with
    ``with_header=True``.
    """
    header, payload = read_header(path)
    _check_payload(path, header, payload)
    model = decode_payload(payload, path)
    expected = header.get("method", {}).get("class")
    if type(model).__name__ != expected:
        raise ValueError(
            f"{path} holds a {type(model).__name__}, but its header says {expected}; "
            "the file is not consistent."
        )
    return ModelFile(model, header) if with_header else model


def rewrite_header(path, **changes) -> dict:
    """Rewrite a model file with header fields changed (same payload, same model id)."""
    header, payload = read_header(path)
    _check_payload(path, header, payload)
    header.update(changes)
    write_model_file(Path(path), header, payload)
    return header


def convert_model(path, out=None, *, trust: bool = False) -> dict:
    """Rewrite a pickle-based (format 1) model file in the current format; return its header.

    .. warning:: This unpickles ``path``, which runs whatever code the file holds. Convert only
       files you made yourself or otherwise trust; ``trust=True`` says so.

    The converted file keeps the model id, the training-data fingerprint and the update log
    binding, so a log that extended the old file extends the new one.
    """
    if not trust:
        raise ValueError(
            "converting a pickle-based model file unpickles it, which runs code from the file; "
            "pass trust=True (`--trust`) only for a file you made yourself."
        )
    header, payload = read_header(path, formats=(PICKLE_FORMAT, FORMAT_VERSION))
    if header.get("format") == FORMAT_VERSION:
        raise ValueError(f"{path} is already in model file format {FORMAT_VERSION}.")
    _check_payload(path, header, payload)
    model = pickle.loads(payload)
    return save_model(
        model,
        out if out is not None else path,
        fingerprint=header.get("training_data"),
        folded_log=header.get("folded_log"),
        model_id=header.get("model_id"),
    )

"""Model files: a JSON header that can be checked before anything is unpickled, then a pickle.

Layout of a model file::

    b"LDLKIT-MODEL\\n"            magic line: anything else is "not an ldlkit model file"
    <header as one line of JSON>\\n
    <pickle of the estimator>     its sha256 is in the header (a truncated file is refused)

The header says which ldlkit wrote the file, so a file from an incompatible version is refused
before its pickle is touched. Unpickling runs code chosen by whoever wrote the file: load only
model files you made or trust (the header check is about versions, not about safety).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__

MAGIC = b"LDLKIT-MODEL\n"
#: Layout of the header and payload; bumped when the file layout itself changes.
FORMAT_VERSION = 1
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


def save_model(
    model,
    path,
    *,
    training_data=None,
    fingerprint: dict | None = None,
    folded_log: dict | None = None,
) -> dict:
    """Save a fitted estimator to ``path`` atomically; return the header written.

    The file is written to a temporary file in the same folder, flushed to disk, then renamed
    over ``path`` (``os.replace``): a reader sees the old file or the new one, never half of one.

    Parameters
    ----------
    model : fitted estimator
    path : str or Path
    training_data : (X, D), optional
        The data the model was fitted on; its fingerprint (:func:`data_fingerprint`) goes in the
        header so that a model can be traced to its data.
    fingerprint : dict, optional
        A fingerprint computed earlier (used instead of ``training_data``).
    folded_log : dict, optional
        ``{"log_id": ..., "seq": ...}`` when the model already contains an update log's entries
        up to ``seq`` (written by ``ldlkit compact``).
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
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    header = {
        "format": FORMAT_VERSION,
        "ldlkit_version": __version__,
        "model_id": uuid.uuid4().hex,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "method": describe_method(model),
        **model_summary(model),
        "training_data": fingerprint,
        "folded_log": folded_log,
        "libraries": library_versions(),
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
    }
    line = json.dumps(header, sort_keys=True, allow_nan=False).encode()
    write_atomically(Path(path), [MAGIC, line, b"\n", payload])
    return header


def write_atomically(path: Path, chunks) -> None:
    """Write ``chunks`` to ``path`` through a synced temporary file in the same folder."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"folder {folder} does not exist; create it first.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
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


def read_header(path) -> tuple[dict, bytes]:
    """Read and check a model file's header; return it and the (unverified) payload bytes."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {path} does not exist.")
    data = path.read_bytes()
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
    except ValueError as exc:
        raise ValueError(
            f"{path} is not a readable ldlkit model file (damaged header: {exc})."
        ) from None
    if header.get("format") != FORMAT_VERSION:
        raise ValueError(
            f"{path} uses model file format {header.get('format')!r}, which this ldlkit "
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


def load_model(path, *, with_header: bool = False):
    """Load a model saved by :func:`save_model`.

    Refuses, with a one-line ValueError and before unpickling anything, a file that is not an
    ldlkit model file, one from an incompatible ldlkit version, and one whose payload does not
    match its checksum (truncated or altered).

    .. warning:: Loading unpickles the file, which can run arbitrary code. Never load a model
       file from a source you do not trust.

    Returns the estimator, or a :class:`ModelFile` (estimator and header) with
    ``with_header=True``.
    """
    header, payload = read_header(path)
    if hashlib.sha256(payload).hexdigest() != header.get("payload_sha256"):
        raise ValueError(
            f"{path} is damaged: its model data does not match the checksum in its header "
            "(truncated or modified file)."
        )
    model = pickle.loads(payload)
    expected = header.get("method", {}).get("class")
    if type(model).__name__ != expected:
        raise ValueError(
            f"{path} holds a {type(model).__name__}, but its header says {expected}; "
            "the file is not consistent."
        )
    return ModelFile(model, header) if with_header else model

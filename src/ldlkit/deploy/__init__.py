"""Deploy a model: save and load model files, and serve one over HTTP (``ldlkit serve``).

- :func:`save_model` / :func:`load_model`: a model file records ldlkit's version, the method and
  its parameters, a fingerprint of the training data and the library versions, is written
  atomically, and is refused on load when it comes from an incompatible ldlkit or is not a model
  file. The fitted state is stored as arrays and plain data: loading a model file runs no code
  from it (older pickle-based files are refused; :func:`convert_model` converts trusted ones).
- :class:`ModelService`: a saved model plus its durable SQLite update log (what ``ldlkit serve``
  runs), one writer per model and log, changes written ahead; :func:`compact` folds the log into
  a new model file.

The HTTP server (``ldlkit.deploy._server.create_app``) needs the ``serve`` extra (FastAPI and
uvicorn). Names are imported on first use, so that ``ldlkit --help`` (which registers the deploy
subcommands) stays fast. See docs/deploy.md.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "read_features": "_io",
    "read_training_data": "_io",
    "write_predictions": "_io",
    "UpdateLog": "_log",
    "LockHeld": "_lock",
    "FORMAT_VERSION": "_persistence",
    "ModelFile": "_persistence",
    "compatible_version": "_persistence",
    "convert_model": "_persistence",
    "data_fingerprint": "_persistence",
    "load_model": "_persistence",
    "read_header": "_persistence",
    "save_model": "_persistence",
    "ModelService": "_service",
    "compact": "_service",
    "default_log_path": "_service",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))

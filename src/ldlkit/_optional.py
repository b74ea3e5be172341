"""Optional dependencies: import them lazily and fail with a message that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType


def require_torch(what: str = "this estimator") -> ModuleType:
    """Import and return ``torch``, or raise an ImportError naming the extra that provides it."""
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(
            f"{what} needs PyTorch, which is not installed. Install the extra with "
            "`pip install 'ldlkit[torch]'` (for a CPU-only build, install torch from the "
            "PyTorch CPU wheel index first)."
        ) from exc


def torch_available() -> bool:
    try:
        importlib.import_module("torch")
    except ImportError:
        return False
    return True


def require_faiss(what: str = "backend='faiss'") -> ModuleType:
    """Import and return ``faiss``, or raise an ImportError naming the package and the extra."""
    try:
        return importlib.import_module("faiss")
    except ImportError as exc:
        raise ImportError(
            f"{what} needs faiss, which is not installed. Install it with "
            "`pip install faiss-cpu` or the extra `pip install 'ldlkit[faiss]'`."
        ) from exc


def faiss_available() -> bool:
    try:
        importlib.import_module("faiss")
    except ImportError:
        return False
    return True

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

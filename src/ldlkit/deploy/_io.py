"""Reading feature and training files and writing predictions (CSV, NPY, NPZ).

Training data and features are read by :mod:`ldlkit.datasets`' one loader (the file format of
docs/datasets.md); predictions are written as ``.csv`` (a header ``label_0,...`` then one row per
input row), ``.npy``, or ``.npz`` holding the array ``P``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._persistence import write_atomically

_FORMATS = (".csv", ".npy", ".npz")


def _suffix(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"{what} {path} has the extension {suffix or '(none)'!r}; use .csv, .npy or .npz."
        )
    return suffix


def read_training_data(path, labels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features and distributions of a training file, read by :func:`ldlkit.datasets.load_file`
    (the one loader: ``.mat``/``.npz`` with ``features``/``labels`` or ``X``/``D``, ``.csv`` with a
    ``label_`` header or ``labels`` label columns; docs/datasets.md)."""
    from ..datasets import load_file

    return load_file(path, n_labels=labels, return_X_y=True)


def read_features(path, labels: int | None = None) -> np.ndarray:
    """Feature rows of a file, read by :func:`ldlkit.datasets.load_features` (the loader's
    layouts with their labels dropped, or an ``.npy`` 2-D array)."""
    from ..datasets import load_features

    return load_features(path, n_labels=labels)


def write_predictions(path, P: np.ndarray) -> None:
    """Write predicted distributions atomically, in the format the extension names."""
    import io

    path = Path(path)
    suffix = _suffix(path, "output file")
    buffer = io.BytesIO()
    if suffix == ".csv":
        header = ",".join(f"label_{j}" for j in range(P.shape[1]))
        np.savetxt(buffer, P, delimiter=",", fmt="%.17g", header=header, comments="")
    elif suffix == ".npy":
        np.save(buffer, P)
    else:
        np.savez(buffer, P=P)
    write_atomically(path, [buffer.getvalue()])

"""Reading feature and training files and writing predictions (CSV, NPY, NPZ).

Layouts (docs/deploy.md):

- training data: an ``.npz`` with arrays ``X`` (n, d) and ``D`` (n, L); or a ``.csv`` whose last
  ``--labels L`` columns are the distributions and the others the features.
- features: an ``.npz`` with ``X`` (other arrays are ignored), an ``.npy`` 2-D array, or a
  ``.csv`` of features only (or a training CSV with ``--labels L``, whose label columns are
  dropped).
- predictions: ``.csv`` (a header ``label_0,...`` then one row per input row), ``.npy``, or
  ``.npz`` holding the array ``P``.

A CSV may start with one header line (any line that does not parse as numbers).
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


def _read_csv(path: Path) -> np.ndarray:
    with path.open(encoding="utf-8") as fh:
        first = fh.readline()
    try:
        [float(v) for v in first.strip().split(",")]
        skip = 0
    except ValueError:
        skip = 1  # a header line
    try:
        return np.loadtxt(path, delimiter=",", skiprows=skip, ndmin=2, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{path}: cannot read as a CSV of numbers ({exc}).") from None


def _npz(path: Path) -> dict:
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path}: cannot read as an .npz archive ({exc}).") from None


def _split_labels(table: np.ndarray, labels: int, path: Path) -> tuple[np.ndarray, np.ndarray]:
    if labels < 2 or labels >= table.shape[1]:
        raise ValueError(
            f"--labels {labels}: {path} has {table.shape[1]} columns; give the number of label "
            "columns (at least 2, and fewer than the columns)."
        )
    return table[:, :-labels], table[:, -labels:]


def read_training_data(path, labels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features and distributions from an NPZ (``X``, ``D``) or a CSV with ``labels`` columns."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} does not exist.")
    suffix = _suffix(path, "training data file")
    if suffix == ".npz":
        arrays = _npz(path)
        missing = [k for k in ("X", "D") if k not in arrays]
        if missing:
            raise ValueError(
                f"{path} must hold arrays X (features) and D (distributions); it has "
                f"{', '.join(arrays) or 'none'}."
            )
        return arrays["X"], arrays["D"]
    if suffix == ".npy":
        raise ValueError(
            f"{path}: an .npy file holds one array; give training data as an .npz with X and D "
            "or a .csv with --labels."
        )
    if labels is None:
        raise ValueError(
            f"{path} is a CSV: say how many of its last columns are label degrees with --labels."
        )
    return _split_labels(_read_csv(path), labels, path)


def read_features(path, labels: int | None = None) -> np.ndarray:
    """Feature rows from an NPZ (``X``), an NPY, or a CSV (minus ``labels`` last columns)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} does not exist.")
    suffix = _suffix(path, "data file")
    if suffix == ".npz":
        arrays = _npz(path)
        if "X" not in arrays:
            raise ValueError(f"{path} must hold an array X; it has {', '.join(arrays) or 'none'}.")
        return arrays["X"]
    if suffix == ".npy":
        try:
            return np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise ValueError(f"{path}: cannot read as an .npy array ({exc}).") from None
    table = _read_csv(path)
    return table if labels is None else _split_labels(table, labels, path)[0]


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

"""Finding, downloading and reading dataset files."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._validation import (
    as_float_array,
    check_distributions,
    check_features,
    check_same_length,
)
from ._registry import DatasetInfo, _key, get_dataset_info

__all__ = ["load_dataset", "load_file", "find_dataset_file", "get_data_home", "sha256sum"]

DATA_ENV = "LDLKIT_DATA"
SUPPORTED_SUFFIXES = (".mat", ".npz", ".csv")
# Keys tried, in order, for the feature matrix and the label distributions in .mat/.npz files.
FEATURE_KEYS = ("features", "feature", "X", "x", "data")
LABEL_KEYS = ("labels", "label", "label_distribution", "D", "Y", "y")


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a registered dataset is neither on disk nor downloadable."""


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The user cache folder for datasets: ``data_home``, else ``$XDG_CACHE_HOME/ldlkit``."""
    if data_home is not None:
        return Path(data_home).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "ldlkit"


def _search_dirs(data_home) -> list[Path]:
    dirs = [Path(p).expanduser() for p in os.environ.get(DATA_ENV, "").split(os.pathsep) if p]
    if data_home is not None:
        dirs.append(Path(data_home).expanduser())
    dirs.append(get_data_home())
    return dirs


def find_dataset_file(name: str, data_home=None) -> Path | None:
    """First file for dataset ``name`` in ``$LDLKIT_DATA``, ``data_home``, then the user cache.

    File names match the dataset's name or an alias, ignoring case, ``-``, ``_`` and spaces (as
    dataset names do), with a ``.mat``, ``.npz`` or ``.csv`` suffix.
    """
    info = get_dataset_info(name)
    wanted = {_key(n) for n in (info.name, *info.aliases)}
    for folder in _search_dirs(data_home):
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in SUPPORTED_SUFFIXES and _key(path.stem) in wanted:
                return path
    return None


def sha256sum(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(info: DatasetInfo, data_home) -> Path:
    """Download ``info.url`` into the cache, verify its checksum, and return the file's path."""
    target_dir = get_data_home(data_home)
    target_dir.mkdir(parents=True, exist_ok=True)
    suffix = Path(info.url.split("?")[0]).suffix.lower() or ".mat"
    with tempfile.TemporaryDirectory(dir=target_dir) as tmp:
        tmp_path = Path(tmp) / f"{info.name}{suffix}"
        try:
            with (
                urllib.request.urlopen(info.url, timeout=60) as response,
                open(tmp_path, "wb") as f,
            ):
                shutil.copyfileobj(response, f)
        except (urllib.error.URLError, OSError) as exc:
            raise DatasetNotFoundError(
                f"could not download dataset {info.name!r} from {info.url} ({exc}). "
                + _placement_hint(info, data_home)
            ) from exc
        if suffix == ".zip":
            tmp_path = _extract_member(tmp_path, info)
            suffix = tmp_path.suffix
        got = sha256sum(tmp_path)
        if info.sha256 is None:
            warnings.warn(
                f"{info.name!r} has no registered checksum, so the download from {info.url} "
                f"could not be verified; its SHA-256 is {got} (register it with "
                "DatasetInfo(..., sha256=...) to verify later downloads).",
                UserWarning,
                stacklevel=3,
            )
        elif got != info.sha256:
            raise ValueError(
                f"downloaded file for {info.name!r} has checksum {got}, expected "
                f"{info.sha256}; it was discarded. The source may have changed or the "
                "download was corrupted: try again or place a verified copy by hand."
            )
        final = target_dir / f"{info.name}{suffix}"
        os.replace(tmp_path, final)
    return final


def _extract_member(archive: Path, info: DatasetInfo) -> Path:
    with zipfile.ZipFile(archive) as zf:
        wanted = {_key(n) for n in (info.name, *info.aliases)}
        for member in zf.namelist():
            p = Path(member)
            if p.suffix.lower() in SUPPORTED_SUFFIXES and _key(p.stem) in wanted:
                out = archive.parent / f"{info.name}{p.suffix.lower()}"
                out.write_bytes(zf.read(member))
                return out
    raise ValueError(f"the downloaded archive for {info.name!r} holds no file named after it.")


def _placement_hint(info: DatasetInfo, data_home) -> str:
    where = os.pathsep.join(str(d) for d in _search_dirs(data_home))
    return (
        f"Get {info.name}.mat from {info.source} and put it in one of: {where} "
        f"(or point the {DATA_ENV} environment variable at the folder that holds it)."
    )


def load_dataset(
    name: str,
    *,
    data_home: str | os.PathLike | None = None,
    return_X_y: bool = False,
    renormalize: bool = False,
    download: bool = True,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load a benchmark dataset by name.

    Looks in the folders of ``$LDLKIT_DATA`` (``os.pathsep``-separated), then ``data_home``, then
    the user cache (:func:`get_data_home`); if the file is in none of them and the registry knows a
    download address, downloads it into the cache and verifies its checksum.

    Parameters
    ----------
    name : str
        A registered name (see :func:`ldlkit.datasets.list_datasets`); case, '-' and '_' are
        ignored.
    data_home : path, optional
        An extra folder to look in, and where downloads go.
    return_X_y : bool, default=False
        Return ``(features, labels)`` instead of a Bunch.
    renormalize : bool, default=False
        Divide label rows that do not sum to 1 by their sum instead of raising.
    download : bool, default=True
        Allow downloading when the file is not found locally.

    Returns
    -------
    Bunch with ``features`` (n, d), ``labels`` (n, L), ``label_names`` (or None), ``name``,
    ``path``, ``description`` and ``row_sums`` (label row sums as stored, before renormalising);
    or ``(features, labels)`` with ``return_X_y=True``.

    Examples
    --------
    >>> X, D = load_dataset("SJAFFE", return_X_y=True)  # doctest: +SKIP
    >>> X.shape, D.shape  # doctest: +SKIP
    ((213, 243), (213, 6))
    """
    info = get_dataset_info(name)
    path = find_dataset_file(info.name, data_home)
    if path is None:
        if not download or info.url is None:
            reason = (
                "downloading is disabled"
                if not download
                else "ldlkit knows no download address for it"
            )
            raise DatasetNotFoundError(
                f"dataset {info.name!r} was not found locally and {reason}. "
                + _placement_hint(info, data_home)
            )
        path = _download(info, data_home)
        differs = False
    else:
        differs = info.sha256 is not None and sha256sum(path) != info.sha256
    try:
        bunch = load_file(path, renormalize=renormalize)
    except ValueError as exc:
        if not differs:
            raise
        raise ValueError(
            f"{exc} The file also differs from the registered copy of {info.name} (checksum "
            "mismatch): it is probably truncated or corrupted; replace it with a fresh copy."
        ) from exc
    if info.n_labels is not None and bunch.labels.shape[1] != info.n_labels:
        raise ValueError(
            f"{path} has {bunch.labels.shape[1]} labels but {info.name} has {info.n_labels}; "
            "is it the right file?"
        )
    # One warning, however many ways the file differs from the registered one.
    n, d = bunch.features.shape
    differences = []
    if differs:
        differences.append("its checksum differs (checksum mismatch)")
    if (info.n_samples not in (None, n)) or (info.n_features not in (None, d)):
        differences.append(
            f"it holds {n} rows × {d} features, not {info.n_samples} × {info.n_features}"
        )
    if differences:
        warnings.warn(
            f"{path} is not the registered copy of {info.name}: {'; '.join(differences)}. "
            "Results may not match published ones.",
            UserWarning,
            stacklevel=2,
        )
    bunch.name = info.name
    bunch.description = info.description
    if info.label_names is not None:
        bunch.label_names = list(info.label_names)
    return (bunch.features, bunch.labels) if return_X_y else bunch


def _pick(container, keys, *, path, what) -> np.ndarray:
    for key in keys:
        if key in container:
            return container[key]
    found = sorted(k for k in container if not str(k).startswith("__"))
    raise ValueError(
        f"{path} has no {what} array: looked for keys {list(keys)}, found {found}. "
        "Rename the arrays or save them under 'features' and 'labels'."
    )


def load_file(
    path: str | os.PathLike,
    *,
    n_labels: int | None = None,
    renormalize: bool = False,
    return_X_y: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Read a dataset file a user brings: ``.mat`` (MATLAB v5), ``.npz`` or ``.csv``.

    ``.mat``/``.npz`` files hold ``features`` and ``labels`` arrays (a few common alternative names
    are accepted). A ``.csv`` file has one row per sample, features first and the ``n_labels``
    label columns last; a header row is detected and skipped.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.npz")
    >>> np.savez(path, features=np.eye(3), labels=np.full((3, 2), 0.5))
    >>> load_file(path).labels.shape
    (3, 2)
    """
    path = Path(path)
    if path.is_dir():
        # FileNotFoundError (not IsADirectoryError): no dataset file was found at this path.
        raise FileNotFoundError(f"{path} is a folder, not a dataset file; give a file inside it.")
    if not path.is_file():
        raise FileNotFoundError(f"dataset file {path} does not exist.")
    suffix = path.suffix.lower()
    label_names = None
    if suffix == ".mat":
        X, D = _read_mat(path)
    elif suffix == ".npz":
        try:
            loaded = np.load(path, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not named arrays")
            with loaded as npz:
                X = _pick(npz, FEATURE_KEYS, path=path, what="feature")
                D = _pick(npz, LABEL_KEYS, path=path, what="label")
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ValueError(
                f"could not read {path}: truncated or not an .npz file ({exc})."
            ) from exc
        except ValueError as exc:
            if str(path) in str(exc):  # _pick's message already names the file
                raise
            # e.g. object arrays, which would need pickle (never loaded: unsafe)
            raise ValueError(
                f"could not read {path}: {exc}. Save plain numeric arrays with "
                "np.savez(path, features=X, labels=D)."
            ) from exc
    elif suffix == ".csv":
        X, D, label_names = _read_csv(path, n_labels)
    else:
        raise ValueError(
            f"unsupported file type {suffix!r} for {path}; use one of {SUPPORTED_SUFFIXES}."
        )
    X = check_features(X, name=f"features in {path.name}")
    D = as_float_array(D, name=f"labels in {path.name}")
    check_same_length(features=X, labels=D)
    checked = check_distributions(D, name=f"labels in {path.name}", renormalize=renormalize)
    if return_X_y:
        return X, checked
    return Bunch(
        features=X,
        labels=checked,
        row_sums=np.asarray(D, dtype=np.float64).sum(axis=1),
        label_names=label_names,
        name=path.stem,
        path=str(path),
        description=f"loaded from {path}",
    )


def _read_mat(path: Path) -> tuple[np.ndarray, np.ndarray]:
    from scipy.io import loadmat

    try:
        mat = loadmat(path)
    except NotImplementedError as exc:  # MATLAB v7.3 files are HDF5
        raise ValueError(
            f"{path} is a MATLAB v7.3 (HDF5) file, which scipy cannot read; re-save it in MATLAB "
            "with save(..., '-v7') or convert it to .npz."
        ) from exc
    except Exception as exc:  # scipy raises several types for truncated/garbled files
        raise ValueError(
            f"could not read {path}: the file is truncated or not a MATLAB file ({exc})."
        ) from exc
    X = _pick(mat, FEATURE_KEYS, path=path, what="feature")
    D = _pick(mat, LABEL_KEYS, path=path, what="label")
    if hasattr(X, "toarray"):
        X = X.toarray()
    if hasattr(D, "toarray"):
        D = D.toarray()
    return np.asarray(X), np.asarray(D)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_csv(path: Path, n_labels: int | None) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    if n_labels is None or n_labels < 2:
        raise ValueError(
            f"reading {path} needs n_labels (>= 2): the number of label columns at the end of "
            "each row."
        )
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
    except UnicodeDecodeError as exc:
        raise ValueError(f"could not read {path}: not a UTF-8 text file ({exc}).") from exc
    cells = [c.strip() for c in first.strip().split(",")]
    numeric = [_is_number(c) for c in cells]
    header = None
    if first.strip() and not any(numeric):
        header = cells  # a row of names
    elif first.strip() and not all(numeric):
        bad = [c for c, ok in zip(cells, numeric) if not ok]
        raise ValueError(
            f"{path}, line 1 mixes numbers and text ({bad[:3]} are not numbers); a header row "
            "must hold only column names, and data rows only numbers."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": reported below
            table = np.loadtxt(path, delimiter=",", skiprows=1 if header else 0, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"could not read {path} as numeric CSV ({exc}).") from exc
    if table.size == 0:
        raise ValueError(f"{path} has no data rows; one row per sample is needed.")
    if header is not None and len(header) != table.shape[1]:
        raise ValueError(
            f"{path} has {len(header)} column names in its header but {table.shape[1]} columns "
            "per row; is the file truncated or its header wrong?"
        )
    if table.shape[1] <= n_labels:
        raise ValueError(
            f"{path} has {table.shape[1]} columns; with n_labels={n_labels} no feature is left."
        )
    label_names = header[-n_labels:] if header else None
    return table[:, :-n_labels], table[:, -n_labels:], label_names

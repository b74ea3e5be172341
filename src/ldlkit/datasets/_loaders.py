"""Finding, downloading and reading dataset files.

A dataset is given by a registered name (``"SJAFFE"``, ``"artificial"``), by the path of a file of
your own (``"own/mydata.mat"``), or by the name of such a file in a data folder (``"mydata"`` when
``mydata.mat`` lies in ``$LDLKIT_DATA``). See ``docs/datasets.md`` for the file layouts.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._validation import as_float_array, check_distributions, check_features
from ._registry import (
    DATASETS,
    DatasetInfo,
    _key,
    registered_name,
    unknown_dataset_message,
)

__all__ = [
    "dataset_info",
    "find_dataset_file",
    "get_data_home",
    "load_dataset",
    "load_file",
    "sha256sum",
]

DATA_ENV = "LDLKIT_DATA"
SUPPORTED_SUFFIXES = (".mat", ".npz", ".csv")
# Keys tried, in order, for the feature matrix and the label distributions in .mat/.npz files.
FEATURE_KEYS = ("features", "feature", "X", "x", "data")
LABEL_KEYS = ("labels", "label", "label_distribution", "D", "Y", "y")
#: In a CSV file read without ``n_labels``, the label columns are the last ones whose header
#: names start with this prefix (``label_happy``); the rest of the name is the label's name.
CSV_LABEL_PREFIX = "label_"


class DatasetNotFoundError(FileNotFoundError):
    """Raised when a registered dataset is neither on disk nor downloadable."""


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The user cache folder for datasets: ``data_home``, else ``$XDG_CACHE_HOME/ldlkit``."""
    if data_home is not None:
        return Path(data_home).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "ldlkit"


# -- file-system checks: every fault becomes a sentence naming the path --------------------------
def _path_problem(path: Path, *, want_dir: bool) -> str | None:
    """Why ``path`` cannot be used as a folder (``want_dir``) or a file; None when it can."""
    try:
        mode = path.stat().st_mode  # follows symbolic links
    except FileNotFoundError:
        return "does not exist" if not path.is_symlink() else "is a broken symbolic link"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop"
        return f"cannot be read ({exc.strerror or exc})"
    if want_dir and not stat.S_ISDIR(mode):
        return "is a file, not a folder"
    if not want_dir and stat.S_ISDIR(mode):
        return "is a folder, not a dataset file"
    if not want_dir:
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
    return None


_WARNED_FOLDERS: set[tuple[Path, str]] = set()


def _search_dirs(data_home=None) -> list[Path]:
    """The folders searched, in order: ``$LDLKIT_DATA``'s, ``data_home``, the user cache.

    An entry of ``$LDLKIT_DATA`` (or ``data_home``) that is not a usable folder is kept in the
    list (so messages can show it) but is announced with a warning naming it.
    """
    dirs = []
    for entry in os.environ.get(DATA_ENV, "").split(os.pathsep):
        if not entry:
            continue
        folder = Path(entry).expanduser()
        problem = _path_problem(folder, want_dir=True)
        if problem is not None and (folder, problem) not in _WARNED_FOLDERS:
            _WARNED_FOLDERS.add((folder, problem))  # once per process, not once per lookup
            warnings.warn(
                f"{DATA_ENV} names {folder}, which {problem}; it is ignored. {DATA_ENV} holds "
                f"folders separated by {os.pathsep!r}.",
                UserWarning,
                stacklevel=3,
            )
        dirs.append(folder)
    if data_home is not None:
        folder = Path(data_home).expanduser()
        problem = _path_problem(folder, want_dir=True)
        if problem is not None and problem != "does not exist":  # downloads would create it
            warnings.warn(
                f"data_home {folder} {problem}; it is ignored.", UserWarning, stacklevel=3
            )
        dirs.append(folder)
    dirs.append(get_data_home())
    return dirs


def _described_folders(dirs: list[Path]) -> str:
    """The searched folders, comma-separated, each with what is wrong with it."""
    shown = []
    for folder in dirs:
        problem = _path_problem(folder, want_dir=True)
        shown.append(str(folder) if problem is None else f"{folder} ({problem})")
    return ", ".join(shown)


def _folder_entries(folder: Path) -> list[Path]:
    if _path_problem(folder, want_dir=True) is not None:
        return []
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        warnings.warn(
            f"cannot list data folder {folder} ({exc.strerror or exc}); it is skipped.",
            UserWarning,
            stacklevel=4,
        )
        return []


def _local_files(match, dirs: list[Path]):
    """Readable dataset files in ``dirs`` (in order) whose path satisfies ``match``.

    A matching entry that is not a readable file (a folder named ``SJAFFE.mat``, a symbolic link
    loop) is skipped with a warning, so a valid copy further down the path is still found.
    """
    for folder in dirs:
        for path in _folder_entries(folder):
            if path.suffix.lower() not in SUPPORTED_SUFFIXES or not match(path):
                continue
            problem = _path_problem(path, want_dir=False)
            if problem is not None:
                warnings.warn(
                    f"{path} {problem}; it is skipped while looking for dataset files.",
                    UserWarning,
                    stacklevel=4,
                )
                continue
            yield path


def _is_path_like(name) -> bool:
    """A path rather than a name: a path object, a folder separator, or a dataset suffix."""
    if isinstance(name, os.PathLike):
        return True
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return (
        any(sep in name for sep in separators)
        or name.startswith("~")
        or name.lower().endswith(SUPPORTED_SUFFIXES)
    )


def _resolve(name, data_home) -> tuple[DatasetInfo | None, Path | None]:
    """``(registered entry, None)`` for a registered dataset, ``(None, file)`` for a user's file.

    Rules, in order: a path (it has a folder separator or a .mat/.npz/.csv suffix) is that file,
    relative to the current folder; a bare file name that is not there is looked for in the data
    folders, except that a bare file name of a registered dataset (``SJAFFE.mat``) means the
    registered dataset. A name is a registered dataset (or alias), else a file whose name
    without suffix matches it (ignoring case, ``-``, ``_`` and spaces) in the data folders.
    """
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str):
        raise TypeError(f"a dataset must be a name or a path, got {name!r}.")
    if not name.strip():
        raise ValueError("a dataset name is empty; give a registered name or a file's path.")
    if _is_path_like(name):
        path = Path(name).expanduser()
        bare = len(path.parts) == 1
        owner = registered_name(path.stem)
        if bare and owner is not None and path.suffix.lower() in SUPPORTED_SUFFIXES:
            return DATASETS[owner], None
        if path.exists() or path.is_symlink():
            return None, path
        if bare:
            wanted = path.name.lower()
            dirs = _search_dirs(data_home)
            for found in _local_files(lambda p: p.name.lower() == wanted, dirs):
                return None, found
            raise DatasetNotFoundError(
                f"dataset file {name!r} is neither in the current folder ({Path.cwd()}) nor in "
                f"a data folder: {_described_folders(dirs)}."
            )
        raise DatasetNotFoundError(
            f"dataset file {path} does not exist (a relative path is read from the current "
            f"folder, {Path.cwd()})."
        )
    owner = registered_name(name)
    if owner is not None:
        return DATASETS[owner], None
    dirs = _search_dirs(data_home)
    for found in _local_files(lambda p: _key(p.stem) == _key(name), dirs):
        return None, found
    local = [p.stem for folder in dirs for p in _folder_entries(folder)]
    raise ValueError(
        unknown_dataset_message(name, candidates=local)
        + f" Data folders searched: {_described_folders(dirs)}."
    )


def find_dataset_file(name: str, data_home=None) -> Path | None:
    """The file that holds dataset ``name``, or None when there is none.

    For a registered dataset: the first file in ``$LDLKIT_DATA``'s folders, ``data_home``, then
    the user cache whose name matches the dataset's name or an alias, ignoring case, ``-``, ``_``
    and spaces, with a ``.mat``, ``.npz`` or ``.csv`` suffix (None for ``"artificial"``, which is
    generated). For a path or a file of your own found by name: that file. Entries that are not
    readable files (a folder named ``SJAFFE.mat``, a symbolic link loop) are skipped with a
    warning.
    """
    try:
        info, path = _resolve(name, data_home)
    except DatasetNotFoundError:
        return None
    if path is not None:
        return path if _path_problem(path, want_dir=False) is None else None
    if info.builtin:
        return None
    wanted = {_key(n) for n in (info.name, *info.aliases)}
    for path in _local_files(lambda p: _key(p.stem) in wanted, _search_dirs(data_home)):
        return path
    return None


def dataset_info(
    name: str | os.PathLike, *, data_home=None, n_labels: int | None = None
) -> DatasetInfo:
    """What ldlkit knows about a dataset given as a name or a path (see :func:`load_dataset`).

    For a registered dataset, its registry entry (:func:`get_dataset_info`); for a file of your
    own, an entry read from the file: its shape, and ``path``.

    Examples
    --------
    >>> dataset_info("artificial").shape
    '500×3×3'
    """
    info, path = _resolve(name, data_home)
    if info is not None:
        return info
    X, D, label_names = _read_arrays(path, n_labels)
    return DatasetInfo(
        path.stem,
        int(np.shape(X)[0]),
        int(np.shape(X)[1]) if np.ndim(X) == 2 else None,
        int(np.shape(D)[1]) if np.ndim(D) == 2 else None,
        f"your own data, read from {path}",
        source=str(path),
        label_names=tuple(label_names) if label_names else None,
        path=str(path),
    )


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
    return (
        f"Get {info.name}.mat from {info.source} and put it in one of these folders: "
        f"{_described_folders(_search_dirs(data_home))} (or point the {DATA_ENV} environment "
        "variable at the folder that holds it)."
    )


def load_dataset(
    name: str | os.PathLike,
    *,
    data_home: str | os.PathLike | None = None,
    return_X_y: bool = False,
    renormalize: bool = False,
    download: bool = True,
    n_labels: int | None = None,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load a dataset: a registered one by name, or a file of your own by path or name.

    A registered dataset is looked for in the folders of ``$LDLKIT_DATA`` (``os.pathsep``-
    separated), then ``data_home``, then the user cache (:func:`get_data_home`); if the file is in
    none of them and the registry knows a download address, it is downloaded into the cache and
    its checksum verified. ``"artificial"`` is generated (``make_artificial(500,
    random_state=0)``), never read from disk.

    A file of your own (``.mat``, ``.npz`` or ``.csv``, layouts in :func:`load_file`) is given by
    its path (``"own/mydata.mat"``; anything with a folder separator or one of those suffixes is
    a path), or by its name when it lies in a data folder (``"mydata"`` finds ``mydata.mat`` in
    ``$LDLKIT_DATA``). Its label count is the file's own: the ``labels`` array's columns, or for
    a CSV the ``label_`` columns of its header (or ``n_labels``). Its name (``bunch.name``, and
    the dataset's name in experiment results) is the file name without its suffix.

    Parameters
    ----------
    name : str or path
        A registered name (see :func:`ldlkit.datasets.list_datasets`; case, '-' and '_' are
        ignored), a file's path, or the name of a file in a data folder.
    data_home : path, optional
        An extra folder to look in, and where downloads go.
    return_X_y : bool, default=False
        Return ``(features, labels)`` instead of a Bunch.
    renormalize : bool, default=False
        Divide label rows that do not sum to 1 by their sum instead of raising (0/1 logical
        labels are refused either way: they need label enhancement, see
        :mod:`ldlkit.enhancement`).
    download : bool, default=True
        Allow downloading when a registered file is not found locally.
    n_labels : int, optional
        For a CSV file of your own without a ``label_`` header: its number of label columns
        (the last ones). For other files of your own it is checked against the file.

    Returns
    -------
    Bunch with ``features`` (n, d), ``labels`` (n, L), ``label_names`` (or None), ``name``,
    ``path`` (None for generated data), ``description`` and ``row_sums`` (label row sums as
    stored, before renormalising), and for a file of your own ``sha256`` (its checksum, which
    experiments use to recognise it when resuming); or ``(features, labels)`` with
    ``return_X_y=True``.

    Examples
    --------
    >>> load_dataset("artificial").features.shape
    (500, 3)
    >>> X, D = load_dataset("SJAFFE", return_X_y=True)  # doctest: +SKIP
    >>> X.shape, D.shape  # doctest: +SKIP
    ((213, 243), (213, 6))
    """
    info, own = _resolve(name, data_home)
    if own is not None:
        bunch = load_file(own, n_labels=n_labels, renormalize=renormalize)
        bunch.description = f"your own data, read from {own}"
        bunch.sha256 = sha256sum(own)
        return (bunch.features, bunch.labels) if return_X_y else bunch
    if info.builtin:
        X, D = info.generator()
        if return_X_y:
            return X, D
        return Bunch(
            features=X,
            labels=D,
            row_sums=D.sum(axis=1),
            label_names=None,
            name=info.name,
            path=None,
            description=info.description,
        )
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
        bunch = _load_checked(
            path,
            n_labels=info.n_labels,
            renormalize=renormalize,
            expected=f"{info.name}'s registered number of labels; is it the right file?",
        )
    except ValueError as exc:
        if not differs:
            raise
        raise ValueError(
            f"{exc} The file also differs from the registered copy of {info.name} (checksum "
            "mismatch): it is probably truncated or corrupted; replace it with a fresh copy."
        ) from exc
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

    Layouts:

    * ``.mat`` / ``.npz``: two arrays, ``features`` (n, d) and ``labels`` (n, L) with one label
      distribution per row (a few common alternative names are accepted: ``X``/``data`` and
      ``D``/``Y``/``label_distribution``). Save with ``np.savez(path, features=X, labels=D)`` or
      ``scipy.io.savemat(path, {"features": X, "labels": D})``.
    * ``.csv``: one row per sample, the features first and the label degrees last, comma
      separated. The label columns are the last ``n_labels`` columns; without ``n_labels``, the
      first row must be a header whose last columns are named ``label_<name>`` (those are the
      labels, e.g. ``f1,f2,label_happy,label_sad``). A header row is always recognised (a row
      of names) and gives the label names.

    ``n_labels``, when given for a ``.mat``/``.npz`` file, is checked against its ``labels``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.npz")
    >>> np.savez(path, features=np.eye(3), labels=np.full((3, 2), 0.5))
    >>> load_file(path).labels.shape
    (3, 2)
    """
    bunch = _load_checked(Path(path), n_labels=n_labels, renormalize=renormalize)
    return (bunch.features, bunch.labels) if return_X_y else bunch


def _read_arrays(path: Path, n_labels: int | None):
    """``(X, D, label_names)`` as stored in ``path``, unchecked (errors name the file)."""
    problem = _path_problem(path, want_dir=False)
    if problem is not None:
        # FileNotFoundError (not IsADirectoryError): no dataset file was found at this path.
        advice = "; give a file inside it" if problem.startswith("is a folder") else ""
        raise FileNotFoundError(f"dataset file {path} {problem}{advice}.")
    suffix = path.suffix.lower()
    if suffix == ".mat":
        X, D = _read_mat(path)
        return X, D, None
    if suffix == ".npz":
        return (*_read_npz(path), None)
    if suffix == ".csv":
        return _read_csv(path, n_labels)
    raise ValueError(
        f"unsupported file type {suffix!r} for {path}; use one of {SUPPORTED_SUFFIXES}."
    )


def _load_checked(
    path: Path, *, n_labels: int | None, renormalize: bool, expected: str | None = None
) -> Bunch:
    X, D, label_names = _read_arrays(path, n_labels)
    X = check_features(X, name=f"features in {path.name}")
    D = as_float_array(D, name=f"labels in {path.name}")
    if len(X) != len(D):
        raise ValueError(
            f"{path}: the features have {len(X)} rows but the labels have {len(D)}; both need "
            "one row per sample (are the labels stored transposed?)."
        )
    if n_labels is not None and path.suffix.lower() != ".csv" and D.shape[1] != n_labels:
        raise ValueError(
            f"{path} has {D.shape[1]} label columns, expected {n_labels}"
            + (f" ({expected})" if expected else ".")
        )
    checked = check_distributions(D, name=f"labels in {path.name}", renormalize=renormalize)
    return Bunch(
        features=X,
        labels=checked,
        row_sums=np.asarray(D, dtype=np.float64).sum(axis=1),
        label_names=label_names,
        name=path.stem,
        path=str(path),
        description=f"loaded from {path}",
    )


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not named arrays")
        with loaded as npz:
            return (
                _pick(npz, FEATURE_KEYS, path=path, what="feature"),
                _pick(npz, LABEL_KEYS, path=path, what="label"),
            )
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"could not read {path}: truncated or not an .npz file ({exc}).") from exc
    except ValueError as exc:
        if str(path) in str(exc):  # _pick's message already names the file
            raise
        # e.g. object arrays, which would need pickle (never loaded: unsafe)
        raise ValueError(
            f"could not read {path}: {exc}. Save plain numeric arrays with "
            "np.savez(path, features=X, labels=D)."
        ) from exc


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
    if n_labels is not None and (
        isinstance(n_labels, bool) or not isinstance(n_labels, int | np.integer) or n_labels < 2
    ):
        raise ValueError(f"n_labels must be an integer >= 2, got {n_labels!r}.")
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
    marked = 0
    if header is not None:
        for cell in reversed(header):
            if not cell.lower().startswith(CSV_LABEL_PREFIX):
                break
            marked += 1
    if n_labels is None:
        if marked < 2:
            raise ValueError(
                f"{path}: cannot tell which columns are labels. Name the label columns (the last "
                f"ones) {CSV_LABEL_PREFIX}<name> in a header row (f1,f2,label_happy,label_sad), "
                "or give n_labels, the number of label columns at the end of each row."
            )
        n_labels = marked
    elif marked >= 2 and marked != n_labels:
        raise ValueError(
            f"{path} has {marked} label columns (named {CSV_LABEL_PREFIX}...), expected {n_labels}."
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
    if label_names and marked == n_labels:
        label_names = [name[len(CSV_LABEL_PREFIX) :] for name in label_names]
    return table[:, :-n_labels], table[:, -n_labels:], label_names

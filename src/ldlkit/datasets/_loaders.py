"""Finding, downloading and reading dataset files.

A dataset is given by a registered name (``"SJAFFE"``, ``"artificial"``), by the path of a file of
your own (``"own/mydata.mat"``), or by the name of such a file in a data folder (``"mydata"`` when
``mydata.mat`` lies in ``$LDLKIT_DATA``). See ``docs/datasets.md`` for the file layouts.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import warnings
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from .._validation import (
    SUM_TOLERANCE,
    as_float_array,
    check_distributions,
    check_features,
    check_logical_labels,
)
from ._download import (
    DATA_HOME_ENV,
    DatasetNotFoundError,
    DownloadError,
    dataset_url,
    download_file,
    verify_file,
)
from ._registry import (
    DATASETS,
    DatasetInfo,
    _key,
    registered_name,
    unknown_dataset_message,
)

__all__ = [
    "DatasetFormatError",
    "DatasetNotFoundError",
    "dataset_info",
    "fetch_dataset",
    "find_dataset_file",
    "get_data_home",
    "load_dataset",
    "load_features",
    "load_file",
    "sha256sum",
]

DATA_ENV = "LDLKIT_DATA"
SUPPORTED_SUFFIXES = (".mat", ".npz", ".csv")
# Keys tried, in order, for the feature matrix and the label distributions in .mat/.npz files.
FEATURE_KEYS = ("features", "feature", "X", "x", "data")
LABEL_KEYS = ("labels", "label", "label_distribution", "D", "Y", "y")
# Keys tried for the label names (an array of strings) in .mat/.npz files.
LABEL_NAME_KEYS = ("label_names", "labelnames", "label_name", "target_names")
#: In a CSV file read without ``n_labels``, the label columns are the last ones whose header
#: names start with this prefix (``label_happy``); the rest of the name is the label's name.
CSV_LABEL_PREFIX = "label_"


class DatasetFormatError(ValueError):
    """A data file that cannot be used as it is, with the remedy in the caller's own terms.

    ``str(error)`` gives the problem and the Python remedy (``renormalize=True``);
    :meth:`command_line_message` the same problem with the command line's remedy
    (``--renormalize``), which ``ldlkit`` prints. ``option`` names the remedy's parameter
    (``"renormalize"``, ``"n_labels"``, ``"logical"``) or is None.
    """

    def __init__(
        self, problem: str, remedy: str = "", cli_remedy: str = "", option: str | None = None
    ):
        super().__init__(f"{problem} {remedy}".strip())
        self.problem, self.remedy, self.cli_remedy = problem, remedy, cli_remedy
        self.option = option

    def command_line_message(self) -> str:
        return f"{self.problem} {self.cli_remedy or self.remedy}".strip()


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The user cache folder, where downloads go.

    ``data_home`` when given, else ``$LDLKIT_DATA_HOME``, else ``$XDG_CACHE_HOME/ldlkit``
    (``~/.cache/ldlkit``).
    """
    if data_home is not None:
        return Path(data_home).expanduser()
    env = os.environ.get(DATA_HOME_ENV, "").strip()
    if env:
        return Path(env).expanduser()
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
    """The SHA-256 of a file, as hexadecimal text."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _placement_hint(info: DatasetInfo, data_home) -> str:
    return (
        f"Get {info.name}.mat from {info.source} and put it in one of these folders: "
        f"{_described_folders(_search_dirs(data_home))} (or point the {DATA_ENV} environment "
        "variable at the folder that holds it)."
    )


def fetch_dataset(
    name: str,
    *,
    data_home: str | os.PathLike | None = None,
    force: bool = False,
    timeout: float = 60.0,
    retries: int = 3,
    progress: bool | None = None,
) -> Path:
    """Download a registered dataset's file into the cache (unless it is there) and verify it.

    The file is ``{base}{name}.mat`` (base: ``$LDLKIT_DATA_URL``, a mirror or a local folder as
    ``file:///...``, else the public collection's address); it is saved as ``NAME.mat`` in
    ``data_home`` or the user cache (:func:`get_data_home`), written atomically and only after
    its SHA-256 (or git blob SHA-1 prefix) matched the registry. A ``.mat`` copy already on
    disk (the folders :func:`find_dataset_file` searches) that passes the check is returned
    instead (``force=True`` downloads again); a copy in the cache that fails it is replaced.

    Parameters
    ----------
    name : str
        A registered name or alias (``"SJAFFE"``, ``"Twitter"``).
    data_home : path, optional
        Where the file goes (default the user cache).
    force : bool, default=False
        Download even when a verified copy is in the cache.
    timeout : float, default=60
        Seconds to wait for the connection and for each block of data.
    retries : int, default=3
        Further attempts after a transfer that broke off.
    progress : bool or None, default=None
        Show a progress bar on stderr (None: when stderr is a terminal).

    Returns
    -------
    Path of the verified file.

    Raises
    ------
    DownloadError
        The transfer failed (the message names the URL); nothing was written.
    ChecksumError
        The file is not the registered one; it was discarded.

    Examples
    --------
    >>> fetch_dataset("SJAFFE")  # doctest: +SKIP
    PosixPath('/home/me/.cache/ldlkit/SJAFFE.mat')
    """
    info = _registered_info(name)
    url = dataset_url(info)
    if url is None:
        raise DatasetNotFoundError(
            f"dataset {info.name!r} has no download address"
            + (" (it is generated: load it with load_dataset)" if info.builtin else "")
            + ". "
            + ("" if info.builtin else _placement_hint(info, data_home))
        )
    target = get_data_home(data_home) / f"{info.name}.mat"
    if not force:
        present = find_dataset_file(info.name, data_home)
        if present is not None and present.suffix.lower() == ".mat":
            if verify_file(present, info) is None:
                return present
    try:
        return download_file(
            url, target, info=info, timeout=timeout, retries=retries, progress=progress
        )
    except DownloadError as exc:
        # the same exception type, with where a copy fetched by other means may go
        raise type(exc)(f"{exc} {_placement_hint(info, data_home)}") from None


def _registered_info(name) -> DatasetInfo:
    owner = registered_name(name) if isinstance(name, str) else None
    if owner is None:
        raise ValueError(unknown_dataset_message(str(name)))
    return DATASETS[owner]


def _bunch(X, D, row_sums, label_names, name, path, description) -> Bunch:
    """The Bunch every loader returns: ldlkit's names and the ecosystem's (data/target)."""
    names = list(label_names) if label_names is not None else None
    return Bunch(
        features=X,
        labels=D,
        data=X,
        target=D,
        row_sums=row_sums,
        label_names=names,
        target_names=names,
        name=name,
        path=path,
        description=description,
    )


def load_dataset(
    name: str | os.PathLike,
    *,
    data_home: str | os.PathLike | None = None,
    return_X_y: bool = False,
    renormalize: bool = False,
    download: bool = True,
    n_labels: int | None = None,
    logical: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Load a dataset: a registered one by name, or a file of your own by path or name.

    This is the one loader behind every command that reads data (``ldlkit run``, ``fit``,
    ``predict``, ``reproduce``, ``datasets info``); the file layouts are in :func:`load_file`.

    A registered dataset is looked for in the folders of ``$LDLKIT_DATA`` (``os.pathsep``-
    separated), then ``data_home``, then the user cache (:func:`get_data_home`); if the file is in
    none of them, it is downloaded into ``data_home`` or the cache (:func:`fetch_dataset`) and
    verified before use. ``"artificial"`` is generated (``make_artificial(500,
    random_state=0)``), never read from disk.

    A file of your own (``.mat``, ``.npz`` or ``.csv``) is given by its path
    (``"own/mydata.mat"``; anything with a folder separator or one of those suffixes is a path),
    or by its name when it lies in a data folder (``"mydata"`` finds ``mydata.mat`` in
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
        Download a registered dataset that is not found locally. True, as in scikit-learn's
        ``fetch_*`` functions: the first use of a benchmark by name just works, and what is
        downloaded is checked against the registered checksum before it is used, so a download
        cannot silently change the data. Pass False to work offline (a missing file is then a
        :class:`DatasetNotFoundError` that names ``ldlkit datasets fetch``).
    n_labels : int, optional
        For a CSV file of your own without a ``label_`` header: its number of label columns
        (the last ones). For other files of your own it is checked against the file.
    logical : bool, default=False
        The labels are 0/1 logical labels (multi-label data, for label enhancement): they are
        checked as such instead of as distributions.

    Returns
    -------
    Bunch with ``features`` (n, d) and ``labels`` (n, L), the same arrays as ``data`` and
    ``target`` (scikit-learn's names), ``label_names`` (also ``target_names``; None where
    neither the file nor the registry names the labels), ``name``, ``path`` (None for generated
    data), ``description`` and ``row_sums`` (label row sums as stored, before renormalising),
    and for a file of your own ``sha256`` (its checksum, which experiments use to recognise it
    when resuming); or ``(features, labels)`` with ``return_X_y=True``.

    Examples
    --------
    >>> bunch = load_dataset("artificial")
    >>> bunch.features.shape, bunch.data is bunch.features
    ((500, 3), True)
    >>> X, D = load_dataset("SJAFFE", return_X_y=True)  # doctest: +SKIP
    >>> X.shape, D.shape  # doctest: +SKIP
    ((213, 243), (213, 6))
    """
    info, own = _resolve(name, data_home)
    if own is not None:
        bunch = load_file(own, n_labels=n_labels, renormalize=renormalize, logical=logical)
        bunch.description = f"your own data, read from {own}"
        bunch.sha256 = sha256sum(own)
        return (bunch.features, bunch.labels) if return_X_y else bunch
    if info.builtin:
        X, D = info.generator()
        if return_X_y:
            return X, D
        return _bunch(X, D, D.sum(axis=1), None, info.name, None, info.description)
    path = find_dataset_file(info.name, data_home)
    if path is None:
        url = dataset_url(info)
        if not download or url is None:
            if url is None:
                reason = "ldlkit knows no download address for it"
            else:
                reason = (
                    f"downloading is disabled (fetch it from {url} with "
                    f"fetch_dataset({info.name!r}) or `ldlkit datasets fetch {info.name}`)"
                )
            raise DatasetNotFoundError(
                f"dataset {info.name!r} was not found locally and {reason}. "
                + _placement_hint(info, data_home)
            )
        path = fetch_dataset(info.name, data_home=data_home)
        differs = None
    else:
        differs = verify_file(path, info)
    try:
        bunch = _load_checked(
            path,
            n_labels=info.n_labels,
            renormalize=renormalize,
            logical=logical,
            expected=f"{info.name}'s registered number of labels; is it the right file?",
        )
    except ValueError as exc:
        if differs is None:
            raise
        raise ValueError(
            f"{exc} The file also differs from the registered copy of {info.name} (checksum "
            "mismatch): it is probably truncated or corrupted; replace it with a fresh copy "
            f"(`ldlkit datasets fetch {info.name}`)."
        ) from exc
    # One warning, however many ways the file differs from the registered one.
    n, d = bunch.features.shape
    differences = []
    if differs is not None:
        differences.append(f"checksum mismatch: {differs}")
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
    if info.label_names is not None and bunch.label_names is None:
        bunch.label_names = bunch.target_names = list(info.label_names)
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
    logical: bool = False,
) -> Bunch | tuple[np.ndarray, np.ndarray]:
    """Read a dataset file a user brings: ``.mat`` (MATLAB v5), ``.npz`` or ``.csv``.

    Layouts (the same for every ``ldlkit`` command and :func:`load_dataset`):

    * ``.mat`` / ``.npz``: two arrays, ``features`` (n, d) and ``labels`` (n, L) with one label
      distribution per row (a few common alternative names are accepted: ``X``/``data`` and
      ``D``/``Y``/``label_distribution``), and optionally ``label_names`` (L strings). Save
      with ``np.savez(path, features=X, labels=D)`` or
      ``scipy.io.savemat(path, {"features": X, "labels": D})``.
    * ``.csv``: one row per sample, the features first and the label degrees last, comma
      separated, with or without a header row. The label columns are the last ``n_labels``
      columns; without ``n_labels``, the first row must be a header whose last columns are
      named ``label_<name>`` (those are the labels, e.g. ``f1,f2,label_happy,label_sad``). A
      header row is always recognised (a row of names) and gives the label names.

    ``n_labels``, when given for a ``.mat``/``.npz`` file, is checked against its ``labels``.
    ``logical=True`` reads 0/1 logical labels (for label enhancement) instead of distributions.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "toy.npz")
    >>> np.savez(path, features=np.eye(3), labels=np.full((3, 2), 0.5))
    >>> load_file(path).labels.shape
    (3, 2)
    """
    bunch = _load_checked(Path(path), n_labels=n_labels, renormalize=renormalize, logical=logical)
    return (bunch.features, bunch.labels) if return_X_y else bunch


def load_features(path: str | os.PathLike, *, n_labels: int | None = None) -> np.ndarray:
    """The feature rows of a file, for prediction: the same layouts as :func:`load_file`.

    ``.mat``/``.npz``: the ``features`` (or ``X``) array, labels ignored when present; ``.npy``:
    its one 2-D array; ``.csv``: every column, except label columns: the last ``n_labels`` when
    given, else those a header names ``label_<name>``.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.csv")
    >>> np.savetxt(path, np.ones((2, 3)), delimiter=",")
    >>> load_features(path).shape
    (2, 3)
    """
    path = Path(path)
    _check_readable(path)
    suffix = path.suffix.lower()
    if suffix == ".mat":
        X = _pick(_read_mat_dict(path), FEATURE_KEYS, path=path, what="feature")
        X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    elif suffix == ".npz":
        X = _pick(_read_npz_dict(path), FEATURE_KEYS, path=path, what="feature")
    elif suffix == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise ValueError(
                f"could not read {path}: truncated or not an .npy file ({exc})."
            ) from None
    elif suffix == ".csv":
        table, header, marked = _read_csv_table(path)
        drop = n_labels if n_labels is not None else marked
        if drop and drop >= table.shape[1]:
            raise DatasetFormatError(
                f"{path} has {table.shape[1]} columns; with {drop} label columns no feature is "
                "left.",
                "Give n_labels, the number of label columns at the end of each row.",
                "Give --labels N, the number of label columns at the end of each row.",
                option="n_labels",
            )
        X = table[:, :-drop] if drop else table
    else:
        raise ValueError(
            f"unsupported file type {suffix!r} for {path}; use one of "
            f"{(*SUPPORTED_SUFFIXES, '.npy')}."
        )
    return check_features(X, name=f"features in {path.name}")


def _check_readable(path: Path) -> None:
    problem = _path_problem(path, want_dir=False)
    if problem is not None:
        # FileNotFoundError (not IsADirectoryError): no dataset file was found at this path.
        advice = "; give a file inside it" if problem.startswith("is a folder") else ""
        raise FileNotFoundError(f"dataset file {path} {problem}{advice}.")


def _read_arrays(path: Path, n_labels: int | None):
    """``(X, D, label_names)`` as stored in ``path``, unchecked (errors name the file)."""
    _check_readable(path)
    suffix = path.suffix.lower()
    if suffix == ".mat":
        return _read_mat(path)
    if suffix == ".npz":
        return _read_npz(path)
    if suffix == ".csv":
        return _read_csv(path, n_labels)
    advice = " (an .npy file holds one array: features only, which is what predict reads)"
    raise ValueError(
        f"unsupported file type {suffix!r} for {path}; use one of {SUPPORTED_SUFFIXES}"
        + (advice if suffix == ".npy" else "")
        + "."
    )


def _logical_message(D: np.ndarray, sums: np.ndarray, label: str) -> DatasetFormatError:
    row = int(np.flatnonzero(sums > 1)[0])
    return DatasetFormatError(
        f"{label} holds 0/1 logical labels (multi-label data), not label distributions: every "
        f"degree is 0 or 1 and row {row} has {int(sums[row])} relevant labels.",
        "Recover distributions with label enhancement first (ldlkit.enhancement, e.g. "
        "GLLE().fit_transform(X, L)), train ldlkit.enhancement.EnhancedLDL on them, or load them "
        "as they are with logical=True; renormalize=True is refused because it would only "
        "spread each row evenly over its relevant labels.",
        "Train an enhancer-plus-learner on them: `ldlkit fit --data FILE --enhancer GLLE "
        "--method AAKNN` (label enhancement recovers distributions, an LDL learner learns them: "
        "EnhancedLDL); `ldlkit run` evaluates against true label distributions, which logical "
        "labels are not. --renormalize is refused because it would only spread each row "
        "evenly over its relevant labels.",
        option="logical",
    )


def _check_labels(D, label: str, renormalize: bool, logical: bool) -> np.ndarray:
    """The loader's label check: errors carry the Python and the command-line remedy."""
    arr = as_float_array(D, name=label)
    if logical:
        return check_logical_labels(arr, name=label)
    if arr.shape[1] >= 2 and np.isfinite(arr).all() and (arr >= 0).all():
        sums = arr.sum(axis=1)
        if (sums > 1.0 + SUM_TOLERANCE).any() and np.all((arr == 0) | (arr == 1)):
            raise _logical_message(arr, sums, label)
        off = (np.abs(sums - 1.0) > SUM_TOLERANCE) & (sums > 0)
        if off.any() and not renormalize and not (sums <= 0).any():
            row = int(np.flatnonzero(off)[0])
            raise DatasetFormatError(
                f"{label} row {row} sums to {sums[row]:.6g}, not 1 ({int(off.sum())} rows off by "
                f"more than {SUM_TOLERANCE:g}).",
                "Pass renormalize=True to divide each row by its sum.",
                "Pass --renormalize to divide each row by its sum.",
                option="renormalize",
            )
    return check_distributions(arr, name=label, renormalize=renormalize)


def _load_checked(
    path: Path,
    *,
    n_labels: int | None,
    renormalize: bool,
    expected: str | None = None,
    logical: bool = False,
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
    if label_names is not None and len(label_names) != D.shape[1]:
        warnings.warn(
            f"{path} names {len(label_names)} labels but holds {D.shape[1]}; the names are "
            "ignored.",
            UserWarning,
            stacklevel=3,
        )
        label_names = None
    checked = _check_labels(D, f"labels in {path.name}", renormalize, logical)
    return _bunch(
        X,
        checked,
        np.asarray(D, dtype=np.float64).sum(axis=1),
        label_names,
        path.stem,
        str(path),
        f"loaded from {path}",
    )


def _label_names(container, path: Path) -> list[str] | None:
    """The label names a .mat/.npz file stores (``label_names``), as strings, or None."""
    for key in LABEL_NAME_KEYS:
        if key not in container:
            continue
        raw = np.asarray(container[key])
        if raw.dtype == object:  # a MATLAB cell array: one small array per name
            names = [str(np.asarray(item).ravel()[0]) if np.size(item) else "" for item in
                     raw.ravel()]  # fmt: skip
        elif raw.dtype.kind in "US":
            names = [str(v.decode() if isinstance(v, bytes) else v).strip() for v in raw.ravel()]
        else:
            warnings.warn(
                f"{path}: {key!r} is not an array of strings; the label names are ignored.",
                UserWarning,
                stacklevel=4,
            )
            return None
        return names
    return None


def _read_npz_dict(path: Path) -> dict:
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not named arrays")
        with loaded as npz:
            return {key: npz[key] for key in npz.files}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ValueError(f"could not read {path}: truncated or not an .npz file ({exc}).") from exc
    except ValueError as exc:
        # e.g. object arrays, which would need pickle (never loaded: unsafe)
        raise ValueError(
            f"could not read {path}: {exc}. Save plain numeric arrays with "
            "np.savez(path, features=X, labels=D)."
        ) from exc


def _read_npz(path: Path):
    arrays = _read_npz_dict(path)
    return (
        _pick(arrays, FEATURE_KEYS, path=path, what="feature"),
        _pick(arrays, LABEL_KEYS, path=path, what="label"),
        _label_names(arrays, path),
    )


def _read_mat_dict(path: Path) -> dict:
    from scipy.io import loadmat

    try:
        return loadmat(path)
    except NotImplementedError as exc:  # MATLAB v7.3 files are HDF5
        raise ValueError(
            f"{path} is a MATLAB v7.3 (HDF5) file, which scipy cannot read; re-save it in MATLAB "
            "with save(..., '-v7') or convert it to .npz."
        ) from exc
    except Exception as exc:  # scipy raises several types for truncated/garbled files
        raise ValueError(
            f"could not read {path}: the file is truncated or not a MATLAB file ({exc})."
        ) from exc


def _read_mat(path: Path):
    mat = _read_mat_dict(path)
    X = _pick(mat, FEATURE_KEYS, path=path, what="feature")
    D = _pick(mat, LABEL_KEYS, path=path, what="label")
    if hasattr(X, "toarray"):
        X = X.toarray()
    if hasattr(D, "toarray"):
        D = D.toarray()
    return np.asarray(X), np.asarray(D), _label_names(mat, path)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_n_labels(n_labels) -> None:
    if n_labels is not None and (
        isinstance(n_labels, bool) or not isinstance(n_labels, int | np.integer) or n_labels < 2
    ):
        raise ValueError(f"n_labels must be an integer >= 2, got {n_labels!r}.")


def _read_csv_table(path: Path) -> tuple[np.ndarray, list[str] | None, int]:
    """``(numbers, header or None, number of trailing label_ columns in the header)``."""
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
    return table, header, marked if marked >= 2 else 0


def _read_csv(path: Path, n_labels: int | None) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    _check_n_labels(n_labels)
    table, header, marked = _read_csv_table(path)
    if n_labels is None:
        if marked < 2:
            raise DatasetFormatError(
                f"{path}: cannot tell which columns are labels ({table.shape[1]} columns"
                + (", no header row)." if header is None else ", no label_<name> header).")
                + f" Name the label columns (the last ones) {CSV_LABEL_PREFIX}<name> in a header "
                "row (f1,f2,label_happy,label_sad),",
                "or give n_labels, the number of label columns at the end of each row.",
                "or give --labels N, the number of label columns at the end of each row.",
                option="n_labels",
            )
        n_labels = marked
    elif marked >= 2 and marked != n_labels:
        raise ValueError(
            f"{path} has {marked} label columns (named {CSV_LABEL_PREFIX}...), expected {n_labels}."
        )
    if table.shape[1] <= n_labels:
        raise ValueError(
            f"{path} has {table.shape[1]} columns; with n_labels={n_labels} no feature is left."
        )
    label_names = header[-n_labels:] if header else None
    if label_names and marked == n_labels:
        label_names = [name[len(CSV_LABEL_PREFIX) :] for name in label_names]
    return table[:, :-n_labels], table[:, -n_labels:], label_names

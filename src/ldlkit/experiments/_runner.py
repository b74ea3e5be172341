"""Run methods x datasets x splits in parallel, write each fold as it finishes, and resume."""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import re
import socket
import sys
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from sklearn.base import clone

from .._spec import is_label_enhancer, resolve_methods
from .._validation import check_distributions, check_features, check_positive_int
from ..metrics import PAPER_METRICS, get_metric, label_subset_euclidean, split_label_group
from ..model_selection import RepeatedKFold, describe_splitter
from ._results import RESULTS_FILE, Results, append_record, metric_info_for, read_records

__all__ = [
    "resolve_datasets",
    "run_experiment",
    "score_predictions",
]


# -- datasets ----------------------------------------------------------------------------------
def resolve_datasets(datasets, *, data_home=None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Load datasets given as names, paths or ``(name, X, D)`` triples into ``(name, X, D)``.

    A name or path is loaded with :func:`ldlkit.datasets.load_dataset`: a registered dataset
    (``"SJAFFE"``, ``"artificial"``), a file of your own (``"own/mydata.mat"``), or the name of
    a file in a data folder (``"mydata"``). A file's dataset name is its name without suffix.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> X, D = make_artificial(20, random_state=0)
    >>> [name for name, _, _ in resolve_datasets([("toy", X, D), "artificial"])]
    ['toy', 'artificial']
    """
    return [(name, X, D) for name, X, D, _ in _load_datasets(datasets, data_home=data_home)]


def _load_datasets(datasets, *, data_home=None) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """``(name, X, D, identity)``: ``identity`` goes into the resume keys.

    It is the name, except for a file of your own, where it is the name and the file's checksum:
    the same file keeps its folds however it is given (``own/mydata.mat``, ``./own/mydata.mat``,
    ``mydata`` from a data folder), and an edited file gets new ones.
    """
    from ..datasets import load_dataset

    single_triple = (
        isinstance(datasets, tuple)
        and len(datasets) == 3
        and isinstance(datasets[0], str)
        and not isinstance(datasets[1], str)
    )
    if datasets is None:
        datasets = []
    elif isinstance(datasets, str | os.PathLike) or single_triple:
        datasets = [datasets]
    out = []
    for item in datasets:
        if isinstance(item, str | os.PathLike):
            bunch = load_dataset(item, data_home=data_home)
            name, X, D = bunch.name, bunch.features, bunch.labels
            own_file_sha = bunch.get("sha256")  # only a file of your own has one
            identity = f"{name}@sha256:{own_file_sha[:16]}" if own_file_sha else name
        elif isinstance(item, Sequence) and len(item) == 3:
            name, X, D = item
            name = str(name)
            X = check_features(X, name=f"X of dataset {name!r}")
            D = check_distributions(D, name=f"D of dataset {name!r}")
            identity = name
        else:
            raise TypeError(
                "datasets: each dataset must be a name, a file's path or a (name, X, D) triple, "
                f"got {item!r}."
            )
        if len(X) != len(D):
            raise ValueError(f"datasets: {name!r} has {len(X)} feature rows but {len(D)} labels.")
        out.append((name, X, D, identity))
    if not out:
        raise ValueError("datasets is empty; give at least one dataset.")
    names = [n for n, _, _, _ in out]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(
            f"datasets: names must be unique, got {names} ({twice} more than once; a file's "
            "name is its file name without suffix: rename one of the files)."
        )
    return out


# -- scoring -------------------------------------------------------------------------------------
def score_predictions(
    D_true: np.ndarray,
    D_pred: np.ndarray,
    metrics: Iterable[str],
    label_groups: Mapping[str, Sequence[int]] | None = None,
) -> dict[str, float]:
    """Score predictions; ``"euclidean_head"``/``"euclidean_tail"`` use ``label_groups``.

    Examples
    --------
    >>> s = score_predictions(np.array([[0.5, 0.5]]), np.array([[0.2, 0.8]]),
    ...                       ["chebyshev", "euclidean_head"], {"head": [0], "tail": [1]})
    >>> {k: round(v, 6) for k, v in s.items()}
    {'chebyshev': 0.3, 'euclidean_head': 0.3}
    """
    scores: dict[str, float] = {}
    for name in metrics:
        group = split_label_group(name)[1]
        if group is not None:
            if group == "all":
                scores[name] = get_metric("euclidean").function(D_true, D_pred)
                continue
            if not label_groups or group not in label_groups:
                raise ValueError(
                    f"metric {name!r} needs head/tail labels, which only the ILDL protocol "
                    "(ImbalancedSplit) provides."
                )
            scores[name] = float(label_subset_euclidean(D_true, D_pred, label_groups[group]))
        else:
            scores[name] = float(get_metric(name).function(D_true, D_pred))
    return scores


def _run_fold(task: dict) -> dict:
    """Fit and score one (dataset, method, split); never raises (failures become records)."""
    record = dict(task["record"])
    estimator, X, D = task["estimator"], task["X"], task["D"]
    train, test = task["train"], task["test"]
    try:
        model = clone(estimator)
        if task["enhancement"]:
            from ..enhancement import binarize

            rows = task["rows"]
            start = time.perf_counter()
            recovered = model.fit_transform(X[rows], binarize(D[rows]))
            record["fit_time"] = time.perf_counter() - start
            record["predict_time"] = 0.0
            truth, pred, scored = D[rows], recovered, rows
            record["n_train"], record["n_test"] = int(len(rows)), int(len(rows))
        else:
            start = time.perf_counter()
            model.fit(X[train], D[train])
            record["fit_time"] = time.perf_counter() - start
            start = time.perf_counter()
            pred = model.predict(X[test])
            record["predict_time"] = time.perf_counter() - start
            truth, scored = D[test], test
            record["n_train"], record["n_test"] = int(len(train)), int(len(test))
        record["metrics"] = score_predictions(truth, pred, task["metrics"], task["label_groups"])
        n_sample = task.get("n_sample_rows", 0)
        if n_sample:  # a few rows of true vs predicted distributions, for the report's plots
            record["sample"] = {
                "rows": [int(i) for i in scored[:n_sample]],
                "true": np.asarray(truth[:n_sample], dtype=float).tolist(),
                "predicted": np.asarray(pred[:n_sample], dtype=float).tolist(),
            }
        record["status"] = "ok"
        record["error"] = None
    except Exception as exc:  # a failing method must not stop the sweep
        record["status"] = "failed"
        record["error"] = f"{type(exc).__name__}: {exc}"
        record["metrics"] = {}
    record["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    record["worker"] = f"{socket.gethostname()}:{os.getpid()}"  # where it ran (a cluster's node)
    return record


# -- the sweep -----------------------------------------------------------------------------------
# A repr that holds a memory address ("<function f at 0x7f...>") changes from run to run.
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{4,}")


class _UnstableParameter(ValueError):
    """A parameter value without a text form that is the same in every run."""

    def __init__(self, path: str, value) -> None:
        super().__init__(path, value)
        self.path, self.value = path, value


def _canonical_text(value, path: str) -> str:
    """A text of ``value`` that is equal in every run exactly when the value is.

    Scalars and strings keep their ``repr`` (so keys of plain parameters are those of earlier
    ldlkit versions; numpy scalars count as the Python number they hold); estimators are written
    out with all their parameters, recursively (their ``repr`` shows only the changed ones and is
    cut short when long); arrays by shape, dtype and a hash of their bytes; callables and anything
    whose ``repr`` holds a memory address raise :class:`_UnstableParameter` naming ``path``.
    """
    if hasattr(value, "get_params") and not isinstance(value, type):
        params = value.get_params(deep=False)
        inner = ", ".join(
            f"{k}={_canonical_text(params[k], f'{path}.{k}')}" for k in sorted(params)
        )
        return f"{type(value).__name__}({inner})"
    if isinstance(value, list | tuple):
        items = [_canonical_text(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, list):
            return "[" + ", ".join(items) + "]"
        return "(" + ", ".join(items) + (",)" if len(items) == 1 else ")")
    if isinstance(value, dict):
        items = sorted((repr(k), _canonical_text(v, f"{path}[{k!r}]")) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(value, np.generic) and value.ndim == 0:
        value = value.item()  # np.float64(0.5) and 0.5 configure the same thing
    if isinstance(value, np.ndarray):
        digest = hashlib.sha1(np.ascontiguousarray(value).tobytes()).hexdigest()[:16]
        return f"array(shape={value.shape}, dtype={value.dtype}, sha1={digest})"
    text = repr(value)
    if (callable(value) and not isinstance(value, type)) or _ADDRESS.search(text):
        raise _UnstableParameter(path, value)
    return text


def _params_text(estimator, *, method: str | None = None, strict: bool = True) -> str:
    """The estimator's parameters as canonical text (the resume key is built from it).

    With ``strict``, a parameter without a stable text is a ValueError naming ``method`` and
    the parameter; otherwise such a value is written with its plain ``repr``.
    """
    params = estimator.get_params(deep=False)
    parts = []
    for key in sorted(params):
        try:
            parts.append(f"{key}={_canonical_text(params[key], key)}")
        except _UnstableParameter as exc:
            if not strict:
                parts.append(f"{key}={params[key]!r}")
                continue
            name = f"method {method!r} ({type(estimator).__name__})" if method else "a method"
            raise ValueError(
                f"{name}: parameter {exc.path!r} is {exc.value!r}, which has no text that stays "
                "the same from run to run (a callable, or an object whose repr holds a memory "
                "address), so its folds saved in out/ could never be found again to resume. "
                "Give a value with a stable repr (a name, a number, an estimator), or run "
                "without out."
            ) from None
    return ", ".join(parts)


def _config_key(*parts) -> str:
    return hashlib.sha1(json.dumps([str(p) for p in parts]).encode("utf-8")).hexdigest()[:16]


def _seeded(estimator, random_state):
    estimator = clone(estimator)
    if random_state is not None:
        params = estimator.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            estimator.set_params(random_state=random_state)
    return estimator


def _prepare_out(out: Path) -> Path:
    """Create ``out`` and return its results file; a file-system fault is one clear error."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(
            f"out={str(out)!r} is a file, not a folder; give a folder for {RESULTS_FILE}."
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise type(exc)(f"cannot create the results folder {out}: {exc.strerror or exc}") from None
    results_path = out / RESULTS_FILE
    if results_path.is_dir():
        raise IsADirectoryError(
            f"{results_path} is a folder, not a results file; move it away or give another out."
        )
    if os.path.lexists(results_path) and not results_path.exists():
        raise FileNotFoundError(
            f"{results_path} is a broken symbolic link or a symbolic link loop; remove it or "
            "give another out."
        )
    return results_path


# -- workers that do not outlive the sweep ------------------------------------------------------
#: Seconds between a worker's checks that the process running the sweep is still alive.
PARENT_CHECK_INTERVAL = 1.0


def _exit_with_parent(parent_pid: int, interval: float = PARENT_CHECK_INTERVAL) -> None:
    """Loky worker initializer: end the worker soon after the process that started it dies.

    A worker otherwise waits for work until loky's idle timeout, and that wait never ends when
    the parent died holding loky's worker-management lock (``kill -9`` mid-sweep left a worker,
    and the resource trackers that wait for it, alive for over an hour). On POSIX an orphan is
    re-parented, so a changed parent pid means the parent is gone. The trackers exit by
    themselves once every process holding their pipe, the workers included, is gone.
    """
    import threading

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="ldlkit-exit-with-parent", daemon=True).start()


def _worker_kwargs() -> dict:
    """Extra Parallel arguments for the active backend: the parent watch, for loky on POSIX."""
    if os.name != "posix":
        return {}
    try:
        from joblib._parallel_backends import LokyBackend
        from joblib.parallel import get_active_backend
    except ImportError:  # a joblib without these names: keep its defaults
        return {}
    backend, _ = get_active_backend()
    if type(backend) is not LokyBackend or "initializer" in (backend.backend_kwargs or {}):
        return {}
    return {"initializer": _exit_with_parent, "initargs": (os.getpid(),)}


def _streaming_parallel(parallel_class, n_jobs):
    """A joblib Parallel that yields results as they finish, as far as the backend allows."""
    extra = _worker_kwargs()
    for mode in ("generator_unordered", "generator"):
        try:
            return parallel_class(n_jobs=n_jobs, return_as=mode, **extra)
        except ValueError:  # e.g. the multiprocessing backend supports neither
            continue
    return parallel_class(n_jobs=n_jobs, **extra)


def run_experiment(
    methods,
    datasets,
    *,
    cv=None,
    metrics: Iterable[str] | None = None,
    n_jobs: int | None = None,
    out: str | os.PathLike | None = None,
    random_state: int | None = None,
    progress: bool = True,
    retry_failed: bool = True,
    sample_rows: int = 4,
    data_home=None,
) -> Results:
    """Evaluate every method on every dataset under a cross-validation protocol.

    Each (dataset, method, split) is one task, run through :class:`joblib.Parallel`, so any joblib
    backend works: ``with joblib.parallel_config(backend="dask"): run_experiment(...)`` spreads the
    folds over a Dask cluster (Ray: ``backend="ray"`` after ``ray.util.joblib.register_ray()``).
    Each finished fold is
    appended at once to ``out/results.jsonl``; a rerun with the same arguments reads that file and
    only computes the folds that are missing (and, with ``retry_failed``, those that failed). A
    method that raises on a fold is recorded as failed with its error text; the sweep goes on.

    Parameters
    ----------
    methods : mapping or sequence
        See :func:`resolve_methods`. Estimators are cloned for every fold.
    datasets : sequence
        Dataset names, paths of your own files (both loaded with
        :func:`ldlkit.datasets.load_dataset`; ``"artificial"`` is the embedded toy data) or
        ``(name, X, D)`` triples.
    cv : splitter or callable, optional
        A splitter with ``split(X, D)`` (e.g. :class:`~ldlkit.model_selection.RepeatedKFold`,
        :class:`~ldlkit.model_selection.ImbalancedSplit`,
        :class:`~ldlkit.model_selection.EnhancementProtocol`), or a function ``dataset name ->
        splitter`` for per-dataset protocols. Default: 10 times 5-fold CV seeded with
        ``random_state`` (or 0).
        A splitter with ``head_tail`` adds the head/tail Euclidean metrics by default.
    metrics : iterable of str, optional
        Metric names; default the six paper metrics.
    n_jobs : int or None, default=None
        Parallel jobs (``-1``: all cores). ``None`` defers to the active
        :func:`joblib.parallel_config` (its backend and ``n_jobs``), and runs sequentially outside
        one; an explicit number overrides the context's ``n_jobs``. Results stream back (and are
        saved) as each fold finishes; a backend that cannot stream returns them all at the end.
    out : path, optional
        Folder for ``results.jsonl``; without it nothing is written and nothing resumed.
    random_state : int, optional
        Given to estimators whose ``random_state`` is ``None``.
    progress : bool, default=True
        Show a tqdm progress bar, and the first failure of each method on each dataset (on
        stderr). Failures are recorded either way.
    retry_failed : bool, default=True
        Recompute folds recorded as failed when resuming.
    sample_rows : int, default=4
        On the first split of each (dataset, method), keep the true and predicted distributions
        of this many test rows in the record (``record["sample"]``), for
        :func:`save_distribution_figures`; 0 keeps none.

    Returns
    -------
    Results

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> X, D = make_artificial(40, random_state=0)
    >>> res = run_experiment(["MeanPredictor"], [("toy", X, D)],
    ...                      cv=RepeatedKFold(4, 1), progress=False)
    >>> len(res.records), res.records[0]["status"]
    (4, 'ok')
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0
    ):
        raise ValueError(
            f"n_jobs must be a non-zero integer (-1: all cores) or None, got {n_jobs!r}."
        )
    sample_rows = check_positive_int(sample_rows, name="sample_rows", minimum=0)
    resolved = resolve_methods(methods)
    loaded = _load_datasets(datasets, data_home=data_home)
    if cv is None:
        cv = RepeatedKFold(5, 10, random_state=0 if random_state is None else random_state)
    requested_metrics = None if metrics is None else list(metrics)
    if requested_metrics is not None:
        if not requested_metrics:
            raise ValueError("metrics is empty; name at least one metric.")
        for name in requested_metrics:
            metric_info_for(name)  # raises a clear ValueError for unknown names

    results_path = None
    done: dict[str, dict] = {}
    if out is not None:
        results_path = _prepare_out(Path(out))
        if results_path.exists():
            done = read_records(results_path, repair=True)

    finished: list[dict] = []
    tasks: list[dict] = []
    for name, X, D, identity in loaded:
        splitter = cv(name) if callable(cv) and not hasattr(cv, "split") else cv
        if not hasattr(splitter, "split"):
            raise TypeError(f"cv must be a splitter with split(X, D), got {splitter!r}.")
        if results_path is not None and getattr(splitter, "random_state", 0) is None:
            warnings.warn(
                f"{describe_splitter(splitter)} has random_state=None: its splits change on "
                "every run, so resuming from results.jsonl would mix different splits. Give the "
                "splitter a fixed random_state.",
                UserWarning,
                stacklevel=2,
            )
        splits = list(splitter.split(X, D))
        label_groups = None
        if hasattr(splitter, "head_tail"):
            head, tail = splitter.head_tail(X, D)
            label_groups = {"head": head, "tail": tail}
        metric_names = requested_metrics
        if label_groups is None and metric_names is not None:
            grouped = [m for m in metric_names if m.endswith(("_head", "_tail"))]
            if grouped:
                raise ValueError(
                    f"metrics {grouped} need head/tail labels, which only a splitter with "
                    "head_tail (the ILDL protocol, ImbalancedSplit) provides."
                )
        if metric_names is None:
            metric_names = list(PAPER_METRICS)
            if label_groups is not None:
                metric_names += ["euclidean", "euclidean_head", "euclidean_tail"]
        protocol = describe_splitter(splitter)
        for display, estimator in resolved.items():
            estimator = _seeded(estimator, random_state)
            enhancement = is_label_enhancer(estimator)
            if hasattr(splitter, "enhancement_rows") and not enhancement:
                raise ValueError(
                    f"method {display!r} ({type(estimator).__name__}) is not a label enhancer: "
                    f"{describe_splitter(splitter)} evaluates subclasses of "
                    "ldlkit.base.BaseLabelEnhancer (fit_transform(X, logical)); use a label "
                    "distribution protocol for it."
                )
            if not enhancement and not hasattr(estimator, "predict"):
                raise ValueError(
                    f"method {display!r} ({type(estimator).__name__}) has no predict: the "
                    "runner evaluates label distribution learners (fit, predict) and label "
                    "enhancers, which subclass ldlkit.base.BaseLabelEnhancer."
                )
            params = _params_text(estimator, method=display, strict=results_path is not None)
            config = _config_key(
                identity, X.shape, display, type(estimator).__name__, params, protocol, metric_names
            )
            for index, (train, test) in enumerate(splits):
                key = f"{config}:{index}"
                previous = done.get(key)
                if previous is not None and (previous.get("status") == "ok" or not retry_failed):
                    finished.append(previous)
                    continue
                position = (
                    splitter.split_position(index)
                    if hasattr(splitter, "split_position")
                    else (0, index)
                )
                record = {
                    "key": key,
                    "dataset": name,
                    "method": display,
                    "estimator": type(estimator).__name__,
                    "params": params,
                    "protocol": protocol,
                    "split": index,
                    "repeat": int(position[0]),
                    "fold": int(position[1]),
                    "n_rows": int(len(X)),
                    "label_groups": label_groups,
                }
                rows = None
                if enhancement:
                    rows = (
                        splitter.enhancement_rows(train, test)
                        if hasattr(splitter, "enhancement_rows")
                        else train
                    )
                tasks.append(
                    {
                        "record": record,
                        "estimator": estimator,
                        "X": X,
                        "D": D,
                        "train": train,
                        "test": test,
                        "rows": rows,
                        "enhancement": enhancement,
                        "metrics": metric_names,
                        "label_groups": label_groups,
                        "n_sample_rows": sample_rows if index == 0 else 0,
                    }
                )

    if tasks:
        parallel = _streaming_parallel(Parallel, n_jobs)
        bar = tqdm(total=len(tasks), desc="folds", unit="fold", disable=not progress)
        reported: set[tuple[str, str, str]] = set()
        try:
            for record in parallel(delayed(_run_fold)(task) for task in tasks):
                if results_path is not None:
                    append_record(results_path, record)
                finished.append(record)
                bar.update(1)
                failure = (record["dataset"], record["method"], str(record["error"]))
                if progress and record["status"] != "ok" and failure not in reported:
                    # Once per distinct error, on stderr: stdout may be a CSV or JSON table.
                    reported.add(failure)
                    bar.write(
                        f"{record['method']} failed on {record['dataset']} split "
                        f"{record['split']}: {record['error']} (further identical failures of "
                        "this method on this dataset are not shown)",
                        file=sys.stderr,
                    )
        finally:
            bar.close()

    dataset_order = {n: i for i, (n, _, _, _) in enumerate(loaded)}
    method_order = {m: i for i, m in enumerate(resolved)}
    finished.sort(
        key=lambda r: (dataset_order[r["dataset"]], method_order[r["method"]], r["split"])
    )
    return Results(finished)

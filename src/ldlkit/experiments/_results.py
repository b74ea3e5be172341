"""The results store: one JSON record per finished fold, read back as a :class:`Results` table.

``run_experiment`` appends each fold to ``results.jsonl`` as it finishes (:func:`append_record`);
statistics, reports and plots read the file back through :meth:`Results.load`. A record's
``key`` (``<configuration id>:<split>``) identifies the fold, so a rerun skips what is there.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from ..metrics import METRICS, get_metric, split_label_group

__all__ = ["RESULTS_FILE", "Results", "append_record", "metric_info_for", "read_records"]

#: Name of the file, inside ``out``, that holds one JSON line per finished fold.
RESULTS_FILE = "results.jsonl"


def metric_info_for(name: str):
    """The :class:`~ldlkit.metrics.MetricInfo` behind a metric name, head/tail suffixes allowed.

    Examples
    --------
    >>> metric_info_for("euclidean_tail").name
    'euclidean'
    """
    return get_metric(split_label_group(name)[0])


def _metric_order(name: str) -> tuple[int, int, str]:
    """Papers' column order: the metric table's order, then all/head/tail variants."""
    order = list(METRICS)
    for rank, suffix in enumerate(("_all", "_head", "_tail"), start=1):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and base in order:
            return order.index(base), rank, name
    return (order.index(name) if name in order else len(order)), 0, name


# -- the table -------------------------------------------------------------------------------------
@dataclass
class Results:
    """Per-fold results of a sweep: a tidy table, one record per (dataset, method, split).

    Each record is a dict with ``dataset``, ``method``, ``estimator``, ``params``, ``protocol``,
    ``split``, ``repeat``, ``fold``, ``status`` (``"ok"``/``"failed"``), ``error``, ``fit_time``,
    ``predict_time``, ``n_train``, ``n_test``, ``metrics`` (``{name: value}``), ``key``,
    ``finished_at`` and ``worker`` (``host:pid`` of the process that ran the fold).

    Examples
    --------
    >>> r = Results([{"dataset": "d", "method": "m", "split": 0, "status": "ok",
    ...               "metrics": {"cosine": 0.9}}])
    >>> r.to_records(flat=True)[0]["cosine"]
    0.9
    """

    records: list[dict] = field(default_factory=list)

    def to_records(self, *, flat: bool = False) -> list[dict]:
        """Copies of the records; with ``flat=True`` the metrics become top-level columns."""
        out = []
        for rec in self.records:
            row = {k: v for k, v in rec.items() if k != "metrics"}
            if flat:
                row.update(rec.get("metrics") or {})
            else:
                row["metrics"] = dict(rec.get("metrics") or {})
            out.append(row)
        return out

    def ok(self) -> list[dict]:
        return [r for r in self.records if r.get("status") == "ok"]

    def failed(self) -> list[dict]:
        return [r for r in self.records if r.get("status") != "ok"]

    @property
    def datasets(self) -> list[str]:
        return list(dict.fromkeys(r["dataset"] for r in self.records))

    @property
    def methods(self) -> list[str]:
        return list(dict.fromkeys(r["method"] for r in self.records))

    @property
    def metrics(self) -> list[str]:
        names: dict[str, None] = {}
        for r in self.records:
            names.update(dict.fromkeys(r.get("metrics") or {}))
        return sorted(names, key=_metric_order)

    def label_groups(self, dataset: str) -> dict | None:
        for r in self.records:
            if r["dataset"] == dataset and r.get("label_groups"):
                return r["label_groups"]
        return None

    def scores(self, dataset: str, method: str, metric: str) -> dict[int, float]:
        """``{split: value}`` of the successful folds of one dataset, method and metric."""
        out: dict[int, float] = {}
        for r in self.ok():
            if r["dataset"] == dataset and r["method"] == method and metric in r["metrics"]:
                split = int(r["split"])
                if split in out:
                    raise ValueError(
                        f"the results hold split {split} of {method!r} on {dataset!r} twice "
                        "(several runs with different settings in one file?); select one run "
                        "with Results.select(configs=...) or use separate --out folders."
                    )
                out[split] = float(r["metrics"][metric])
        return out

    @property
    def configs(self) -> list[str]:
        """Configuration ids (the part of ``key`` before ``:``), in order of appearance."""
        return list(dict.fromkeys(str(r.get("key", "")).split(":")[0] for r in self.records))

    def select(self, *, configs=None, datasets=None, methods=None) -> Results:
        """The records matching every given filter (each a collection of allowed values)."""

        def keep(r: dict) -> bool:
            return (
                (configs is None or str(r.get("key", "")).split(":")[0] in set(configs))
                and (datasets is None or r["dataset"] in set(datasets))
                and (methods is None or r["method"] in set(methods))
            )

        return Results([r for r in self.records if keep(r)])

    def save(self, path: str | os.PathLike) -> Path:
        """Write the records as JSON lines (the format :func:`run_experiment` appends to)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder; give the path of a results file.")
        _write_atomically(path, self.records)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Results:
        """Read a ``results.jsonl`` file (or a folder holding one); the last record per key wins.

        A line that is not a usable record (cut short by an interruption, not UTF-8, edited by
        hand into wrong types) is skipped with a warning naming the file and the line.
        """
        path = Path(path)
        if path.is_dir() and path.name == RESULTS_FILE and not (path / RESULTS_FILE).exists():
            raise IsADirectoryError(f"{path} is a folder, not a results file.")
        if path.is_dir():
            path = path / RESULTS_FILE
        if path.is_dir():
            raise IsADirectoryError(f"{path} is a folder, not a results file.")
        if not path.is_file():
            raise FileNotFoundError(
                f"no results file at {path.absolute()}; run `ldlkit run --out DIR` first."
            )
        return cls(list(read_records(path).values()))


def _record_problem(rec) -> str | None:
    """What makes a parsed line unusable as a fold record (a hand edit, another program's line)."""
    if not isinstance(rec, dict):
        return f"it is a JSON {type(rec).__name__}, not a record"

    def is_int(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    def is_number(v) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool)

    for name in ("dataset", "method"):
        if not isinstance(rec.get(name), str):
            return f"its {name!r} is {rec.get(name)!r}, not a text"
    if "split" in rec and not (is_int(rec["split"]) and rec["split"] >= 0):
        return f"its 'split' is {rec['split']!r}, not a non-negative integer"
    for name in ("repeat", "fold", "n_rows", "n_train", "n_test"):
        if rec.get(name) is not None and not is_int(rec[name]):
            return f"its {name!r} is {rec[name]!r}, not an integer"
    for name in ("fit_time", "predict_time"):
        if rec.get(name) is not None and not is_number(rec[name]):
            return f"its {name!r} is {rec[name]!r}, not a number"
    for name in ("key", "status", "estimator", "params", "protocol"):
        if rec.get(name) is not None and not isinstance(rec[name], str):
            return f"its {name!r} is {rec[name]!r}, not a text"
    metrics = rec.get("metrics")
    if metrics is not None:
        if not isinstance(metrics, dict):
            return f"its 'metrics' is {metrics!r}, not a mapping of names to numbers"
        for name, value in metrics.items():
            if not is_number(value):
                return f"its metric {name!r} is {value!r}, not a number"
    groups = rec.get("label_groups")
    if groups is not None and not (
        isinstance(groups, dict)
        and all(isinstance(v, list) and all(is_int(i) for i in v) for v in groups.values())
    ):
        return f"its 'label_groups' is {groups!r}, not lists of label indices"
    return None


def read_records(path: Path, *, repair: bool = False) -> dict[str, dict]:
    """Records of a results file by key; with ``repair``, rewrite it without broken lines.

    A line that is not a usable record (cut short by an interruption, not UTF-8, or hand-edited
    into wrong types) is skipped with a warning naming the file and the line; its fold is
    recomputed by the next run. A path that is not a readable file is one clear ``OSError``.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a results file.")
    try:
        with open(path, "rb") as fh:
            raw_lines = fh.read().split(b"\n")
    except OSError as exc:
        raise type(exc)(f"cannot read results file {path}: {exc.strerror or exc}") from None
    records: dict[str, dict] = {}
    broken = False
    for number, raw in enumerate(raw_lines, 1):
        if not raw.strip():
            continue
        problem = None
        try:
            rec = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            problem = "is not UTF-8 text (a damaged or foreign line?)"
        except json.JSONDecodeError:
            problem = "is not a complete JSON record (an interrupted write?)"
        else:
            reason = _record_problem(rec)
            if reason is not None:
                problem = f"is not a usable fold record: {reason} (edited by hand?)"
        if problem is not None:
            warnings.warn(
                f"{path}:{number} {problem}; skipping it, and the next run recomputes its fold.",
                RuntimeWarning,
                stacklevel=3,
            )
            broken = True
            continue
        key = rec.get("key") or f"{rec['dataset']}|{rec['method']}|{rec.get('split')}"
        records[key] = rec
    if broken and repair:
        _write_atomically(path, records.values())
    return records


def _write_atomically(path: Path, records) -> None:
    """Write records as JSON lines to a unique temporary file beside ``path``, then rename it.

    A unique name (not a fixed ``results.jsonl.tmp``) lets two runs repair or save at once
    without writing into each other's file; the rename is atomic, so a reader never sees half.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def append_record(path: Path, record: dict) -> None:
    """Append one record as a JSON line and flush it to disk (a crash loses at most this line)."""
    # Make sure a line cut short by an earlier interruption does not swallow this record.
    needs_newline = False
    if path.exists() and path.stat().st_size > 0:
        with open(path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            needs_newline = fh.read(1) != b"\n"
    with open(path, "a", encoding="utf-8") as fh:
        if needs_newline:
            fh.write("\n")
        fh.write(json.dumps(record, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())

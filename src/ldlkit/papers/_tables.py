"""The one loader of the papers' reported tables (``tables.toml`` and one CSV file per table).

A paper folder holds ``tables.toml``::

    [table2]
    caption = "Table 2: ..."
    protocol = "10x5-fold CV"
    # file = "table2.csv"      (the default: the table's key + ".csv")

and, per table, a CSV file whose header is ``dataset,method,<metric>,<metric>,...`` (ldlkit metric
names). Each cell is the paper's text: ``mean±std``, ``mean`` when the paper gives no standard
deviation, or empty when the paper gives no value. The text is kept as printed (``0.0300`` stays
``0.0300``); :func:`validate_table` turns it into ``(mean, std)`` floats for the reports.
"""

from __future__ import annotations

import csv
import numbers
import tomllib
from collections.abc import Mapping
from pathlib import Path

__all__ = [
    "TABLES_FILE",
    "load_tables",
    "read_cells",
    "read_value_table",
    "validate_table",
]

#: The file, in a paper folder, that lists its reported tables.
TABLES_FILE = "tables.toml"

_REQUIRED = ("caption", "protocol", "metrics", "results")
_PLUS_MINUS = "±"


def _check_metric(name, where: str) -> None:
    from ..metrics import get_metric, split_label_group

    if not isinstance(name, str):
        raise ValueError(f"{where}: metric names must be strings, got {name!r}.")
    get_metric(split_label_group(name)[0])  # the names the runner scores ("euclidean_head", ...)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def validate_table(table: Mapping, *, where: str = "table") -> dict:
    """Check one reported table's structure; return it as a plain dict or raise ValueError.

    ``table`` has ``caption``, ``protocol``, ``metrics`` and ``results`` (dataset -> method ->
    metric -> ``(mean, std)``, ``std`` may be ``None``).

    Examples
    --------
    >>> t = {"caption": "c", "protocol": "5-fold CV", "metrics": ["cosine"],
    ...      "results": {"data": {"method": {"cosine": (0.98, None)}}}}
    >>> validate_table(t)["results"]["data"]["method"]["cosine"]
    (0.98, None)
    """
    if not isinstance(table, Mapping):
        raise ValueError(f"{where} must be a dict, got {type(table).__name__}.")
    missing = [k for k in _REQUIRED if k not in table]
    if missing:
        raise ValueError(f"{where} is missing the field(s) {missing}; needs {list(_REQUIRED)}.")
    for key in ("caption", "protocol"):
        if not isinstance(table[key], str):
            raise ValueError(f"{where}[{key!r}] must be a string.")
    metrics = table["metrics"]
    if isinstance(metrics, str) or not isinstance(metrics, list | tuple) or not metrics:
        raise ValueError(f"{where}['metrics'] must be a non-empty list of metric names.")
    for name in metrics:
        _check_metric(name, where)
    results = table["results"]
    if not isinstance(results, Mapping):
        raise ValueError(f"{where}['results'] must map dataset -> method -> metric -> value.")
    clean: dict = {}
    for dataset, per_method in results.items():
        if not isinstance(per_method, Mapping):
            raise ValueError(f"{where}: results[{dataset!r}] must map method -> metric -> value.")
        clean[str(dataset)] = {}
        for method, per_metric in per_method.items():
            here = f"{where}: results[{dataset!r}][{method!r}]"
            if not isinstance(per_metric, Mapping):
                raise ValueError(f"{here} must map metric -> (mean, std).")
            clean[str(dataset)][str(method)] = {}
            for metric, value in per_metric.items():
                if metric not in metrics:
                    raise ValueError(
                        f"{here} has metric {metric!r}, which is not in the table's metrics "
                        f"{list(metrics)}."
                    )
                if not isinstance(value, tuple | list) or len(value) != 2:
                    raise ValueError(
                        f"{here}[{metric!r}] must be a (mean, std) pair, got {value!r}."
                    )
                mean, std = value
                if not _is_number(mean) or not (std is None or _is_number(std)):
                    raise ValueError(
                        f"{here}[{metric!r}] must be (number, number or None), got {value!r}."
                    )
                clean[str(dataset)][str(method)][metric] = (
                    float(mean),
                    None if std is None else float(std),
                )
    return {
        "caption": table["caption"],
        "protocol": table["protocol"],
        "metrics": list(metrics),
        "results": clean,
    }


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the reported table {path}: {exc}") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise ValueError(f"{path} is empty; its first line must be the header.")
    header = [h.strip() for h in rows[0]]
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(row)]
    for number, row in body:
        if len(row) != len(header):
            raise ValueError(
                f"{path}, line {number}: {len(row)} cells, but the header has {len(header)}."
            )
    return header, body


def read_cells(path: str | Path) -> tuple[list[str], dict[str, dict[str, dict[str, str]]]]:
    """``(metrics, dataset -> method -> metric -> text)`` of one table file, text as printed.

    Empty cells are left out. A ``(dataset, method)`` pair given twice is an error.
    """
    path = Path(path)
    header, body = _read_rows(path)
    if header[:2] != ["dataset", "method"] or len(header) < 3:
        raise ValueError(
            f"{path}: the header must be dataset,method,<metric>,..., got {','.join(header)}."
        )
    metrics = header[2:]
    cells: dict[str, dict[str, dict[str, str]]] = {}
    for number, row in body:
        dataset, method = row[0].strip(), row[1].strip()
        per_method = cells.setdefault(dataset, {})
        if method in per_method:
            raise ValueError(f"{path}, line {number}: {method!r} on {dataset!r} is given twice.")
        per_method[method] = {m: c.strip() for m, c in zip(metrics, row[2:]) if c.strip()}
    return metrics, cells


def _parse_cell(text: str, where: str) -> tuple[float, float | None]:
    mean, sep, std = text.partition(_PLUS_MINUS)
    try:
        return float(mean), (float(std) if sep else None)
    except ValueError:
        raise ValueError(
            f"{where}: cannot read {text!r}; write mean{_PLUS_MINUS}std or mean."
        ) from None


def load_tables(folder: str | Path) -> dict[str, dict]:
    """Every reported table of a paper folder, validated (``{}`` when it has no tables file)."""
    folder = Path(folder)
    index = folder / TABLES_FILE
    if not index.is_file():
        return {}
    try:
        entries = tomllib.loads(index.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{index}: {exc}") from None
    tables = {}
    for key, entry in entries.items():
        where = f"{index} [{key}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be a table with caption and protocol.")
        unknown = set(entry) - {"caption", "protocol", "file"}
        if unknown:
            raise ValueError(f"{where} has unknown field(s) {sorted(unknown)}.")
        path = folder / str(entry.get("file", f"{key}.csv"))
        metrics, cells = read_cells(path)
        results = {
            dataset: {
                method: {
                    metric: _parse_cell(text, f"{path}: {dataset} {method} {metric}")
                    for metric, text in per_metric.items()
                }
                for method, per_metric in per_method.items()
            }
            for dataset, per_method in cells.items()
        }
        table = {
            "caption": entry.get("caption"),
            "protocol": entry.get("protocol"),
            "metrics": metrics,
            "results": results,
        }
        tables[str(key)] = validate_table(table, where=where)
    return tables


def read_value_table(path: str | Path) -> dict[str, dict[str, float]]:
    """A plain ``row -> column -> number`` table (first column: the row name), e.g. ranks."""
    path = Path(path)
    header, body = _read_rows(path)
    out: dict[str, dict[str, float]] = {}
    for number, row in body:
        name = row[0].strip()
        values = {}
        for column, cell in zip(header[1:], row[1:]):
            if cell.strip():
                values[column] = _parse_cell(cell.strip(), f"{path}, line {number}")[0]
        out[name] = values
    return out

"""Tables in the papers' layout: Markdown, LaTeX, CSV and JSON; paper-vs-measured tables."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from ._results import metric_info_for
from ._statistics import BETTER, WORSE, Cell, ComparisonTable

__all__ = [
    "FORMATS",
    "format_paper_vs_measured",
    "format_table",
    "load_table",
    "paper_vs_measured",
    "save_table",
]

FORMATS = ("md", "latex", "csv", "json")

#: The one ± convention of every measured table (CLI output, reports, docs/reproduction*.md).
STD_CONVENTION = (
    "± : standard deviation over the test folds (all folds of all repeats pooled; population "
    "std, ddof=0)."
)
#: Below every paper-vs-measured table: the paper's ± is whatever the paper printed.
PAPER_VS_MEASURED_CONVENTION = (
    "Paper: mean ± std as the paper reports them (it does not say over what). Measured: mean "
    + STD_CONVENTION.replace("± : s", "± s")
)
_CSV_FIELDS = (
    "dataset", "method", "metric", "mean", "std", "n", "marker", "pvalue", "best",
    "average_rank", "reference", "alpha",
)  # fmt: skip


def _check_format(fmt: str) -> str:
    fmt = {"markdown": "md", "tex": "latex"}.get(str(fmt).lower(), str(fmt).lower())
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}.")
    return fmt


def _metric_title(metric: str) -> str:
    info = metric_info_for(metric)
    label = info.label
    for suffix in ("_head", "_tail", "_all"):
        if metric.endswith(suffix):
            label = f"{label} ({suffix[1:]} labels)"
    return f"{label} {info.arrow}"


def _number(value: float | None, precision: int, *, latex: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "--" if latex else "–"
    return f"{value:.{precision}f}"


def _reported_number(value: float | None, precision: int, *, latex: bool = False) -> str:
    """A paper's value with at least ``precision`` decimals and every digit the paper gave."""
    if value is None or not math.isfinite(value):
        return "--" if latex else "–"
    digits = f"{value:.8f}".rstrip("0").partition(".")[2]
    return f"{value:.{max(precision, len(digits))}f}"


def _cell_text(cell: Cell | None, precision: int, *, latex: bool = False) -> str:
    if cell is None:
        return "--" if latex else "–"
    pm = r" $\pm$ " if latex else " ± "
    mean = _number(cell.mean, precision, latex=latex)
    text = f"{mean}{pm}{_number(cell.std, precision, latex=latex)}"
    if cell.best:
        text = rf"\textbf{{{text}}}" if latex else f"**{text}**"
    if cell.marker:
        if latex:
            text += r"$^\bullet$" if cell.marker == BETTER else r"$^\circ$"
        else:
            text += cell.marker
    return text


def _legend(table: ComparisonTable) -> str:
    if table.reference is None:
        return f"{STD_CONVENTION} Best mean per dataset in bold."
    return (
        f"{STD_CONVENTION} "
        f"Best mean per dataset in bold. {BETTER} / {WORSE}: {table.reference} is significantly "
        f"better / worse than the method (two-tailed paired t-test over matched folds, "
        f"alpha = {table.alpha:g})."
    )


def _markdown(table: ComparisonTable, metrics: list[str], precision: int) -> str:
    parts = []
    for metric in metrics:
        header = ["Dataset", *table.methods]
        lines = [
            f"#### {_metric_title(metric)}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---"] + [":---:"] * len(table.methods)) + "|",
        ]
        for dataset in table.datasets:
            row = [dataset] + [
                _cell_text(table.cell(dataset, m, metric), precision) for m in table.methods
            ]
            lines.append("| " + " | ".join(row) + " |")
        ranks = table.ranks.get(metric, {})
        if len(table.datasets) > 1 or ranks:
            row = ["Avg. rank"] + [_number(ranks.get(m), 2) for m in table.methods]
            lines.append("| " + " | ".join(row) + " |")
        parts.append("\n".join(lines))
    footer = [_legend(table), *table.notes]
    return "\n\n".join(parts) + "\n\n" + "\n".join(footer) + "\n"


def _markdown_by_dataset(table: ComparisonTable, metrics: list[str], precision: int) -> str:
    header = ["Dataset", "Method", *(_metric_title(m) for m in metrics)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---", "---"] + [":---:"] * len(metrics)) + "|",
    ]
    for dataset in table.datasets:
        for i, method in enumerate(table.methods):
            cells = [_cell_text(table.cell(dataset, method, k), precision) for k in metrics]
            lines.append("| " + " | ".join([dataset if i == 0 else "", method, *cells]) + " |")
    if len(table.datasets) > 1:
        for i, method in enumerate(table.methods):
            ranks = [_number(table.ranks.get(k, {}).get(method), 2) for k in metrics]
            lines.append("| " + " | ".join(["Avg. rank" if i == 0 else "", method, *ranks]) + " |")
    footer = [_legend(table), *table.notes]
    return "\n".join(lines) + "\n\n" + "\n".join(footer) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    **{c: "\\" + c for c in "_&%#${}"},
}


def _latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in a name (dataset, method, note)."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in str(text))


def _latex_arrows(text: str) -> str:
    return text.replace("↓", r"$\downarrow$").replace("↑", r"$\uparrow$")


def _latex(table: ComparisonTable, metrics: list[str], precision: int) -> str:
    parts = []
    for metric in metrics:
        cols = "l" + "c" * len(table.methods)
        title = _latex_arrows(_latex_escape(_metric_title(metric)))
        lines = [
            r"\begin{table}[t]",
            r"\centering",
            rf"\caption{{{title}}}",
            rf"\begin{{tabular}}{{{cols}}}",
            r"\hline",
            " & ".join(["Dataset", *(_latex_escape(m) for m in table.methods)]) + r" \\",
            r"\hline",
        ]
        for dataset in table.datasets:
            cells = [
                _cell_text(table.cell(dataset, m, metric), precision, latex=True)
                for m in table.methods
            ]
            lines.append(" & ".join([_latex_escape(dataset), *cells]) + r" \\")
        ranks = table.ranks.get(metric, {})
        if ranks:
            lines.append(r"\hline")
            lines.append(
                " & ".join(
                    ["Avg. rank", *(_number(ranks.get(m), 2, latex=True) for m in table.methods)]
                )
                + r" \\"
            )
        lines += [r"\hline", r"\end{tabular}", r"\end{table}"]
        parts.append("\n".join(lines))
    legend = _legend(table).replace(BETTER, r"$\bullet$").replace(WORSE, r"$\circ$")
    comments = "".join(f"% {line}\n" for line in (legend, *table.notes))
    return "\n\n".join(parts) + "\n" + comments


def _csv(table: ComparisonTable, metrics: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for metric in metrics:
        for dataset in table.datasets:
            for method in table.methods:
                cell = table.cell(dataset, method, metric)
                if cell is None:
                    continue
                writer.writerow(
                    {
                        "dataset": dataset,
                        "method": method,
                        "metric": metric,
                        "mean": repr(cell.mean),
                        "std": repr(cell.std),
                        "n": cell.n,
                        "marker": cell.marker,
                        "pvalue": "" if cell.pvalue is None else repr(cell.pvalue),
                        "best": int(cell.best),
                        "average_rank": repr(table.ranks.get(metric, {}).get(method, math.nan)),
                        "reference": table.reference or "",
                        "alpha": repr(table.alpha),
                    }
                )
    return buffer.getvalue()


def format_table(
    table: ComparisonTable,
    fmt: str = "md",
    *,
    metrics: Iterable[str] | None = None,
    precision: int = 4,
    layout: str = "auto",
) -> str:
    """Render a comparison table in the papers' layout.

    ``layout="per-metric"`` (AMEMA/ConLE): one block per metric, datasets as rows, methods as
    columns, average ranks in the last row. ``layout="per-dataset"`` (UAKNN, Markdown only):
    one row per (dataset, method), metrics as columns. ``"auto"`` picks per-dataset for a single
    dataset. Cells read ``mean ± std`` with the significance marker (see :mod:`._statistics`)
    and the best mean per dataset in bold.

    Examples
    --------
    >>> from ldlkit.experiments import Results, compare
    >>> r = Results([{"dataset": "d", "method": "m", "split": 0, "status": "ok",
    ...               "metrics": {"cosine": 0.9}}])
    >>> "**0.9000 ± 0.0000**" in format_table(compare(r))
    True
    """
    fmt = _check_format(fmt)
    metrics = list(metrics) if metrics is not None else list(table.metrics)
    unknown = [m for m in metrics if m not in table.metrics]
    if unknown:
        raise ValueError(f"metrics {unknown} are not in the table (it has {table.metrics}).")
    if layout not in ("auto", "per-metric", "per-dataset"):
        raise ValueError(f"layout must be 'auto', 'per-metric' or 'per-dataset', got {layout!r}.")
    if layout == "auto":
        layout = "per-dataset" if len(table.datasets) == 1 else "per-metric"
    if fmt == "md":
        if layout == "per-dataset":
            return _markdown_by_dataset(table, metrics, precision)
        return _markdown(table, metrics, precision)
    if fmt == "latex":
        return _latex(table, metrics, precision)
    if fmt == "csv":
        return _csv(table, metrics)
    # NaN is not JSON: it is written as null and read back as NaN.
    return json.dumps(_nan_to_none(table.to_dict()), indent=2, sort_keys=True) + "\n"


def save_table(table: ComparisonTable, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write ``table`` to ``path``; the format defaults from the suffix (.md, .tex, .csv, .json)."""
    path = Path(path)
    if fmt is None:
        fmt = {".md": "md", ".tex": "latex", ".csv": "csv", ".json": "json"}.get(
            path.suffix.lower()
        )
        if fmt is None:
            raise ValueError(
                f"path {path} has no known suffix (.md, .tex, .csv, .json); pass fmt explicitly."
            )
    text = format_table(table, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _nan_to_none(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def _none_to_nan(value, key=None):
    if value is None and key in ("mean", "std"):
        return math.nan
    if isinstance(value, dict):
        return {k: _none_to_nan(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_none_to_nan(v, key) for v in value]
    return value


def load_table(path: str | os.PathLike) -> ComparisonTable:
    """Read a table written by :func:`save_table` as ``.json`` or ``.csv``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no table file at {path}.")
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON ({exc}).") from exc
        return ComparisonTable.from_dict(_none_to_nan(data))
    if suffix == ".csv":
        return _table_from_csv(path)
    raise ValueError(f"can only load .json or .csv tables, got {path.name!r}.")


def _table_from_csv(path: Path) -> ComparisonTable:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if rows and set(_CSV_FIELDS) - set(rows[0]):
        raise ValueError(f"{path} lacks the columns {sorted(set(_CSV_FIELDS) - set(rows[0]))}.")
    datasets, methods, metrics = {}, {}, {}
    cells, ranks = {}, {}
    reference, alpha = None, 0.05
    for row in rows:
        d, m, k = row["dataset"], row["method"], row["metric"]
        datasets.setdefault(d, None)
        methods.setdefault(m, None)
        metrics.setdefault(k, None)
        cells[(d, m, k)] = Cell(
            mean=float(row["mean"]),
            std=float(row["std"]),
            n=int(row["n"]),
            marker=row["marker"],
            pvalue=float(row["pvalue"]) if row["pvalue"] else None,
            best=row["best"] == "1",
        )
        rank = float(row["average_rank"])
        if math.isfinite(rank):
            ranks.setdefault(k, {})[m] = rank
        reference = row["reference"] or None
        alpha = float(row["alpha"])
    return ComparisonTable(
        list(datasets), list(methods), list(metrics), cells, ranks, reference, alpha
    )


# -- paper vs measured ---------------------------------------------------------------------------
def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]", "", str(name)).lower()


def _canonical_dataset(name: str) -> str:
    from ..datasets import get_dataset_info

    try:
        return _norm(get_dataset_info(name).name)
    except ValueError:
        return _norm(name)


def _match(name: str, candidates: Iterable[str], *, dataset: bool) -> str | None:
    candidates = list(candidates)
    norm = _canonical_dataset if dataset else _norm
    target = norm(name)
    exact = [c for c in candidates if norm(c) == target]
    if exact:
        return exact[0]
    if dataset:  # a paper may abbreviate: a prefix of the registry name, or the reverse
        prefixed = [
            c for c in candidates if norm(c).startswith(target) or target.startswith(norm(c))
        ]
        if len(prefixed) == 1:
            return prefixed[0]
    return None


def paper_vs_measured(
    table: ComparisonTable, reported: Mapping, *, metrics: Iterable[str] | None = None
) -> list[dict]:
    """Put a paper's reported values beside the measured ones.

    Datasets are matched through the dataset registry (case, ``-``, ``_`` ignored, aliases, and
    the papers' unambiguous abbreviations such as "SBU"); methods by display name, ignoring case,
    ``-`` and ``_`` ("AA-kNN" matches "AAKNN").

    Returns
    -------
    list of dict
        One row per measured (dataset, method, metric) with ``paper_mean``, ``paper_std``
        (``None`` where the paper gives no value), ``measured_mean``, ``measured_std``,
        ``difference`` (measured minus paper).

    Examples
    --------
    >>> from ldlkit.experiments import Results, compare
    >>> r = Results([{"dataset": "SJAFFE", "method": "UAKNN", "split": 0, "status": "ok",
    ...               "metrics": {"cosine": 0.9}}])
    >>> rep = {"results": {"sjaffe": {"UAKNN": {"cosine": (0.98, 0.01)}}}}
    >>> round(paper_vs_measured(compare(r), rep)[0]["difference"], 2)
    -0.08
    """
    results = reported.get("results", {}) if isinstance(reported, Mapping) else {}
    metrics = list(metrics) if metrics is not None else list(table.metrics)
    rows = []
    for dataset in table.datasets:
        paper_dataset = _match(dataset, results, dataset=True)
        per_method = results.get(paper_dataset, {}) if paper_dataset else {}
        for method in table.methods:
            paper_method = _match(method, per_method, dataset=False)
            per_metric = per_method.get(paper_method, {}) if paper_method else {}
            for metric in metrics:
                cell = table.cell(dataset, method, metric)
                if cell is None:
                    continue
                paper = per_metric.get(metric)
                paper_mean = None if paper is None else paper[0]
                rows.append(
                    {
                        "dataset": dataset,
                        "method": method,
                        "metric": metric,
                        "paper_mean": paper_mean,
                        "paper_std": None if paper is None else paper[1],
                        "measured_mean": cell.mean,
                        "measured_std": cell.std,
                        "difference": None if paper_mean is None else cell.mean - paper_mean,
                    }
                )
    return rows


def format_paper_vs_measured(rows: list[dict], fmt: str = "md", *, precision: int = 4) -> str:
    """Render :func:`paper_vs_measured` rows as Markdown, LaTeX, CSV or JSON."""
    fmt = _check_format(fmt)
    if fmt == "json":
        return json.dumps(_nan_to_none(rows), indent=2) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        fields = [
            "dataset", "method", "metric", "paper_mean", "paper_std",
            "measured_mean", "measured_std", "difference",
        ]  # fmt: skip
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if row[k] is None else row[k] for k in fields})
        return buffer.getvalue()

    latex = fmt == "latex"
    pm = r" $\pm$ " if latex else " ± "

    def pair(mean, std, number):
        if mean is None:
            return "--" if latex else "–"
        text = number(mean, precision, latex=latex)
        return text if std is None else text + pm + number(std, precision, latex=latex)

    header = ["Dataset", "Method", "Metric", "Paper", "Measured", "Measured − paper"]
    body = []
    for row in rows:
        diff = row["difference"]
        body.append(
            [
                row["dataset"],
                row["method"],
                _metric_title(row["metric"]),
                pair(row["paper_mean"], row["paper_std"], _reported_number),
                pair(row["measured_mean"], row["measured_std"], _number),
                ("--" if latex else "–") if diff is None else f"{diff:+.{precision}f}",
            ]
        )
    if latex:
        lines = [r"\begin{tabular}{lllccc}", r"\hline", " & ".join(header[:5] + ["Diff."]) + r" \\"]
        lines.append(r"\hline")
        for cells in body:
            cells = [_latex_escape(c) if i < 2 else c for i, c in enumerate(cells)]
            cells[2] = _latex_arrows(cells[2])
            lines.append(" & ".join(cells) + r" \\")
        lines += [r"\hline", r"\end{tabular}"]
        return "\n".join(lines) + "\n"
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 3 + ["---:"] * 3) + "|"]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines) + "\n"

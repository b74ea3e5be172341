"""A registry of paper reproductions: which methods, datasets, protocol and reported tables.

Each paper folder (:mod:`ldlkit.papers`) registers its reproductions from its own modules
(``register_reproduction(...)`` at import); the folders' modules are imported the first time the
registry is read, so a new paper adds its folder and nothing else.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..metrics import PAPER_METRICS
from ..model_selection import PROTOCOLS, describe_protocol, make_protocol
from ..papers import find_reported_table
from ._reports import (
    PAPER_VS_MEASURED_CONVENTION,
    STD_CONVENTION,
    _match,
    _nan_to_none,
    format_paper_vs_measured,
    format_table,
    paper_vs_measured,
)
from ._results import Results
from ._runner import run_experiment
from ._statistics import ComparisonTable, compare

__all__ = [
    "Reproduction",
    "build_methods",
    "default_reference",
    "describe_estimate",
    "describe_reported_tables",
    "describe_reproduction_plan",
    "estimate_seconds",
    "ReproductionReport",
    "format_reproduction",
    "get_reproduction",
    "list_reproductions",
    "register_reproduction",
    "run_reproduction",
]


@dataclass(frozen=True)
class Reproduction:
    """One paper table to reproduce.

    ``methods`` maps a display name (as in the paper's table) to ``(estimator class name,
    params)``; classes are looked up only when the reproduction runs, so an entry may name an
    estimator that is not implemented yet: it is skipped, with a note in the report.
    ``protocol_kind`` is ``"kfold"`` (repeated k-fold), ``"ildl"``
    (:class:`~ldlkit.model_selection.ImbalancedSplit` with each dataset's built-in parameters)
    or ``"le"`` (:class:`~ldlkit.model_selection.EnhancementProtocol`), as for
    ``ldlkit run --protocol``. ``expected_seconds`` is the measured run time of the full
    reproduction (paper protocol, default datasets, one job), which ``ldlkit reproduce`` scales
    to the folds and datasets asked for and announces before starting; ``expected_basis`` says
    what that figure was measured on when it is not a whole run.
    """

    name: str
    description: str
    paper: str
    tables: tuple[str, ...]
    datasets: tuple[str, ...]
    n_splits: int
    n_repeats: int
    methods: dict[str, tuple[str, dict]]
    metrics: tuple[str, ...] = PAPER_METRICS
    reference: str | None = None
    note: str = ""
    protocol_kind: str = "kfold"
    expected_seconds: float | None = None
    expected_basis: str = "a measured full run"

    @property
    def protocol(self) -> str:
        return describe_protocol(self.protocol_kind, self.n_splits, self.n_repeats)

    def make_cv(
        self,
        n_splits: int | None = None,
        n_repeats: int | None = None,
        *,
        random_state=0,
        ildl_parameters=None,
    ):
        """The splitter (or ``dataset name -> splitter`` function) this reproduction runs.

        ``ildl_parameters``: the ILDL rule ``(a, b, c, d)`` for datasets without built-in ones.
        """
        return make_protocol(
            self.protocol_kind,
            n_splits=self.n_splits if n_splits is None else n_splits,
            n_repeats=self.n_repeats if n_repeats is None else n_repeats,
            random_state=random_state,
            ildl_parameters=ildl_parameters,
        )


_REPRODUCTIONS: dict[str, Reproduction] = {}
_DISCOVERING = False


def _discover() -> None:
    """Import the modules of every paper folder (``_*`` skipped); each registers its own.

    Run on every read of the registry (imports are cached), so that folders added later
    (``LDLKIT_PAPERS``, :func:`ldlkit.papers.register_paper`) are found too.
    """
    global _DISCOVERING
    from ..papers import import_paper_modules

    if _DISCOVERING:  # a reproduction module that reads the registry while importing
        return
    _DISCOVERING = True
    try:
        import_paper_modules()
    finally:
        _DISCOVERING = False


def register_reproduction(
    name: str,
    *,
    description: str,
    paper: str,
    tables: Sequence[str],
    datasets: Sequence[str],
    methods: Mapping[str, tuple[str, Mapping[str, Any]]],
    n_splits: int = 5,
    n_repeats: int = 10,
    metrics: Sequence[str] = PAPER_METRICS,
    reference: str | None = None,
    note: str = "",
    protocol_kind: str = "kfold",
    expected_seconds: float | None = None,
    expected_basis: str = "a measured full run",
    overwrite: bool = False,
) -> Reproduction:
    """Register a reproduction for ``ldlkit reproduce NAME``.

    ``protocol_kind`` picks the splitter: ``"kfold"`` (``n_repeats`` x ``n_splits``-fold CV),
    ``"ildl"`` (the imbalanced protocol with each dataset's built-in parameters; one repeat) or
    ``"le"`` (label enhancement). Head/tail metrics (``"euclidean_head"``) need ``"ildl"``.
    ``expected_seconds``: measured run time of the whole reproduction with one job (say where
    it was measured in a comment); ``ldlkit reproduce`` announces it, scaled, before starting.
    ``expected_basis`` completes "scaled from ..." in that announcement: where the figure is an
    extrapolation (say, one measured fold per method and dataset), say so there.

    Examples
    --------
    >>> r = register_reproduction(
    ...     "demo-mean", description="mean predictor on the toy data", paper="demo",
    ...     tables=["table1"], datasets=["artificial"], methods={"Mean": ("MeanPredictor", {})},
    ...     overwrite=True)
    >>> r.protocol
    '10x5-fold CV'
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}.")
    if name in _REPRODUCTIONS and not overwrite:
        raise ValueError(f"reproduction {name!r} is already registered; pass overwrite=True.")
    if not methods:
        raise ValueError("methods must name at least one method.")
    clean_methods = {}
    for display, spec in methods.items():
        if (
            not isinstance(spec, tuple)
            or len(spec) != 2
            or not isinstance(spec[0], str)
            or not isinstance(spec[1], Mapping)
        ):
            raise ValueError(
                f"methods[{display!r}] must be (estimator class name, params dict), got {spec!r}."
            )
        clean_methods[str(display)] = (spec[0], dict(spec[1]))
    if reference is not None and reference not in clean_methods:
        raise ValueError(
            f"reference {reference!r} is not one of the methods {list(clean_methods)}."
        )
    if not datasets:
        raise ValueError("datasets must name at least one dataset.")
    if protocol_kind not in PROTOCOLS:
        raise ValueError(f"protocol_kind must be one of {PROTOCOLS}, got {protocol_kind!r}.")
    make_protocol(protocol_kind, n_splits=n_splits, n_repeats=n_repeats)  # validates the counts
    entry = Reproduction(
        name=name,
        description=description,
        paper=paper,
        tables=tuple(tables),
        datasets=tuple(datasets),
        n_splits=n_splits,
        n_repeats=n_repeats,
        methods=clean_methods,
        metrics=tuple(metrics),
        reference=reference,
        note=note,
        protocol_kind=protocol_kind,
        expected_seconds=expected_seconds,
        expected_basis=expected_basis,
    )
    _REPRODUCTIONS[name] = entry
    return entry


def get_reproduction(name: str) -> Reproduction:
    """The registered reproduction ``name`` (case-insensitive)."""
    _discover()
    table = {k.lower(): v for k, v in _REPRODUCTIONS.items()}
    try:
        return table[str(name).lower()]
    except KeyError:
        close = difflib.get_close_matches(str(name).lower(), list(table), n=2, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(table[c].name) for c in close)}?" if close else ""
        raise ValueError(
            f"unknown reproduction {name!r}.{hint} Known: {', '.join(_REPRODUCTIONS)} "
            "(`ldlkit reproduce --list`)."
        ) from None


def list_reproductions() -> list[Reproduction]:
    """All registered reproductions, in registration order (each paper module's in turn)."""
    _discover()
    return list(_REPRODUCTIONS.values())


def build_methods(reproduction: Reproduction) -> tuple[dict[str, Any], list[str]]:
    """Instantiate the reproduction's estimators; return ``(methods, notes)``.

    An entry whose estimator class is not registered in this installation is skipped, with a
    note for the report; only when no entry is available is it an error (a one-line ValueError).
    Parameters that the class does not accept are always an error: that is a bug in the entry.
    """
    from ..base import all_estimators

    registered = {name.lower(): cls for name, cls in all_estimators()}
    built: dict[str, Any] = {}
    missing: list[tuple[str, str]] = []
    for display, (class_name, params) in reproduction.methods.items():
        cls = registered.get(class_name.lower())
        if cls is None:
            missing.append((display, class_name))
            continue
        try:
            built[display] = cls(**params)
        except TypeError as exc:
            raise ValueError(
                f"reproduction {reproduction.name!r}: {class_name} does not accept "
                f"{params} ({exc})."
            ) from None
    if not built:
        needed = ", ".join(f"{c!r} (for {d!r})" for d, c in missing)
        known = ", ".join(n for n, _ in all_estimators()) or "none"
        verdict = "which is not" if len(missing) == 1 else "none of which is"
        raise ValueError(
            f"reproduction {reproduction.name!r} needs estimator{'s' * (len(missing) > 1)} "
            f"{needed}, {verdict} available in this installation (registered: {known})."
        )
    notes = []
    if missing:
        names = ", ".join(f"{display} ({class_name})" for display, class_name in missing)
        notes.append(
            f"{names} {'is' if len(missing) == 1 else 'are'} not available in this "
            f"installation; {'its row is' if len(missing) == 1 else 'their rows are'} skipped."
        )
    return built, notes


# -- what a run will do, said before it starts ---------------------------------------------------
def _dataset_name(item) -> str:
    return str(item[0]) if isinstance(item, tuple) else str(item)


def _dataset_rows(item) -> int | None:
    """Rows of a dataset given as a name (the registry's count), a path (unknown) or a triple."""
    if isinstance(item, tuple):
        return len(item[1])
    from ..datasets import get_dataset_info

    try:
        return get_dataset_info(str(item)).n_samples
    except ValueError:  # a path, or a name the registry does not know
        return None


def reported_coverage(repro: Reproduction, datasets=None) -> dict[str, list[str] | None]:
    """Per reported table: the datasets run that it holds values for (``None``: not stored)."""
    names = [_dataset_name(d) for d in (datasets or repro.datasets)]
    coverage: dict[str, list[str] | None] = {}
    for key in repro.tables:
        reported = find_reported_table(repro.paper, key)
        if reported is None:
            coverage[key] = None
            continue
        results = reported.get("results", {})
        covered = []
        for name in names:
            paper_dataset = _match(name, results, dataset=True)
            per_method = results.get(paper_dataset, {}) if paper_dataset else {}
            if any(_match(m, per_method, dataset=False) for m in repro.methods):
                covered.append(name)
        coverage[key] = covered
    return coverage


def _reported_elsewhere(repro: Reproduction, key: str) -> str:
    reported = find_reported_table(repro.paper, key)
    if reported is None:
        return f"{repro.paper} {key} is not stored in ldlkit"
    others = list(reported.get("results", {}))
    return f"{repro.paper} {key} reports {', '.join(others) or 'no dataset'}"


def describe_reported_tables(repro: Reproduction, datasets=None) -> list[str]:
    """One line on the tables compared with, one on those without values for these datasets."""
    coverage = reported_coverage(repro, datasets)
    lines = []
    with_values = [f"{repro.paper} {k} ({', '.join(v)})" for k, v in coverage.items() if v]
    if with_values:
        lines.append(f"compared with the paper's {'; '.join(with_values)}")
    without = [f"{_reported_elsewhere(repro, k)}" for k, v in coverage.items() if not v]
    if without:
        lines.append("no reported values for these datasets (measured only): " + "; ".join(without))
    return lines


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} seconds"
    if seconds < 90 * 60:
        return f"about {seconds / 60:.0f} minutes"
    return f"about {seconds / 3600:.1f} hours"


def estimate_seconds(
    repro: Reproduction,
    *,
    datasets=None,
    n_splits: int | None = None,
    n_repeats: int | None = None,
    n_jobs: int | None = 1,
) -> float | None:
    """The measured full-run time scaled to the folds, dataset rows and jobs asked for.

    Rough by design: the cost of a fold is taken as proportional to the dataset's rows (it
    grows faster for the kNN searches and slower for the linear models).
    """
    if repro.expected_seconds is None:
        return None
    splits = repro.n_splits if n_splits is None else n_splits
    repeats = repro.n_repeats if n_repeats is None else n_repeats
    scale = (splits * repeats) / (repro.n_splits * repro.n_repeats)
    default_rows = [_dataset_rows(d) for d in repro.datasets]
    known = [r for r in default_rows if r]
    mean_rows = sum(known) / len(known) if known else 1.0
    chosen = list(datasets) if datasets else list(repro.datasets)
    rows = sum((_dataset_rows(d) or mean_rows) for d in chosen)
    scale *= rows / sum((r or mean_rows) for r in default_rows)
    cores = os.cpu_count() or 1
    jobs = cores if n_jobs is not None and n_jobs < 0 else (n_jobs or 1)
    return repro.expected_seconds * scale / max(1, min(jobs, cores))


def describe_estimate(repro: Reproduction, **kwargs) -> str:
    seconds = estimate_seconds(repro, **kwargs)
    if seconds is None:
        return "run time not measured yet"
    jobs = kwargs.get("n_jobs", 1)
    jobs = "all cores" if jobs is not None and jobs < 0 else f"{jobs or 1} job{'s' * (jobs > 1)}"
    return f"{_duration(seconds)} with {jobs} (rough: scaled from {repro.expected_basis})"


def describe_reproduction_plan(
    repro: Reproduction,
    *,
    datasets=None,
    n_splits: int | None = None,
    n_repeats: int | None = None,
    n_jobs: int | None = 1,
) -> list[str]:
    """What ``ldlkit reproduce`` is about to run, how long it should take, what it compares."""
    from ..base import all_estimators

    registered = {name.lower() for name, _ in all_estimators()}
    available = [d for d, (cls, _) in repro.methods.items() if cls.lower() in registered]
    chosen = list(datasets) if datasets else list(repro.datasets)
    splits = repro.n_splits if n_splits is None else n_splits
    repeats = repro.n_repeats if n_repeats is None else n_repeats
    protocol = describe_protocol(repro.protocol_kind, splits, repeats)
    quick = "" if protocol == repro.protocol else f", not the paper's {repro.protocol}"
    fits = len(available) * len(chosen) * splits * repeats
    estimate = describe_estimate(
        repro, datasets=datasets, n_splits=n_splits, n_repeats=n_repeats, n_jobs=n_jobs
    )
    lines = [
        f"ldlkit reproduce {repro.name}: {repro.description}",
        f"  {len(available)} methods × {len(chosen)} datasets ("
        f"{', '.join(_dataset_name(d) for d in chosen)}) × {splits * repeats} folds "
        f"({protocol}{quick}) = {fits} fits",
        f"  expected time: {estimate}",
    ]
    lines += [f"  {line}" for line in describe_reported_tables(repro, datasets)]
    lines.append(f"  {STD_CONVENTION}")
    return lines


def default_reference(repro: Reproduction) -> str | None:
    """The reproduction's ``reference``, else its paper's own method when it is one of its rows."""
    if repro.reference is not None:
        return repro.reference
    from ..papers import get_paper

    try:
        paper = get_paper(repro.paper)
    except KeyError:
        return None
    return paper.reference if paper.reference in repro.methods else None


@dataclass
class ReproductionReport:
    """What :func:`run_reproduction` measured, beside what the paper reported."""

    reproduction: Reproduction
    results: Results
    table: ComparisonTable
    comparisons: dict[str, list[dict] | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_reproduction(
    name: str,
    *,
    datasets: Sequence[str] | None = None,
    n_splits: int | None = None,
    n_repeats: int | None = None,
    n_jobs: int | None = 1,
    out: str | os.PathLike | None = None,
    random_state: int = 0,
    progress: bool = True,
    data_home: str | os.PathLike | None = None,
    ildl_parameters=None,
) -> ReproductionReport:
    """Run a registered reproduction and put the paper's reported values beside the measured ones.

    ``n_splits``/``n_repeats`` override the paper's protocol for a quick run (the report says so).
    ``datasets`` replaces the paper's datasets (names, file paths or ``(name, X, D)``). A
    reported table that is not stored, or holds no value for the datasets run, is listed in one
    note instead of an empty comparison. ``ildl_parameters`` gives an ILDL reproduction's rule
    ``(a, b, c, d)`` for datasets without built-in parameters (see :class:`ImbalancedSplit`).
    """
    repro = get_reproduction(name)
    methods, skipped = build_methods(repro)
    notes = []
    if repro.note:
        notes.append(repro.note)
    notes += skipped
    reference = default_reference(repro)
    if reference is not None and reference not in methods:
        notes.append(f"No significance markers: the reference method {reference} was skipped.")
        reference = None
    chosen = list(datasets) if datasets else list(repro.datasets)
    splits = repro.n_splits if n_splits is None else n_splits
    repeats = repro.n_repeats if n_repeats is None else n_repeats
    cv = repro.make_cv(splits, repeats, random_state=random_state, ildl_parameters=ildl_parameters)
    if (splits, repeats) != (repro.n_splits, repro.n_repeats):
        notes.append(
            f"Quick run: {describe_protocol(repro.protocol_kind, splits, repeats)} instead of the "
            f"paper's {repro.protocol}; numbers are noisier and not directly comparable."
        )
    results = run_experiment(
        methods,
        chosen,
        cv=cv,
        metrics=repro.metrics,
        n_jobs=n_jobs,
        out=out,
        random_state=random_state,
        progress=progress,
        data_home=data_home,
    )
    table = compare(results, reference=reference, metrics=repro.metrics)
    comparisons: dict[str, list[dict] | None] = {}
    for key in repro.tables:
        reported = find_reported_table(repro.paper, key)
        comparisons[key] = (
            None if reported is None else paper_vs_measured(table, reported, metrics=repro.metrics)
        )
    return ReproductionReport(repro, results, table, comparisons, notes)


def format_reproduction(report: ReproductionReport, fmt: str = "md") -> str:
    """Measured table (with markers) followed by one paper-vs-measured table per reported table.

    ``md`` and ``latex`` give readable text (LaTeX headings and notes as ``%`` comments). ``json``
    gives one document: ``{"reproduction", "protocol", "notes", "measured" (the comparison
    table), "paper_vs_measured": {table: rows or null}}``. ``csv`` gives one long table of
    paper-vs-measured rows with a leading ``table`` column; measured values without a reported
    counterpart have empty paper columns, so every measured value appears.
    """
    repro = report.reproduction
    fmt = {"markdown": "md", "tex": "latex"}.get(str(fmt).lower(), str(fmt).lower())
    if fmt == "json":
        document = {
            "reproduction": repro.name,
            "description": repro.description,
            "paper": repro.paper,
            "protocol": repro.protocol,
            "notes": list(report.notes),
            "measured": json.loads(format_table(report.table, "json")),
            "paper_vs_measured": report.comparisons,
        }
        return json.dumps(_nan_to_none(document), indent=2) + "\n"
    if fmt == "csv":
        header, body = None, []
        for key, rows in report.comparisons.items():
            if rows is None:  # the paper's table is not stored: measured values only
                rows = paper_vs_measured(report.table, {}, metrics=report.table.metrics)
            text = format_paper_vs_measured(rows, "csv").splitlines()
            header = header or "table," + text[0]
            body += [f"{key},{line}" for line in text[1:]]
        if header is None:  # no reported table registered at all
            return format_table(report.table, "csv")
        return "\n".join([header, *body]) + "\n"
    if fmt not in ("md", "latex"):
        raise ValueError(f"format must be one of ('md', 'latex', 'csv', 'json'), got {fmt!r}.")

    def text(line: str, level: int = 0) -> str:
        if fmt == "latex":
            return f"% {line}"
        return f"{'#' * level} {line}" if level else line

    parts = [
        text(f"{repro.name}: {repro.description}", 2),
        text(f"Protocol: {repro.protocol} (paper); datasets: {', '.join(report.table.datasets)}."),
        *(text(note) for note in report.notes),
        text("Measured", 3),
        format_table(report.table, fmt),
    ]
    without = []
    for key, rows in report.comparisons.items():
        if rows is None or not any(r["paper_mean"] is not None for r in rows):
            without.append(key)
            continue
        parts.append(text(f"Paper vs measured: {repro.paper} {key}", 3))
        with_values = [r for r in rows if r["paper_mean"] is not None]
        parts.append(format_paper_vs_measured(with_values, fmt))
        parts.append(text(PAPER_VS_MEASURED_CONVENTION))
        missing = sorted(
            {(r["dataset"], r["method"]) for r in rows if r["paper_mean"] is None},
            key=lambda dm: (report.table.datasets.index(dm[0]), dm[1]),
        )
        if missing:
            parts.append(
                text("not in the paper's table: " + ", ".join(f"{m} on {d}" for d, m in missing))
            )
    if without:
        # One line, not an empty section per table: measured values without a paper counterpart.
        parts.append(
            text(
                "No reported values for these datasets and methods (measured only): "
                + "; ".join(_reported_elsewhere(repro, key) for key in without)
                + "."
            )
        )
    return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"

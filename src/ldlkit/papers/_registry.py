"""Paper folders: what each declares, and how they are found."""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import os
import pkgutil
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from ._tables import load_tables

__all__ = [
    "ENTRY_POINT_GROUP",
    "PAPERS_ENV",
    "Paper",
    "demo_settings",
    "find_reported_table",
    "get_paper",
    "import_paper_modules",
    "list_papers",
    "list_reported",
    "protocol_parameters",
    "protocol_presets",
    "register_paper",
    "reported_table",
]

#: Environment variable: paper folders outside ldlkit, separated by ``os.pathsep``.
PAPERS_ENV = "LDLKIT_PAPERS"
#: Entry-point group through which an installed package contributes paper folders (packages).
ENTRY_POINT_GROUP = "ldlkit.papers"


@dataclass(frozen=True)
class Paper:
    """What a paper folder declares about its paper (a module-level ``PAPER = Paper(...)``).

    Parameters
    ----------
    name : str
        The key of the paper: reproductions name it (``paper="..."``) and
        :func:`reported_table` looks tables up by it.
    title : str
        Citation-style title.
    reference : str, optional
        The paper's own method, as its tables name it; a reproduction without its own
        ``reference`` compares every method with it.
    presets : mapping, optional
        Named repeated k-fold protocols, ``name -> (n_splits, n_repeats, description)``
        (:func:`ldlkit.model_selection.get_protocol`).
    parameters : mapping, optional
        Per-dataset protocol parameters, ``protocol kind -> dataset name -> values`` (e.g. the
        subset rule of the imbalanced protocol, read by
        :class:`ldlkit.model_selection.ImbalancedSplit`).
    demo_methods : sequence of str, optional
        Estimator names that ``ldlkit run``'s demo lists first, in this order.
    demo_reference : str, optional
        The method the demo's significance markers compare with, when it runs.
    notes : str, optional
        How the tables were transcribed; by default the paper module's docstring.
    """

    name: str
    title: str
    reference: str | None = None
    presets: Mapping[str, tuple[int, int, str]] = field(default_factory=dict)
    parameters: Mapping[str, Mapping[str, tuple]] = field(default_factory=dict)
    demo_methods: tuple[str, ...] = ()
    demo_reference: str | None = None
    notes: str = ""
    folder: Path | None = None
    module: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", self.name):
            raise ValueError(
                f"Paper name must be a short identifier (letters, digits, '_', '-', '.'), "
                f"got {self.name!r}."
            )
        if not isinstance(self.title, str) or not self.title:
            raise ValueError(f"Paper {self.name!r}: title must be a non-empty string.")
        for preset, value in dict(self.presets).items():
            if not (isinstance(value, tuple) and len(value) == 3):
                raise ValueError(
                    f"Paper {self.name!r}: presets[{preset!r}] must be (n_splits, n_repeats, "
                    f"description), got {value!r}."
                )
        object.__setattr__(self, "demo_methods", tuple(self.demo_methods))

    @property
    def tables(self) -> dict[str, dict]:
        """The paper's reported tables, read from its folder (validated, cached)."""
        if self.folder is None:
            return {}
        key = str(self.folder)
        if key not in _TABLE_CACHE:
            _TABLE_CACHE[key] = load_tables(self.folder)
        return _TABLE_CACHE[key]


_TABLE_CACHE: dict[str, dict[str, dict]] = {}
_PAPERS: dict[str, Paper] = {}
_PACKAGES: list[str] = []  # module names of the registered paper packages, in order
_SOURCES: set[str] = set()  # folders and module names already registered
_BUILTIN_DONE = False


def _add(paper: Paper, module: ModuleType) -> None:
    file = getattr(module, "__file__", None)
    folder = Path(file).parent if file else None
    notes = paper.notes or (module.__doc__ or "").strip()
    paper = replace(paper, folder=folder, notes=notes, module=module.__name__)
    previous = _PAPERS.get(paper.name)
    if previous is not None and previous.module != paper.module:
        raise ValueError(
            f"two paper folders declare the paper {paper.name!r} ({previous.module} and "
            f"{paper.module}); paper names must be unique."
        )
    _PAPERS[paper.name] = paper
    if module.__name__ not in _PACKAGES:
        _PACKAGES.append(module.__name__)


def _declared(module: ModuleType) -> None:
    paper = getattr(module, "PAPER", None)
    if isinstance(paper, Paper):
        _add(paper, module)


def _walk_builtin() -> None:
    from .. import papers

    for info in sorted(pkgutil.iter_modules(papers.__path__), key=lambda i: i.name):
        if info.ispkg and not info.name.startswith("_"):
            _declared(importlib.import_module(f"{papers.__name__}.{info.name}"))


def _import_folder(folder: Path) -> ModuleType:
    init = folder / "__init__.py"
    if not init.is_file():
        raise ValueError(
            f"{PAPERS_ENV}: {folder} is not a paper folder (it needs an __init__.py that sets "
            "PAPER = ldlkit.papers.Paper(...))."
        )
    # One module name per folder (two folders may share a name in different places).
    digest = hashlib.sha1(str(folder).encode()).hexdigest()[:8]
    name = f"ldlkit_paper_{re.sub(r'[^0-9A-Za-z_]', '_', folder.name)}_{digest}"
    existing = sys.modules.get(name)
    if existing is not None:
        return existing
    spec = importlib.util.spec_from_file_location(
        name, init, submodule_search_locations=[str(folder)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def register_paper(source: str | os.PathLike | ModuleType) -> Paper:
    """Register a paper folder kept outside ldlkit; return what it declares.

    ``source`` is a folder (a Python package whose ``__init__.py`` sets ``PAPER =
    Paper(...)``, beside its ``tables.toml``), an importable module name, or a module. The
    folders named in the ``LDLKIT_PAPERS`` environment variable (separated by ``os.pathsep``)
    and the packages of the ``ldlkit.papers`` entry-point group are registered this way on first
    use; ldlkit's own folders under ``ldlkit/papers/`` are found by walking the package.
    """
    if isinstance(source, ModuleType):
        module = source
    elif isinstance(source, os.PathLike) or os.sep in str(source) or Path(str(source)).is_dir():
        module = _import_folder(Path(source).resolve())
    else:
        module = importlib.import_module(str(source))
    _declared(module)
    paper = getattr(module, "PAPER", None)
    if not isinstance(paper, Paper):
        raise ValueError(
            f"{getattr(module, '__file__', module.__name__)} declares no paper: set "
            "PAPER = ldlkit.papers.Paper(name=..., title=...) in it."
        )
    _SOURCES.add(module.__name__)
    return _PAPERS[paper.name]


def _env_folders() -> list[Path]:
    raw = os.environ.get(PAPERS_ENV, "")
    return [Path(p).expanduser().resolve() for p in raw.split(os.pathsep) if p.strip()]


def _discover() -> None:
    global _BUILTIN_DONE
    if not _BUILTIN_DONE:
        _BUILTIN_DONE = True  # first: a paper module that reads the registry must not recurse
        try:
            _walk_builtin()
            for entry in entry_points(group=ENTRY_POINT_GROUP):  # value: a package name
                if entry.module not in _SOURCES:
                    register_paper(entry.module)
        except BaseException:
            _BUILTIN_DONE = False  # a broken folder is a bug: say so on every read
            raise
    for folder in _env_folders():
        if str(folder) not in _SOURCES:
            register_paper(folder)
            _SOURCES.add(str(folder))


def import_paper_modules() -> None:
    """Import every module of every paper folder (their reproductions register themselves)."""
    _discover()
    for package in list(_PACKAGES):
        module = sys.modules[package]
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if not info.name.rsplit(".", 1)[-1].startswith("_"):
                importlib.import_module(info.name)


def list_papers() -> list[Paper]:
    """Every registered paper, ldlkit's own first (by name), then external ones."""
    _discover()
    return list(_PAPERS.values())


def get_paper(name: str) -> Paper:
    """The registered paper ``name`` (case-insensitive)."""
    _discover()
    table = {k.lower(): v for k, v in _PAPERS.items()}
    try:
        return table[str(name).lower()]
    except KeyError:
        close = difflib.get_close_matches(str(name).lower(), list(table), n=2, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(table[c].name) for c in close)}?" if close else ""
        raise KeyError(
            f"no paper {name!r}.{hint} Registered: {', '.join(_PAPERS) or 'none'}."
        ) from None


def list_reported() -> list[tuple[str, str, str]]:
    """``(paper, table key, caption)`` for every stored reported table.

    Examples
    --------
    >>> isinstance(list_reported(), list)
    True
    """
    return [
        (paper.name, key, table["caption"])
        for paper in sorted(list_papers(), key=lambda p: p.name)
        for key, table in paper.tables.items()
    ]


def find_reported_table(paper: str, table: str) -> dict | None:
    """Like :func:`reported_table`, but ``None`` when the paper or the table is not stored."""
    _discover()
    found = _PAPERS.get(paper)
    return None if found is None else found.tables.get(table)


def reported_table(paper: str, table: str) -> dict:
    """The validated reported table ``table`` of paper ``paper``.

    Raises
    ------
    KeyError
        When the paper or the table is not stored.
    """
    _discover()
    if paper not in _PAPERS:
        raise KeyError(
            f"no reported values for paper {paper!r}; stored papers: "
            f"{', '.join(sorted(_PAPERS)) or 'none'}."
        )
    tables = _PAPERS[paper].tables
    if table not in tables:
        raise KeyError(
            f"paper {paper!r} has no reported table {table!r}; stored: {', '.join(tables)}."
        )
    return tables[table]


def protocol_presets() -> dict[str, tuple[int, int, str]]:
    """Every paper's named k-fold protocols, ``name -> (n_splits, n_repeats, description)``."""
    out: dict[str, tuple[int, int, str]] = {}
    for paper in list_papers():
        for name, value in paper.presets.items():
            if name in out and out[name] != value:
                raise ValueError(f"two papers define the protocol preset {name!r} differently.")
            out[name] = tuple(value)
    return out


def protocol_parameters(kind: str) -> dict[str, tuple]:
    """Every paper's per-dataset parameters for protocol ``kind`` (``dataset -> values``)."""
    out: dict[str, tuple] = {}
    for paper in list_papers():
        for dataset, value in dict(paper.parameters.get(kind, {})).items():
            if dataset in out and tuple(out[dataset]) != tuple(value):
                raise ValueError(f"two papers give different {kind!r} parameters for {dataset!r}.")
            out[dataset] = tuple(value)
    return out


def demo_settings(available: Iterable[str] = ()) -> tuple[list[str], str | None, str | None]:
    """``(ordered demo methods, reference, paper)`` that the papers declare for the demo.

    The reference is the first declared ``demo_reference`` among ``available`` (``None`` when
    none of them runs); ``paper`` is the paper that declares it.
    """
    order: list[str] = []
    reference = paper_name = None
    available = set(available)
    for paper in list_papers():
        order += [m for m in paper.demo_methods if m not in order]
        if reference is None and paper.demo_reference in available:
            reference, paper_name = paper.demo_reference, paper.name
    return order, reference, paper_name

"""Sphinx extension: ldlkit's API reference, generated at build time, and its completeness check.

At ``builder-inited`` the package is walked (every module whose dotted path has no component
starting with ``_``). Each public module gets a page listing its public names: the ``__all__``
list where the module has one, else the classes and functions it defines itself. Each class and
function gets a page of its own under its *canonical* module, the public module nearest to where
it is defined that lists it (``ldlkit.load_dataset`` is documented as
``ldlkit.datasets.load_dataset``; the other modules that re-export it link there). Registered
estimators (:func:`ldlkit.base.all_estimators`) get their citation from ``docs/references.bib``
(entries name their estimators in an ``estimators`` field) and a page listing them all.

At ``env-check-consistency`` the names Sphinx actually documented (its Python domain) are compared
with what the package declares public; a public name without a page, a registered estimator that
no public ``__all__`` exports, and an estimator with neither a citation nor an entry in
``ldlkit_no_paper`` (conf.py) each fail the build.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

PACKAGE = "ldlkit"
OUT_DIR = Path("api") / "generated"
#: scikit-learn's metadata-routing plumbing, inherited by every estimator: documented by
#: scikit-learn, and its docstrings refer to labels of scikit-learn's own site.
EXCLUDED_MEMBERS = (
    "get_metadata_routing",
    "set_fit_request",
    "set_partial_fit_request",
    "set_score_request",
    "set_predict_request",
    "set_transform_request",
    "set_fit_transform_request",
    "set_output",
)


# --------------------------------------------------------------------------------------------
# BibTeX: a small reader for the entries of docs/references.bib (no extra dependency)
# --------------------------------------------------------------------------------------------


@dataclass
class BibEntry:
    kind: str
    key: str
    fields: dict[str, str]
    source: str

    @property
    def estimators(self) -> list[str]:
        return [n.strip() for n in self.fields.get("estimators", "").split(",") if n.strip()]

    def formatted(self) -> str:
        """One line in reStructuredText: authors, year, *title*, venue."""
        f = self.fields
        authors = [a.strip() for a in f.get("author", "").split(" and ") if a.strip()]
        names = []
        for author in authors:
            if "," in author:
                last, first = (p.strip() for p in author.split(",", 1))
                author = f"{first} {last}"
            names.append(author)
        if len(names) > 2:
            who = ", ".join(names[:-1]) + " and " + names[-1]
        else:
            who = " and ".join(names)
        venue = f.get("journal") or f.get("booktitle") or f.get("howpublished") or ""
        parts = [f"{who} ({f.get('year', 'n.d.')}).", f"*{f.get('title', self.key)}*."]
        if venue:
            parts.append(f"{venue}.")
        if f.get("doi"):
            parts.append(f"`doi:{f['doi']} <https://doi.org/{f['doi']}>`__")
        return " ".join(_clean_tex(p) for p in parts)


def _clean_tex(text: str) -> str:
    return re.sub(r"[{}]", "", text).replace("--", "–")


def _read_braced(text: str, start: int) -> tuple[str, int]:
    """The text inside the brace at ``start`` (nested braces kept) and the index after it."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
        i += 1
    raise ValueError(f"unbalanced braces from character {start}")


def parse_bib(text: str) -> list[BibEntry]:
    entries = []
    for match in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,", text):
        body, end = _read_braced(text, match.start() + match.group(0).index("{"))
        source = text[match.start() : end]
        fields = {}
        for fm in re.finditer(r"(\w+)\s*=\s*\{", body):
            if fm.start() and body[: fm.start()].count("{") != body[: fm.start()].count("}"):
                continue  # inside another field's value
            value, _ = _read_braced(body, fm.end() - 1)
            fields[fm.group(1).lower()] = " ".join(value.split())
        entries.append(BibEntry(match.group(1).lower(), match.group(2), fields, source))
    return entries


# --------------------------------------------------------------------------------------------
# The package's public surface
# --------------------------------------------------------------------------------------------


@dataclass
class PublicModule:
    name: str
    module: ModuleType
    names: list[str]
    declared: bool  # has __all__
    submodules: list[str] = field(default_factory=list)


def _public_modules() -> dict[str, PublicModule]:
    found: dict[str, PublicModule] = {}

    def visit(name: str) -> None:
        module = importlib.import_module(name)  # a public module that fails to import is a bug
        if hasattr(module, "__all__"):
            names, declared = list(module.__all__), True
        else:
            names = [
                n
                for n, obj in vars(module).items()
                if not n.startswith("_")
                and (inspect.isclass(obj) or inspect.isfunction(obj))
                and getattr(obj, "__module__", None) == name
            ]
            declared = False
        entry = PublicModule(name, module, sorted(set(names), key=str.lower), declared)
        found[name] = entry
        for info in sorted(pkgutil.iter_modules(getattr(module, "__path__", [])), key=str):
            if not info.name.startswith("_"):
                sub = f"{name}.{info.name}"
                entry.submodules.append(sub)
                visit(sub)

    visit(PACKAGE)
    return found


def _kind(obj) -> str:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj) and hasattr(obj, "__module__") and hasattr(obj, "__qualname__"):
        return "function"
    return "data"


def _canonical_names(modules: dict[str, PublicModule]) -> dict[tuple[str, str], str]:
    """(module, name) -> the fully qualified name under which that object has its page."""
    listing: dict[int, list[str]] = {}
    for mod in modules.values():
        for n in mod.names:
            obj = getattr(mod.module, n, None)
            if _kind(obj) in ("class", "function"):
                listing.setdefault(id(obj), []).append(mod.name)
    canonical = {}
    for mod in modules.values():
        for n in mod.names:
            obj = getattr(mod.module, n)
            kind = _kind(obj)
            if kind == "module":
                canonical[(mod.name, n)] = obj.__name__
            elif kind == "data":
                canonical[(mod.name, n)] = f"{mod.name}.{n}"
            else:
                home = getattr(obj, "__module__", "") or ""
                candidates = listing[id(obj)]
                prefixes = [c for c in candidates if home == c or home.startswith(c + ".")]
                best = max(prefixes, key=len) if prefixes else max(candidates, key=len)
                canonical[(mod.name, n)] = f"{best}.{n}"
    return canonical


# --------------------------------------------------------------------------------------------
# Page generation
# --------------------------------------------------------------------------------------------


def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def _first_line(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _citation_block(entries: list[BibEntry]) -> str:
    lines = [".. rubric:: Reference" + ("s" if len(entries) > 1 else ""), ""]
    for entry in entries:
        lines += [f"{entry.formatted()}", "", ".. code-block:: bibtex", ""]
        lines += ["   " + line for line in entry.source.splitlines()]
        lines.append("")
    return "\n".join(lines) + "\n"


def _object_page(fqname: str, kind: str, citations: list[BibEntry], no_paper: str | None) -> str:
    module, name = fqname.rsplit(".", 1)
    out = [_title(name), f".. currentmodule:: {module}\n"]
    if citations:
        out.append(_citation_block(citations))
    elif no_paper:
        out.append(f".. rubric:: Reference\n\n{no_paper}\n")
    if kind == "class":
        out.append(
            f".. autoclass:: {name}\n   :members:\n   :inherited-members:\n"
            f"   :exclude-members: {', '.join(EXCLUDED_MEMBERS)}\n"
        )
        out.append(
            f".. minigallery:: {fqname}\n   :add-heading: Examples using ``{name}``\n"
            "   :heading-level: -\n"
        )
    else:
        out.append(f".. autofunction:: {name}\n")
        out.append(
            f".. minigallery:: {fqname}\n   :add-heading: Examples using ``{name}``\n"
            "   :heading-level: -\n"
        )
    return "\n".join(out)


def _module_page(mod: PublicModule, canonical: dict[tuple[str, str], str]) -> str:
    out = [_title(f"``{mod.name}``"), f".. automodule:: {mod.name}\n   :no-members:\n"]
    out.append(f".. currentmodule:: {mod.name}\n")
    groups: dict[str, list[str]] = {"module": [], "class": [], "function": [], "data": []}
    for n in mod.names:
        groups[_kind(getattr(mod.module, n))].append(n)
    toctree: list[str] = []
    headings = {"class": "Classes", "function": "Functions"}
    for kind in ("class", "function"):
        if not groups[kind]:
            continue
        out.append(_title(headings[kind], "-"))
        out.append(".. list-table::\n   :widths: 30 70\n")
        for n in groups[kind]:
            target = canonical[(mod.name, n)]
            summary = _first_line(getattr(mod.module, n)).replace("|", r"\|")
            note = "" if target == f"{mod.name}.{n}" else f" (documented as ``{target}``)"
            out.append(f"   * - :py:{'class' if kind == 'class' else 'func'}:`~{target}`")
            out.append(f"     - {summary}{note}" if summary or note else "     -")
            if target == f"{mod.name}.{n}":
                toctree.append(target)
        out.append("")
    if groups["data"]:
        out.append(_title("Constants", "-"))
        for n in groups["data"]:
            out.append(f".. autodata:: {n}\n   :no-value:\n")
    subs = sorted(set(mod.submodules) | {getattr(mod.module, n).__name__ for n in groups["module"]})
    if subs:
        out.append(_title("Modules", "-"))
        out += [f"* :py:mod:`{s}`" for s in subs] + [""]
    if toctree:
        out.append(".. toctree::\n   :hidden:\n\n" + "\n".join(f"   {t}" for t in toctree) + "\n")
    return "\n".join(out)


def _estimators_page(estimators, canonical_of_class, cited, no_paper) -> str:
    out = [_title("All estimators")]
    out.append(
        "Every estimator registered with :func:`ldlkit.base.all_estimators`, with the paper it "
        "implements (BibTeX in ``docs/references.bib``). ``kind`` is ``ldl`` for label "
        "distribution learners (``fit(X, D)``, ``predict(X)``) and ``le`` for label enhancers "
        "(``fit_transform(X, logical)``).\n"
    )
    out.append(".. list-table::\n   :header-rows: 1\n   :widths: 22 8 35 35\n")
    out.append("   * - estimator\n     - kind\n     - summary\n     - reference")
    from ldlkit.base import BaseLabelEnhancer

    for name, cls in estimators:
        kind = "le" if issubclass(cls, BaseLabelEnhancer) else "ldl"
        ref = "; ".join(_short_cite(e) for e in cited.get(name, [])) or no_paper.get(name, "")
        summary = _first_line(cls).replace("|", r"\|")
        out.append(f"   * - :py:class:`~{canonical_of_class[name]}`\n     - {kind}")
        out.append(f"     - {summary}\n     - {ref}")
    return "\n".join(out) + "\n"


def _short_cite(entry: BibEntry) -> str:
    authors = entry.fields.get("author", "").split(" and ")
    first = authors[0].split(",")[0].strip() if authors and authors[0] else entry.key
    if len(authors) > 2:
        first += " et al."
    elif len(authors) == 2:
        first += " and " + authors[1].split(",")[0].strip()
    venue = entry.fields.get("ldlkit_venue", "")
    return _clean_tex(f"{first}, {venue + ' ' if venue else ''}{entry.fields.get('year', '')}")


def generate(app: Sphinx) -> None:
    srcdir = Path(app.srcdir)
    out = srcdir / OUT_DIR
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)

    from ldlkit.base import all_estimators

    modules = _public_modules()
    canonical = _canonical_names(modules)
    estimators = all_estimators()

    bib = parse_bib((srcdir / "references.bib").read_text(encoding="utf-8"))
    cited: dict[str, list[BibEntry]] = {}
    for entry in bib:
        for est in entry.estimators:
            cited.setdefault(est, []).append(entry)
    no_paper: dict[str, str] = app.config.ldlkit_no_paper

    # Every registered estimator must be exported by a public __all__.
    canonical_of_class = {}
    problems = []
    for name, cls in estimators:
        homes = [canonical[k] for k in canonical if k[1] == name and _kind(cls) == "class"]
        homes = [h for h in homes if getattr(modules[h.rsplit(".", 1)[0]].module, name) is cls]
        if not homes:
            problems.append(
                f"estimator {name} ({cls.__module__}) is registered but no public module's "
                "__all__ exports it: add it to its package's __all__"
            )
            continue
        canonical_of_class[name] = homes[0]
        if name not in cited and name not in no_paper:
            problems.append(
                f"estimator {name} has no citation: add its paper to docs/references.bib with "
                f"`estimators = {{{name}}}`, or list it in ldlkit_no_paper in docs/conf.py"
            )
    unknown = sorted(set(cited) - {n for n, _ in estimators})
    if unknown:
        problems.append(f"docs/references.bib names estimators that are not registered: {unknown}")
    if problems:
        raise ExtensionError("ldlkit API reference:\n  " + "\n  ".join(problems))

    written = set()
    for mod in modules.values():
        (out / f"{mod.name}.rst").write_text(_module_page(mod, canonical), encoding="utf-8")
        for n in mod.names:
            target = canonical[(mod.name, n)]
            kind = _kind(getattr(mod.module, n))
            if kind in ("class", "function") and target == f"{mod.name}.{n}":
                if target in written:
                    continue
                written.add(target)
                page = _object_page(target, kind, cited.get(n, []), no_paper.get(n))
                (out / f"{target}.rst").write_text(page, encoding="utf-8")
    (out / "estimators.rst").write_text(
        _estimators_page(estimators, canonical_of_class, cited, no_paper), encoding="utf-8"
    )
    toc = sorted(modules)
    (out / "modules.rst").write_text(
        _title("Modules")
        + "\n.. toctree::\n   :maxdepth: 1\n\n"
        + "\n".join(f"   {t}" for t in toc)
        + "\n",
        encoding="utf-8",
    )
    app.env.ldlkit_expected = _expected(modules, canonical, canonical_of_class)  # type: ignore
    logger.info(
        f"[ldlkit_api] {len(modules)} modules, {len(written)} object pages, "
        f"{len(estimators)} estimators"
    )


def _expected(modules, canonical, canonical_of_class) -> dict[str, str]:
    """Fully qualified name -> Python-domain role it must be documented as."""
    expected = {}
    for mod in modules.values():
        expected[mod.name] = "module"
        for n in mod.names:
            kind = _kind(getattr(mod.module, n))
            expected[canonical[(mod.name, n)]] = kind
    for target in canonical_of_class.values():
        expected[target] = "class"
    return expected


def check(app: Sphinx, env) -> None:
    expected: dict[str, str] | None = getattr(env, "ldlkit_expected", None)
    if expected is None:
        expected = _expected(*_recompute())
    objects = env.get_domain("py").objects
    roles = {"class": "class", "function": "function", "module": "module", "data": "data"}
    missing = sorted(
        f"{name} ({kind})"
        for name, kind in expected.items()
        if name not in objects or objects[name].objtype != roles[kind]
    )
    if missing:
        raise ExtensionError(
            "ldlkit API reference: public names without an API page: " + ", ".join(missing)
        )
    logger.info(f"[ldlkit_api] all {len(expected)} public names have an API page")


def _recompute():
    from ldlkit.base import all_estimators

    modules = _public_modules()
    canonical = _canonical_names(modules)
    canonical_of_class = {}
    for name, cls in all_estimators():
        for (m, n), target in canonical.items():
            if n == name and getattr(modules[m].module, n) is cls:
                canonical_of_class[name] = target
                break
    return modules, canonical, canonical_of_class


def _toctree_entries(text: str) -> list[tuple[int, str]]:
    """(line number, entry) of every entry of the MyST toctree fences of a page."""
    entries, in_toctree = [], False
    for i, line in enumerate(text.splitlines()):
        stripped = line.strip()
        if stripped.startswith("```{toctree}"):
            in_toctree = True
        elif in_toctree and stripped.startswith("```"):
            in_toctree = False
        elif in_toctree and stripped and not stripped.startswith(":"):
            target = stripped.split("<")[-1].rstrip(">").strip() if "<" in stripped else stripped
            entries.append((i, target))
    return entries


def complete_toctrees(app: Sphinx, docname: str, source: list[str]) -> None:
    """Keep the page toctrees of the top-level pages in step with the pages of ``docs/``.

    A toctree entry naming a top-level page that does not exist is dropped (family pages get
    merged and renamed), and a top-level page that no toctree names is added to a "More pages"
    toctree of the index, so that a new page is in the navigation without an edit here.
    """
    if "/" in docname:
        return
    srcdir = Path(app.srcdir)
    pages = {p.stem for p in srcdir.glob("*.md")} | {p.stem for p in srcdir.glob("*.rst")}
    text = source[0]
    drop = {i for i, target in _toctree_entries(text) if "/" not in target and target not in pages}
    lines = [line for i, line in enumerate(text.splitlines()) if i not in drop]
    if docname == app.config.root_doc:
        named = {app.config.root_doc}
        for page in srcdir.glob("*.md"):
            named |= {t for _, t in _toctree_entries(page.read_text(encoding="utf-8"))}
        extra = sorted(pages - named)
        if extra:
            lines += ["", "```{toctree}", ":caption: More pages", ":maxdepth: 1", ":hidden:", ""]
            lines += extra + ["```", ""]
    source[0] = "\n".join(lines) + "\n"


def setup(app: Sphinx) -> dict:
    app.add_config_value("ldlkit_no_paper", {}, "env")
    app.connect("source-read", complete_toctrees)
    app.connect("builder-inited", generate)
    app.connect("env-check-consistency", check)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}


__all__ = ["parse_bib", "setup"]

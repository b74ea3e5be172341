"""Every ```python block of ``docs/*.md`` runs, page by page, in order, as written.

The blocks of one page share one namespace (a later block may use the names an earlier one
defined, as a reader would run them), in a fresh temporary folder. A block is not run when the
line just above its fence is an explicit, explained marker::

    <!-- snippet: not-run: why this block is not run -->

(an HTML comment: invisible on GitHub and in the documentation site). A block whose code needs an
optional package that is not installed (torch, faiss, dask, ...) skips the rest of its page,
naming the package; one that loads a benchmark file not on this machine skips the same way, or
fails where CI requires the files (``LDLKIT_REQUIRE_DATA``). Anything else a block raises, an
undefined name first of all, fails its page.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from ldlkit.datasets import DatasetNotFoundError

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
PAGES_WITH_CODE = [p for p in PAGES if "```python" in p.read_text(encoding="utf-8")]

#: Packages that ldlkit's extras provide; a block that needs a missing one skips its page.
OPTIONAL_PACKAGES = {
    "torch": "torch",
    "faiss": "faiss",
    "dask": "dask",
    "distributed": "dask",
    "ray": "ray",
    "fastapi": "serve",
    "uvicorn": "serve",
    "httpx": "serve",
    "matplotlib": "plot",
}

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
_NOT_RUN = re.compile(r"<!--\s*snippet:\s*not-run:\s*(?P<reason>\S.*?)\s*-->\s*$")


def python_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """(line number, code, not-run reason or None) of every ```python block of a page."""
    blocks = []
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _NOT_RUN.search(before)
        blocks.append((line, match.group(1), marker.group("reason") if marker else None))
    return blocks


def _missing_optional(error: BaseException) -> str | None:
    """The extra whose absence caused ``error``, if it is an import error for one."""
    if isinstance(error, ModuleNotFoundError) and error.name:
        return OPTIONAL_PACKAGES.get(error.name.split(".")[0])
    if isinstance(error, ImportError):
        text = str(error)
        for package, extra in OPTIONAL_PACKAGES.items():
            if re.search(rf"\b{package}\b", text):
                return extra
    return None


def run_page(path: Path) -> list[str]:
    """Run a page's blocks; return the not-run reasons. Skips as described in the module doc."""
    namespace: dict = {"__name__": f"__docs_{path.stem}__"}
    not_run = []
    for line, code, reason in python_blocks(path.read_text(encoding="utf-8")):
        where = f"docs/{path.name}:{line}"
        if reason is not None:
            not_run.append(f"{where}: {reason}")
            continue
        try:
            exec(compile(code, where, "exec"), namespace)  # noqa: S102
        except DatasetNotFoundError as error:
            message = f"{where}: benchmark file not found ({error}); set LDLKIT_DATA"
            if os.environ.get("LDLKIT_REQUIRE_DATA", "") not in ("", "0"):
                pytest.fail(message)
            pytest.skip(message)
        except ImportError as error:
            extra = _missing_optional(error)
            if extra is None:
                raise
            pytest.skip(f"{where} needs the `ldlkit[{extra}]` extra ({error})")
    return not_run


def test_the_marker_and_the_extraction():
    text = (
        "intro\n\n```python\nx = 1\n```\n\n<!-- snippet: not-run: needs a cluster -->\n"
        "```python\nstart_cluster()\n```\n\n```bash\nls\n```\n"
    )
    blocks = python_blocks(text)
    assert [(code, reason) for _, code, reason in blocks] == [
        ("x = 1\n", None),
        ("start_cluster()\n", "needs a cluster"),
    ]
    assert blocks[0][0] == 3


def test_an_undefined_name_fails(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\ny = undefined_name + 1\n```\n", encoding="utf-8")
    with pytest.raises(NameError, match="undefined_name"):
        run_page(page)


def test_a_missing_extra_skips(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```python\nimport torch_that_is_not_there\n```\n", encoding="utf-8")
    with pytest.raises(ModuleNotFoundError):  # not an extra: a real error
        run_page(page)
    assert _missing_optional(ModuleNotFoundError("x", name="faiss")) == "faiss"


def test_there_are_pages_with_code():
    assert sum(len(python_blocks(p.read_text(encoding="utf-8"))) for p in PAGES) >= 10


def _page_param(path: Path):
    # pages that train a torch network: minutes on a loaded 2-core machine (still run in CI)
    code = "".join(c for _, c, _ in python_blocks(path.read_text(encoding="utf-8")))
    slow = "ldlkit.neural" in code
    return pytest.param(path, id=path.name, marks=[pytest.mark.slow] if slow else [])


@pytest.mark.parametrize("path", [_page_param(p) for p in PAGES_WITH_CODE])
def test_page_snippets_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for reason in run_page(path):
        # explicit markers must say why: a bare marker is not a reason
        assert len(reason.split(": ", 1)[1]) >= 10, reason


# ---- the documentation build's API check (docs/_ext/ldlkit_api.py; needs the docs extra) ------


def _api_extension():
    pytest.importorskip("sphinx", reason="the API check is a Sphinx extension: ldlkit[docs]")
    import importlib.util

    spec = importlib.util.spec_from_file_location("ldlkit_api", DOCS / "_ext" / "ldlkit_api.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("ldlkit_api", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class _FakeObject:
    def __init__(self, objtype):
        self.objtype = objtype


class _FakeEnv:
    def __init__(self, expected, objects):
        self.ldlkit_expected = expected
        self._objects = objects

    def get_domain(self, name):
        return type("Domain", (), {"objects": self._objects})()


def test_the_api_check_fails_for_a_public_name_without_a_page():
    api = _api_extension()
    from sphinx.errors import ExtensionError

    modules, canonical, of_class = api._recompute()
    expected = api._expected(modules, canonical, of_class)
    assert expected["ldlkit.neighbors.UAKNN"] == "class"
    assert expected["ldlkit.linear"] == "module"
    documented = {name: _FakeObject(kind) for name, kind in expected.items()}
    api.check(None, _FakeEnv(expected, documented))  # everything documented: passes
    del documented["ldlkit.neighbors.UAKNN"]
    with pytest.raises(ExtensionError, match=r"ldlkit\.neighbors\.UAKNN"):
        api.check(None, _FakeEnv(expected, documented))


def test_every_public_name_is_expected_once_under_its_own_module():
    api = _api_extension()
    modules, canonical, _ = api._recompute()
    # a re-export is documented where it is defined, not twice
    assert canonical[("ldlkit", "load_dataset")] == "ldlkit.datasets.load_dataset"
    assert canonical[("ldlkit", "MeanPredictor")] == "ldlkit.dummy.MeanPredictor"
    for module in modules.values():
        for name in module.names:
            assert (module.name, name) in canonical


def test_every_registered_estimator_has_a_citation_or_a_stated_reason():
    api = _api_extension()
    from ldlkit.base import all_estimators

    bib = api.parse_bib((DOCS / "references.bib").read_text(encoding="utf-8"))
    cited = {name for entry in bib for name in entry.estimators}
    assert all(entry.fields.get("title") and entry.fields.get("year") for entry in bib)
    conf = (DOCS / "conf.py").read_text(encoding="utf-8")
    no_paper = set(re.findall(r'^\s+"(\w+)": ', conf.split("ldlkit_no_paper = {")[1], re.M))
    missing = [n for n, _ in all_estimators() if n not in cited and n not in no_paper]
    assert not missing, f"add these estimators' papers to docs/references.bib: {missing}"


def test_the_toctrees_follow_the_pages(tmp_path):
    api = _api_extension()
    for page in ("index", "guide", "datasets", "newpage"):
        (tmp_path / f"{page}.md").write_text(f"# {page}\n", encoding="utf-8")
    (tmp_path / "guide.md").write_text("```{toctree}\ndatasets\n```\n", encoding="utf-8")
    app = type("App", (), {"srcdir": str(tmp_path)})()
    app.config = type("Config", (), {"root_doc": "index"})()
    source = ["# ldlkit\n\n```{toctree}\n:hidden:\n\nguide\nmerged-away\napi/index\n```\n"]
    api.complete_toctrees(app, "index", source)
    text = source[0]
    assert "merged-away" not in text  # a page that no longer exists is dropped
    assert "guide" in text and "api/index" in text  # existing and nested entries are kept
    more = text.split(":caption: More pages", 1)[1]
    assert "newpage" in more and "datasets" not in more  # only pages no toctree names

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


@pytest.mark.parametrize("path", PAGES_WITH_CODE, ids=[p.name for p in PAGES_WITH_CODE])
def test_page_snippets_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for reason in run_page(path):
        # explicit markers must say why: a bare marker is not a reason
        assert len(reason.split(": ", 1)[1]) >= 10, reason

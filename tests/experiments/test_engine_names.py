"""The engine names no paper, method or dataset: that knowledge lives in the paper folders.

The engine is the experiments package (runner, results, statistics, reports, plots, sweeps,
the reproduction registry), the command line, the spec layer and the generic part of
``ldlkit.papers`` (its registry and table loader). Their code, comments and messages are
searched for the names of the registered papers, estimators and datasets. Docstrings and the
command line's ``--help`` text (``help=``, ``description=``, ``epilog=`` and the ``*_EXAMPLES``
strings) are documentation and may show real names in their examples; the embedded toy dataset
and the trivial baselines of ``ldlkit.dummy`` are part of the toolkit itself, not of a paper.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import ldlkit
from ldlkit.base import all_estimators
from ldlkit.datasets import get_dataset_info, list_datasets
from ldlkit.papers import list_papers

PACKAGE = Path(ldlkit.__file__).parent
ENGINE = sorted(
    [
        *PACKAGE.glob("experiments/*.py"),
        *PACKAGE.glob("cli/*.py"),
        PACKAGE / "_spec.py",
        PACKAGE / "papers" / "__init__.py",
        *PACKAGE.glob("papers/_*.py"),
    ]
)
#: The toolkit's own demo data and baselines (not any paper's).
TOOLKIT_NAMES = {"artificial", "MeanPredictor", "UniformPredictor"}
_HELP_KEYWORDS = {"help", "description", "epilog"}


def _documentation_spans(tree: ast.AST) -> list[ast.AST]:
    spans = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = body[0] if body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                spans.append(first)
        if isinstance(node, ast.keyword) and node.arg in _HELP_KEYWORDS:
            spans.append(node.value)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.endswith("_EXAMPLES") for t in node.targets
        ):
            spans.append(node.value)
    return spans


def _code_and_comments(path: Path) -> str:
    """The file's text with docstrings and help strings blanked out (line numbers kept)."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    chars = list(text)
    for node in _documentation_spans(ast.parse(text)):
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[node.end_lineno - 1] + node.end_col_offset
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _names() -> dict[str, re.Pattern]:
    names: dict[str, re.Pattern] = {}

    def add(name: str, flags: int = 0) -> None:
        if name not in TOOLKIT_NAMES:
            names[name] = re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])", flags)

    for paper in list_papers():
        add(paper.name, re.IGNORECASE)
    for name, _ in all_estimators():
        add(name)
    for dataset in list_datasets():
        info = get_dataset_info(dataset)
        for name in (info.name, *info.aliases):
            add(name)
    return names


def test_the_engine_modules_are_the_expected_files():
    assert len(ENGINE) >= 15 and all(path.is_file() for path in ENGINE)


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_an_engine_module_names_no_paper_method_or_dataset(path):
    text = _code_and_comments(path)
    found = []
    for name, pattern in _names().items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.name}:{line}: {name}")
    assert not found, "paper knowledge in the engine:\n" + "\n".join(found)


def test_the_check_finds_a_name_where_there_is_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docstrings may say UAKNN."""\nDEFAULT = "UAKNN"  # but code may not\n')
    text = _code_and_comments(sample)
    assert "Docstrings" not in text
    assert [m.start() for m in _names()["UAKNN"].finditer(text)] == [text.index("UAKNN")]

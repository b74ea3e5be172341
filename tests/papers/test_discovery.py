"""A paper folder added from outside ldlkit: found, its table loaded, `ldlkit reproduce` runs it.

Nothing else is edited: the folder is written to ``tmp_path`` and named in ``LDLKIT_PAPERS``
(or given to :func:`ldlkit.papers.register_paper`).
"""

from __future__ import annotations

import sys
import textwrap

import pytest

from ldlkit.cli import main
from ldlkit.experiments import _reproduce, get_reproduction
from ldlkit.papers import (
    PAPERS_ENV,
    _registry,
    get_paper,
    list_papers,
    register_paper,
    reported_table,
)

INIT = '''
"""A toy paper: notes on its transcription go here."""

from ldlkit.papers import Paper

PAPER = Paper(name="toypaper", title="A toy paper", reference="Mean")
'''

TABLES = """
[table1]
caption = "Table 1: two baselines on the embedded toy data."
protocol = "2-fold CV"
"""

CSV = """dataset,method,cosine,chebyshev
artificial,Mean,0.9665±0.0044,0.1202
artificial,Uniform,0.5000,
"""

REPRODUCTIONS = """
from ldlkit.experiments import register_reproduction

register_reproduction(
    "toypaper",
    description="two baselines on the toy data",
    paper="toypaper",
    tables=["table1"],
    datasets=["artificial"],
    methods={"Mean": ("MeanPredictor", {}), "Uniform": ("UniformPredictor", {})},
    metrics=["cosine", "chebyshev"],
    n_splits=2,
    n_repeats=1,
)
"""


@pytest.fixture
def restore_registries():
    """Registries and modules as they were before the test (the toy paper leaves no trace)."""
    _reproduce._discover()
    list_papers()
    saved = (
        dict(_reproduce._REPRODUCTIONS),
        dict(_registry._PAPERS),
        list(_registry._PACKAGES),
        set(_registry._SOURCES),
    )
    yield
    _reproduce._REPRODUCTIONS.clear()
    _reproduce._REPRODUCTIONS.update(saved[0])
    _registry._PAPERS.clear()
    _registry._PAPERS.update(saved[1])
    _registry._PACKAGES[:] = saved[2]
    _registry._SOURCES.clear()
    _registry._SOURCES.update(saved[3])
    for name in [m for m in sys.modules if m.startswith("ldlkit_paper_")]:
        del sys.modules[name]


def _write_paper(folder):
    folder.mkdir()
    (folder / "__init__.py").write_text(INIT)
    (folder / "tables.toml").write_text(TABLES)
    (folder / "table1.csv").write_text(CSV, encoding="utf-8")
    (folder / "reproductions.py").write_text(textwrap.dedent(REPRODUCTIONS))
    (folder / "_private.py").write_text("raise RuntimeError('a private module is not imported')")
    return folder


def test_a_paper_folder_named_in_the_environment_runs_with_ldlkit_reproduce(
    tmp_path, monkeypatch, capsys, restore_registries
):
    folder = _write_paper(tmp_path / "toypaper")
    monkeypatch.setenv(PAPERS_ENV, str(folder))
    monkeypatch.chdir(tmp_path)

    assert main(["reproduce", "--list"]) == 0
    listed = capsys.readouterr().out
    assert "toypaper: two baselines on the toy data" in listed
    assert "compared with the paper's toypaper table1 (artificial)" in listed

    assert main(["reproduce", "toypaper", "--no-save", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Paper vs measured: toypaper table1" in out
    assert "0.9665" in out and "0.1202" in out  # the reported values, beside the measured ones
    # The paper's own method (PAPER.reference) is the default reference of its reproduction.
    assert "Mean is significantly better / worse" in out

    paper = get_paper("toypaper")
    assert paper.folder == folder.resolve() and paper.notes.startswith("A toy paper")
    assert reported_table("toypaper", "table1")["results"]["artificial"] == {
        "Mean": {"cosine": (0.9665, 0.0044), "chebyshev": (0.1202, None)},
        "Uniform": {"cosine": (0.5, None)},
    }
    assert get_reproduction("toypaper").paper == "toypaper"


def test_register_paper_takes_a_folder(tmp_path, restore_registries):
    folder = _write_paper(tmp_path / "toypaper")
    paper = register_paper(folder)
    assert paper.name == "toypaper" and "toypaper" in {p.name for p in list_papers()}
    assert reported_table("toypaper", "table1")["metrics"] == ["cosine", "chebyshev"]


def test_a_folder_that_declares_no_paper_is_refused(tmp_path, restore_registries):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not a paper folder"):
        register_paper(tmp_path / "empty")
    (tmp_path / "empty" / "__init__.py").write_text("X = 1\n")
    with pytest.raises(ValueError, match="declares no paper"):
        register_paper(tmp_path / "empty")


def test_every_builtin_paper_folder_declares_itself():
    names = {p.name for p in list_papers()}
    assert {"uaknn", "dildl", "amema", "conle"} <= names
    for paper in list_papers():
        assert paper.folder is not None and paper.notes
        assert paper.tables, f"{paper.name} has no reported table"

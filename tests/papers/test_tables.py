"""The reported-table loader, and every stored cell against the papers' text, digit for digit."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

from ldlkit.papers import TABLES_FILE, get_paper, list_papers, load_tables, read_cells


def _papers_text() -> Path:
    """``shared/papers`` beside the checkout (as CI lays it out), or beside ``LDLKIT_DATA``."""
    data = os.environ.get("LDLKIT_DATA")
    candidates = [Path(data).parent / "papers"] if data else []
    candidates.append(Path(__file__).resolve().parents[3] / "shared" / "papers")
    return next((c for c in candidates if c.is_dir()), candidates[-1])


PAPERS_TEXT = _papers_text()
REFERENCE = PAPERS_TEXT.parent / "REFERENCE.md"
#: Tables whose values are not in the paper's main text; where they were transcribed from.
OTHER_SOURCES = {("amema", "appendix"): REFERENCE}


def _numbers(text: str) -> tuple[set[str], set[str]]:
    """``(mean±std pairs, numbers)`` as printed, leading zeros restored (``.473`` -> ``0.473``)."""
    text = re.sub(r"\s*(±|\\pm)\s*", "±", text)
    text = re.sub(r"(?<![\d.])\.(\d)", r"0.\1", text)
    return set(re.findall(r"\d+\.\d+±\d+\.\d+", text)), set(re.findall(r"\d+\.\d+", text))


def _cells(paper):
    for key in tomllib.loads((paper.folder / TABLES_FILE).read_text(encoding="utf-8")):
        _, cells = read_cells(paper.folder / f"{key}.csv")
        for dataset, per_method in cells.items():
            for method, per_metric in per_method.items():
                for metric, text in per_metric.items():
                    yield key, f"{dataset} {method} {metric}", text


@pytest.mark.parametrize("name", ["uaknn", "dildl", "amema", "conle"])
def test_every_cell_appears_in_the_paper_as_printed(name):
    if not (PAPERS_TEXT / f"{name}.txt").is_file():
        pytest.skip(f"the paper's text ({PAPERS_TEXT / name}.txt) is not on this machine")
    own = _numbers((PAPERS_TEXT / f"{name}.txt").read_text(encoding="utf-8"))
    checked = 0
    for key, where, text in _cells(get_paper(name)):
        source = OTHER_SOURCES.get((name, key))
        pairs, numbers = own if source is None else _numbers(source.read_text(encoding="utf-8"))
        found = text in pairs if "±" in text else text in numbers
        assert found, f"{name} {key} {where}: {text!r} is not in {source or name + '.txt'}"
        checked += 1
    assert checked > 100


def test_the_cells_keep_trailing_zeros():
    _, cells = read_cells(get_paper("uaknn").folder / "table2.csv")
    assert cells["SJAFFE"]["INP"]["clark"] == "0.4008±0.0030"


def test_every_stored_table_loads_and_validates():
    for paper in list_papers():
        for key, table in paper.tables.items():
            assert table["results"], (paper.name, key)
            assert set(table) == {"caption", "protocol", "metrics", "results"}


def _folder(tmp_path, toml: str, csv: str) -> Path:
    (tmp_path / TABLES_FILE).write_text(toml, encoding="utf-8")
    (tmp_path / "t.csv").write_text(csv, encoding="utf-8")
    return tmp_path


TOML = '[t]\ncaption = "c"\nprotocol = "5-fold CV"\n'


def test_loader_reads_mean_std_and_means_only(tmp_path):
    folder = _folder(tmp_path, TOML, "dataset,method,cosine,clark\nd,m,0.90±0.01,\nd,n,0.8,1.5\n")
    table = load_tables(folder)["t"]
    assert table["results"]["d"] == {
        "m": {"cosine": (0.9, 0.01)},
        "n": {"cosine": (0.8, None), "clark": (1.5, None)},
    }


@pytest.mark.parametrize(
    ("toml", "csv", "message"),
    [
        (TOML, "dataset,method,cosine\nd,m,0.9\nd,m,0.8\n", "given twice"),
        (TOML, "dataset,method,cosine\nd,m,abc\n", "cannot read 'abc'"),
        (TOML, "dataset,method,cosine\nd,m\n", "2 cells, but the header has 3"),
        (TOML, "data,method,cosine\nd,m,0.9\n", "header must be dataset,method"),
        (TOML, "dataset,method,nope\nd,m,0.9\n", "unknown metric"),
        ('[t]\ncaption = "c"\n', "dataset,method,cosine\nd,m,0.9\n", "protocol"),
        (TOML + 'colour = "red"\n', "dataset,method,cosine\nd,m,0.9\n", "unknown field"),
        ("[t\n", "dataset,method,cosine\n", "tables.toml"),
    ],
)
def test_loader_errors_name_the_file_and_the_cell(tmp_path, toml, csv, message):
    with pytest.raises(ValueError, match=message):
        load_tables(_folder(tmp_path, toml, csv))


def test_a_missing_table_file_is_named(tmp_path):
    (tmp_path / TABLES_FILE).write_text(TOML)
    with pytest.raises(ValueError, match="t.csv"):
        load_tables(tmp_path)


def test_every_paper_data_file_is_package_data():
    """The tables install with the package (pyproject's package-data covers every data file)."""
    from fnmatch import fnmatch

    import ldlkit

    package = Path(ldlkit.__file__).parent
    pyproject = package.parents[1] / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("an installed copy: no pyproject.toml beside the package")
    patterns = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["ldlkit"]
    data = [
        f.relative_to(package).as_posix()
        for f in (package / "papers").rglob("*")
        if f.is_file() and f.suffix not in (".py", ".pyc") and "__pycache__" not in f.parts
    ]
    assert data
    missing = [f for f in data if not any(fnmatch(f, pattern) for pattern in patterns)]
    assert not missing, f"not installed with the package: {missing}"

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from ldlkit.experiments import (
    Results,
    compare,
    format_paper_vs_measured,
    format_table,
    load_table,
    paper_vs_measured,
    save_table,
)
from ldlkit.papers import (
    find_reported_table,
    list_reported,
    reported_table,
    validate_table,
)


@pytest.fixture
def results():
    rng = np.random.default_rng(0)
    records = []
    for dataset in ("SJAFFE", "Movie"):
        for method, shift in (("UAKNN", 0.0), ("AA-kNN", 0.05), ("Mean", 0.002)):
            for i in range(5):
                records.append(
                    {
                        "dataset": dataset,
                        "method": method,
                        "split": i,
                        "status": "ok",
                        "metrics": {
                            "chebyshev": 0.1 + shift + rng.normal(0, 0.004),
                            "cosine": 0.9 - shift + rng.normal(0, 0.004),
                        },
                    }
                )
    return Results(records)


@pytest.fixture
def table(results):
    return compare(results, reference="UAKNN")


REPORTED = {
    "caption": "a test table",
    "protocol": "10x5-fold CV",
    "metrics": ["chebyshev", "cosine"],
    "results": {
        "sjaffe": {"UAKNN": {"chebyshev": (0.0825, 0.0025), "cosine": (0.989, None)}},
        "SCUT": {"UAKNN": {"chebyshev": (0.3877, 0.0073)}},
    },
}


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_round_trip(table, tmp_path, suffix):
    path = save_table(table, tmp_path / f"table{suffix}")
    loaded = load_table(path)
    assert loaded == table
    assert format_table(loaded) == format_table(table)


def test_results_round_trip(results, tmp_path):
    path = results.save(tmp_path / "r.jsonl")
    assert compare(Results.load(path), reference="UAKNN") == compare(results, reference="UAKNN")


def test_markdown_layout(table):
    text = format_table(table)
    assert "#### Chebyshev ↓" in text
    assert "| Dataset | UAKNN | AA-kNN | Mean |" in text
    cell = table.cell("SJAFFE", "AA-kNN", "chebyshev")
    assert cell.marker == "•"
    assert f"{cell.mean:.4f} ± {cell.std:.4f}•" in text
    best = table.cell("SJAFFE", "UAKNN", "chebyshev")
    assert best.best and f"**{best.mean:.4f} ± {best.std:.4f}**" in text
    assert "Avg. rank" in text
    by_dataset = format_table(table, layout="per-dataset")
    assert "| SJAFFE | UAKNN |" in by_dataset


def test_other_formats(table):
    latex = format_table(table, "latex")
    assert r"\begin{tabular}" in latex and r"\textbf{" in latex and r"$^\bullet$" in latex
    rows = list(csv.DictReader(io.StringIO(format_table(table, "csv"))))
    assert len(rows) == 2 * 3 * 2
    assert json.loads(format_table(table, "json"))["reference"] == "UAKNN"
    with pytest.raises(ValueError, match="format"):
        format_table(table, "html")
    with pytest.raises(ValueError, match="not in the table"):
        format_table(table, metrics=["clark"])


def test_paper_vs_measured(table):
    rows = paper_vs_measured(table, validate_table(REPORTED))
    by_key = {(r["dataset"], r["method"], r["metric"]): r for r in rows}
    r = by_key[("SJAFFE", "UAKNN", "chebyshev")]
    assert r["paper_mean"] == 0.0825 and r["paper_std"] == 0.0025
    assert r["difference"] == pytest.approx(r["measured_mean"] - 0.0825)
    assert by_key[("SJAFFE", "UAKNN", "cosine")]["paper_std"] is None
    assert by_key[("Movie", "UAKNN", "chebyshev")]["paper_mean"] is None
    text = format_paper_vs_measured(rows)
    assert "0.0825 ± 0.0025" in text and "0.9890" in text
    assert format_paper_vs_measured(rows, "latex").startswith(r"\begin{tabular}")


def test_validate_table_errors():
    bad = dict(REPORTED, metrics=["no_such_metric"])
    with pytest.raises(ValueError, match="unknown metric"):
        validate_table(bad)
    with pytest.raises(ValueError, match="missing"):
        validate_table({"caption": "x"})
    bad = dict(REPORTED, results={"SJAFFE": {"UAKNN": {"chebyshev": 0.1}}})
    with pytest.raises(ValueError, match=r"\(mean, std\)"):
        validate_table(bad)
    bad = dict(REPORTED, results={"SJAFFE": {"UAKNN": {"clark": (0.1, 0.1)}}})
    with pytest.raises(ValueError, match="not in the table's metrics"):
        validate_table(bad)
    # Grouped names are those the runner scores: Euclidean over head/tail/all labels only.
    names = ["euclidean_head", "euclidean_tail", "euclidean_all"]
    grouped = dict(REPORTED, metrics=names, results={"Movie": {"M": {"euclidean_head": (1, None)}}})
    assert validate_table(grouped)["metrics"] == names
    with pytest.raises(ValueError, match="unknown metric 'cosine_head'"):
        validate_table(dict(REPORTED, metrics=["cosine_head"]))


def test_reported_registry_loader():
    listed = list_reported()
    assert all(len(item) == 3 for item in listed)
    assert find_reported_table("no_such_paper", "table1") is None
    with pytest.raises(KeyError, match="no reported values"):
        reported_table("no_such_paper", "table1")
    for paper, key, _ in listed:  # whatever modules exist must validate
        assert reported_table(paper, key)["results"]


def test_plots(table, tmp_path):
    pytest.importorskip("matplotlib")
    from ldlkit.experiments import plot_distributions, save_comparison_figures

    paths = save_comparison_figures(table, tmp_path / "figures")
    assert [p.name for p in paths] == ["chebyshev.png", "cosine.png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    D = np.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    fig = plot_distributions(D, {"mean": np.tile(D.mean(0), (3, 1))}, rows=[0, 2])
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 2
    with pytest.raises(ValueError, match="shape"):
        plot_distributions(D, np.ones((2, 3)) / 3)


def _parse_latex_cell(text: str) -> dict:
    """Read back one LaTeX table cell: mean, std, bold, marker."""
    marker = ""
    for symbol, code in (("•", r"$^\bullet$"), ("○", r"$^\circ$")):
        if text.endswith(code):
            marker, text = symbol, text[: -len(code)]
    best = text.startswith(r"\textbf{")
    if best:
        assert text.endswith("}")
        text = text[len(r"\textbf{") : -1]
    mean, std = text.split(r" $\pm$ ")
    return {"mean": float(mean), "std": float(std), "best": best, "marker": marker}


def test_latex_round_trip(table):
    latex = format_table(table, "latex")
    assert latex.count(r"\begin{tabular}") == len(table.metrics)
    assert latex.count("{") == latex.count("}")
    blocks = latex.split(r"\begin{table}")[1:]
    for metric, block in zip(table.metrics, blocks):
        lines = [line.removesuffix(r" \\") for line in block.splitlines() if line.endswith(r"\\")]
        header, *rows, ranks = lines
        assert header.split(" & ")[1:] == table.methods
        for line in rows:
            dataset, *cells = line.split(" & ")
            for method, text in zip(table.methods, cells):
                cell = table.cell(dataset, method, metric)
                parsed = _parse_latex_cell(text)
                assert parsed["mean"] == pytest.approx(cell.mean, abs=5e-5)
                assert parsed["std"] == pytest.approx(cell.std, abs=5e-5)
                assert (parsed["best"], parsed["marker"]) == (cell.best, cell.marker)
        label, *values = ranks.split(" & ")
        assert label == "Avg. rank"
        assert [float(v) for v in values] == pytest.approx(
            [table.ranks[metric][m] for m in table.methods], abs=5e-3
        )


def test_latex_escapes_names_and_keeps_notes(results):
    renamed = Results(
        [dict(r, method=r["method"].replace("AA-kNN", "k_NN{4}&50%#~^\\")) for r in results.records]
        + [{"dataset": "SJAFFE", "method": "UAKNN", "split": 9, "status": "failed",
            "error": "E", "metrics": {}}]
    )  # fmt: skip
    latex = format_table(compare(renamed, reference="UAKNN"), "latex")
    assert r"k\_NN\{4\}\&50\%\#\textasciitilde{}\textasciicircum{}\textbackslash{}" in latex
    assert "% 1 fold(s) failed" in latex  # the table's notes survive as comments
    assert "–" not in latex  # no Unicode dash in LaTeX


def test_paper_vs_measured_round_trips_through_json_and_csv(table):
    rows = paper_vs_measured(table, validate_table(REPORTED))
    assert json.loads(format_paper_vs_measured(rows, "json")) == rows
    back = list(csv.DictReader(io.StringIO(format_paper_vs_measured(rows, "csv"))))
    numeric = ("paper_mean", "paper_std", "measured_mean", "measured_std", "difference")
    for original, read in zip(rows, back, strict=True):
        for key, value in original.items():
            if key in numeric:
                assert (None if read[key] == "" else float(read[key])) == value
            else:
                assert read[key] == value


def test_reported_values_keep_their_digits(table):
    reported = {"results": {"SJAFFE": {"UAKNN": {"chebyshev": (0.04015, 0.0014)}}}}
    rows = [r for r in paper_vs_measured(table, reported) if r["paper_mean"] is not None]
    assert "0.04015 ± 0.0014" in format_paper_vs_measured(rows)
    assert r"0.04015 $\pm$ 0.0014" in format_paper_vs_measured(rows, "latex")


def test_distribution_figures_from_saved_samples(tmp_path):
    pytest.importorskip("matplotlib")
    from ldlkit.experiments import save_distribution_figures

    sample = {"rows": [4, 7], "true": [[0.2, 0.8], [0.5, 0.5]], "predicted": [[0.3, 0.7]] * 2}
    res = Results(
        [
            {"dataset": "a/b", "method": m, "split": 0, "status": "ok", "metrics": {},
             "sample": sample}
            for m in ("x", "y")
        ]
        + [{"dataset": "plain", "method": "x", "split": 0, "status": "ok", "metrics": {}}]
    )  # fmt: skip
    paths = save_distribution_figures(res, tmp_path)
    assert [p.name for p in paths] == ["distributions_a_b.png"]
    assert paths[0].stat().st_size > 1000

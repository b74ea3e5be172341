"""The `ildl` and `ildl-ablation` reproductions: registered, and their names line up with the
papers' tables so that reported numbers appear beside measured ones."""

from __future__ import annotations

from ldlkit.experiments import get_reproduction
from ldlkit.papers import reported_table


def test_ildl_lists_every_method_of_the_papers_tables_and_the_trivial_rows():
    repro = get_reproduction("ildl")
    assert repro.protocol_kind == "ildl" and (repro.n_splits, repro.n_repeats) == (10, 1)
    assert repro.datasets == ("Movie", "SCUT_FBP", "emotion6")
    for table in ("table1", "table2"):
        for per_method in reported_table("amema", table)["results"].values():
            assert set(per_method) <= set(repro.methods)
    for per_method in reported_table("dildl", "table5")["results"].values():
        assert set(per_method) <= set(repro.methods)
    assert repro.methods["Uniform"] == ("UniformPredictor", {})
    assert repro.methods["Training mean"] == ("MeanPredictor", {})
    assert {"euclidean_all", "euclidean_head", "euclidean_tail"} <= set(repro.metrics)


def test_ablation_rows_match_both_papers_table_3():
    repro = get_reproduction("ildl-ablation")
    for paper in ("amema", "dildl"):
        for per_method in reported_table(paper, "table3")["results"].values():
            assert set(per_method) <= set(repro.methods)
    assert repro.methods["DILDL w/o DRDA and DLD"][1] == {
        "decoupled_loss": False,
        "decoupled_alignment": False,
    }
    assert repro.methods["AMEMA w/o WEIG"][1] == {"adaptive_weights": False}

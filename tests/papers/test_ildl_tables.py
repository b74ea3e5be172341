"""The AMEMA and DILDL reported tables: valid, complete, and digit-for-digit from the papers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ldlkit.papers import reported_table

PAPERS = Path("/work/shared/papers")
DATASETS = {"Movie", "SCUT_FBP", "emotion6", "Flickr_LDL", "RAF_ML", "Natural_Scene"}


@pytest.mark.parametrize(
    ("paper", "table", "n_methods"),
    [
        ("dildl", "table1", 11),
        ("dildl", "table2", 11),
        ("dildl", "table5", 11),
        ("amema", "table1", 12),
        ("amema", "table2", 12),
    ],
)
def test_main_tables_cover_every_method_and_dataset(paper, table, n_methods):
    results = reported_table(paper, table)["results"]
    assert set(results) == DATASETS
    for per_method in results.values():
        assert len(per_method) == n_methods
        assert "RDA" in per_method and "OFR-DB" in per_method and "DILDL" in per_method


def test_spot_values():
    assert reported_table("dildl", "table2")["results"]["Movie"]["RDA"]["kl_divergence"] == (
        0.2491,
        0.0149,
    )
    assert reported_table("amema", "table2")["results"]["Movie"]["AMEMA"]["kl_divergence"] == (
        0.1924,
        0.0075,
    )
    movie = reported_table("dildl", "table5")["results"]["Movie"]["DILDL"]
    assert movie == {
        "euclidean_all": (0.251, None),
        "euclidean_tail": (0.227, None),
        "euclidean_head": (0.133, None),
    }
    ablation = reported_table("amema", "table3")["results"]
    assert ablation["Movie"]["AMEMA w/o WEIG and MOME"]["kl_divergence"] == (0.221, None)
    assert ablation["Natural_Scene"]["AMEMA"]["kl_divergence"] == (0.834, None)


@pytest.mark.skipif(not PAPERS.is_dir(), reason="the papers' text is not on this machine")
@pytest.mark.parametrize("paper", ["dildl", "amema"])
def test_every_mean_and_std_appears_in_the_paper(paper):
    text = (PAPERS / f"{paper}.txt").read_text()
    pairs = set(re.findall(r"(\d*\.\d+)±(\d*\.\d+)", text))
    numbers = {(float(m), float(s)) for m, s in pairs}
    for key in ("table1", "table2"):
        for per_method in reported_table(paper, key)["results"].values():
            for per_metric in per_method.values():
                for value in per_metric.values():
                    assert value in numbers, f"{paper} {key}: {value} not in the paper"

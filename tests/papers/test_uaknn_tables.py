"""The UAKNN paper's reported tables: structure, names, and a few spot checks against the text."""

from __future__ import annotations

import numbers

from ldlkit.datasets import get_dataset_info
from ldlkit.metrics import get_metric
from ldlkit.papers import get_paper

TABLES = get_paper("uaknn").tables


def test_structure():
    assert get_paper("uaknn").title.startswith("UAKNN")
    assert {"table2", "table3", "table4"} <= set(TABLES)
    for key, table in TABLES.items():
        assert set(table) == {"caption", "protocol", "metrics", "results"}, key
        assert isinstance(table["caption"], str) and isinstance(table["protocol"], str)
        for metric in table["metrics"]:
            assert get_metric(metric).name == metric
        for dataset, methods in table["results"].items():
            assert get_dataset_info(dataset).name == dataset
            for method, values in methods.items():
                assert set(values) == set(table["metrics"]), (key, dataset, method)
                for mean, std in values.values():
                    assert isinstance(mean, numbers.Real)
                    assert std is None or (isinstance(std, numbers.Real) and std >= 0)


def test_paper_datasets_and_methods():
    t2 = TABLES["table2"]["results"]
    for dataset in ("SJAFFE", "SBU_3DFE", "Movie", "M2B", "SCUT_FBP"):
        assert {"UAKNN", "WUAKNN", "INP", "BFGS-LLD", "LALOT"} <= set(t2[dataset])
    ablation = TABLES["table4"]["results"]["Human_Gene"]
    assert set(ablation) == {
        "UAKNN",
        "UAKNN w/o prototype matching",
        "UAKNN w/o micro-perturbation",
    }


def test_spot_checks_against_the_paper_text():
    t2 = TABLES["table2"]["results"]
    assert t2["SJAFFE"]["UAKNN"]["chebyshev"] == (0.0825, 0.0025)
    assert t2["M2B"]["UAKNN"]["cosine"] == (0.8026, 0.0034)
    assert t2["SCUT_FBP"]["WUAKNN"]["kl_divergence"] == (0.5125, 0.0088)
    assert t2["Movie"]["LALOT"]["canberra"] == (1.111, 0.0040)
    assert TABLES["table3"]["results"]["Flickr_LDL"]["INP"]["intersection"] == (
        0.7741,
        0.0025,
    )
    t4 = TABLES["table4"]["results"]["Human_Gene"]
    assert t4["UAKNN w/o prototype matching"]["clark"] == (2.1531, 0.0111)

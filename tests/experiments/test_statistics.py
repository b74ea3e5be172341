from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ldlkit.experiments import (
    BETTER,
    WORSE,
    Results,
    average_ranks,
    compare,
    paired_ttest,
    significance_marker,
)


def _results(values: dict, metric: str = "kl_divergence") -> Results:
    """values: {(dataset, method): [score per fold]}"""
    return Results(
        [
            {"dataset": d, "method": m, "split": i, "status": "ok", "metrics": {metric: v}}
            for (d, m), scores in values.items()
            for i, v in enumerate(scores)
        ]
    )


def test_paired_ttest_matches_scipy(rng):
    for _ in range(20):
        a = rng.normal(size=10)
        b = a + rng.normal(0.3, 0.5, size=10)
        t, p = paired_ttest(a, b)
        ref = stats.ttest_rel(a, b)
        assert t == pytest.approx(ref.statistic)
        assert p == pytest.approx(ref.pvalue)


@pytest.mark.parametrize("greater_is_better", [True, False])
def test_markers_against_scipy(rng, greater_is_better):
    for shift in np.linspace(-0.6, 0.6, 13):
        ref = rng.normal(0.5, 0.1, size=10)
        other = ref + shift + rng.normal(0, 0.1, size=10)
        p = stats.ttest_rel(ref, other).pvalue
        marker = significance_marker(ref, other, greater_is_better=greater_is_better)
        if p >= 0.05:
            assert marker == ""
        else:
            ref_better = (ref.mean() > other.mean()) == greater_is_better
            assert marker == (BETTER if ref_better else WORSE)


def test_marker_edge_cases():
    assert significance_marker([0.1, 0.2], [0.1, 0.2], greater_is_better=True) == ""
    assert significance_marker([0.1], [0.5], greater_is_better=True) == ""
    with pytest.raises(ValueError, match="same length"):
        paired_ttest([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="alpha"):
        significance_marker([1, 2], [2, 3], greater_is_better=True, alpha=2)


def test_average_ranks_with_ties_and_direction():
    means = {
        "d1": {"a": 0.1, "b": 0.2, "c": 0.3},
        "d2": {"a": 0.5, "b": 0.5, "c": 0.1},
        "d3": {"a": 0.2, "b": 0.1},  # c missing here
    }
    low = average_ranks(means, greater_is_better=False)
    assert low == pytest.approx({"a": (1 + 2.5 + 2) / 3, "b": (2 + 2.5 + 1) / 3, "c": (3 + 1) / 2})
    high = average_ranks(means, greater_is_better=True)
    assert high == pytest.approx({"a": (3 + 1.5 + 1) / 3, "b": (2 + 1.5 + 2) / 3, "c": (1 + 3) / 2})


def test_compare_builds_cells_markers_best_and_ranks():
    ref = [0.10, 0.12, 0.11, 0.13, 0.10]
    worse = [0.30, 0.33, 0.29, 0.35, 0.31]
    same = [0.12, 0.12, 0.13, 0.12, 0.11]
    res = _results(
        {("x", "ref"): ref, ("x", "worse"): worse, ("x", "same"): same,
         ("y", "ref"): worse, ("y", "worse"): ref, ("y", "same"): worse}
    )  # fmt: skip
    table = compare(res, reference="ref")
    cell = table.cell("x", "worse", "kl_divergence")
    assert cell.mean == pytest.approx(np.mean(worse))
    assert cell.std == pytest.approx(np.std(worse))
    assert cell.marker == BETTER  # KL: lower is better, the reference is lower
    assert table.cell("y", "worse", "kl_divergence").marker == WORSE
    assert table.cell("x", "same", "kl_divergence").marker == ""
    assert table.cell("x", "ref", "kl_divergence").best
    assert table.cell("y", "worse", "kl_divergence").best
    assert not table.cell("x", "worse", "kl_divergence").best
    assert table.ranks["kl_divergence"]["ref"] == pytest.approx((1 + 2.5) / 2)
    assert compare(res, reference="ref", ddof=1).cell("x", "ref", "kl_divergence").std == (
        pytest.approx(np.std(ref, ddof=1))
    )


def test_compare_uses_matched_folds_and_reports_failures():
    res = _results({("x", "ref"): [0.1, 0.2, 0.3, 0.4], ("x", "m"): [0.5, 0.6, 0.7, 0.8]})
    res.records.append(
        {"dataset": "x", "method": "m", "split": 9, "status": "failed", "error": "E", "metrics": {}}
    )
    table = compare(res, reference="ref")
    assert table.cell("x", "m", "kl_divergence").n == 4
    assert any("failed" in note for note in table.notes)
    with pytest.raises(ValueError, match="reference"):
        compare(res, reference="nope")


def test_compare_pvalues_and_markers_match_scipy_on_matched_folds(rng):
    ref = rng.normal(0.5, 0.05, size=8)
    others = {f"m{i}": ref + shift + rng.normal(0, 0.05, size=8) for i, shift in
              enumerate((-0.1, -0.03, 0.0, 0.03, 0.1))}  # fmt: skip
    values = {("d", "ref"): ref, **{("d", m): v for m, v in others.items()}}
    res = _results(values, metric="cosine")
    # Split 3 of m0 failed: the test must pair the remaining seven folds only.
    res.records = [r for r in res.records if not (r["method"] == "m0" and r["split"] == 3)]
    table = compare(res, reference="ref")
    for method, scores in others.items():
        keep = [i for i in range(8) if not (method == "m0" and i == 3)]
        expected = stats.ttest_rel(ref[keep], scores[keep])
        cell = table.cell("d", method, "cosine")
        assert cell.pvalue == pytest.approx(expected.pvalue)
        if expected.pvalue >= 0.05:
            assert cell.marker == ""
        else:  # cosine: higher is better
            assert cell.marker == (BETTER if ref[keep].mean() > scores[keep].mean() else WORSE)
    assert table.cell("d", "ref", "cosine").marker == ""

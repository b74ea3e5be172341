"""The paper's label-normalisation evaluation scheme as a metric wrapper."""

from __future__ import annotations

import numpy as np
import pytest

from ldlkit.metrics import chebyshev, cosine, kl_divergence
from ldlkit.neighbors import label_normalized_metric


def _soft2(v):
    return 2.0**v / (2.0**v).sum()


def test_by_hand():
    D = np.array([[0.6, 0.39, 0.01], [0.2, 0.5, 0.3]])
    P = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    # Row 0 keeps labels 0 and 1 (0.01 <= 0.014), row 1 keeps all three.
    t0, p0 = _soft2(D[0, :2]), _soft2(P[0, :2])
    t1, p1 = _soft2(D[1]), _soft2(P[1])
    expected = np.mean([kl_divergence(t0[None], p0[None]), kl_divergence(t1[None], p1[None])])
    assert label_normalized_metric("kl")(D, P) == pytest.approx(expected, abs=1e-12)
    per_row = label_normalized_metric(cosine)(D, P, average=False)
    assert per_row[0] == pytest.approx(cosine(t0[None], p0[None]), abs=1e-12)


def test_threshold_and_base_and_names():
    D = np.array([[0.5, 0.3, 0.2]])
    P = np.array([[0.2, 0.3, 0.5]])
    strict = label_normalized_metric("chebyshev", threshold=0.25, base=3.0)
    t, p = 3.0 ** D[0, :2], 3.0 ** P[0, :2]
    assert strict(D, P) == pytest.approx(chebyshev((t / t.sum())[None], (p / p.sum())[None]))
    assert strict.__name__ == "label_normalized_chebyshev"
    # No degree above the threshold: the largest label is kept, so the comparison is trivial.
    assert label_normalized_metric("cosine", threshold=0.9)(D, P) == pytest.approx(1.0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="threshold"):
        label_normalized_metric("cosine", threshold=1.5)
    with pytest.raises(ValueError, match="base"):
        label_normalized_metric("cosine", base=1.0)
    with pytest.raises(ValueError, match="unknown metric"):
        label_normalized_metric("nope")


@pytest.mark.parametrize(
    "name",
    ["chebyshev", "clark", "canberra", "kl_divergence", "cosine", "intersection", "euclidean"],
)
def test_equals_comparing_the_shortened_vectors(name):
    # Dropped labels are zero in both vectors; every metric must treat that as no disagreement,
    # so the wrapper equals comparing only the kept labels.
    from ldlkit.metrics import get_metric

    rng = np.random.default_rng(0)
    D = rng.dirichlet(np.full(8, 0.3), size=40)
    P = rng.dirichlet(np.ones(8), size=40)
    metric = get_metric(name).function
    expected = []
    for d, p in zip(D, P):
        keep = d > 0.014
        t, q = _soft2(d[keep]), _soft2(p[keep])
        expected.append(metric(t[None], q[None]))
    assert (D <= 0.014).any(axis=1).mean() > 0.5  # most rows really drop labels
    np.testing.assert_allclose(
        label_normalized_metric(name)(D, P, average=False), expected, rtol=1e-10, atol=1e-12
    )


def test_public_name_is_the_metrics_function():
    import ldlkit.metrics
    import ldlkit.neighbors

    assert ldlkit.neighbors.label_normalized_metric is ldlkit.metrics.label_normalized_metric

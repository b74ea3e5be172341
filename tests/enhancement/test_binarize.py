from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ldlkit.enhancement import binarize


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ([0.6, 0.3, 0.1], [1, 0, 0]),
        ([0.5, 0.3, 0.2], [1, 1, 0]),  # 0.5 is not > 0.5: the next label is needed
        ([0.3, 0.5, 0.2], [1, 1, 0]),
        ([0.2, 0.2, 0.2, 0.4], [1, 0, 0, 1]),  # ties broken by label index: label 0 first
        ([0.25, 0.25, 0.25, 0.25], [1, 1, 1, 0]),
        ([0.0, 1.0], [0, 1]),
        ([0.1, 0.4, 0.5], [0, 1, 1]),
    ],
)
def test_hand_cases(row, expected):
    np.testing.assert_array_equal(binarize([row])[0], expected)


def test_strict_rule_differs_from_greater_or_equal():
    # With ">=" the first label alone would be relevant.
    assert binarize([[0.5, 0.25, 0.25]]).sum() == 2


def test_threshold_and_bad_input():
    assert binarize([[0.4, 0.35, 0.25]], threshold=0.0).tolist() == [[1, 0, 0]]
    with pytest.raises(ValueError, match="threshold"):
        binarize([[0.5, 0.5]], threshold=1.0)
    with pytest.raises(ValueError, match="D"):
        binarize([[0.5, 0.6]])
    with pytest.raises(ValueError, match="negative"):
        binarize([[-0.5, 1.5]])


def test_does_not_mutate_input():
    D = np.array([[0.2, 0.8], [0.7, 0.3]])
    before = D.copy()
    binarize(D)
    np.testing.assert_array_equal(D, before)


positive_rows = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(2, 7)),
    elements=st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False),
).filter(lambda a: (a.sum(axis=1) > 1e-3).all())


@settings(max_examples=150, deadline=None)
@given(positive_rows)
def test_relevant_set_is_the_smallest_top_set_with_mass_over_half(raw):
    D = raw / raw.sum(axis=1, keepdims=True)
    logical = binarize(D)
    assert set(np.unique(logical)) <= {0.0, 1.0}
    for d, l in zip(D, logical):
        relevant = l == 1
        assert relevant.any()
        # Every relevant label has a degree at least as large as every irrelevant one.
        if (~relevant).any():
            assert d[relevant].min() >= d[~relevant].max()
        # Direct computation: walk the labels in decreasing order (stable on ties).
        order = np.argsort(-d, kind="stable")
        expected = np.zeros_like(d)
        total = 0.0
        for j in order:
            expected[j] = 1
            total += d[j]
            if total > 0.5:
                break
        np.testing.assert_array_equal(l, expected)

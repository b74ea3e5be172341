"""Issue 13: input that numpy would quietly accept as numbers, and logical labels passed as D."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from ldlkit._validation import check_distributions, check_features
from ldlkit.datasets import make_artificial
from ldlkit.dummy import MeanPredictor
from ldlkit.neighbors import AAKNN

X, D = make_artificial(30, random_state=0)
LOGICAL = np.array([[1, 0, 1], [0, 1, 1], [1, 0, 0], [1, 1, 1]] * 5, dtype=float)


@pytest.mark.parametrize(
    "bad",
    [
        np.array([["2020-01-01", "2020-01-02"]] * 3, dtype="datetime64[D]"),
        np.array([[1, 2]] * 3, dtype="timedelta64[s]"),
        np.array([[np.datetime64("2020-01-01"), 1.0]] * 3, dtype=object),
        np.array([[datetime.datetime(2020, 1, 1), 1.0]] * 3, dtype=object),
        np.array([[datetime.timedelta(days=1), 1.0]] * 3, dtype=object),
    ],
    ids=["datetime64", "timedelta64", "object-datetime64", "object-datetime", "object-timedelta"],
)
def test_dates_and_durations_are_refused_with_a_type_error(bad):
    with pytest.raises(TypeError, match="date or duration|dates or durations"):
        check_features(bad)
    with pytest.raises(TypeError):
        MeanPredictor().fit(bad, D[:3])
    model = MeanPredictor().fit(X[:, :2], D)
    with pytest.raises(TypeError):
        model.predict(bad)


def test_complex_input_is_a_type_error_and_still_a_value_error():
    for bad in (np.array([[1 + 2j, 1.0]] * 3), np.array([[1 + 2j, 1.0]] * 3, dtype=object)):
        with pytest.raises(TypeError, match="real-valued"):
            check_features(bad)
        with pytest.raises(ValueError, match="Complex data not supported"):  # scikit-learn's check
            check_features(bad)


def test_object_arrays_of_plain_numbers_are_still_accepted():
    assert check_features(np.array([[1, 2.5]], dtype=object)).dtype == np.float64


@pytest.mark.parametrize("renormalize", [False, True])
def test_logical_labels_point_to_label_enhancement(renormalize):
    with pytest.raises(ValueError, match=r"0/1 logical labels.*ldlkit\.enhancement") as info:
        check_distributions(LOGICAL, renormalize=renormalize)
    assert "pass renormalize=True" not in str(info.value)
    Xl = np.random.default_rng(0).normal(size=(len(LOGICAL), 3))
    with pytest.raises(ValueError, match="logical labels"):
        AAKNN(k=3).fit(Xl, LOGICAL, renormalize=renormalize)


def test_one_hot_rows_are_valid_distributions_and_other_sums_keep_their_advice():
    one_hot = np.eye(3)[[0, 1, 2, 0]]
    np.testing.assert_array_equal(check_distributions(one_hot), one_hot)
    with pytest.raises(ValueError, match="pass renormalize=True"):
        check_distributions([[0.5, 0.7], [0.2, 0.8]])
    np.testing.assert_allclose(
        check_distributions([[0.5, 0.7], [0.2, 0.8]], renormalize=True).sum(axis=1), 1.0
    )

"""Feature names as scikit-learn keeps them: ``feature_names_in_`` from a DataFrame, checked at
predict (reordered, missing or unexpected columns are an error, not a silent mix-up)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ldlkit import all_estimators
from ldlkit.base import get_tags
from ldlkit.datasets import make_artificial


class Frame:
    """A minimal DataFrame-like table (pandas may not be installed): named columns + __array__."""

    def __init__(self, values, columns) -> None:
        self.values = np.asarray(values, dtype=float)
        self.columns = list(columns)

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def shape(self):
        return self.values.shape

    def __getitem__(self, names):
        if isinstance(names, slice):  # rows
            return Frame(self.values[names], self.columns)
        names = list(names)
        return Frame(self.values[:, [self.columns.index(n) for n in names]], names)


def _frames():
    kinds = ["stub"]
    try:
        import pandas  # noqa: F401

        kinds.append("pandas")
    except ImportError:
        pass
    return kinds


def make_frame(kind, values, columns):
    if kind == "pandas":
        import pandas as pd

        return pd.DataFrame(values, columns=columns)
    return Frame(values, columns)


def reorder(frame, names):
    return frame[list(names)]


COLUMNS = ["age", "height", "weight"]


def _estimators():
    out = []
    for name, cls in all_estimators():
        tags = get_tags(cls).ldl
        if tags.kind == "le" and not tags.transform:
            continue
        out.append(pytest.param(cls, id=name))
    return out


@pytest.fixture(scope="module")
def data():
    X, D = make_artificial(40, noise=0.05, random_state=1)
    return X, D, (D > D.mean(axis=1, keepdims=True)).astype(float)


def _fit(cls, frame, data):
    tags = get_tags(cls).ldl
    if tags.requires_torch:
        pytest.importorskip("torch")
    est = cls(**tags.test_params)
    if "random_state" in est.get_params():
        est.set_params(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(frame, data[2] if tags.kind == "le" else data[1])


def _apply(est, X):
    return est.transform(X) if get_tags(est).ldl.kind == "le" else est.predict(X)


@pytest.mark.parametrize("kind", _frames())
@pytest.mark.parametrize("cls", _estimators())
def test_names_are_kept_and_checked_at_predict(cls, kind, data):
    X = data[0]
    frame = make_frame(kind, X, COLUMNS)
    est = _fit(cls, frame, data)
    assert list(est.feature_names_in_) == COLUMNS
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the same columns: no warning
        P = _apply(est, frame)
    shuffled = reorder(frame, ["weight", "age", "height"])
    with pytest.raises(ValueError, match="in another order"):
        _apply(est, shuffled)
    renamed = make_frame(kind, X, ["age", "height", "bmi"])
    with pytest.raises(ValueError, match="missing: weight; not seen at fit: bmi"):
        _apply(est, renamed)
    with pytest.raises(ValueError, match="missing: weight"):
        _apply(est, make_frame(kind, X[:, :2], ["age", "height"]))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_allclose(_apply(est, X), P)


def test_refit_on_an_array_forgets_the_names_and_partial_fit_checks_them(data):
    from ldlkit.neighbors import AAKNN

    X, D, _ = data
    frame = Frame(X, COLUMNS)
    model = AAKNN(k=3).fit(frame, D)
    with pytest.raises(ValueError, match="another order"):
        model.partial_fit(reorder(frame, ["height", "age", "weight"])[:2], D[:2])
    model.partial_fit(frame[COLUMNS][:2], D[:2])
    model.fit(X, D)
    assert not hasattr(model, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without feature names"):
        model.predict(frame)


def test_non_string_or_mixed_column_names(data):
    from ldlkit.dummy import MeanPredictor

    X, D, _ = data
    model = MeanPredictor().fit(Frame(X, [0, 1, 2]), D)  # pandas' default integer columns
    assert not hasattr(model, "feature_names_in_")
    with pytest.raises(TypeError, match="several types"):
        MeanPredictor().fit(Frame(X, ["a", 1, "c"]), D)


def test_names_survive_a_saved_model(tmp_path, data):
    from ldlkit.deploy import load_model, save_model
    from ldlkit.neighbors import AAKNN

    X, D, _ = data
    frame = Frame(X, COLUMNS)
    save_model(AAKNN(k=3).fit(frame, D), tmp_path / "m.ldl")
    loaded = load_model(tmp_path / "m.ldl")
    assert list(loaded.feature_names_in_) == COLUMNS
    with pytest.raises(ValueError, match="another order"):
        loaded.predict(reorder(frame, ["weight", "height", "age"]))

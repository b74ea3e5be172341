"""Checks every registered estimator must pass (found through ``ldlkit.all_estimators``).

A new estimator is picked up automatically; ``_test_params`` on its class keeps it fast here.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import json
import pickle
import pkgutil
import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone

import ldlkit
from ldlkit import all_estimators, get_estimator
from ldlkit.base import BaseLabelEnhancer, BaseLDL, get_tags
from ldlkit.datasets import make_artificial
from ldlkit.dummy import MeanPredictor as DummyMeanPredictor

LDL_ESTIMATORS = all_estimators("ldl")
LE_ESTIMATORS = all_estimators("le")
IDS_LDL = [name for name, _ in LDL_ESTIMATORS]
IDS_LE = [name for name, _ in LE_ESTIMATORS]

# No label enhancer is registered yet: the LE checks show one skip with this reason instead of
# pytest's "got empty parameter set". As soon as an enhancer is registered the list is non-empty
# and every check runs on it (test_every_estimator_class_is_registered makes sure a new enhancer
# cannot silently miss the registry).
NO_LE_REASON = "no label enhancers registered yet (ldlkit.enhancement defines none)"
LE_PARAMS = LE_ESTIMATORS or [pytest.param(None, None, marks=pytest.mark.skip(reason=NO_LE_REASON))]
IDS_LE_PARAMS = IDS_LE or ["no-enhancer"]


def make_estimator(cls, **overrides):
    tags = get_tags(cls).ldl
    if tags.requires_torch:
        pytest.importorskip("torch")
    params = {**tags.test_params, **overrides}
    return cls(**params)


def with_seed(est, seed=0):
    if "random_state" in est.get_params():
        est.set_params(random_state=seed)
    return est


@pytest.fixture(scope="module")
def data():
    X, D = make_artificial(40, noise=0.05, random_state=1)
    return X[:30], D[:30], X[30:], D[30:]


def assert_on_simplex(P, n_rows, n_labels):
    assert P.shape == (n_rows, n_labels)
    assert np.isfinite(P).all()
    assert (P >= 0).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-9)


def test_registry_is_not_empty():
    assert "MeanPredictor" in IDS_LDL
    for name, cls in LDL_ESTIMATORS + LE_ESTIMATORS:
        assert cls.__name__ == name
        assert not name.startswith("_")


def _public_estimator_classes():
    """Every public, concrete estimator class defined in any module of the ldlkit package."""
    found = {}
    for module_info in pkgutil.walk_packages(ldlkit.__path__, prefix="ldlkit."):
        try:
            module = importlib.import_module(module_info.name)
        except ModuleNotFoundError as exc:  # an optional extra (torch) missing: as the registry
            if exc.name is None or exc.name.split(".")[0] == "ldlkit":
                raise
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, BaseLDL | BaseLabelEnhancer)
                and obj.__module__ == module.__name__
                and not obj.__name__.startswith("_")
                and not obj.__dict__.get("_abstract", False)
                and not inspect.isabstract(obj)
            ):
                found[obj.__name__] = obj
    return found


def test_every_estimator_class_is_registered():
    # Guards the registry itself: a module the registry's walk does not reach, or a class that
    # fails to register, would otherwise drop out of every common check without a sound.
    # The registry is read in a fresh interpreter, where only all_estimators() imports modules.
    code = (
        "import json, ldlkit\n"
        "print(json.dumps({k: [n for n, _ in ldlkit.all_estimators(k)] for k in ('ldl', 'le')}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    fresh = json.loads(result.stdout.strip().splitlines()[-1])
    defined = _public_estimator_classes()
    assert "MeanPredictor" in defined
    for kind, base in (("ldl", BaseLDL), ("le", BaseLabelEnhancer)):
        expected = sorted(n for n, c in defined.items() if issubclass(c, base))
        assert fresh[kind] == expected, f"{kind}: registered {fresh[kind]}, defined {expected}"


def test_user_subclasses_are_not_registered_and_never_clash():
    # A user's class may reuse an ldlkit name; it must neither raise nor replace ldlkit's entry.
    class MeanPredictor(BaseLDL):
        def __init__(self):
            pass

    class MyEnhancer(BaseLabelEnhancer):
        def __init__(self):
            pass

    registered = dict(all_estimators())
    assert registered["MeanPredictor"] is DummyMeanPredictor
    assert "MyEnhancer" not in registered
    assert MeanPredictor().get_params() == {}


FOUNDATION_MODULES = [
    "ldlkit.base",
    "ldlkit.dummy",
    "ldlkit.metrics",
    "ldlkit._validation",
    "ldlkit.datasets._artificial",
    "ldlkit.datasets._loaders",
    "ldlkit.datasets._registry",
]


@pytest.mark.parametrize("module_name", FOUNDATION_MODULES)
def test_docstring_examples_run(module_name):
    from ldlkit.datasets import _registry

    module = importlib.import_module(module_name)
    saved = dict(_registry.DATASETS), dict(_registry._BY_KEY)
    try:
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    finally:  # examples may register a dataset: leave the registry as it was
        _registry.DATASETS.clear()
        _registry.DATASETS.update(saved[0])
        _registry._BY_KEY.clear()
        _registry._BY_KEY.update(saved[1])
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {module_name}"


def test_torch_estimators_without_torch_name_the_extra(monkeypatch, data):
    # The gate every torch estimator goes through: fit raises an ImportError naming the extra
    # (setting sys.modules["torch"] to None makes "import torch" fail as if it were absent).
    class _NeedsTorch:
        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.ldl.requires_torch = True
            return tags

    class _TorchLDL(_NeedsTorch, BaseLDL):
        def __init__(self):
            pass

    class _TorchLE(_NeedsTorch, BaseLabelEnhancer):
        def __init__(self):
            pass

    monkeypatch.setitem(sys.modules, "torch", None)
    X, D, _, _ = data
    with pytest.raises(ImportError, match=r"_TorchLDL needs PyTorch.*ldlkit\[torch\]"):
        _TorchLDL().fit(X, D)
    with pytest.raises(ImportError, match=r"_TorchLE needs PyTorch.*ldlkit\[torch\]"):
        _TorchLE().fit(X, np.eye(3)[np.arange(len(X)) % 3])


def test_get_estimator_and_kind_errors():
    assert get_estimator("meanpredictor") is DummyMeanPredictor
    with pytest.raises(ValueError, match="unknown estimator 'NoSuch'.*MeanPredictor"):
        get_estimator("NoSuch")
    with pytest.raises(ValueError, match="kind must be 'ldl', 'le' or None"):
        all_estimators("classifier")


# --- scikit-learn contract --------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS + LE_ESTIMATORS, ids=IDS_LDL + IDS_LE)
def test_constructor_only_stores_keyword_params(name, cls):
    signature = inspect.signature(cls.__init__)
    for pname, param in list(signature.parameters.items())[1:]:
        assert param.kind in (param.KEYWORD_ONLY, param.VAR_KEYWORD), (
            f"{name}.__init__ parameter {pname!r} must be keyword-only"
        )
    est = make_estimator(cls)
    params = est.get_params(deep=False)
    for key, value in get_tags(cls).ldl.test_params.items():
        assert params[key] is value, f"{name} changed {key} in __init__"
    assert not [a for a in vars(est) if a.endswith("_") and not a.startswith("_")], (
        f"{name}.__init__ set fitted attributes"
    )


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS + LE_ESTIMATORS, ids=IDS_LDL + IDS_LE)
def test_clone_and_params_round_trip(name, cls):
    est = make_estimator(cls)
    twin = clone(est)
    assert type(twin) is cls
    assert twin.get_params(deep=False).keys() == est.get_params(deep=False).keys()
    twin.set_params(**est.get_params(deep=False))


# --- LDL estimators -----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_fit_predict_gives_rows_on_simplex(name, cls, data):
    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls))
    assert est.fit(X, D) is est
    assert est.n_features_in_ == X.shape[1]
    assert est.n_labels_ == D.shape[1]
    assert_on_simplex(est.predict(X_test), len(X_test), D.shape[1])
    # one row at a time works too
    assert_on_simplex(est.predict(X_test[:1]), 1, D.shape[1])
    assert isinstance(est.score(X_test, data[3]), float)


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_pickle_round_trip_predicts_identically(name, cls, data):
    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls)).fit(X, D)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X_test), est.predict(X_test))


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_same_seed_same_predictions(name, cls, data):
    X, D, X_test, _ = data
    first = with_seed(make_estimator(cls), 7).fit(X, D).predict(X_test)
    second = with_seed(make_estimator(cls), 7).fit(X, D).predict(X_test)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_inputs_are_not_mutated(name, cls, data):
    X, D, X_test, _ = data
    X_copy, D_copy, T_copy = X.copy(), D.copy(), X_test.copy()
    est = with_seed(make_estimator(cls)).fit(X, D)
    est.predict(X_test)
    est.score(X_test, D[: len(X_test)])
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(D, D_copy)
    np.testing.assert_array_equal(X_test, T_copy)


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_accepts_lists_and_float32(name, cls, data):
    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls))
    reference = clone(est).fit(X, D).predict(X_test)
    from_lists = est.fit(X.tolist(), D.tolist()).predict(X_test.tolist())
    np.testing.assert_allclose(from_lists, reference, atol=1e-12)
    from_f32 = clone(est).fit(X.astype(np.float32), D).predict(X_test.astype(np.float32))
    assert_on_simplex(from_f32, len(X_test), D.shape[1])


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_partial_fit_matches_fit_on_union(name, cls, data):
    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls))
    if not get_tags(est).ldl.partial_fit:
        assert not hasattr(est, "partial_fit")
        with pytest.raises(AttributeError, match="partial_fit"):
            est.partial_fit(X, D)
        return
    incremental = clone(est).partial_fit(X[:20], D[:20]).partial_fit(X[20:], D[20:])
    with pytest.raises(ValueError, match="features"):
        incremental.partial_fit(X[:3, :2], D[:3])
    with pytest.raises(ValueError, match="labels"):
        incremental.partial_fit(X[:3], D[:3, :2] / D[:3, :2].sum(axis=1, keepdims=True))
    if not get_tags(est).ldl.partial_fit_exact:
        assert_on_simplex(incremental.predict(X_test), len(X_test), D.shape[1])
        return
    union = clone(est).fit(X, D)
    np.testing.assert_allclose(incremental.predict(X_test), union.predict(X_test), atol=1e-10)


# --- bad input ----------------------------------------------------------------------------------
def _with(array, row, col, value):
    out = array.copy()
    out[row, col] = value
    return out


BAD_FIT_INPUTS = {
    "nan in X": (lambda X, D: (_with(X, 3, 1, np.nan), D), ValueError, r"X contains NaN.*row 3"),
    "inf in X": (lambda X, D: (_with(X, 2, 0, np.inf), D), ValueError, r"X contains infinity"),
    "nan in D": (lambda X, D: (X, _with(D, 4, 2, np.nan)), ValueError, r"D contains NaN.*row 4"),
    "inf in D": (
        lambda X, D: (X, _with(D, 1, 0, np.inf)),
        ValueError,
        r"D contains infinity.*row 1",
    ),
    "negative degree": (
        lambda X, D: (X, _with(D, 5, 0, -0.1)),
        ValueError,
        r"D has a negative degree.*row 5",
    ),
    "row not summing to 1": (lambda X, D: (X, D * 1.5), ValueError, r"D row 0 sums to 1\.5"),
    "row summing below 1": (
        lambda X, D: (X, np.vstack([D[:7], D[7:8] * 0.57, D[8:]])),
        ValueError,
        r"D row 7 sums to 0\.57.*renormalize=True",
    ),
    "all-zero label row": (
        lambda X, D: (X, _with(_with(_with(D, 6, 0, 0), 6, 1, 0), 6, 2, 0)),
        ValueError,
        r"D row 6 is all zeros",
    ),
    "mismatched samples": (lambda X, D: (X, D[:-1]), ValueError, r"X has 30.*D has 29"),
    "empty": (lambda X, D: (X[:0], D[:0]), ValueError, r"X is empty"),
    "1-D X": (lambda X, D: (X[:, 0], D), ValueError, r"X must be 2-D"),
    "single label": (lambda X, D: (X, np.ones((len(D), 1))), ValueError, r"D has 1 label"),
    "non-numeric X": (
        lambda X, D: (np.array([["a"] * 3] * len(X)), D),
        TypeError,
        r"X must contain numbers",
    ),
    "None X": (lambda X, D: (None, D), TypeError, r"X must be"),
    "numeric text in D": (lambda X, D: (X, D.astype(str)), TypeError, r"D must contain numbers"),
    "text in an object X": (
        lambda X, D: (_with(X.astype(object), 1, 1, "high"), D),
        TypeError,
        r"X must contain numbers only, got the text value 'high' at row 1, column 1",
    ),
    "None in an object X": (
        lambda X, D: (_with(X.astype(object), 1, 1, None), D),
        ValueError,
        r"X contains None.*at row 1, column 1",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FIT_INPUTS))
@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_bad_fit_input_gives_clear_error(name, cls, case, data):
    X, D, _, _ = data
    make_bad, error, pattern = BAD_FIT_INPUTS[case]
    bad_X, bad_D = make_bad(X.copy(), D.copy())
    with pytest.raises(error, match=pattern):
        make_estimator(cls).fit(bad_X, bad_D)


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_renormalize_option_rescales_rows(name, cls, data):
    X, D, X_test, _ = data
    scaled = D * np.linspace(0.5, 1.5, len(D))[:, None]
    est = with_seed(make_estimator(cls))
    reference = clone(est).fit(X, D).predict(X_test)
    scaled_copy = scaled.copy()
    np.testing.assert_allclose(est.fit(X, scaled, renormalize=True).predict(X_test), reference)
    np.testing.assert_array_equal(scaled, scaled_copy)  # rescaled a copy, not the caller's array


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_bad_predict_input_gives_clear_error(name, cls, data):
    X, D, X_test, D_test = data
    est = with_seed(make_estimator(cls))
    with pytest.raises(Exception, match="not fitted"):
        est.predict(X_test)
    est.fit(X, D)
    with pytest.raises(ValueError, match=r"X has 2 features, but the model was fitted with 3"):
        est.predict(X_test[:, :2])
    with pytest.raises(ValueError, match=r"X contains NaN"):
        est.predict(_with(X_test, 0, 0, np.nan))
    with pytest.raises(ValueError, match=r"X is empty"):
        est.predict(X_test[:0])
    with pytest.raises(TypeError, match=r"X must contain numbers"):
        est.predict([["x", "y", "z"]])
    with pytest.raises(ValueError, match=r"D has 2 labels, but 3 were expected"):
        est.score(X_test, D_test[:, :2] / D_test[:, :2].sum(axis=1, keepdims=True))
    with pytest.raises(ValueError, match=r"X has 2, D has 10 rows"):
        est.score(X_test[:2], D_test)


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_single_training_sample(name, cls, data):
    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls))
    if get_tags(est).ldl.min_fit_samples > 1:
        with pytest.raises(ValueError, match=r"needs at least \d+ training samples, got 1"):
            est.fit(X[:1], D[:1])
    else:
        assert_on_simplex(est.fit(X[:1], D[:1]).predict(X_test), len(X_test), D.shape[1])


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_all_zero_feature_rows(name, cls, data):
    X, D, X_test, _ = data
    zero_train = _with(_with(_with(X, 2, 0, 0), 2, 1, 0), 2, 2, 0)
    zero_query = np.zeros((1, X.shape[1]))
    est = with_seed(make_estimator(cls))
    if get_tags(est).ldl.requires_nonzero_rows:
        with pytest.raises(ValueError, match=r"X row 2 is all zeros.*cosine"):
            est.fit(zero_train, D)
        est.fit(X, D)
        with pytest.raises(ValueError, match=r"X row 0 is all zeros"):
            est.predict(zero_query)
    else:
        est.fit(zero_train, D)
        assert_on_simplex(est.predict(zero_query), 1, D.shape[1])


# --- label enhancers ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def logical_data():
    from ldlkit.enhancement import binarize

    X, D = make_artificial(30, noise=0.05, random_state=2)
    return X, binarize(D)


@pytest.mark.parametrize(("name", "cls"), LE_PARAMS, ids=IDS_LE_PARAMS)
def test_enhancer_recovers_rows_on_simplex(name, cls, logical_data):
    X, logical = logical_data
    est = with_seed(make_estimator(cls))
    recovered = est.fit_transform(X, logical)
    assert_on_simplex(recovered, len(X), logical.shape[1])
    again = with_seed(make_estimator(cls)).fit_transform(X, logical)
    np.testing.assert_array_equal(recovered, again)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.label_distribution_, est.label_distribution_)


@pytest.mark.parametrize(("name", "cls"), LE_PARAMS, ids=IDS_LE_PARAMS)
def test_enhancer_bad_input(name, cls, logical_data):
    X, logical = logical_data
    est = make_estimator(cls)
    with pytest.raises(ValueError, match=re.escape("logical must hold 0/1")):
        est.fit(X, np.where(logical > 0, 0.5, 0))
    with pytest.raises(ValueError, match="has no relevant label"):
        est.fit(X, _with(logical, 0, slice(None), 0))
    with pytest.raises(ValueError, match="Mismatched numbers of samples"):
        est.fit(X[:-1], logical)
    with pytest.raises(ValueError, match="X contains NaN"):
        est.fit(_with(X, 1, 1, np.nan), logical)


# --- the fit contract (issue 8): transactions, parameter checks, state, tags ---------------------
def _variant_params():
    out = []
    for name, cls in LDL_ESTIMATORS:
        for i, variant in enumerate(get_tags(cls).ldl.test_variants):
            out.append(pytest.param(cls, variant, id=f"{name}-variant{i}"))
    return out or [pytest.param(None, None, marks=pytest.mark.skip(reason="no variants"))]


def _non_param_attributes(est):
    params = set(est.get_params(deep=False))
    return sorted(a for a in vars(est) if a not in params)


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_failed_fit_leaves_an_unfitted_model(name, cls, data, monkeypatch):
    from sklearn.exceptions import NotFittedError

    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls)).fit(X, D)
    original = cls._fit

    def fit_then_fail(self, X, D):
        original(self, X, D)
        raise RuntimeError("failure after the model was built")

    monkeypatch.setattr(cls, "_fit", fit_then_fail)
    with pytest.raises(RuntimeError, match="after the model was built"):
        est.fit(X, D)
    assert _non_param_attributes(est) == [], "a failed fit left fitted state behind"
    with pytest.raises(NotFittedError):
        est.predict(X_test)
    monkeypatch.setattr(cls, "_fit", original)
    if hasattr(est, "partial_fit"):  # on an unfitted model, partial_fit is a fit
        assert_on_simplex(est.partial_fit(X, D).predict(X_test), len(X_test), D.shape[1])


def test_uaknn_after_a_refused_parameter_predicts_not_fitted_and_partial_fit_recovers(data):
    from sklearn.exceptions import NotFittedError

    from ldlkit.neighbors import UAKNN

    X, D, X_test, _ = data
    model = UAKNN(random_state=0).fit(X, D)
    fresh = UAKNN(variance=-1)
    with pytest.raises(ValueError, match="'variance' parameter of UAKNN"):
        fresh.fit(X, D)
    with pytest.raises(NotFittedError):
        fresh.predict(X_test)
    fresh.set_params(variance=0.5, random_state=0).partial_fit(X, D)
    np.testing.assert_array_equal(fresh.predict(X_test), model.predict(X_test))


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS + LE_ESTIMATORS, ids=IDS_LDL + IDS_LE)
def test_parameters_are_checked_before_the_data(name, cls):
    from sklearn.utils._param_validation import InvalidParameterError

    constraints = getattr(cls, "_parameter_constraints", {})
    if not constraints:
        assert cls.__init__ is object.__init__ or not inspect.signature(cls).parameters
        return
    param = sorted(constraints)[0]
    est = make_estimator(cls, **{param: object()})
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter of {name}"):
        est.fit(None, None)  # bad data too: the parameter is reported first


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_fit_keeps_parameters_and_a_refit_replaces_every_fitted_attribute(name, cls, data):
    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls))
    before = est.get_params(deep=False)
    first = est.fit(X, D).predict(X_test)
    after = est.get_params(deep=False)
    assert all(after[k] is before[k] for k in before), "fit changed a parameter"
    attributes = _non_param_attributes(est)
    # refit on other data (2 of 3 features), then back: same attributes, same predictions
    est.fit(X[:, :2], D)
    assert est.n_features_in_ == 2
    again = est.fit(X, D).predict(X_test)
    assert _non_param_attributes(est) == attributes
    np.testing.assert_array_equal(again, first)


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_predict_changes_no_state(name, cls, data):
    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls)).fit(X, D)
    snapshot = pickle.dumps(est)
    est.predict(X_test)
    est.predict(X_test[:1])
    assert pickle.dumps(est) == snapshot, "predict changed the model"


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_predictions_do_not_depend_on_row_order_or_batch(name, cls, data):
    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls)).fit(X, D)
    P = est.predict(X_test)
    order = np.random.default_rng(0).permutation(len(X_test))
    np.testing.assert_allclose(est.predict(X_test[order]), P[order], atol=1e-6)
    np.testing.assert_allclose(est.predict(X_test[3:7]), P[3:7], atol=1e-6)


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS, ids=IDS_LDL)
def test_read_only_memory_mapped_input(name, cls, data, tmp_path):
    # joblib hands large arrays to workers as read-only memory maps
    X, D, X_test, _ = data
    for key, array in {"X": X, "D": D, "T": X_test}.items():
        np.save(tmp_path / f"{key}.npy", array)
    mapped = {k: np.load(tmp_path / f"{k}.npy", mmap_mode="r") for k in ("X", "D", "T")}
    reference = with_seed(make_estimator(cls)).fit(X, D).predict(X_test)
    est = with_seed(make_estimator(cls)).fit(mapped["X"], mapped["D"])
    np.testing.assert_allclose(est.predict(mapped["T"]), reference, atol=1e-12)
    if hasattr(est, "partial_fit"):
        est.partial_fit(mapped["X"][:5], mapped["D"][:5])


@pytest.mark.parametrize(("cls", "variant"), _variant_params())
def test_non_default_modes(cls, variant, data):
    X, D, X_test, _ = data
    est = with_seed(make_estimator(cls, **variant))
    P = est.fit(X, D).predict(X_test)
    assert_on_simplex(P, len(X_test), D.shape[1])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X_test), P)
    twin = with_seed(make_estimator(cls, **variant)).fit(X, D).predict(X_test)
    if get_tags(est).ldl.deterministic:
        np.testing.assert_array_equal(twin, P)


@pytest.mark.parametrize(("name", "cls"), LDL_ESTIMATORS + LE_ESTIMATORS, ids=IDS_LDL + IDS_LE)
def test_tags_tell_the_truth_and_sklearn_sees_them(name, cls):
    from sklearn.utils import get_tags as sklearn_get_tags

    est = make_estimator(cls)
    tags = get_tags(est).ldl
    assert repr(sklearn_get_tags(est).ldl) == repr(tags)
    assert tags.kind == ("ldl" if issubclass(cls, BaseLDL) else "le")
    assert hasattr(est, "partial_fit") == tags.partial_fit
    assert hasattr(est, "remove") == tags.remove
    if tags.kind == "le":
        assert hasattr(est, "transform") == tags.transform
    if tags.partial_fit_exact:
        assert tags.partial_fit
    assert tags.min_fit_samples >= 1


def test_ensemble_tags_are_its_members():
    from ldlkit.dummy import MeanPredictor
    from ldlkit.neighbors import AAKNN, UAKNN, LDLEnsemble

    knn_only = get_tags(LDLEnsemble(estimators=[AAKNN(), UAKNN()])).ldl
    assert knn_only.remove and knn_only.partial_fit_exact and knn_only.requires_nonzero_rows
    mixed = get_tags(LDLEnsemble(estimators=[AAKNN(), MeanPredictor()])).ldl
    assert not mixed.remove and not mixed.requires_nonzero_rows and mixed.partial_fit


@pytest.mark.parametrize(("name", "cls"), LE_PARAMS, ids=IDS_LE_PARAMS)
def test_enhancer_failed_fit_leaves_an_unfitted_model(name, cls, logical_data, monkeypatch):
    X, logical = logical_data
    est = with_seed(make_estimator(cls))
    est.fit(X, logical)
    original = cls._fit_transform

    def fail(self, X, logical):
        original(self, X, logical)
        raise RuntimeError("failure after the enhancer was built")

    monkeypatch.setattr(cls, "_fit_transform", fail)
    with pytest.raises(RuntimeError, match="after the enhancer was built"):
        est.fit(X, logical)
    assert _non_param_attributes(est) == []
    monkeypatch.setattr(cls, "_fit_transform", original)
    X_copy, L_copy = X.copy(), logical.copy()
    est.fit(X, logical)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(logical, L_copy)
    if hasattr(est, "transform"):
        assert_on_simplex(est.transform(X[:4]), 4, logical.shape[1])

"""The estimator contract shared by every ldlkit method.

Two families share one pattern: the public method validates once, then calls a private one that
subclasses implement.

* :class:`BaseLDL` — label distribution learning: ``fit(X, D)`` then ``predict(X)`` returns rows on
  the probability simplex. Subclasses implement ``_fit(X, D)`` and ``_predict(X)`` and may implement
  ``_partial_fit(X, D)`` for incremental learning.
* :class:`BaseLabelEnhancer` — label enhancement: ``fit_transform(X, logical)`` recovers label
  distributions from 0/1 logical labels. Subclasses implement ``_fit_transform(X, logical)``.

Both check their constructor parameters once per fit (scikit-learn's ``_parameter_constraints``,
then the ``_check_params`` hook for rules that tie parameters together), keep a failed fit from
leaving a half-fitted model, and describe their capabilities as tags (:class:`LDLTags`, under
``get_tags(est).ldl``, also visible to ``sklearn.utils.get_tags``). ``docs/contributing.md`` shows
a new estimator end to end.

Every concrete subclass defined inside the ``ldlkit`` package is registered automatically and
listed by :func:`all_estimators`, so the common tests pick it up without being told. A user's own
subclass (defined outside ``ldlkit``) is an ordinary estimator: it is not registered, so its name
may be anything, including the name of an ldlkit estimator.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils import Tags as SklearnTags
from sklearn.utils import get_tags as sklearn_get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._validation import (
    check_distributions,
    check_feature_names,
    check_features,
    check_logical_labels,
    check_nonzero_rows,
    check_same_length,
    feature_names_of,
    to_simplex,
)

_REGISTRY: dict[str, type] = {}

_WALKED = False


def _is_ldlkit_module(module: str | None) -> bool:
    return module is not None and (module == "ldlkit" or module.startswith("ldlkit."))


class _Registered:
    """Mixin: ldlkit's concrete subclasses (not starting with ``_``, not abstract) are registered.

    Classes defined outside the ``ldlkit`` package are left alone: registering them would make a
    user's ``class AAKNN(BaseLDL)`` clash with ldlkit's own, and would let classes defined in test
    files leak into :func:`all_estimators`.
    """

    #: Set ``_abstract = True`` in the body of an intermediate base class to keep it unregistered.
    _abstract: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _is_ldlkit_module(cls.__module__):
            return
        if cls.__dict__.get("_abstract", False) or cls.__name__.startswith("_"):
            return
        if inspect.isabstract(cls):
            return
        key = cls.__name__
        previous = _REGISTRY.get(key)
        if previous is not None and previous.__module__ != cls.__module__:
            raise TypeError(
                f"two estimators are named {key!r} ({previous.__module__} and {cls.__module__}); "
                "estimator names must be unique."
            )
        _REGISTRY[key] = cls


#: Instance attribute listing what the last fit created, so that a refit removes exactly that.
_FITTED_NAMES = "_ldlkit_fitted_names"


# -- tags ------------------------------------------------------------------------------------
@dataclass(slots=True)
class LDLTags:
    """What an ldlkit estimator can do and needs; read by the runner, the CLI and the tests.

    Read them with :func:`get_tags` (``get_tags(est).ldl``, or scikit-learn's
    ``sklearn.utils.get_tags(est).ldl``); set them by overriding ``__sklearn_tags__``::

        def __sklearn_tags__(self):
            tags = super().__sklearn_tags__()
            tags.ldl.requires_torch = True
            return tags

    Attributes
    ----------
    kind : {"ldl", "le"}
        Label distribution learner or label enhancer (set by the base class).
    requires_torch : bool
        ``fit`` raises an ImportError naming the ``torch`` extra when torch is absent.
    requires_nonzero_rows : bool
        All-zero feature rows are refused (cosine similarity is undefined there).
    min_fit_samples : int
        Fewest training rows ``fit`` accepts.
    partial_fit : bool
        ``partial_fit`` is available (by default: the class defines ``_partial_fit``).
    partial_fit_exact : bool
        ``partial_fit`` on new rows predicts exactly as ``fit`` on the union.
    remove : bool
        ``remove(indices)`` is available.
    transform : bool
        A label enhancer that maps new rows (by default: the class defines ``_transform``).
    fast_demo : bool
        Quick enough for ``ldlkit run``'s demo (seconds on 500 artificial rows x 5 folds).
    deterministic : bool
        Same ``random_state`` and data give identical predictions.
    test_params : dict
        Constructor arguments that keep the common tests fast (e.g. two epochs).
    test_variants : list of dict
        Non-default modes (parameter dicts, merged over ``test_params``) the common tests also run.
    """

    kind: str = "ldl"
    requires_torch: bool = False
    requires_nonzero_rows: bool = False
    min_fit_samples: int = 2
    partial_fit: bool = False
    partial_fit_exact: bool = False
    remove: bool = False
    transform: bool = False
    fast_demo: bool = False
    deterministic: bool = True
    test_params: dict = field(default_factory=dict)
    test_variants: list = field(default_factory=list)


@dataclass(slots=True)
class Tags(SklearnTags):
    """scikit-learn's tags plus ldlkit's own under ``ldl`` (:class:`LDLTags`)."""

    ldl: LDLTags = field(default_factory=LDLTags)


def get_tags(estimator) -> Tags:
    """The tags of an estimator instance or class (a class is instantiated with its defaults).

    Examples
    --------
    >>> from ldlkit.dummy import MeanPredictor
    >>> get_tags(MeanPredictor).ldl.partial_fit_exact
    True
    """
    if isinstance(estimator, type):
        estimator = estimator()
    return sklearn_get_tags(estimator)


class _Template(_Registered, BaseEstimator):
    """What learners and enhancers share: parameter checks, tags, the fit transaction."""

    _abstract = True
    #: scikit-learn-style constraints, checked once per ``fit``/``partial_fit`` before any data
    #: work (``sklearn.utils._param_validation``: Interval, StrOptions, "boolean", ...).
    _parameter_constraints: ClassVar[dict] = {}
    _kind: ClassVar[str] = "ldl"

    def __sklearn_tags__(self) -> Tags:
        base = super().__sklearn_tags__()
        tags = Tags(**{f.name: getattr(base, f.name) for f in fields(SklearnTags)})
        tags.target_tags.required = True
        # The target (D, or logical labels) is 2-D, never one column per sample; found by
        # scikit-learn's checks, which read these tags to shape the targets they pass.
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = False
        tags.ldl.kind = self._kind
        return tags

    def _check_params(self) -> None:
        """Rules that tie several parameters together (single-parameter rules belong in
        ``_parameter_constraints``). Called once by ``fit``/``partial_fit``."""

    def _validate_all_params(self) -> None:
        self._validate_params()
        self._check_params()

    def _require_torch_if_needed(self, tags: LDLTags) -> None:
        if tags.requires_torch:
            from ._optional import require_torch

            require_torch(type(self).__name__)

    def _reset(self) -> None:
        """Forget every attribute an earlier fit created (public or private fitted state)."""
        for name in vars(self).pop(_FITTED_NAMES, ()):
            vars(self).pop(name, None)

    def _fit_transaction(self, X: np.ndarray, n_labels: int, work, feature_names=None) -> None:
        """Run ``work()`` on a fresh model; if it raises, leave the model unfitted.

        The attributes that appear during the fit are recorded, so that the next fit removes
        exactly them (attributes that scikit-learn itself sets on an estimator are untouched).
        ``feature_names`` (a DataFrame's string column names) become ``feature_names_in_``.
        """
        self._reset()
        before = set(vars(self))
        try:
            self.n_features_in_ = X.shape[1]
            self.n_labels_ = n_labels
            if feature_names is not None:
                self.feature_names_in_ = feature_names
            work()
        except BaseException:
            for name in set(vars(self)) - before:
                delattr(self, name)
            raise
        self._record_fitted(before)

    def _check_feature_names(self, X) -> None:
        """Refuse a DataFrame whose columns differ from (or are reordered from) the fit's."""
        check_feature_names(
            X, getattr(self, "feature_names_in_", None), estimator=type(self).__name__
        )

    def _record_fitted(self, before: set[str]) -> None:
        created = set(vars(self)) - before - {_FITTED_NAMES}
        vars(self)[_FITTED_NAMES] = tuple(sorted(set(vars(self).get(_FITTED_NAMES, ())) | created))


def _has_partial_fit(estimator) -> bool:
    return get_tags(estimator).ldl.partial_fit


def _has_remove(estimator) -> bool:
    return get_tags(estimator).ldl.remove


class BaseLDL(_Template):
    """Base class for label distribution learners.

    Subclasses store their keyword-only constructor arguments unchanged and implement ``_fit`` and
    ``_predict`` (and ``_partial_fit`` for incremental learning); this class validates parameters
    and data, keeps a failed fit from leaving a half-fitted model, projects predictions onto the
    simplex, and exposes capabilities as tags (:class:`LDLTags`). See ``docs/contributing.md``.
    """

    _abstract = True
    _kind = "ldl"

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.ldl.partial_fit = type(self)._partial_fit is not BaseLDL._partial_fit
        return tags

    # -- public API -------------------------------------------------------------------------
    def fit(self, X: ArrayLike, D: ArrayLike, *, renormalize: bool = False) -> Self:
        """Fit the model to features ``X`` (n, d) and label distributions ``D`` (n, L).

        Parameters are checked first, then the data; a fit that raises leaves the model unfitted
        (every attribute of an earlier fit is gone), never half-fitted.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        D : array-like of shape (n_samples, n_labels)
            Non-negative rows summing to 1.
        renormalize : bool, default=False
            Divide rows of ``D`` that do not sum to 1 by their sum instead of raising.

        Returns
        -------
        self
        """
        self._validate_all_params()
        names = feature_names_of(X)
        X, D = self._validate_training_data(X, D, renormalize=renormalize)
        self._fit_transaction(X, D.shape[1], lambda: self._fit(X, D), names)
        return self

    @available_if(_has_partial_fit)
    def partial_fit(self, X: ArrayLike, D: ArrayLike, *, renormalize: bool = False) -> Self:
        """Add training rows to a fitted model (or fit it, on the first call).

        Available only where the estimator supports it (``get_tags(est).ldl.partial_fit``); where
        ``get_tags(est).ldl.partial_fit_exact`` is true, the predictions afterwards equal those of
        ``fit`` on all rows seen so far.
        """
        if not hasattr(self, "n_labels_"):
            return self.fit(X, D, renormalize=renormalize)
        self._validate_all_params()
        self._check_feature_names(X)
        X, D = self._validate_training_data(
            X, D, renormalize=renormalize, min_samples=1, fitted=True
        )
        before = set(vars(self))
        self._partial_fit(X, D)
        self._record_fitted(before)
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict label distributions: an array (n_samples, n_labels) of rows on the simplex."""
        check_is_fitted(self, "n_labels_")
        self._check_feature_names(X)
        X = check_features(X, n_features=self.n_features_in_)
        if get_tags(self).ldl.requires_nonzero_rows:
            check_nonzero_rows(X)
        return to_simplex(self._predict(X))

    def score(self, X: ArrayLike, D: ArrayLike) -> float:
        """Mean cosine similarity between ``D`` and the predictions (higher is better).

        Use :func:`ldlkit.metrics.get_scorer` to select another metric in model selection.
        """
        from .metrics import cosine

        D = check_distributions(D, n_labels=getattr(self, "n_labels_", None))
        P = self.predict(X)
        check_same_length(X=P, D=D)
        return cosine(D, P)

    # -- for subclasses -----------------------------------------------------------------------
    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _predict(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _partial_fit(self, X: np.ndarray, D: np.ndarray) -> None:  # pragma: no cover - marker
        raise NotImplementedError

    def _validate_training_data(
        self, X, D, *, renormalize: bool, min_samples: int | None = None, fitted: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        tags = get_tags(self).ldl
        self._require_torch_if_needed(tags)
        X = check_features(X, n_features=self.n_features_in_ if fitted else None)
        D = check_distributions(
            D, renormalize=renormalize, n_labels=self.n_labels_ if fitted else None
        )
        check_same_length(X=X, D=D)
        needed = tags.min_fit_samples if min_samples is None else min_samples
        if X.shape[0] < needed:
            raise ValueError(
                f"{type(self).__name__} needs at least {needed} training samples, got "
                f"{X.shape[0]}; pass more rows to fit."
            )
        if tags.requires_nonzero_rows:
            check_nonzero_rows(X)
        return X, D


def _has_transform(estimator) -> bool:
    return get_tags(estimator).ldl.transform


class BaseLabelEnhancer(_Template):
    """Base class for label enhancement: recover label distributions from logical labels.

    Label enhancement is transductive: :meth:`fit_transform` returns a distribution for each given
    row, stored as ``label_distribution_`` by :meth:`fit`. Subclasses implement
    ``_fit_transform(X, logical)``; those that can map new rows also implement ``_transform(X)``,
    which makes :meth:`transform` available.
    """

    _abstract = True
    _kind = "le"

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.ldl.transform = type(self)._transform is not BaseLabelEnhancer._transform
        return tags

    def fit(self, X: ArrayLike, logical: ArrayLike) -> Self:
        """Recover label distributions for ``X`` from 0/1 ``logical`` labels; returns ``self``."""
        self._validate_all_params()
        tags = get_tags(self).ldl
        self._require_torch_if_needed(tags)
        names = feature_names_of(X)
        X = check_features(X)
        logical = check_logical_labels(logical)
        check_same_length(X=X, logical=logical)
        if X.shape[0] < tags.min_fit_samples:
            raise ValueError(
                f"{type(self).__name__} needs at least {tags.min_fit_samples} samples, got "
                f"{X.shape[0]}."
            )
        if tags.requires_nonzero_rows:
            check_nonzero_rows(X)

        def work() -> None:
            self.label_distribution_ = to_simplex(self._fit_transform(X, logical))

        self._fit_transaction(X, logical.shape[1], work, names)
        return self

    def fit_transform(self, X: ArrayLike, logical: ArrayLike) -> np.ndarray:
        """Fit and return the recovered label distributions, shape (n_samples, n_labels)."""
        return self.fit(X, logical).label_distribution_.copy()

    @available_if(_has_transform)
    def transform(self, X: ArrayLike) -> np.ndarray:
        """Label distributions for new rows (only enhancers that can map new rows)."""
        check_is_fitted(self, "label_distribution_")
        self._check_feature_names(X)
        X = check_features(X, n_features=self.n_features_in_)
        if get_tags(self).ldl.requires_nonzero_rows:
            check_nonzero_rows(X)
        return to_simplex(self._transform(X))

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _transform(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - marker
        raise NotImplementedError


#: A package whose ``__init__.py`` sets this to True holds no estimator (the experiments engine,
#: the paper folders, the command line): the registry's walk does not import it.
NO_ESTIMATORS_MARKER = "__ldlkit_no_estimators__"
_MARKER_LINE = re.compile(rf"^{NO_ESTIMATORS_MARKER}\s*=\s*True\s*(#.*)?$", re.MULTILINE)


def _declares_no_estimators(info: pkgutil.ModuleInfo) -> bool:
    """Read (without importing) whether a package's ``__init__.py`` sets the marker."""
    folder = getattr(info.module_finder, "path", None)
    if not info.ispkg or folder is None:
        return False
    try:
        text = (Path(folder) / info.name / "__init__.py").read_text(encoding="utf-8")
    except OSError:
        return False
    return _MARKER_LINE.search(text) is not None


def _walk(package) -> None:
    """Import the public modules and subpackages of ``package``, depth first.

    Private modules (``_*``) are left to their package, which imports what it exports; packages
    that declare :data:`NO_ESTIMATORS_MARKER` are not imported. A module that needs a missing
    third-party package (an optional extra such as torch) is skipped; one that fails for any
    other reason is a bug and raises.
    """
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or _declares_no_estimators(info):
            continue
        name = f"{package.__name__}.{info.name}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or exc.name.split(".")[0] == "ldlkit":
                raise
            continue
        if info.ispkg:
            _walk(module)


def _import_estimator_modules() -> None:
    """Import every public module of the ``ldlkit`` package once, so that its estimators register.

    Found by walking the package (:mod:`pkgutil`): a new family folder needs no list to join.
    """
    global _WALKED
    if _WALKED:
        return
    _WALKED = True  # first: a module that lists estimators while being imported must not recurse
    try:
        _walk(importlib.import_module("ldlkit"))
    except BaseException:
        _WALKED = False
        raise


def all_estimators(kind: str | None = None) -> list[tuple[str, type]]:
    """List every registered estimator as ``(name, class)`` pairs, sorted by name.

    Parameters
    ----------
    kind : {"ldl", "le"} or None
        Only label distribution learners (``"ldl"``) or label enhancers (``"le"``).

    Examples
    --------
    >>> from ldlkit.base import all_estimators
    >>> "MeanPredictor" in dict(all_estimators("ldl"))
    True
    """
    _import_estimator_modules()
    bases = {"ldl": BaseLDL, "le": BaseLabelEnhancer, None: (BaseLDL, BaseLabelEnhancer)}
    if kind not in bases:
        raise ValueError(f"kind must be 'ldl', 'le' or None, got {kind!r}.")
    wanted = bases[kind]
    return sorted(
        ((name, cls) for name, cls in _REGISTRY.items() if issubclass(cls, wanted)),
        key=lambda item: item[0],
    )


def get_estimator(name: str) -> type:
    """Look an estimator class up by its name (case-insensitive)."""
    table = {n.lower(): cls for n, cls in all_estimators()}
    try:
        return table[name.lower()]
    except KeyError:
        known = ", ".join(n for n, _ in all_estimators())
        raise ValueError(f"unknown estimator {name!r}; known estimators: {known}.") from None

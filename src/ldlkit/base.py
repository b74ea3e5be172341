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
import importlib.util
import inspect
from dataclasses import dataclass, field, fields
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
    check_features,
    check_logical_labels,
    check_nonzero_rows,
    check_same_length,
    to_simplex,
)

_REGISTRY: dict[str, type] = {}

# Subpackages that define estimators; imported by all_estimators() so that registration happens.
# A subpackage that does not exist yet is skipped; one that fails to import is a bug and raises.
_ESTIMATOR_MODULES = (
    "ldlkit.dummy",
    "ldlkit.neighbors",
    "ldlkit.linear",
    "ldlkit.neural",
    "ldlkit.enhancement",
    "ldlkit.compose",
)


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

    def _fit_transaction(self, X: np.ndarray, n_labels: int, work) -> None:
        """Run ``work()`` on a fresh model; if it raises, leave the model unfitted.

        The attributes that appear during the fit are recorded, so that the next fit removes
        exactly them (attributes that scikit-learn itself sets on an estimator are untouched).
        """
        self._reset()
        before = set(vars(self))
        try:
            self.n_features_in_ = X.shape[1]
            self.n_labels_ = n_labels
            work()
        except BaseException:
            for name in set(vars(self)) - before:
                delattr(self, name)
            raise
        self._record_fitted(before)

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
        X, D = self._validate_training_data(X, D, renormalize=renormalize)
        self._fit_transaction(X, D.shape[1], lambda: self._fit(X, D))
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

        self._fit_transaction(X, logical.shape[1], work)
        return self

    def fit_transform(self, X: ArrayLike, logical: ArrayLike) -> np.ndarray:
        """Fit and return the recovered label distributions, shape (n_samples, n_labels)."""
        return self.fit(X, logical).label_distribution_.copy()

    @available_if(_has_transform)
    def transform(self, X: ArrayLike) -> np.ndarray:
        """Label distributions for new rows (only enhancers that can map new rows)."""
        check_is_fitted(self, "label_distribution_")
        X = check_features(X, n_features=self.n_features_in_)
        if get_tags(self).ldl.requires_nonzero_rows:
            check_nonzero_rows(X)
        return to_simplex(self._transform(X))

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _transform(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - marker
        raise NotImplementedError


def _import_estimator_modules() -> None:
    for module in _ESTIMATOR_MODULES:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(module)


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

"""The estimator contract shared by every ldlkit method.

Two families share one pattern: the public method validates once, then calls a private one that
subclasses implement.

* :class:`BaseLDL` — label distribution learning: ``fit(X, D)`` then ``predict(X)`` returns rows on
  the probability simplex. Subclasses implement ``_fit(X, D)`` and ``_predict(X)`` and may implement
  ``_partial_fit(X, D)`` for incremental learning.
* :class:`BaseLabelEnhancer` — label enhancement: ``fit_transform(X, logical)`` recovers label
  distributions from 0/1 logical labels. Subclasses implement ``_fit_transform(X, logical)``.

Every concrete subclass defined inside the ``ldlkit`` package is registered automatically and
listed by :func:`all_estimators`, so the common tests pick it up without being told. A user's own
subclass (defined outside ``ldlkit``) is an ordinary estimator: it is not registered, so its name
may be anything, including the name of an ldlkit estimator.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
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


class BaseLDL(_Registered, BaseEstimator):
    """Base class for label distribution learners.

    Subclasses store their keyword-only constructor arguments unchanged and implement ``_fit`` and
    ``_predict``; this class does the validation, the simplex projection and the bookkeeping.

    Class attributes that subclasses may override:

    ``_min_fit_samples``
        Fewest training rows ``fit`` accepts.
    ``_requires_nonzero_rows``
        True for cosine-similarity methods: all-zero feature rows are rejected with a clear error.
    ``_requires_torch``
        True for estimators that need the ``torch`` extra.
    ``_test_params``
        Constructor arguments that make the common tests fast (e.g. two epochs).
    ``_partial_fit_is_exact``
        True when ``partial_fit`` on new rows predicts exactly as ``fit`` on all rows (the kNN
        family); the common tests then check it.
    ``_fast_demo``
        True for a method quick enough to join ``ldlkit run``'s default demo (seconds on the
        artificial data); see :func:`ldlkit.experiments.fast_methods`.
    """

    _abstract = True
    _min_fit_samples: ClassVar[int] = 2
    _requires_nonzero_rows: ClassVar[bool] = False
    _requires_torch: ClassVar[bool] = False
    _test_params: ClassVar[dict[str, Any]] = {}
    _partial_fit_is_exact: ClassVar[bool] = False
    _fast_demo: ClassVar[bool] = False

    # -- public API -------------------------------------------------------------------------
    def fit(self, X: ArrayLike, D: ArrayLike, *, renormalize: bool = False) -> Self:
        """Fit the model to features ``X`` (n, d) and label distributions ``D`` (n, L).

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
        X, D = self._validate_training_data(X, D, renormalize=renormalize)
        self.n_features_in_ = X.shape[1]
        self.n_labels_ = D.shape[1]
        self._fit(X, D)
        return self

    def partial_fit(self, X: ArrayLike, D: ArrayLike, *, renormalize: bool = False) -> Self:
        """Add training rows to a fitted model (or fit it, on the first call).

        Only estimators that implement ``_partial_fit`` support this; for them the predictions
        after ``partial_fit`` equal those of ``fit`` on all rows seen so far.
        """
        if type(self)._partial_fit is BaseLDL._partial_fit:
            raise AttributeError(f"{type(self).__name__} does not support partial_fit.")
        if not hasattr(self, "n_labels_"):
            return self.fit(X, D, renormalize=renormalize)
        X, D = self._validate_training_data(
            X, D, renormalize=renormalize, min_samples=1, fitted=True
        )
        self._partial_fit(X, D)
        return self

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict label distributions: an array (n_samples, n_labels) of rows on the simplex."""
        check_is_fitted(self, "n_labels_")
        X = check_features(X, n_features=self.n_features_in_)
        if self._requires_nonzero_rows:
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

    def _partial_fit(self, X: np.ndarray, D: np.ndarray) -> None:
        raise NotImplementedError

    def _validate_training_data(
        self, X, D, *, renormalize: bool, min_samples: int | None = None, fitted: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        if self._requires_torch:
            from ._optional import require_torch

            require_torch(type(self).__name__)
        X = check_features(X, n_features=self.n_features_in_ if fitted else None)
        D = check_distributions(
            D, renormalize=renormalize, n_labels=self.n_labels_ if fitted else None
        )
        check_same_length(X=X, D=D)
        needed = self._min_fit_samples if min_samples is None else min_samples
        if X.shape[0] < needed:
            raise ValueError(
                f"{type(self).__name__} needs at least {needed} training samples, got "
                f"{X.shape[0]}; pass more rows to fit."
            )
        if self._requires_nonzero_rows:
            check_nonzero_rows(X)
        return X, D


class BaseLabelEnhancer(_Registered, BaseEstimator):
    """Base class for label enhancement: recover label distributions from logical labels.

    Label enhancement is transductive: :meth:`fit_transform` returns a distribution for each given
    row, stored as ``label_distribution_`` by :meth:`fit`.
    """

    _abstract = True
    _min_fit_samples: ClassVar[int] = 2
    _requires_nonzero_rows: ClassVar[bool] = False
    _requires_torch: ClassVar[bool] = False
    _test_params: ClassVar[dict[str, Any]] = {}

    def fit(self, X: ArrayLike, logical: ArrayLike) -> Self:
        """Recover label distributions for ``X`` from 0/1 ``logical`` labels; returns ``self``."""
        if self._requires_torch:
            from ._optional import require_torch

            require_torch(type(self).__name__)
        X = check_features(X)
        logical = check_logical_labels(logical)
        check_same_length(X=X, logical=logical)
        if X.shape[0] < self._min_fit_samples:
            raise ValueError(
                f"{type(self).__name__} needs at least {self._min_fit_samples} samples, got "
                f"{X.shape[0]}."
            )
        if self._requires_nonzero_rows:
            check_nonzero_rows(X)
        self.n_features_in_ = X.shape[1]
        self.n_labels_ = logical.shape[1]
        self.label_distribution_ = to_simplex(self._fit_transform(X, logical))
        return self

    def fit_transform(self, X: ArrayLike, logical: ArrayLike) -> np.ndarray:
        """Fit and return the recovered label distributions, shape (n_samples, n_labels)."""
        return self.fit(X, logical).label_distribution_.copy()

    def _fit_transform(self, X: np.ndarray, logical: np.ndarray) -> np.ndarray:  # pragma: no cover
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

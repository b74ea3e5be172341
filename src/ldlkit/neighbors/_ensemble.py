"""An averaging ensemble of LDL models built with different parameters (the UAKNN paper's Gene
strategy, generalised to any ldlkit estimator)."""

from __future__ import annotations

import copy
import threading
from typing import Any, ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ..base import BaseLDL, get_tags
from ..dummy import MeanPredictor
from ._aaknn import AAKNN

#: The default members: UAKNN over the variances of the paper's sensitivity analysis.
_DEFAULT_VARIANCES = (0.1, 0.3, 0.5, 0.7, 0.9)


class LDLEnsemble(BaseLDL):
    """Average the predictions of several LDL models.

    Each member is a clone of an estimator given in ``estimators``; members that take a
    ``random_state`` get one drawn from this ensemble's ``random_state``, so the ensemble is seeded
    as a whole. ``partial_fit`` forwards new rows to every member (all must support it), and so
    does :meth:`remove` with the positions of rows to drop.

    Parameters
    ----------
    estimators : list of estimators or None, default=None
        Unfitted ldlkit estimators (any mix). None builds the paper's five-model ensemble: five
        :class:`~ldlkit.neighbors.UAKNN` with variances 0.1, 0.3, 0.5, 0.7 and 0.9.
    random_state : int, RandomState instance or None, default=None
        Seeds the members that accept a ``random_state``.

    Attributes
    ----------
    estimators_ : list of fitted estimators

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neighbors import AAKNN, LDLEnsemble, UAKNN
    >>> X, D = make_artificial(60, random_state=0)
    >>> ens = LDLEnsemble(estimators=[AAKNN(k=3), UAKNN()], random_state=0).fit(X, D)
    >>> ens.predict(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints: ClassVar[dict] = {"random_state": ["random_state"]}

    def __init__(self, *, estimators: list | None = None, random_state=None) -> None:
        self.estimators = estimators
        self.random_state = random_state

    def __sklearn_tags__(self):
        # An ensemble can do what all of its members can, and needs what any of them needs.
        tags = super().__sklearn_tags__()
        try:
            members = [get_tags(m).ldl for m in self._templates()]
        except ValueError:  # invalid `estimators`: fit will say why
            return tags
        tags.ldl.min_fit_samples = max(m.min_fit_samples for m in members)
        tags.ldl.requires_nonzero_rows = any(m.requires_nonzero_rows for m in members)
        tags.ldl.requires_torch = any(m.requires_torch for m in members)
        tags.ldl.partial_fit = all(m.partial_fit for m in members)
        tags.ldl.partial_fit_exact = all(m.partial_fit_exact for m in members)
        tags.ldl.remove = all(m.remove for m in members)
        tags.ldl.deterministic = all(m.deterministic for m in members)
        tags.ldl.test_variants = [{"estimators": [AAKNN(k=2), MeanPredictor()]}]
        return tags

    def _templates(self) -> list:
        if self.estimators is None:
            from ._uaknn import UAKNN

            return [UAKNN(variance=v) for v in _DEFAULT_VARIANCES]
        if isinstance(self.estimators, BaseLDL) or not isinstance(self.estimators, list | tuple):
            raise ValueError(
                "estimators must be a list of ldlkit estimators or None, got "
                f"{type(self.estimators).__name__}."
            )
        if len(self.estimators) == 0:
            raise ValueError("estimators is empty; give at least one estimator.")
        for i, est in enumerate(self.estimators):
            if not isinstance(est, BaseLDL):
                raise ValueError(
                    f"estimators[{i}] is {type(est).__name__}, not an ldlkit LDL estimator."
                )
        return list(self.estimators)

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        templates = self._templates()
        rng = check_random_state(self.random_state)
        members = []
        for template in templates:
            member = clone(template)
            if "random_state" in member.get_params(deep=False):
                member.set_params(random_state=int(rng.randint(np.iinfo(np.int32).max)))
            members.append(member.fit(X, D))
        self.estimators_ = members

    def _lock_(self) -> threading.Lock:
        """Serialises writers. Readers take no lock: writes are copy-on-write (the members are
        shallow-copied, updated, and the new list swapped in with one assignment), so a
        prediction never averages members of different training sets."""
        lock = vars(self).get("_lock")
        if lock is None:
            lock = vars(self).setdefault("_lock", threading.Lock())
        return lock

    def _updated_members(self, update) -> None:
        members = [copy.copy(member) for member in self.estimators_]
        for member in members:
            update(member)
        self.estimators_ = members

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        state.pop("_lock", None)
        return state

    def _partial_fit(self, X: np.ndarray, D: np.ndarray) -> None:
        with self._lock_():
            self._updated_members(lambda member: member.partial_fit(X, D))

    @property
    def sample_ids_(self) -> np.ndarray:
        """Stable ids of the training rows (those of the members, which all hold the same rows).

        Available when every member has ``sample_ids_`` (the kNN family).
        """
        check_is_fitted(self, "estimators_")
        try:
            return self.estimators_[0].sample_ids_
        except AttributeError:
            raise AttributeError(
                f"{type(self.estimators_[0]).__name__} members have no stable sample ids."
            ) from None

    @available_if(lambda self: get_tags(self).ldl.remove)
    def remove_ids(self, ids) -> LDLEnsemble:
        """Drop training rows by stable id from every member (see ``UAKNN.remove_ids``).

        Unknown ids raise a ValueError naming them, and no member changes.
        """
        from ._common import _positions_of_ids

        check_is_fitted(self, "estimators_")
        with self._lock_():
            positions = _positions_of_ids(self.sample_ids_, ids)  # raises before any change
            self._updated_members(lambda member: member.remove(positions))
        return self

    @available_if(lambda self: get_tags(self).ldl.remove)
    def remove(self, indices) -> LDLEnsemble:
        """Drop training rows by position from every member.

        Every member must have a ``remove`` method (the kNN family does); positions are those of
        :meth:`ldlkit.neighbors.UAKNN.remove`. With exact members, predictions afterwards equal
        those of the ensemble fitted on the remaining rows with the same ``random_state``.

        Parameters
        ----------
        indices : int or array-like of int
            Positions of the training rows to drop.

        Returns
        -------
        self
        """
        check_is_fitted(self, "estimators_")
        with self._lock_():
            # A bad position raises in the first member's copy: nothing is swapped in.
            self._updated_members(lambda member: member.remove(indices))
        return self

    def _predict(self, X: np.ndarray) -> np.ndarray:
        total = np.zeros((len(X), self.n_labels_))
        members = self.estimators_
        for member in members:  # one read of the list: one consistent state
            total += member.predict(X)
        return total / len(self.estimators_)

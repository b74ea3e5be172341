"""An averaging ensemble of LDL models built with different parameters (the UAKNN paper's Gene
strategy, generalised to any ldlkit estimator)."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ..base import BaseLDL

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

    # The default members use cosine similarity; other members still check their own inputs.
    _requires_nonzero_rows = True
    _min_fit_samples = 1
    _partial_fit_is_exact = True  # exact whenever every member's partial_fit is (the default)

    def __init__(self, *, estimators: list | None = None, random_state=None) -> None:
        self.estimators = estimators
        self.random_state = random_state

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

    def _partial_fit(self, X: np.ndarray, D: np.ndarray) -> None:
        for member in self.estimators_:
            if type(member)._partial_fit is BaseLDL._partial_fit:
                raise AttributeError(
                    f"ensemble member {type(member).__name__} does not support partial_fit."
                )
        for member in self.estimators_:
            member.partial_fit(X, D)

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
        for member in self.estimators_:
            if not callable(getattr(member, "remove", None)):
                raise AttributeError(
                    f"ensemble member {type(member).__name__} does not support remove."
                )
        for member in self.estimators_:
            member.remove(indices)
        return self

    def _predict(self, X: np.ndarray) -> np.ndarray:
        total = np.zeros((len(X), self.n_labels_))
        for member in self.estimators_:
            total += member.predict(X)
        return total / len(self.estimators_)

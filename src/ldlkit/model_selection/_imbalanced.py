"""The imbalanced label distribution learning (ILDL) protocol of RDA, DILDL and AMEMA."""

from __future__ import annotations

import numbers
import re
from collections.abc import Iterator, Sequence

import numpy as np
from sklearn.model_selection import KFold

from .._validation import check_distributions, check_positive_int
from ._kfold import _check_random_state

__all__ = [
    "ImbalancedSplit",
    "builtin_parameters",
    "imbalanced_parameters",
    "imbalanced_subset",
]

#: The protocol kind under which paper folders give their per-dataset ``(a, b, c, d)``
#: (``Paper(parameters={"ildl": {dataset: (a, b, c, d)}})``).
PROTOCOL_KIND = "ildl"


def builtin_parameters() -> dict[str, tuple[float, float, int, int]]:
    """``dataset -> (a, b, c, d)`` for every dataset whose paper folder gives the rule."""
    from ..papers import protocol_parameters

    return protocol_parameters(PROTOCOL_KIND)


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", str(name)).lower()


def imbalanced_parameters(dataset: str) -> tuple[float, float, int, int]:
    """The built-in ``(a, b, c, d)`` of the ILDL protocol for ``dataset``.

    The values come from the paper folders (:func:`builtin_parameters`). Names are matched
    ignoring case, ``-``, ``_`` and spaces, and through the dataset registry's aliases
    (``"SCUT-FBP"``, ``"Emotion6"``, ``"RAF-ML"`` ...).

    Examples
    --------
    >>> imbalanced_parameters("scut-fbp")
    (2, 0.1, 2, 4)
    """
    wanted = {_key(dataset)}
    try:
        from ..datasets import get_dataset_info

        info = get_dataset_info(dataset)
        wanted |= {_key(n) for n in (info.name, *info.aliases)}
    except ValueError:
        pass
    known = builtin_parameters()
    for name, params in known.items():
        if _key(name) in wanted:
            return params
    raise ValueError(
        f"dataset {dataset!r} has no built-in ILDL parameters (known: "
        f"{', '.join(known)}); pass parameters=(a, b, c, d) to ImbalancedSplit."
    )


def _check_parameters(parameters, n_labels: int) -> tuple[float, float, int, int]:
    try:
        a, b, c, d = parameters
    except (TypeError, ValueError):
        raise ValueError(
            f"parameters must be four values (a, b, c, d), got {parameters!r}."
        ) from None
    for name, value in (("a", a), ("b", b), ("c", c), ("d", d)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise ValueError(f"parameters: {name}={value!r} must be a finite number.")
    for name, col in (("c", c), ("d", d)):
        if not float(col).is_integer() or not 0 <= int(col) < n_labels:
            raise ValueError(
                f"parameters: {name}={col!r} must be a label index in [0, {n_labels - 1}]."
            )
    return float(a), float(b), int(c), int(d)


def imbalanced_subset(D, parameters: Sequence[float]) -> np.ndarray:
    """Indices of the rows of ``D`` that the ILDL protocol keeps for training.

    A row is kept when ``D[:, c] < a / L`` and ``D[:, d] > b / L`` (strict inequalities), and for
    every label the row with the largest degree on that label is kept as well (the first such row
    on ties), so that no label disappears from the training set.

    Examples
    --------
    >>> D = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.2, 0.5, 0.3], [0.6, 0.3, 0.1]])
    >>> imbalanced_subset(D, (1, 1.5, 2, 0)).tolist()
    [0, 1, 2, 3]
    """
    D = check_distributions(D, name="D")
    a, b, c, d = _check_parameters(parameters, D.shape[1])
    L = D.shape[1]
    keep = (D[:, c] < a / L) & (D[:, d] > b / L)
    keep[np.argmax(D, axis=0)] = True
    return np.flatnonzero(keep)


class ImbalancedSplit:
    """Shuffled K-fold whose training folds are made imbalanced (the ILDL protocol).

    The rows are split by ``KFold(n_splits, shuffle=True, random_state)``; each training fold is
    reduced to :func:`imbalanced_subset` of its rows; the test fold is left untouched.

    Parameters
    ----------
    parameters : tuple (a, b, c, d), optional
        The subset rule. Without it, ``dataset`` names the built-in parameters.
    dataset : str, optional
        Dataset name for the built-in parameters (see :func:`builtin_parameters`).
    n_splits : int, default=10
    random_state : int, default=0

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> X, D = make_artificial(200, random_state=0)
    >>> cv = ImbalancedSplit(parameters=(1.5, 1.2, 2, 0))
    >>> train, test = next(cv.split(X, D))
    >>> len(test), len(train) < 180
    (20, True)
    """

    def __init__(
        self,
        parameters: Sequence[float] | None = None,
        *,
        dataset: str | None = None,
        n_splits: int = 10,
        random_state: int | None = 0,
    ):
        if parameters is None and dataset is None:
            raise ValueError(
                "ImbalancedSplit needs parameters=(a, b, c, d) or dataset=<name> with built-in "
                "parameters."
            )
        self.parameters = (
            tuple(parameters) if parameters is not None else imbalanced_parameters(dataset)
        )
        if len(self.parameters) != 4:
            raise ValueError(f"parameters must be four values (a, b, c, d), got {parameters!r}.")
        self.dataset = dataset
        self.n_splits = check_positive_int(n_splits, name="n_splits", minimum=2)
        self.random_state = _check_random_state(random_state)

    def _kfold(self) -> KFold:
        return KFold(self.n_splits, shuffle=True, random_state=self.random_state)

    def split(self, X, D=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(imbalanced train, test)`` index arrays; ``D`` is required."""
        if D is None:
            raise ValueError(
                "ImbalancedSplit.split needs the label distributions D (the subset rule reads "
                "them); call split(X, D)."
            )
        D = check_distributions(D, name="D")
        if X is not None and len(X) != len(D):
            raise ValueError(f"X has {len(X)} rows but D has {len(D)}; they must match.")
        _check_parameters(self.parameters, D.shape[1])
        for train, test in self._kfold().split(D):
            yield train[imbalanced_subset(D[train], self.parameters)], test

    def get_n_splits(self, X=None, D=None, groups=None) -> int:
        return self.n_splits

    def split_position(self, index: int) -> tuple[int, int]:
        """``(repeat, fold)`` of split number ``index`` (a single repeat)."""
        return 0, int(index)

    def label_mass(self, X, D) -> np.ndarray:
        """Each label's summed degree over the imbalanced training rows, averaged over folds."""
        D = check_distributions(D, name="D")
        sums = [D[train].sum(axis=0) for train, _ in self.split(X, D)]
        return np.mean(sums, axis=0)

    def head_tail(self, X, D, *, ratio: float = 10.0) -> tuple[list[int], list[int]]:
        """Split the labels into head ("many") and tail ("few") labels.

        A label is a head label when its summed degree over the training rows, averaged over the
        folds, is more than ``ratio`` times the smallest such value; otherwise it is a tail label.

        Returns
        -------
        head, tail : list of int
            Label indices, ascending.
        """
        if not ratio > 0:
            raise ValueError(f"ratio must be positive, got {ratio!r}.")
        mass = self.label_mass(X, D)
        is_head = mass > ratio * mass.min()
        return [int(j) for j in np.flatnonzero(is_head)], [int(j) for j in np.flatnonzero(~is_head)]

    def __repr__(self) -> str:
        params = ", ".join(f"{v:g}" for v in self.parameters)
        return (
            f"ImbalancedSplit(parameters=({params}), n_splits={self.n_splits}, "
            f"random_state={self.random_state})"
        )

"""Repeated k-fold cross-validation, seeded, as a scikit-learn compatible splitter."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sklearn.model_selection import KFold
from sklearn.model_selection import RepeatedKFold as _SklearnRepeatedKFold

from .._validation import check_positive_int

__all__ = ["RepeatedKFold", "get_protocol", "describe_splitter"]


def _check_random_state(random_state) -> int | None:
    if random_state is None:
        return None
    if isinstance(random_state, bool) or not isinstance(random_state, int | np.integer):
        raise ValueError(
            f"random_state must be an int or None (a fixed seed keeps splits reproducible and "
            f"resumable), got {random_state!r}."
        )
    return int(random_state)


class RepeatedKFold:
    """``n_repeats`` times ``n_splits``-fold cross-validation with shuffling, seeded.

    Every row is in the test fold exactly once per repeat. Split number ``i`` is fold
    ``i % n_splits`` of repeat ``i // n_splits``. Repeats are shuffled with seeds drawn from
    ``random_state``, so the same ``random_state`` gives the same splits. ``split`` accepts the
    label distributions as ``D`` (ignored), so the splitter drops into
    :func:`sklearn.model_selection.cross_validate`.

    Parameters
    ----------
    n_splits : int, default=5
        Folds per repeat (at least 2).
    n_repeats : int, default=10
        Number of repeats.
    random_state : int or None, default=0
        Seed of the shuffling. ``None`` gives different splits each call (not resumable).

    Examples
    --------
    >>> import numpy as np
    >>> cv = RepeatedKFold(n_splits=5, n_repeats=2, random_state=0)
    >>> cv.get_n_splits()
    10
    >>> [len(test) for _, test in cv.split(np.zeros((10, 1)))][:3]
    [2, 2, 2]
    """

    def __init__(self, n_splits: int = 5, n_repeats: int = 10, random_state: int | None = 0):
        self.n_splits = check_positive_int(n_splits, name="n_splits", minimum=2)
        self.n_repeats = check_positive_int(n_repeats, name="n_repeats")
        self.random_state = _check_random_state(random_state)

    def split(self, X, D=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train, test)`` index arrays, ``n_splits * n_repeats`` times."""
        n = _n_rows(X)
        if n < self.n_splits:
            raise ValueError(
                f"X has {n} rows, fewer than n_splits={self.n_splits}; use fewer folds."
            )
        if self.n_repeats == 1:
            # Plain shuffled KFold (the imbalanced protocol shuffles the same way).
            inner = KFold(self.n_splits, shuffle=True, random_state=self.random_state)
        else:
            inner = _SklearnRepeatedKFold(
                n_splits=self.n_splits, n_repeats=self.n_repeats, random_state=self.random_state
            )
        yield from inner.split(np.empty((n, 0)))

    def get_n_splits(self, X=None, D=None, groups=None) -> int:
        """Number of ``(train, test)`` pairs ``split`` yields."""
        return self.n_splits * self.n_repeats

    def split_position(self, index: int) -> tuple[int, int]:
        """``(repeat, fold)`` of split number ``index``."""
        return divmod(int(index), self.n_splits)

    def __repr__(self) -> str:
        return (
            f"RepeatedKFold(n_splits={self.n_splits}, n_repeats={self.n_repeats}, "
            f"random_state={self.random_state})"
        )


def _n_rows(X) -> int:
    if X is None:
        raise ValueError("X must be given to split (only its number of rows is used), got None.")
    n = X.shape[0] if hasattr(X, "shape") else len(X)
    if n < 1:
        raise ValueError("X is empty; there are no rows to split.")
    return int(n)


def get_protocol(name: str, *, random_state: int | None = 0) -> RepeatedKFold:
    """A :class:`RepeatedKFold` preset by name, as the paper folders declare them.

    The presets are those of :func:`ldlkit.papers.protocol_presets` (each paper folder's
    ``Paper(presets=...)``); names are case-insensitive.

    Examples
    --------
    >>> from ldlkit.papers import protocol_presets
    >>> name = next(iter(protocol_presets()))
    >>> isinstance(get_protocol(name), RepeatedKFold)
    True
    """
    from ..papers import protocol_presets

    presets = {key.lower(): value for key, value in protocol_presets().items()}
    key = str(name).lower()
    if key not in presets:
        raise ValueError(
            f"unknown protocol {name!r}; known protocols: {', '.join(presets) or 'none'}."
        )
    n_splits, n_repeats, _ = presets[key]
    return RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)


def describe_splitter(cv) -> str:
    """A stable text that identifies a splitter's configuration (used to key saved results)."""
    return repr(cv) if type(cv).__repr__ is not object.__repr__ else type(cv).__name__

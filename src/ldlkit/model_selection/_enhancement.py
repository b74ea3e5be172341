"""The label enhancement (LE) protocol: binarize the ground truth, recover it, compare."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import numpy as np

from .._validation import check_distributions
from ..enhancement import binarize
from ..metrics import PAPER_METRICS, evaluate
from ._kfold import RepeatedKFold

__all__ = ["EnhancementProtocol", "evaluate_enhancement"]

_ROWS = ("train", "test", "all")


class EnhancementProtocol:
    """Splitter for label enhancement experiments (ConLE: 10 times 10-fold CV).

    LE is transductive: an enhancer recovers distributions for the rows it is given. For each
    split of an inner :class:`RepeatedKFold`, :meth:`enhancement_rows` says which rows are given to
    the enhancer and scored against the ground truth: the training part (default), the test part,
    or every row (then the split only repeats the same experiment; use ``cv=None`` for once).

    Parameters
    ----------
    n_splits : int, default=10
    n_repeats : int, default=10
    random_state : int, default=0
    rows : {"train", "test", "all"}, default="train"

    Examples
    --------
    >>> cv = EnhancementProtocol(n_splits=5, n_repeats=1)
    >>> train, test = next(cv.split(np.zeros((10, 2))))
    >>> len(cv.enhancement_rows(train, test))
    8
    """

    def __init__(
        self,
        n_splits: int = 10,
        n_repeats: int = 10,
        random_state: int | None = 0,
        *,
        rows: str = "train",
    ):
        if rows not in _ROWS:
            raise ValueError(f"rows must be one of {_ROWS}, got {rows!r}.")
        self.inner = RepeatedKFold(
            n_splits=n_splits, n_repeats=n_repeats, random_state=random_state
        )
        self.n_splits, self.n_repeats, self.random_state = n_splits, n_repeats, random_state
        self.rows = rows

    def split(self, X, D=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return self.inner.split(X, D, groups)

    def get_n_splits(self, X=None, D=None, groups=None) -> int:
        return self.inner.get_n_splits()

    def split_position(self, index: int) -> tuple[int, int]:
        return self.inner.split_position(index)

    def enhancement_rows(self, train: np.ndarray, test: np.ndarray) -> np.ndarray:
        """The rows an enhancer recovers (and is scored on) for one split."""
        if self.rows == "train":
            return np.asarray(train)
        if self.rows == "test":
            return np.asarray(test)
        return np.sort(np.concatenate([train, test]))

    def __repr__(self) -> str:
        return (
            f"EnhancementProtocol(n_splits={self.n_splits}, n_repeats={self.n_repeats}, "
            f"random_state={self.random_state}, rows={self.rows!r})"
        )


def evaluate_enhancement(
    enhancer,
    X,
    D,
    *,
    cv: EnhancementProtocol | None = None,
    metrics: Iterable[str] = PAPER_METRICS,
) -> list[dict]:
    """Run a label enhancer under the LE protocol and score it against the ground truth.

    The ground truth ``D`` is binarized with :func:`ldlkit.enhancement.binarize`; the enhancer's
    ``fit_transform(X[rows], logical[rows])`` is compared with ``D[rows]``. With ``cv=None`` all
    rows are used once; otherwise once per split of ``cv``.

    Returns
    -------
    list of dict
        One dict per split: ``{"split": i, "n_rows": ..., "time": seconds, <metric>: value}``.

    Examples
    --------
    >>> from ldlkit.base import BaseLabelEnhancer
    >>> class _Uniform(BaseLabelEnhancer):
    ...     def _fit_transform(self, X, logical):
    ...         return logical / logical.sum(axis=1, keepdims=True)
    >>> from ldlkit.datasets import make_artificial
    >>> X, D = make_artificial(50, random_state=0)
    >>> scores = evaluate_enhancement(_Uniform(), X, D, metrics=["cosine"])
    >>> len(scores), 0 < scores[0]["cosine"] <= 1
    (1, True)
    """
    from sklearn.base import clone

    D = check_distributions(D, name="D")
    X = np.asarray(X)
    if len(X) != len(D):
        raise ValueError(f"X has {len(X)} rows but D has {len(D)}; they must match.")
    metrics = list(metrics)
    logical = binarize(D)
    if cv is None:
        splits: list[np.ndarray] = [np.arange(len(D))]
    else:
        splits = [cv.enhancement_rows(tr, te) for tr, te in cv.split(X, D)]
    out = []
    for i, rows in enumerate(splits):
        model = clone(enhancer)
        start = time.perf_counter()
        recovered = model.fit_transform(X[rows], logical[rows])
        elapsed = time.perf_counter() - start
        scores = evaluate(D[rows], recovered, metrics)
        out.append({"split": i, "n_rows": int(len(rows)), "time": elapsed, **scores})
    return out

"""StructRF (Chen et al. 2018): a random forest whose splits see label distributions as wholes."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseLDL
from ._tree_arrays import route

__all__ = ["StructRF"]

#: Added to the best gain in the adaptive step (as float32's machine epsilon), so that a node
#: whose first cuts gain nothing does not divide by zero.
_EPS = float(np.finfo(np.float32).eps)


def two_means(D: np.ndarray, rng: np.random.RandomState, max_iter: int = 100) -> np.ndarray:
    """Split the rows of ``D`` into two clusters (k-means++ start, Lloyd's iterations).

    Returns 0/1 labels; all zeros when the rows cannot be split (all equal).
    """
    first = D[rng.randint(len(D))]
    far = ((D - first) ** 2).sum(axis=1)
    if far.max() <= 0:
        return np.zeros(len(D), dtype=np.int8)
    second = D[rng.choice(len(D), p=far / far.sum())]
    centres = np.stack([first, second])
    labels = np.zeros(len(D), dtype=np.int8)
    for _ in range(max_iter):
        distances = ((D[:, None, :] - centres[None]) ** 2).sum(axis=2)
        new = np.argmin(distances, axis=1).astype(np.int8)
        if np.array_equal(new, labels) and _ > 0:
            break
        labels = new
        for c in (0, 1):
            if np.any(labels == c):
                centres[c] = D[labels == c].mean(axis=0)
    return labels


def _binary_entropy(ones: np.ndarray, total: np.ndarray) -> np.ndarray:
    p = np.divide(ones, total, out=np.zeros(ones.shape), where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(p > 0, p * np.log2(p), 0.0) + np.where(p < 1, (1 - p) * np.log2(1 - p), 0.0))
    return h


def cut_gains(X: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Information gains of every cut of every column of ``X`` on the binary ``labels``.

    Column ``f`` of the returned arrays lists, in increasing order of the threshold, the gains of
    the cuts between consecutive sorted values of feature ``f`` and the thresholds (midpoints);
    a cut between two equal values gets gain ``-inf``.
    """
    n = len(X)
    order = np.argsort(X, axis=0, kind="stable")
    xs = np.take_along_axis(X, order, axis=0)
    cs = labels.astype(float)[order]
    n_left = np.arange(1, n, dtype=float)[:, None]
    ones_left = np.cumsum(cs, axis=0)[:-1]
    total_ones = float(labels.sum())
    parent = _binary_entropy(np.array([total_ones]), np.array([float(n)]))[0]
    left = _binary_entropy(ones_left, np.broadcast_to(n_left, ones_left.shape))
    right = _binary_entropy(total_ones - ones_left, np.broadcast_to(n - n_left, ones_left.shape))
    gains = parent - (n_left * left + (n - n_left) * right) / n
    gains[xs[:-1] == xs[1:]] = -np.inf
    return gains, (xs[:-1] + xs[1:]) / 2.0


class StructRF(BaseLDL):
    """StructRF (Chen et al. 2018): structured random forest for label distribution learning.

    Each tree grows from a random share of the training rows. At a node, the rows' label
    distributions are clustered into two groups (2-means), which turns them into binary labels;
    the split is the feature and threshold with the largest information gain on those labels. A
    node becomes a leaf at ``max_depth``, below ``min_samples_split`` rows, or when no cut gains;
    a leaf predicts the mean distribution of its rows, and the forest the mean of its trees.

    The paper's adaptive variable step (``search="adaptive"``, the default) scans each feature's
    cuts in increasing order and, after evaluating a cut with gain ``g``, skips ahead by
    ``floor(alpha * n / (1 + exp(beta * (g / g_best - 1/2))))`` cuts (``n`` the node's rows,
    ``g_best`` the best gain of the node so far): far from the best, it strides; near it, it scans
    every cut. ``search="exhaustive"`` evaluates every cut.

    Reading: the defaults (20 trees, 80 % of the rows per tree drawn without replacement, depth 20,
    5 rows to split, ``alpha=0.25``, ``beta=8``) and the details of the step (the best gain is the
    node's over the features scanned so far; each feature's scan starts with step 1) are the
    reference package's. Every feature is considered at every node (``max_features=None``);
    a random subset per node, as in Breiman's forests, is available. The 2-means clustering starts
    from k-means++ seeded by ``random_state``.

    Parameters
    ----------
    n_estimators : int, default=20
    sampling_ratio : float, default=0.8
        Share of the training rows each tree is grown from (drawn without replacement).
    max_depth : int or None, default=20
    min_samples_split : int, default=5
        Nodes with fewer rows become leaves.
    search : {"adaptive", "exhaustive"}, default="adaptive"
    alpha : float, default=0.25
        Scale of the adaptive step (share of the node's rows).
    beta : float, default=8.0
        Steepness of the adaptive step.
    max_features : int, float, "sqrt", "log2" or None, default=None
        Features considered at each node (None: all; a float: that share).
    random_state : int, RandomState or None, default=None
        Seeds the row samples, the clusterings and the feature subsets.

    Attributes
    ----------
    trees_ : list of dict
        Each tree's arrays: ``feature`` (-1 at leaves), ``threshold``, ``left``, ``right`` and
        ``value`` (the leaves' mean distributions).

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.ensemble import StructRF
    >>> X = np.array([[0.0], [0.1], [0.2], [0.8], [0.9], [1.0]])
    >>> D = np.array([[0.8, 0.2]] * 3 + [[0.2, 0.8]] * 3)
    >>> model = StructRF(min_samples_split=2, random_state=0).fit(X, D)
    >>> model.predict([[0.0], [1.0]]).round(2)
    array([[0.8, 0.2],
           [0.2, 0.8]])
    """

    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "sampling_ratio": [Interval(Real, 0, 1, closed="right")],
        "max_depth": [Interval(Integral, 0, None, closed="left"), None],
        "min_samples_split": [Interval(Integral, 2, None, closed="left")],
        "search": [StrOptions({"adaptive", "exhaustive"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "max_features": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
            StrOptions({"sqrt", "log2"}),
            None,
        ],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_estimators: int = 20,
        sampling_ratio: float = 0.8,
        max_depth: int | None = 20,
        min_samples_split: int = 5,
        search: str = "adaptive",
        alpha: float = 0.25,
        beta: float = 8.0,
        max_features=None,
        random_state=None,
    ) -> None:
        self.n_estimators = n_estimators
        self.sampling_ratio = sampling_ratio
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.search = search
        self.alpha = alpha
        self.beta = beta
        self.max_features = max_features
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"n_estimators": 3, "max_depth": 4}
        tags.ldl.test_variants = [{"search": "exhaustive", "max_features": "sqrt"}]
        return tags

    def _n_features_per_node(self, d: int) -> int:
        m = self.max_features
        if m is None:
            return d
        if m == "sqrt":
            return max(1, int(np.sqrt(d)))
        if m == "log2":
            return max(1, int(np.log2(d)))
        if isinstance(m, Integral):
            return min(int(m), d)
        return max(1, int(m * d))

    def _best_split(self, X, labels, rng):
        """(feature, threshold, rows going left) of the node, or None when no cut gains."""
        n, d = X.shape
        features = np.arange(d)
        k = self._n_features_per_node(d)
        if k < d:
            features = np.sort(rng.choice(d, size=k, replace=False))
        gains, thresholds = cut_gains(X[:, features], labels)
        if self.search == "exhaustive":
            # the first maximum in feature order, then threshold order (as the scan finds it)
            flat = int(np.argmax(gains.T))
            column, cut = divmod(flat, gains.shape[0])
            if not gains[cut, column] > 0:
                return None
            best = (column, cut)
        else:
            best = self._adaptive_scan(gains, n)
            if best is None:
                return None
        column, cut = best
        f, t = int(features[column]), float(thresholds[cut, column])
        return f, t, X[:, f] <= t

    def _adaptive_scan(self, gains: np.ndarray, n: int):
        """The paper's variable-step scan of the cuts: (column, cut) of the best gain seen."""
        alpha_n, beta = self.alpha * n, self.beta
        best_gain, best = 0.0, None
        column_max = gains.max(axis=0).tolist()
        for column in range(gains.shape[1]):
            if not column_max[column] > best_gain:
                continue  # no cut of this feature can beat the best: its scan changes nothing
            valid = np.flatnonzero(np.isfinite(gains[:, column])).tolist()
            values = gains[valid, column].tolist()
            i = 0
            while i < len(valid):
                gain = values[i]
                if gain > best_gain:
                    best_gain, best = gain, (column, valid[i])
                ratio = gain / (best_gain + _EPS)
                step = int(alpha_n / (1.0 + math.exp(min(beta * (ratio - 0.5), 700.0))))
                i += max(step, 1)
        return best

    def _grow(self, X, D, rng) -> dict:
        feature, threshold, left, right, value = [], [], [], [], []

        def new_node():
            for array in (feature, threshold, left, right):
                array.append(-1)
            value.append(None)
            return len(feature) - 1

        stack = [(new_node(), np.arange(len(X)), 0)]
        while stack:
            node, rows, depth = stack.pop()
            value[node] = D[rows].mean(axis=0)
            if (self.max_depth is not None and depth >= self.max_depth) or len(
                rows
            ) < self.min_samples_split:
                continue
            split = self._best_split(X[rows], two_means(D[rows], rng), rng)
            if split is None:
                continue
            f, t, goes_left = split
            feature[node], threshold[node] = f, t
            left[node], right[node] = new_node(), new_node()
            stack.append((right[node], rows[~goes_left], depth + 1))
            stack.append((left[node], rows[goes_left], depth + 1))
        return {
            "feature": np.asarray(feature, dtype=np.intp),
            "threshold": np.asarray(threshold, dtype=float),
            "left": np.asarray(left, dtype=np.intp),
            "right": np.asarray(right, dtype=np.intp),
            "value": np.asarray(value, dtype=float),
        }

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        rng = check_random_state(self.random_state)
        n = len(X)
        size = max(1, int(n * self.sampling_ratio))
        self.trees_ = []
        for _ in range(self.n_estimators):
            rows = rng.choice(n, size=size, replace=False)
            self.trees_.append(self._grow(X[rows], D[rows], rng))

    def _predict(self, X: np.ndarray) -> np.ndarray:
        return np.mean([route(tree, X) for tree in self.trees_], axis=0)

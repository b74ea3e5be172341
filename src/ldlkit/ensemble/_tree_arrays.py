"""Fitted trees as plain arrays, so that a model file holds no scikit-learn tree objects."""

from __future__ import annotations

import numpy as np


def tree_arrays(fitted) -> dict:
    """The arrays of a fitted scikit-learn regression tree (one output).

    ``feature`` is -1 at the leaves; a row goes to ``left`` where its feature is at most
    ``threshold``; ``value`` is each node's output.
    """
    tree = fitted.tree_
    return {
        "feature": np.where(tree.children_left >= 0, tree.feature, -1).astype(np.intp),
        "threshold": tree.threshold.astype(float),
        "left": tree.children_left.astype(np.intp),
        "right": tree.children_right.astype(np.intp),
        "value": tree.value[:, 0, 0].astype(float),
    }


def route(tree: dict, X: np.ndarray) -> np.ndarray:
    """The leaf value (or row of values) each row of ``X`` reaches in ``tree``."""
    node = np.zeros(len(X), dtype=np.intp)
    active = np.flatnonzero(tree["feature"][node] >= 0)
    while len(active):
        here = node[active]
        goes_left = X[active, tree["feature"][here]] <= tree["threshold"][here]
        node[active] = np.where(goes_left, tree["left"][here], tree["right"][here])
        active = active[tree["feature"][node[active]] >= 0]
    return tree["value"][node]


def route_many(trees: list[dict], X: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
    """The leaf value each row of ``X`` reaches in each of ``trees``, shape ``(n, len(trees))``.

    The same comparisons as :func:`route`, for all trees in one pass per depth level: the
    trees' nodes are stacked into one set of arrays, and the rows go through ``chunk``
    (row, tree) pairs at a time.
    """
    sizes = np.array([len(tree["feature"]) for tree in trees], dtype=np.intp)
    roots = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    shift = np.repeat(roots, sizes)
    feature = np.concatenate([tree["feature"] for tree in trees])
    threshold = np.concatenate([tree["threshold"] for tree in trees])
    leaf = feature < 0
    left = np.where(leaf, -1, np.concatenate([tree["left"] for tree in trees]) + shift)
    right = np.where(leaf, -1, np.concatenate([tree["right"] for tree in trees]) + shift)
    value = np.concatenate([tree["value"] for tree in trees])
    n, T = len(X), len(trees)
    out = np.empty((n, T) + value.shape[1:], dtype=value.dtype)
    step = max(1, chunk // max(T, 1))
    for start in range(0, n, step):
        block = X[start : start + step]
        node = np.tile(roots, len(block))
        active = np.flatnonzero(~leaf[node])
        while len(active):
            here = node[active]
            goes_left = block[active // T, feature[here]] <= threshold[here]
            node[active] = np.where(goes_left, left[here], right[here])
            active = active[~leaf[node[active]]]
        out[start : start + step] = value[node].reshape((len(block), T) + value.shape[1:])
    return out

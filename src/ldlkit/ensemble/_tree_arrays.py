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

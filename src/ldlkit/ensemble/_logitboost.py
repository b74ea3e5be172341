"""LDLogitBoost (Xing, Geng & Xue 2016): logistic boosting of regression trees for LDL."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from scipy.special import log_softmax
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseLDL
from ._tree_arrays import route_many, tree_arrays

__all__ = ["LDLogitBoost"]

#: Floor of the Newton weights ``p (1 - p)``, so that a saturated probability never divides by 0.
_MIN_WEIGHT = 1e-12
#: The trees see working responses and weights rounded to this many decimals: two splits that are
#: equally good (common on small nodes) then stay tied exactly, so that round-off in the degrees
#: (e.g. from renormalising them) cannot decide between them.
_DECIMALS = 10


class LDLogitBoost(BaseLDL):
    """LDLogitBoost (Xing, Geng & Xue 2016): an additive softmax model grown by LogitBoost.

    The prediction is ``p = softmax(F(x))`` with ``F_j`` a sum of regression trees, one new tree
    per label and round. A round is one diagonal Newton step of the KL divergence
    ``sum_i KL(d_i || p_i)`` (equivalently, of the cross-entropy with the degrees as soft
    targets), as in Friedman, Hastie & Tibshirani's multi-class LogitBoost with the 0/1 class
    indicators replaced by the degrees: with the current ``p``, label ``j``'s tree is fitted by
    weighted least squares to the working responses ``z_ij = (d_ij - p_ij) / w_ij`` with weights
    ``w_ij = p_ij (1 - p_ij)``, and ``F_j`` grows by
    ``learning_rate * (L - 1) / L * (f_j - centre)``.

    Reading: LogitBoost centres the trees' outputs across the labels (``centering="labels"``,
    the default), which keeps ``sum_j F_j = 0`` and leaves ``p`` exactly as without centring; the
    reference package instead subtracts each tree's mean over the training rows
    (``centering="samples"``), which removes the tree's overall offset for that label and does
    change ``p``. The defaults of the trees (fully grown), of the number of rounds (100) and of
    the shrinkage (0.05) are the reference package's; LogitBoost's optional clipping of the
    working responses is off by default (``max_response=None``) and available. The trees see the
    working responses and weights rounded to 10 decimals, so that ties between equally good
    splits are not broken by round-off.

    Parameters
    ----------
    n_estimators : int, default=100
        Boosting rounds (each fits one tree per label).
    learning_rate : float, default=0.05
        Shrinkage of every tree's contribution.
    max_depth : int or None, default=None
        Depth limit of the regression trees (None: grown until the leaves are pure or smaller
        than ``min_samples_split``).
    min_samples_split : int, default=2
    min_samples_leaf : int, default=1
    max_features : int, float, "sqrt", "log2" or None, default=None
        Features considered at each split (scikit-learn's meaning).
    centering : {"labels", "samples"}, default="labels"
        How a round's tree outputs are centred (see Reading).
    max_response : float or None, default=None
        Clip the working responses to ``[-max_response, max_response]`` (LogitBoost suggests
        2 to 4); None does not clip.
    random_state : int, RandomState or None, default=None
        Seeds the trees' feature permutations (ties between equally good splits).

    Attributes
    ----------
    trees_ : list of list of dict
        ``trees_[m][j]`` is round ``m``'s tree for label ``j``, as arrays (``feature``, -1 at
        the leaves; ``threshold``; ``left``; ``right``; ``value``): scikit-learn's fitted tree
        without the object, so that a model file holds only arrays.
    offsets_ : ndarray of shape (n_estimators, n_labels)
        What ``centering="samples"`` subtracted from each tree (zeros otherwise).
    train_loss_ : ndarray of shape (n_estimators + 1,)
        Mean KL divergence on the training rows before the first round and after each round.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.ensemble import LDLogitBoost
    >>> X = np.array([[0.0], [0.3], [0.7], [1.0]])
    >>> D = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]])
    >>> model = LDLogitBoost(n_estimators=20, learning_rate=0.5, random_state=0).fit(X, D)
    >>> model.predict([[0.0], [1.0]]).argmax(axis=1)
    array([0, 1])
    """

    _parameter_constraints = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_depth": [Interval(Integral, 1, None, closed="left"), None],
        "min_samples_split": [Interval(Integral, 2, None, closed="left")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "max_features": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
            StrOptions({"sqrt", "log2"}),
            None,
        ],
        "centering": [StrOptions({"labels", "samples"})],
        "max_response": [Interval(Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        n_estimators: int = 100,
        learning_rate: float = 0.05,
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        max_features=None,
        centering: str = "labels",
        max_response: float | None = None,
        random_state=None,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.centering = centering
        self.max_response = max_response
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"n_estimators": 5, "max_depth": 3}
        tags.ldl.test_variants = [{"centering": "samples", "max_response": 4.0}]
        return tags

    def _tree(self, seed: int):
        from sklearn.tree import DecisionTreeRegressor

        return DecisionTreeRegressor(
            max_depth=self.max_depth,
            min_samples_split=self.min_samples_split,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            random_state=seed,
        )

    def _step(self, outputs: np.ndarray) -> np.ndarray:
        """A round's increment of F from its trees' outputs (n, L), without the offsets."""
        L = outputs.shape[1]
        if self.centering == "labels":
            outputs = outputs - outputs.mean(axis=1, keepdims=True)
        return self.learning_rate * (L - 1) / L * outputs

    @staticmethod
    def _kl(D: np.ndarray, F: np.ndarray) -> float:
        logP = log_softmax(F, axis=1)
        positive = D > 0
        return float((D[positive] * (np.log(D[positive]) - logP[positive])).sum() / len(D))

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        n, L = D.shape
        # the trees' own dtype and layout, made once: the trees then skip their input checks
        X = np.ascontiguousarray(X, dtype=np.float32)
        rng = check_random_state(self.random_state)
        F = np.zeros((n, L))
        fitted, offsets, losses = [], np.zeros((self.n_estimators, L)), [self._kl(D, F)]
        for m in range(self.n_estimators):
            P = np.exp(log_softmax(F, axis=1))
            W = np.maximum(P * (1.0 - P), _MIN_WEIGHT)
            Z = (D - P) / W
            if self.max_response is not None:
                Z = np.clip(Z, -self.max_response, self.max_response)
            # one contiguous row per label, as the trees take them
            W, Z = np.round(W.T, _DECIMALS), np.round(Z.T, _DECIMALS)
            seeds = rng.randint(np.iinfo(np.int32).max, size=L)
            round_trees = [
                self._tree(int(seeds[j])).fit(X, Z[j], sample_weight=W[j], check_input=False)
                for j in range(L)
            ]
            outputs = np.column_stack([tree.predict(X, check_input=False) for tree in round_trees])
            if self.centering == "samples":
                offsets[m] = outputs.mean(axis=0)
                outputs = outputs - offsets[m]
            F += self._step(outputs)
            fitted.append(round_trees)
            losses.append(self._kl(D, F))
        self.trees_ = [[tree_arrays(tree) for tree in round_trees] for round_trees in fitted]
        self.offsets_ = offsets
        self.train_loss_ = np.asarray(losses)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        n, L = X.shape[0], self.n_labels_
        # compared as scikit-learn's trees compare: the float32 feature against the threshold
        X = np.asarray(X, dtype=np.float32).astype(np.float64)
        outputs = route_many([tree for round_trees in self.trees_ for tree in round_trees], X)
        outputs = outputs.reshape(n, len(self.trees_), L)
        F = np.zeros((n, L))
        for m, offset in enumerate(self.offsets_):  # summed round by round, as fitted
            F += self._step(outputs[:, m] - offset)
        return np.exp(log_softmax(F, axis=1))

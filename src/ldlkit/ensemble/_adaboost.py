"""AdaBoost-LDL: boosting an LDL learner by resampling the rows it ranks labels worst on."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseLDL

__all__ = ["AdaBoostLDL", "ranking_loss_rows"]


def ranking_loss_rows(D: np.ndarray, P: np.ndarray) -> np.ndarray:
    """Per row, the discounted pairwise ranking loss of ``P`` against the label order of ``D``.

    The labels are sorted by decreasing true degree; for every pair of positions ``j < k`` in that
    order, ``max(p_(k) - p_(j), 0)`` (the predicted degree of the less described label exceeding
    the more described one's) is summed with weight ``1 / log2(j + 2)``, so that misorders at the
    top count most; the sum is divided by ``sum_{j < L-1} 1 / log2(j + 2)``.

    Examples
    --------
    >>> import numpy as np
    >>> ranking_loss_rows(np.array([[0.6, 0.3, 0.1]]), np.array([[0.2, 0.5, 0.3]]))
    array([0.245...])
    """
    L = D.shape[1]
    order = np.argsort(-D, axis=1, kind="stable")
    ranked = np.take_along_axis(P, order, axis=1)
    discount = 1.0 / np.log2(np.arange(L - 1) + 2.0)
    loss = np.zeros(len(D))
    for j in range(L - 1):
        loss += discount[j] * np.maximum(ranked[:, j + 1 :] - ranked[:, [j]], 0.0).sum(axis=1)
    return loss / discount.sum() if L > 1 else loss


class AdaBoostLDL(BaseLDL):
    """AdaBoost-LDL: a weighted vote of LDL models, each fitted to rows resampled by past losses.

    Every row starts with the same sampling probability. Each round draws ``n`` rows with
    replacement by those probabilities, fits a clone of ``estimator`` to them, and scores it on
    every training row with :func:`ranking_loss_rows`; the probabilities then grow by
    ``alpha * loss_i / S`` (``S`` the sum of all losses of the rounds so far) and are
    renormalised, so rows whose labels were ranked wrong are drawn more often. The prediction is
    the average of the rounds' predictions weighted by ``weighting``.

    Reading: this is the boosting scheme of the reference package (python-ldl's ``AdaBoostLDL``),
    which cites no paper for it; the loss, the update and the defaults are its. It weights each
    round by its total training loss (``weighting="loss"``: a round that ranked worse counts
    more), the opposite of AdaBoost's vote; ``"inverse_loss"`` (weights proportional to
    ``1 / loss``) and ``"uniform"`` are available.

    Parameters
    ----------
    estimator : ldlkit LDL estimator or None, default=None
        The learner boosted (cloned every round; where it has a ``random_state`` it is seeded
        from this model's). None: :class:`ldlkit.linear.SABFGS`.
    n_estimators : int, default=10
        Rounds.
    alpha : float, default=1.0
        Step of the sampling-probability update.
    weighting : {"loss", "inverse_loss", "uniform"}, default="loss"
        Weights of the rounds in the prediction (see Reading).
    random_state : int, RandomState or None, default=None
        Seeds the resampling and the rounds' learners.

    Attributes
    ----------
    estimators_ : list of fitted estimators
    losses_ : ndarray of shape (n_estimators, n_samples)
        Each round's ranking loss on every training row.
    sample_probabilities_ : ndarray of shape (n_estimators, n_samples)
        The probabilities each round drew its rows with.
    estimator_weights_ : ndarray of shape (n_estimators,)

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.ensemble import AdaBoostLDL
    >>> from ldlkit.neighbors import AAKNN
    >>> X = np.array([[0.0], [0.1], [0.2], [0.8], [0.9], [1.0]])
    >>> D = np.array([[0.8, 0.2]] * 3 + [[0.2, 0.8]] * 3)
    >>> model = AdaBoostLDL(estimator=AAKNN(k=2), n_estimators=3, random_state=0).fit(X, D)
    >>> model.predict([[0.0], [1.0]]).argmax(axis=1)
    array([0, 1])
    """

    _parameter_constraints = {
        "estimator": [BaseLDL, None],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "weighting": [StrOptions({"loss", "inverse_loss", "uniform"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        estimator=None,
        n_estimators: int = 10,
        alpha: float = 1.0,
        weighting: str = "loss",
        random_state=None,
    ) -> None:
        self.estimator = estimator
        self.n_estimators = n_estimators
        self.alpha = alpha
        self.weighting = weighting
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.ldl.test_params = {"n_estimators": 3}
        from ..dummy import MeanPredictor

        tags.ldl.test_variants = [
            {"weighting": "inverse_loss"},
            {"weighting": "uniform", "estimator": MeanPredictor()},
        ]
        return tags

    def _template(self):
        if self.estimator is None:
            from ..linear import SABFGS

            return SABFGS()
        return self.estimator

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        n = len(X)
        rng = check_random_state(self.random_state)
        template = self._template()
        seeded = "random_state" in template.get_params()
        p = np.full(n, 1.0 / n)
        models, losses, probabilities = [], np.zeros((self.n_estimators, n)), []
        for m in range(self.n_estimators):
            probabilities.append(p.copy())
            rows = rng.choice(n, size=n, replace=True, p=p)
            model = clone(template)
            if seeded:
                model.set_params(random_state=int(rng.randint(np.iinfo(np.int32).max)))
            model.fit(X[rows], D[rows])
            losses[m] = ranking_loss_rows(D, np.asarray(model.predict(X)))
            models.append(model)
            total = losses[: m + 1].sum()
            if total > 0:
                p = p + self.alpha * losses[m] / total
                p /= p.sum()
        self.estimators_ = models
        self.losses_ = losses
        self.sample_probabilities_ = np.asarray(probabilities)
        self.estimator_weights_ = self._weights(losses.sum(axis=1))

    def _weights(self, round_losses: np.ndarray) -> np.ndarray:
        uniform = np.full(len(round_losses), 1.0 / len(round_losses))
        if self.weighting == "uniform":
            return uniform
        if self.weighting == "loss":
            total = round_losses.sum()
            return round_losses / total if total > 0 else uniform
        if np.any(round_losses == 0):  # a perfect round: the perfect rounds share the vote
            perfect = (round_losses == 0).astype(float)
            return perfect / perfect.sum()
        inverse = 1.0 / round_losses
        return inverse / inverse.sum()

    def _predict(self, X: np.ndarray) -> np.ndarray:
        P = np.zeros((X.shape[0], self.n_labels_))
        for weight, model in zip(self.estimator_weights_, self.estimators_, strict=True):
            P += weight * np.asarray(model.predict(X))
        return P

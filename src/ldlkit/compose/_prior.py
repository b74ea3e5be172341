"""Label-prior correction of an LDL estimator's predictions."""

from __future__ import annotations

from numbers import Real
from typing import ClassVar

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseLDL, get_tags

__all__ = ["PriorCorrectedLDL"]

#: Smallest training prior a label is given (a label never seen in training would otherwise get an
#: infinite correction).
PRIOR_FLOOR = 1e-6


class PriorCorrectedLDL(BaseLDL):
    """Any LDL estimator with its predictions corrected from the training to a target label prior.

    ``fit`` fits a clone of ``estimator`` and records the training label prior ``pi`` (the mean
    of the training distributions, ``training_prior_``). ``predict`` returns, row by row,

    ``P'_j ∝ P_j * (t_j / pi_j) ** strength``

    with ``P`` the wrapped model's prediction and ``t`` the target prior (uniform by default).

    Why ``strength=1`` by default: a model fitted by a proper loss (the KL divergence, maximum
    entropy) estimates ``E[d | x]`` under the training rows' label prior. If the test rows share
    the class-conditional feature distributions but their label prior is ``t`` instead of ``pi``
    (a prior shift, which is how the imbalanced-LDL protocol builds its training folds: it keeps
    rows by their degrees, not by their features), Bayes' rule gives exactly this correction with
    exponent 1 (Saerens et al., 2002; the logit adjustment of Menon et al., 2021, with
    ``tau = 1``). A loss that already rebalances labels (OFR-DB, RDA) has made part of the
    correction, so exponent 1 may over-correct it; ``strength`` is a parameter for that reason,
    but its default is fixed by this argument and is never chosen on test data.

    Parameters
    ----------
    estimator : ldlkit LDL estimator or None, default=None
        The model to correct (cloned in ``fit``); None: :class:`ldlkit.linear.SABFGS`, the
        maximum-entropy model, whose predictions estimate the training posterior (with its
        early-stopping split seeded, ``random_state=0``, so that the default is deterministic).
    strength : float, default=1.0
        The exponent ``tau``; 0 returns the wrapped model's predictions unchanged.
    target_prior : "uniform" or array-like of shape (n_labels,), default="uniform"
        The label prior to correct towards (normalised to sum to 1).

    Attributes
    ----------
    estimator_ : fitted estimator
    training_prior_ : ndarray of shape (n_labels,)
        Mean training distribution, floored at 1e-6 and renormalised.
    target_prior_ : ndarray of shape (n_labels,)
    correction_ : ndarray of shape (n_labels,)
        ``(target_prior_ / training_prior_) ** strength``.

    Examples
    --------
    >>> from ldlkit.compose import PriorCorrectedLDL
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neighbors import AAKNN
    >>> X, D = make_artificial(60, random_state=0)
    >>> model = PriorCorrectedLDL(estimator=AAKNN(k=3)).fit(X, D)
    >>> model.predict(X[:2]).shape
    (2, 3)
    """

    _parameter_constraints: ClassVar[dict[str, list]] = {
        "estimator": [BaseLDL, None],
        "strength": [Interval(Real, 0, None, closed="left")],
        "target_prior": [StrOptions({"uniform"}), "array-like"],
    }

    def __init__(self, *, estimator=None, strength: float = 1.0, target_prior="uniform"):
        self.estimator = estimator
        self.strength = strength
        self.target_prior = target_prior

    def _template(self) -> BaseLDL:
        if self.estimator is None:
            from ..linear import SABFGS

            return SABFGS(random_state=0)  # its early-stopping split: same data, same model
        return self.estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            inner = get_tags(self._template()).ldl
        except (TypeError, ValueError):  # an invalid estimator: fit will say why
            return tags
        tags.ldl.requires_torch = inner.requires_torch
        tags.ldl.requires_nonzero_rows = inner.requires_nonzero_rows
        tags.ldl.min_fit_samples = inner.min_fit_samples
        tags.ldl.deterministic = inner.deterministic
        tags.ldl.fast_demo = inner.fast_demo
        tags.ldl.test_params = {}
        from ..dummy import MeanPredictor

        tags.ldl.test_variants = [{"strength": 0.5, "estimator": MeanPredictor()}]
        return tags

    def _target(self, n_labels: int) -> np.ndarray:
        if isinstance(self.target_prior, str):
            return np.full(n_labels, 1.0 / n_labels)
        target = np.asarray(self.target_prior, dtype=np.float64).ravel()
        if target.shape != (n_labels,) or not np.all(np.isfinite(target)) or (target < 0).any():
            raise ValueError(
                f"target_prior must be 'uniform' or {n_labels} non-negative finite numbers (one "
                f"per label), got {self.target_prior!r}."
            )
        if target.sum() <= 0:
            raise ValueError("target_prior sums to 0; give at least one positive weight.")
        return target / target.sum()

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        target = self._target(D.shape[1])
        self.estimator_ = clone(self._template()).fit(X, D)
        prior = np.maximum(D.mean(axis=0), PRIOR_FLOOR)
        self.training_prior_ = prior / prior.sum()
        self.target_prior_ = target
        self.correction_ = (target / self.training_prior_) ** float(self.strength)

    def _predict(self, X: np.ndarray) -> np.ndarray:
        P = np.asarray(self.estimator_.predict(X), dtype=np.float64) * self.correction_
        total = P.sum(axis=1, keepdims=True)
        # a row the correction zeroes entirely (only when the target prior is zero where P is
        # not): fall back to the target prior
        return np.where(total > 0, P / np.where(total > 0, total, 1.0), self.target_prior_)

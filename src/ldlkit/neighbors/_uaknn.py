"""UAKNN and WUAKNN (Wang, Zhang & Zheng, "UAKNN: Label Distribution Learning via
Uncertainty-Aware KNN")."""

from __future__ import annotations

from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from ._common import (
    _NeighborsBase,
    clipped_gaussian_mean,
    clipped_gaussian_sample_mean,
    query_normals,
    softmax_base,
)

_WEIGHT_MODES = ("monte_carlo", "expected")
_WEIGHT_MEANS = ("softmax", "cosine")
_PROTOTYPE_RULES = ("threshold", "argmax")
_DRAWS = ("shared", "per_query")
#: Per-query Monte-Carlo draws are generated for at most this many numbers at a time.
_DRAW_CHUNK = 2**22


class UAKNN(_NeighborsBase):
    """Uncertainty-aware kNN for label distribution learning.

    For a query ``x``:

    1. **Prototype matching.** Label ``i``'s prototype is the set of training rows whose degree on
       label ``i`` exceeds ``1/L`` (paper Eq. 2; prototypes may overlap). In each prototype the row
       with the highest cosine similarity to ``x`` is found: similarity ``mu_i``, distribution
       ``D_i``. The ``L`` similarities are normalised with a softmax: ``p_i``.
    2. **Uncertainty-aware weights.** ``S_i`` is the mean of ``n_samples`` draws of
       ``N(p_i, variance)`` clipped to [0, 1]; the micro-perturbation ``c_i`` is the same with mean
       ``c_ratio * p_i``; ``w_i = S_i + c_i`` (paper Eq. 4, Steps 1-4).
    3. **Combination.** ``prediction = Softmax*(sum_i w_i D_i)`` where Softmax* is a softmax with
       base ``base`` (2 in the paper) instead of e (paper Eq. 3).

    Parameters
    ----------
    variance : float, default=0.5
        Variance (not standard deviation) of the Gaussians of Steps 2 and 4.
    n_samples : int, default=100
        Draws per Gaussian in the Monte-Carlo mode.
    c_ratio : float, default=0.05
        Mean of the perturbation Gaussian as a fraction of the mean of the main one.
    base : float, default=2.0
        Base of Softmax* applied to the combined distribution.
    weights : {"monte_carlo", "expected"}, default="monte_carlo"
        ``"monte_carlo"`` averages ``n_samples`` seeded draws as the paper does; ``"expected"`` uses
        the closed-form mean of the clipped Gaussian (no sampling, deterministic). With the default
        parameters each weight's Monte-Carlo error is about 0.035-0.04 (mean absolute), and the
        predictions differ by 0.00004 (Yeast_alpha) to 0.0045 (M2B) in mean absolute degree
        (measured; see ``docs/reproduction.md``).
    draws : {"shared", "per_query"}, default="shared"
        Monte-Carlo mode only. ``"shared"``: ``n_samples`` draws per label are drawn once in
        ``fit`` and reused for every query (common random numbers). ``"per_query"``: every query
        gets its own draws, as in the paper's per-sample description; they are a deterministic
        function of ``random_state`` and the query row (see Notes), so the guarantees below still
        hold. With shared draws the Monte-Carlo error is the same for every query and does not
        average out over a test set; with per-query draws it does.
    weight_mean : {"softmax", "cosine"}, default="softmax"
        Mean of the Gaussians: the softmax-normalised similarity ``p_i`` (Step 1 normalises the
        similarities "to make the weights sum to 1" before Step 2 uses them) or the raw cosine
        similarity ``mu_i`` (Step 2's literal wording). The paper is ambiguous; see the docs.
    prototypes : {"threshold", "argmax"}, default="threshold"
        How the prototypes are built. ``"threshold"`` is Eq. 2 literally: label ``i``'s prototype
        holds the rows with ``D[:, i] > 1/L`` (prototypes overlap; an exactly uniform row is in
        none). ``"argmax"`` partitions the rows by their largest degree (first label on ties), the
        reading under which, as the paper's text says, the prototype sizes sum to the number of
        training rows.
    prototype_matching : bool, default=True
        False is the paper's ablation "w/o prototype matching": the ``L`` most similar rows of the
        whole training set replace the per-prototype best rows.
    perturbation : bool, default=True
        False is the ablation "w/o micro-perturbation": ``c_i = 0``.
    random_state : int, RandomState instance or None, default=None
        Seeds the Monte-Carlo draws. Same seed, same predictions.
    backend : {"numpy", "torch", "faiss"}, default="numpy"
        Where the similarity search runs. ``"numpy"`` and ``"torch"`` are exact blocked searches;
        ``"faiss"`` builds approximate faiss indexes (IVF by default, or HNSW; one per prototype,
        and one over all rows for whole-set searches) for training sets too large for brute force.
        Candidates are re-scored exactly, so only the set of rows found is approximate. Subsets
        smaller than ``index_params["min_rows"]`` use an exact ``IndexFlat``. Needs
        ``pip install faiss-cpu`` (the ``ldlkit[faiss]`` extra); see ``docs/knn.md``.
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (CUDA when available); torch backend only.
    block_size : int or None, default=None
        Queries scored per matrix product; None keeps one block at most 2**24 similarities.
    dtype : {"float32", "float64"}, default="float32"
        Precision of the search.
    index_params : dict or None, default=None
        Parameters of the faiss backend (only with ``backend="faiss"``), stored unchanged and
        validated in ``fit``. Keys: ``"index"`` (``"ivf"`` default, ``"hnsw"`` or ``"flat"``),
        ``"min_rows"`` (10,000: smaller subsets get an exact flat index), ``"nlist"`` (IVF lists;
        None: ``sqrt(rows)``), ``"nprobe"`` (lists probed; None: a sixteenth, at least 8), ``"M"``
        (32), ``"ef_construction"`` (40) and ``"ef_search"`` (64) for HNSW.

    Attributes
    ----------
    index_ : SearchIndex
        L2-normalised training rows.
    noise_ : ndarray of shape (2, n_labels, n_samples) or None
        Standard-normal draws for ``S`` (``noise_[0]``) and ``c`` (``noise_[1]``), drawn once in
        ``fit`` from ``random_state``; None with ``weights="expected"`` or ``draws="per_query"``.
    draw_seed_ : int or None
        With ``draws="per_query"``, the seed (drawn from ``random_state`` in ``fit``) from which
        every query's draws are derived; None otherwise.
    n_train_ : int
        Number of training rows held.

    Notes
    -----
    *Seeding and incremental learning.* The ``n_samples`` draws per label are drawn once in ``fit``
    and reused for every query (common random numbers): each query's weight is still the mean of
    ``n_samples`` draws of its own clipped Gaussian, but the prediction for a row does not depend
    on which other rows are predicted with it, on the block size, or on ``partial_fit``/``remove``
    calls — so ``partial_fit`` gives exactly the predictions of ``fit`` on the union.
    With ``draws="per_query"`` each query's ``2 x L x n_samples`` draws are computed from
    ``draw_seed_`` and a hash of the query row (:func:`~ldlkit.neighbors._common.query_normals`):
    independent draws for different queries, the same draws for the same row, and the same
    guarantees (no dependence on the batch, the block size, ``partial_fit`` or ``remove``).

    *Empty prototypes.* A label whose prototype has no row (no training row has a degree above
    ``1/L`` on it) is left out: its ``p_i`` and weight are 0 and the softmax runs over the other
    labels. If every prototype is empty (all training rows exactly uniform), every prototype falls
    back to the whole training set.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neighbors import UAKNN
    >>> X, D = make_artificial(50, random_state=0)
    >>> model = UAKNN(random_state=0).fit(X[:40], D[:40])
    >>> model.predict(X[40:]).shape
    (10, 3)
    """

    _parameter_constraints: ClassVar[dict] = {
        **_NeighborsBase._parameter_constraints,
        "variance": [Interval(Real, 0, None, closed="neither")],
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "c_ratio": [Interval(Real, 0, None, closed="left")],
        "base": [Interval(Real, 1, None, closed="neither")],
        "weights": [StrOptions(set(_WEIGHT_MODES))],
        "draws": [StrOptions(set(_DRAWS))],
        "weight_mean": [StrOptions(set(_WEIGHT_MEANS))],
        "prototypes": [StrOptions(set(_PROTOTYPE_RULES))],
        "prototype_matching": ["boolean"],
        "perturbation": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        variance: float = 0.5,
        n_samples: int = 100,
        c_ratio: float = 0.05,
        base: float = 2.0,
        weights: str = "monte_carlo",
        draws: str = "shared",
        weight_mean: str = "softmax",
        prototypes: str = "threshold",
        prototype_matching: bool = True,
        perturbation: bool = True,
        random_state=None,
        backend: str = "numpy",
        device: str = "cpu",
        block_size: int | None = None,
        dtype: str = "float32",
        index_params: dict | None = None,
    ) -> None:
        self.variance = variance
        self.n_samples = n_samples
        self.c_ratio = c_ratio
        self.base = base
        self.weights = weights
        self.draws = draws
        self.weight_mean = weight_mean
        self.prototypes = prototypes
        self.prototype_matching = prototype_matching
        self.perturbation = perturbation
        self.random_state = random_state
        self.backend = backend
        self.device = device
        self.block_size = block_size
        self.dtype = dtype
        self.index_params = index_params

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        self.noise_, self.draw_seed_ = None, None
        if self.weights == "monte_carlo":
            rng = check_random_state(self.random_state)
            if self.draws == "shared":
                self.noise_ = rng.standard_normal((2, D.shape[1], self.n_samples))
            else:
                self.draw_seed_ = int(rng.randint(0, 2**62, dtype=np.int64))
        super()._fit(X, D)

    # -- the method, step by step ------------------------------------------------------------
    def _neighbours(self, X: np.ndarray, snapshot=None, offset: int = 0):
        """Step 1's search: similarities ``mu`` (n, K) and row indices (n, K); -inf/-1 = empty."""
        snapshot = self._snap() if snapshot is None else snapshot
        if self.prototype_matching:
            scores, index = snapshot.index.prototype_topk(X, snapshot.members, 1, offset=offset)
            return scores[:, :, 0], index[:, :, 0]
        return snapshot.index.topk(X, self.n_labels_, offset=offset)

    def _uses_prototypes(self) -> bool:
        return self.prototype_matching

    def _extra_bytes_per_query(self) -> int:
        # The (L, L) gather of matched distributions, and (weights="monte_carlo") the
        # (L, n_samples) draws of both Gaussians.
        L = self.n_labels_
        draws = 3 * L * self.n_samples if self.weights == "monte_carlo" else 0
        return 8 * (L * L + draws + 8 * L)

    def _uncertainty_weights(self, mu: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
        """Steps 1-4: ``w_i = S(p_i) + c_i`` from the similarities ``mu`` (n, K).

        ``X`` (the query rows) is needed only for per-query Monte-Carlo draws.
        """
        valid = np.isfinite(mu)
        p = softmax_base(mu)  # Step 1: plain (base e) softmax; empty prototypes get 0
        mean = p if self.weight_mean == "softmax" else np.where(valid, mu, 0.0)
        if self.weights == "expected":
            w = clipped_gaussian_mean(mean, self.variance)
            if self.perturbation:
                w = w + clipped_gaussian_mean(self.c_ratio * mean, self.variance)
        elif self.noise_ is not None:
            w = self._sampled_weights(mean, self.noise_)
        else:
            if X is None:
                raise ValueError("per-query draws need the query rows X.")
            w = np.empty_like(mean)
            K = mean.shape[1]
            step = max(1, _DRAW_CHUNK // (2 * K * self.n_samples))
            for start in range(0, len(mean), step):
                rows = slice(start, start + step)
                noise = query_normals(X[rows], self.draw_seed_, (2, K, self.n_samples))
                w[rows] = self._sampled_weights(mean[rows], noise.swapaxes(0, 1))
        return np.where(valid, w, 0.0)

    def _sampled_weights(self, mean: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Monte-Carlo ``S + c`` with ``noise[0]`` for ``S`` and ``noise[1]`` for ``c``."""
        w = clipped_gaussian_sample_mean(mean, self.variance, noise[0])
        if self.perturbation:
            w += clipped_gaussian_sample_mean(self.c_ratio * mean, self.variance, noise[1])
        return w

    def _predict_block(self, X: np.ndarray, snapshot, offset: int = 0) -> np.ndarray:
        mu, index = self._neighbours(X, snapshot, offset)
        w = self._uncertainty_weights(mu, X)
        combined = np.einsum("nk,nkj->nj", w, snapshot.distributions[np.maximum(index, 0)])
        return softmax_base(combined, self.base)


class WUAKNN(_NeighborsBase):
    """UAKNN without uncertainty-aware weights (the paper's baseline "WUAKNN").

    Prototype matching as in :class:`UAKNN` (the most cosine-similar row of each label's
    prototype), then the ``L`` similarities are normalised with Softmax* (base ``base``) and used
    directly as the weights of a convex combination of the matched rows' distributions: no
    Gaussian sampling, no perturbation and, by default, no Softmax* on the output (the
    combination already lies on the simplex).

    Parameters
    ----------
    base : float, default=2.0
        Base of the Softmax* that turns similarities into weights (and of the output Softmax*
        when ``output_softmax=True``).
    output_softmax : bool, default=False
        True keeps UAKNN's Eq. 3 on the output, ``Softmax*(sum_i w_i D_i)``, with the Softmax*
        weights in place of the uncertainty-aware ones. The paper does not say whether WUAKNN
        keeps it; see ``docs/reproduction.md``.
    prototypes : {"threshold", "argmax"}, default="threshold"
        As in :class:`UAKNN`.
    backend, device, block_size, dtype, index_params
        As in :class:`UAKNN`.

    Examples
    --------
    >>> from ldlkit.datasets import make_artificial
    >>> from ldlkit.neighbors import WUAKNN
    >>> X, D = make_artificial(50, random_state=0)
    >>> WUAKNN().fit(X[:40], D[:40]).predict(X[40:]).shape
    (10, 3)
    """

    _parameter_constraints: ClassVar[dict] = {
        **_NeighborsBase._parameter_constraints,
        "base": [Interval(Real, 1, None, closed="neither")],
        "output_softmax": ["boolean"],
        "prototypes": [StrOptions(set(_PROTOTYPE_RULES))],
    }

    def __init__(
        self,
        *,
        base: float = 2.0,
        output_softmax: bool = False,
        prototypes: str = "threshold",
        backend: str = "numpy",
        device: str = "cpu",
        block_size: int | None = None,
        dtype: str = "float32",
        index_params: dict | None = None,
    ) -> None:
        self.base = base
        self.output_softmax = output_softmax
        self.prototypes = prototypes
        self.backend = backend
        self.device = device
        self.block_size = block_size
        self.dtype = dtype
        self.index_params = index_params

    def _extra_bytes_per_query(self) -> int:
        return 8 * (self.n_labels_ * self.n_labels_ + 8 * self.n_labels_)

    def _predict_block(self, X: np.ndarray, snapshot, offset: int = 0) -> np.ndarray:
        scores, index = snapshot.index.prototype_topk(X, snapshot.members, 1, offset=offset)
        w = softmax_base(scores[:, :, 0], self.base)
        matched = snapshot.distributions[np.maximum(index[:, :, 0], 0)]
        combined = np.einsum("nk,nkj->nj", w, matched)
        return softmax_base(combined, self.base) if self.output_softmax else combined

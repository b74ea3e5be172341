"""AA-kNN (Geng 2016): the mean label distribution of the k nearest training rows."""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.utils._param_validation import Interval

from ._common import _NeighborsBase


class AAKNN(_NeighborsBase):
    """Algorithm-adaptation kNN for label distribution learning (Geng 2016).

    The prediction for a query is the plain mean of the label distributions of its ``k`` nearest
    training rows by Euclidean distance. With fewer than ``k`` training rows, all rows are used
    (every prediction is then the training mean) and ``fit`` warns (scikit-learn's
    ``KNeighborsRegressor`` raises instead; here a model that ``remove`` shrank keeps working).

    Parameters
    ----------
    k : int, default=4
        Number of neighbours.
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
        Queries scored per matrix product; None picks it so that one block holds at most 2**24
        similarities (64 MiB in float32).
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
        The training rows prepared for search.
    n_train_ : int
        Number of training rows held.

    Examples
    --------
    >>> import numpy as np
    >>> from ldlkit.neighbors import AAKNN
    >>> X = np.array([[0.0], [0.1], [5.0]])
    >>> D = np.array([[0.8, 0.2], [0.6, 0.4], [0.1, 0.9]])
    >>> AAKNN(k=2).fit(X, D).predict([[0.05]]).round(2)
    array([[0.7, 0.3]])
    """

    _metric = "euclidean"
    _parameter_constraints: ClassVar[dict] = {
        **_NeighborsBase._parameter_constraints,
        "k": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        k: int = 4,
        backend: str = "numpy",
        device: str = "cpu",
        block_size: int | None = None,
        dtype: str = "float32",
        index_params: dict | None = None,
    ) -> None:
        self.k = k
        self.backend = backend
        self.device = device
        self.block_size = block_size
        self.dtype = dtype
        self.index_params = index_params

    def _uses_prototypes(self) -> bool:
        return False

    def _fit(self, X: np.ndarray, D: np.ndarray) -> None:
        super()._fit(X, D)
        if self.k > len(X):
            warnings.warn(
                f"AAKNN(k={self.k}) was fitted on {len(X)} training rows, fewer than k: every "
                f"prediction uses all {len(X)} rows and equals their mean distribution. Pass a "
                "smaller k.",
                UserWarning,
                stacklevel=3,
            )

    def _extra_bytes_per_query(self) -> int:
        return 8 * min(self.k, max(self.n_train_, 1)) * (self.n_labels_ + 4)

    def _predict_block(self, X: np.ndarray, snapshot, offset: int = 0) -> np.ndarray:
        _, index = snapshot.index.topk(X, self.k, offset=offset)
        return snapshot.distributions[index].mean(axis=1)

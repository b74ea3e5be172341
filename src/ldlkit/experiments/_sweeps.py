"""Ready-made sweeps for the command line: the demo's methods, datasets and reference."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "DEMO_DATASET",
    "demo_reference",
    "expand_demo_datasets",
    "fast_methods",
]

#: The name that selects the embedded artificial dataset (:func:`ldlkit.datasets.make_artificial`).
DEMO_DATASET = "artificial"


def fast_methods(kind: str = "ldl") -> list[str]:
    """Names of the registered fast methods (``kind="le"``: every registered label enhancer).

    Every registered learner whose tags set ``fast_demo`` (``get_tags(est).ldl.fast_demo``: it
    fits and predicts 500 rows x 5 folds in a few seconds). Those that a paper folder lists in
    ``Paper(demo_methods=...)`` come first, in that order; the others follow by name.

    Examples
    --------
    >>> from ldlkit.base import all_estimators, get_tags
    >>> set(fast_methods()) <= {n for n, c in all_estimators("ldl") if get_tags(c).ldl.fast_demo}
    True
    """
    from ..base import all_estimators, get_tags
    from ..papers import demo_settings

    registered = dict(all_estimators(kind))
    if kind == "le":
        return list(registered)
    fast = [name for name, cls in registered.items() if get_tags(cls).ldl.fast_demo]
    order, _, _ = demo_settings()
    listed = [name for name in order if name in fast]
    return listed + [name for name in fast if name not in listed]


def demo_reference(methods: Iterable[str]) -> tuple[str | None, str | None]:
    """``(method, paper)``: the method a paper folder names as the demo's reference, if it runs.

    ``(None, None)`` when no paper's ``demo_reference`` is among ``methods``.
    """
    from ..papers import demo_settings

    _, reference, paper = demo_settings(methods)
    return reference, paper


def expand_demo_datasets(
    names: Sequence[str] | None, *, n_samples: int = 500, random_state: int | None = 0
) -> list:
    """Replace the name ``"artificial"`` (also the default) by the embedded toy dataset.

    Examples
    --------
    >>> [d if isinstance(d, str) else d[0] for d in expand_demo_datasets(["own.mat", "artificial"])]
    ['own.mat', 'artificial']
    """
    from ..datasets import make_artificial

    out: list = []
    for name in names or [DEMO_DATASET]:
        if str(name).lower() == DEMO_DATASET:
            X, D = make_artificial(n_samples, random_state=random_state)
            out.append((DEMO_DATASET, X, D))
        else:
            out.append(name)
    return out

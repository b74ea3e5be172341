"""Protocols by kind: ``"kfold"``, ``"ildl"`` and ``"le"``, with their default fold counts."""

from __future__ import annotations

from collections.abc import Sequence

from ._enhancement import EnhancementProtocol
from ._imbalanced import ImbalancedSplit
from ._kfold import RepeatedKFold

__all__ = ["PROTOCOLS", "default_folds", "describe_protocol", "make_protocol"]

#: The protocol kinds: ``kind -> (default n_splits, default n_repeats, short description)``.
#: The imbalanced protocol has a single repeat by construction.
PROTOCOLS: dict[str, tuple[int, int, str]] = {
    "kfold": (5, 1, "k-fold CV"),
    "ildl": (10, 1, "ILDL protocol"),
    "le": (10, 1, "LE protocol"),
}


def _check_kind(protocol: str) -> None:
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {tuple(PROTOCOLS)}, got {protocol!r}.")


def default_folds(protocol: str) -> tuple[int, int]:
    """``(n_splits, n_repeats)`` that :func:`make_protocol` uses when none is given.

    Examples
    --------
    >>> default_folds("kfold")
    (5, 1)
    """
    _check_kind(protocol)
    n_splits, n_repeats, _ = PROTOCOLS[protocol]
    return n_splits, n_repeats


def describe_protocol(protocol: str, n_splits: int, n_repeats: int) -> str:
    """``"10x5-fold CV"``, ``"10-fold CV with imbalanced training folds (ILDL)"``, ...

    Examples
    --------
    >>> describe_protocol("kfold", 5, 10)
    '10x5-fold CV'
    """
    text = f"{n_splits}-fold CV" if n_repeats == 1 else f"{n_repeats}x{n_splits}-fold CV"
    if protocol == "ildl":
        return text + " with imbalanced training folds (ILDL)"
    if protocol == "le":
        return text + ", label enhancement"
    return text


def make_protocol(
    protocol: str,
    *,
    n_splits: int | None = None,
    n_repeats: int | None = None,
    random_state: int | None = 0,
    ildl_parameters: Sequence[float] | None = None,
):
    """A splitter (or a ``dataset name -> splitter`` function for ``"ildl"``) by protocol kind.

    ``"kfold"``: :class:`RepeatedKFold` (default 5 folds, 1 repeat); ``"ildl"``:
    :class:`ImbalancedSplit` per dataset (default 10 folds, the paper folders' per-dataset
    parameters unless ``ildl_parameters`` is given; it has a single repeat); ``"le"``:
    :class:`EnhancementProtocol` (default 10 folds, 1 repeat).

    Examples
    --------
    >>> make_protocol("kfold", n_repeats=2)
    RepeatedKFold(n_splits=5, n_repeats=2, random_state=0)
    """
    default_splits, default_repeats = default_folds(protocol)
    # ``is None``, not ``or``: an explicit 0 must be refused by the splitter, not replaced.
    folds = default_splits if n_splits is None else n_splits
    repeats = default_repeats if n_repeats is None else n_repeats
    if protocol == "kfold":
        return RepeatedKFold(folds, repeats, random_state=random_state)
    if protocol == "le":
        return EnhancementProtocol(folds, repeats, random_state=random_state)
    if repeats != 1:
        raise ValueError(
            f"n_repeats: the ILDL protocol has a single repeat, got {repeats!r}; drop --repeats."
        )
    if ildl_parameters is not None:
        splitter = ImbalancedSplit(ildl_parameters, n_splits=folds, random_state=random_state)
        return lambda name: splitter
    return lambda name: ImbalancedSplit(dataset=name, n_splits=folds, random_state=random_state)

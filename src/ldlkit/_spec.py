"""Method specifications: ``"Name:param=value"`` text, names resolved to estimators, kinds.

The layer beside the estimator registry (:func:`ldlkit.base.all_estimators`) that the command
line, the experiment runner and ``ldlkit fit`` share: :func:`parse_method_spec` reads the text a
user types, :func:`resolve_methods` builds estimators from names, ``(name, params)`` pairs or
estimators, and :func:`is_label_enhancer` tells an enhancer from a learner by its tags.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

__all__ = ["build_estimator", "is_label_enhancer", "parse_method_spec", "resolve_methods"]


def parse_method_spec(spec: str) -> tuple[str, dict]:
    """Parse a command-line method ``"Name"`` or ``"Name:param=value,param=value"``.

    Values are read as Python literals (numbers, booleans, strings, None); anything else is
    kept as a string.

    Examples
    --------
    >>> parse_method_spec("Name:k=4")
    ('Name', {'k': 4})
    >>> parse_method_spec("Name:flag=False,variance=0.3,metric=cosine")
    ('Name', {'flag': False, 'variance': 0.3, 'metric': 'cosine'})
    """
    name, _, rest = str(spec).partition(":")
    name = name.strip()
    if not name:
        raise ValueError(f"--methods: {spec!r} has no estimator name before ':'.")
    params: dict = {}
    for item in filter(None, rest.split(",")):
        key, eq, raw = item.partition("=")
        if not eq or not key.strip().isidentifier():
            raise ValueError(
                f"--methods: cannot read {item!r} in {spec!r}; write Name:param=value,param=value."
            )
        try:
            value = ast.literal_eval(raw.strip())
        except (ValueError, SyntaxError):
            value = raw.strip()
        params[key.strip()] = value
    return name, params


def is_label_enhancer(estimator) -> bool:
    """Whether ``estimator`` (an instance or a class) is a label enhancer, read from its tags.

    ldlkit estimators say their kind in ``get_tags(est).ldl.kind`` (``"ldl"`` or ``"le"``, set
    by :class:`~ldlkit.base.BaseLabelEnhancer` and :class:`~ldlkit.base.BaseLDL`). An estimator
    without ldlkit's tags is not a label enhancer (a scikit-learn transformer also has
    ``fit_transform``).

    Examples
    --------
    >>> from ldlkit.dummy import MeanPredictor
    >>> is_label_enhancer(MeanPredictor())
    False
    """
    from sklearn.utils import get_tags

    try:
        tags = get_tags(estimator() if isinstance(estimator, type) else estimator)
    except Exception:  # not a scikit-learn estimator: it has no ldlkit kind either
        return False
    ldl = getattr(tags, "ldl", None)
    return ldl is not None and ldl.kind == "le"


def _is_estimator(obj) -> bool:
    return hasattr(obj, "get_params") and (hasattr(obj, "fit") or hasattr(obj, "fit_transform"))


def build_estimator(name: str, params: Mapping[str, Any] | None = None):
    """A registered estimator by name (case-insensitive), built with ``params``."""
    from .base import get_estimator

    if not isinstance(name, str):
        raise TypeError(f"methods: an estimator name must be a string, got {name!r}.")
    cls = get_estimator(name)
    try:
        return cls(**dict(params or {}))
    except TypeError as exc:
        raise ValueError(
            f"methods: cannot build {cls.__name__} with {dict(params or {})} ({exc})."
        ) from None


def _from_spec(spec):
    if _is_estimator(spec):
        return spec
    if isinstance(spec, str):
        return build_estimator(spec, None)
    if isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], Mapping):
        return build_estimator(spec[0], spec[1])
    raise TypeError(
        "methods: each method must be an estimator, an estimator name, or a (name, params) pair; "
        f"got {spec!r}."
    )


def resolve_methods(methods) -> dict[str, Any]:
    """Turn a method specification into ``{display name: estimator}``.

    ``methods`` may be a mapping ``{display name: estimator | name | (name, params)}`` or a
    sequence of estimators, names or ``(name, params)`` pairs (the display name is then the
    estimator's class name). Names are resolved with :func:`ldlkit.base.get_estimator`.

    Examples
    --------
    >>> list(resolve_methods(["MeanPredictor"]))
    ['MeanPredictor']
    >>> list(resolve_methods({"mean": ("MeanPredictor", {})}))
    ['mean']
    """
    if methods is None:
        raise ValueError("methods must name at least one method, got None.")
    if isinstance(methods, str) or _is_estimator(methods):
        methods = [methods]
    resolved: dict[str, Any] = {}
    if isinstance(methods, Mapping):
        for display, spec in methods.items():
            resolved[str(display)] = _from_spec(spec)
    else:
        for spec in methods:
            est = _from_spec(spec)
            display = type(est).__name__
            if display in resolved:
                display = f"{display}#{sum(k.split('#')[0] == display for k in resolved) + 1}"
            resolved[display] = est
    if not resolved:
        raise ValueError("methods is empty; give at least one method.")
    return resolved

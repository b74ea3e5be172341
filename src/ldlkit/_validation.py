"""Input validation shared by estimators, metrics, datasets and protocols.

Every check raises a ``ValueError`` or ``TypeError`` whose message names the argument, the offending
row/column where there is one, and what would fix it. Nothing here mutates its input: arrays are
converted (copied when needed) before any change.
"""

from __future__ import annotations

import datetime
import numbers
import warnings

import numpy as np
import scipy.sparse as sp

#: Rows of a label distribution must sum to 1 within this absolute tolerance. Public benchmark files
#: are stored in single precision for some datasets (SCUT_FBP, emotion6 sum to 1 +- 2e-6), so the
#: tolerance is loose enough for float32 round-off but far tighter than any real error (FG-Net's
#: rows sum to as little as 0.57).
SUM_TOLERANCE = 1e-3


def _first_index(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(mask)[0])


class ComplexInputError(TypeError, ValueError):
    """Complex input: a TypeError (a wrong kind of value), and a ValueError too because
    scikit-learn's ``check_array`` raises ValueError for it and its estimator checks expect that."""


# Values that numpy would silently turn into numbers (a date becomes days since 1970) but that are
# not features: refused with a TypeError, as text is.
_TIME_TYPES = (np.datetime64, np.timedelta64, datetime.date, datetime.time, datetime.timedelta)


def _location(where: tuple[int, ...]) -> str:
    return f"row {where[0]}, column {where[1]}" if len(where) == 2 else f"position {where}"


def as_float_array(
    values, *, name: str, dtype=np.float64, ndim: int = 2, allow_empty: bool = False
) -> np.ndarray:
    """Convert ``values`` to a finite float array of ``ndim`` dimensions or raise a clear error."""
    if values is None:
        raise TypeError(f"{name} must be an array-like of numbers, got None.")
    if sp.issparse(values):
        raise TypeError(
            f"{name} is a sparse matrix; ldlkit estimators need dense input. "
            f"Call {name}.toarray() first."
        )
    if isinstance(values, str | bytes):
        raise TypeError(f"{name} must be an array-like of numbers, got a string.")
    try:
        arr = np.asarray(values)
    except Exception as exc:  # ragged lists and friends
        raise ValueError(
            f"{name} could not be read as a rectangular array ({exc}); "
            "give a 2-D array with one row per sample."
        ) from exc
    # Text is rejected even when it looks numeric ("0.5"): silently parsing strings hides a
    # wrongly read file or a categorical column (scikit-learn refuses string arrays too).
    if arr.dtype.kind in "US":
        raise TypeError(
            f"{name} must contain numbers only, got text (dtype {arr.dtype!s}). Encode "
            "categorical or text columns as numbers first; convert numeric text with "
            "np.asarray(..., dtype=float)."
        )
    if arr.dtype.kind in "mM":
        raise TypeError(
            f"{name} holds dates or durations (dtype {arr.dtype!s}), not numbers; convert them "
            "to numeric features first (e.g. days since a reference date as floats)."
        )
    if arr.dtype == object:
        for where, value in np.ndenumerate(arr):
            if isinstance(value, _TIME_TYPES):
                raise TypeError(
                    f"{name} holds a date or duration ({value!r}) at {_location(where)}, not a "
                    "number; convert it to a numeric feature first."
                )
            if isinstance(value, complex | np.complexfloating):
                raise ComplexInputError(
                    f"{name} must be real-valued: the complex value {value!r} at "
                    f"{_location(where)}. Complex data not supported."
                )
            if isinstance(value, str | bytes) or value is None:
                loc = _location(where)
                if value is None:
                    raise ValueError(
                        f"{name} contains None (a missing value) at {loc}; remove or impute "
                        "missing values first."
                    )
                raise TypeError(
                    f"{name} must contain numbers only, got the text value {value!r} at {loc}. "
                    "Encode categorical or text columns as numbers first."
                )
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        try:
            arr = arr.astype(dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must contain numbers only, got dtype {arr.dtype!s} ({exc}). "
                "Encode categorical or text columns as numbers first."
            ) from exc
    if np.iscomplexobj(arr):
        # Both a TypeError and a ValueError (scikit-learn's check_array raises ValueError, and
        # its check_complex_data expects one): code that catches either catches ours.
        raise ComplexInputError(
            f"{name} must be real-valued. Complex data not supported: take the real part "
            f"({name}.real) or the modulus (np.abs({name})) first."
        )
    arr = arr.astype(dtype, copy=False)
    if arr.ndim != ndim:
        hint = (
            "use .reshape(1, -1) for a single sample or .reshape(-1, 1) for a single feature"
            if ndim == 2 and arr.ndim == 1
            else f"give a {ndim}-D array"
        )
        raise ValueError(f"{name} must be {ndim}-D, got an array of shape {arr.shape}; {hint}.")
    if not allow_empty and arr.size == 0:
        raise ValueError(
            f"{name} is empty (shape {arr.shape}); at least one sample and one column are needed."
        )
    finite = np.isfinite(arr)
    if not finite.all():
        where = _first_index(~finite)
        kind = "NaN" if np.isnan(arr[where]) else "infinity"
        loc = f"row {where[0]}, column {where[1]}" if arr.ndim == 2 else f"position {where}"
        raise ValueError(
            f"{name} contains {kind} at {loc} ({int((~finite).sum())} non-finite values in all); "
            "remove or impute these values first."
        )
    return arr


def check_features(
    X, *, name: str = "X", n_features: int | None = None, dtype=np.float64
) -> np.ndarray:
    """Validate a feature matrix: numeric, 2-D, non-empty, finite, and of the fitted width."""
    arr = as_float_array(X, name=name, dtype=dtype)
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but the model was fitted with {n_features}; "
            "pass data with the same columns as at fit time."
        )
    return arr


def feature_names_of(X, *, name: str = "X") -> np.ndarray | None:
    """The column names of a DataFrame-like ``X`` (pandas, polars, ...) when all are strings.

    Returns an object array of the names, or None for arrays, lists and frames whose columns are
    not named by strings (pandas' default integer columns), as scikit-learn does. Works without
    pandas: anything with a ``columns`` attribute listing its column names counts.
    """
    if isinstance(X, np.ndarray | list | tuple) or sp.issparse(X):
        return None
    columns = getattr(X, "columns", None)
    if columns is None or isinstance(columns, str):
        return None
    try:
        names = list(columns)
    except TypeError:
        return None
    strings = [isinstance(c, str) for c in names]
    if not names or not any(strings):
        return None
    if not all(strings):
        kinds = sorted({type(c).__name__ for c in names})
        raise TypeError(
            f"{name} has column names of several types ({', '.join(kinds)}); feature names are "
            f"kept only when all are strings: convert them, e.g. {name}.columns = "
            f"{name}.columns.astype(str)."
        )
    return np.asarray(names, dtype=object)


def check_feature_names(
    X, fitted: np.ndarray | None, *, name: str = "X", estimator: str = "the model"
) -> None:
    """Check ``X``'s column names against those seen at fit (``feature_names_in_``).

    Names in another order, missing or unexpected raise a ValueError (the columns would be
    matched by position, silently wrong). As in scikit-learn, names on only one side warn.
    """
    names = feature_names_of(X, name=name)
    if fitted is None:
        if names is not None:
            warnings.warn(
                f"{name} has feature names, but {estimator} was fitted without feature names; "
                "its columns are taken by position.",
                UserWarning,
                stacklevel=3,
            )
        return
    if names is None:
        warnings.warn(
            f"{name} does not have valid feature names, but {estimator} was fitted with feature "
            "names; its columns are taken by position.",
            UserWarning,
            stacklevel=3,
        )
        return
    if len(names) == len(fitted) and all(a == b for a, b in zip(names, fitted, strict=True)):
        return
    seen, given = set(fitted), set(names)
    missing = [str(n) for n in fitted if n not in given]
    unexpected = [str(n) for n in names if n not in seen]

    def show(items: list[str]) -> str:
        return ", ".join(items[:5]) + (f" and {len(items) - 5} more" if len(items) > 5 else "")

    if not missing and not unexpected and len(names) == len(fitted):
        moved = next(i for i, (a, b) in enumerate(zip(names, fitted, strict=True)) if a != b)
        raise ValueError(
            f"{name} has the feature names seen at fit, but in another order (column {moved} is "
            f"{names[moved]!r}, at fit it was {fitted[moved]!r}); reorder the columns, e.g. "
            f"{name}[model.feature_names_in_]."
        )
    parts = []
    if missing:
        parts.append(f"missing: {show(missing)}")
    if unexpected:
        parts.append(f"not seen at fit: {show(unexpected)}")
    if not parts:
        parts.append("a column appears more than once")
    raise ValueError(
        f"{name}'s feature names differ from those seen at fit by {estimator} "
        f"({'; '.join(parts)}); pass the same columns as at fit time."
    )


def check_distributions(
    D,
    *,
    name: str = "D",
    n_labels: int | None = None,
    renormalize: bool = False,
    atol: float = SUM_TOLERANCE,
) -> np.ndarray:
    """Validate label distributions: non-negative rows summing to 1 (within ``atol``).

    With ``renormalize=True`` rows that do not sum to 1 are divided by their sum instead of
    rejected; rows of all zeros and negative degrees are always rejected: no rescaling fixes them.
    0/1 logical labels (multi-label data: every degree 0 or 1, some row with several 1s) are
    rejected too, with or without ``renormalize``: dividing them by their sums would silently give
    uniform rows, which are not the label distributions the data never recorded; label
    enhancement (:mod:`ldlkit.enhancement`) recovers distributions from logical labels.
    Returns a float64 array (a copy when anything was rescaled).
    """
    arr = as_float_array(D, name=name)
    if arr.shape[1] < 2:
        raise ValueError(
            f"{name} has {arr.shape[1]} label column; label distributions need at least 2 labels."
        )
    if n_labels is not None and arr.shape[1] != n_labels:
        raise ValueError(
            f"{name} has {arr.shape[1]} labels, but {n_labels} were expected "
            "(the number of labels the model was fitted with)."
        )
    negative = arr < 0
    if negative.any():
        row, col = _first_index(negative)
        raise ValueError(
            f"{name} has a negative degree {arr[row, col]:.6g} at row {row}, label {col} "
            f"({int(negative.any(axis=1).sum())} rows in all); label degrees must be >= 0."
        )
    sums = arr.sum(axis=1)
    zero_rows = sums <= 0
    if zero_rows.any():
        row = int(np.flatnonzero(zero_rows)[0])
        raise ValueError(
            f"{name} row {row} is all zeros ({int(zero_rows.sum())} such rows); every row needs at "
            "least one positive degree. Drop these rows."
        )
    if (sums > 1.0 + atol).any() and np.all((arr == 0) | (arr == 1)):
        raise ValueError(_logical_labels_message(arr, sums, name))
    off = np.abs(sums - 1.0) > atol
    if off.any():
        if renormalize:
            return arr / sums[:, None]
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"{name} row {row} sums to {sums[row]:.6g}, not 1 ({int(off.sum())} rows off by more "
            f"than {atol:g}); pass renormalize=True to divide each row by its sum."
        )
    return arr


def _logical_labels_message(arr: np.ndarray, sums: np.ndarray, name: str) -> str:
    row = int(np.flatnonzero(sums > 1)[0])
    return (
        f"{name} holds 0/1 logical labels (multi-label data), not label distributions: every "
        f"degree is 0 or 1 and row {row} has {int(sums[row])} relevant labels. Recover "
        "distributions with label enhancement first (ldlkit.enhancement, e.g. "
        f"GLLE().fit_transform(X, {name})), or train ldlkit.enhancement.EnhancedLDL on them; "
        "renormalize=True is refused here because it would only spread each row evenly over its "
        "relevant labels."
    )


def check_logical_labels(L, *, name: str = "logical", n_labels: int | None = None) -> np.ndarray:
    """Validate 0/1 logical labels with at least one relevant label per row."""
    arr = as_float_array(L, name=name)
    if n_labels is not None and arr.shape[1] != n_labels:
        raise ValueError(f"{name} has {arr.shape[1]} labels, but {n_labels} were expected.")
    not_binary = (arr != 0) & (arr != 1)
    if not_binary.any():
        row, col = _first_index(not_binary)
        raise ValueError(
            f"{name} must hold 0/1 logical labels; row {row}, label {col} is {arr[row, col]:.6g}. "
            "Use ldlkit.enhancement.binarize to turn distributions into logical labels."
        )
    empty = arr.sum(axis=1) == 0
    if empty.any():
        raise ValueError(
            f"{name} row {int(np.flatnonzero(empty)[0])} has no relevant label; every row needs "
            "at least one 1."
        )
    return arr


def check_same_length(**arrays: np.ndarray) -> None:
    """Raise if the named arrays do not have the same number of rows."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"Mismatched numbers of samples: {described} rows; they must be equal.")


def check_nonzero_rows(X: np.ndarray, *, name: str = "X") -> None:
    """Reject all-zero rows: cosine similarity is undefined for a zero vector."""
    zero = ~np.any(X != 0, axis=1)
    if zero.any():
        row = int(np.flatnonzero(zero)[0])
        raise ValueError(
            f"{name} row {row} is all zeros ({int(zero.sum())} such rows); cosine similarity is "
            "undefined for a zero vector. Drop these rows or shift/scale the features."
        )


def check_positive_int(value, *, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_in_range(
    value, *, name: str, low: float | None = None, high: float | None = None, closed: str = "both"
) -> float:
    """Check a real scalar lies in an interval; ``closed`` is both/left/right/neither."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}.")
    lo_ok = low is None or (value >= low if closed in ("both", "left") else value > low)
    hi_ok = high is None or (value <= high if closed in ("both", "right") else value < high)
    if not (lo_ok and hi_ok):
        left = "[" if closed in ("both", "left") else "("
        right = "]" if closed in ("both", "right") else ")"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value!r}.")
    return float(value)


def to_simplex(P: np.ndarray) -> np.ndarray:
    """Project rows that are already almost on the simplex onto it (clip round-off, renormalise)."""
    P = np.asarray(P, dtype=np.float64)
    if not np.all(np.isfinite(P)):
        raise FloatingPointError(
            "the model produced non-finite predictions; this is a bug in the estimator, "
            "please report it with the data that triggers it."
        )
    P = np.clip(P, 0.0, None)
    sums = P.sum(axis=1, keepdims=True)
    # A row that collapsed to zero has no information left: fall back to uniform.
    bad = sums[:, 0] <= 0
    if bad.any():
        P[bad] = 1.0
        sums[bad] = P.shape[1]
    return P / sums

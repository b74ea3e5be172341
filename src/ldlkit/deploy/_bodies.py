"""Request bodies of ``ldlkit serve``: JSON or binary (``.npy``/``.npz``), to lists or arrays.

Both parsers run in a worker thread (never on the event loop) and refuse bad bodies with a
status and a one-line message (:class:`BodyError`):

- JSON (``application/json``, the default): an object with exactly the expected fields, each a
  non-empty list of rows. The fields' arrays are parsed one row at a time, so that the thread
  gives the interpreter back between rows and ``/health`` stays responsive during a large
  body. Only numbers may appear inside the rows (``true``/``false``/``null``, strings and
  objects are refused: JSON booleans are not numbers), integers longer than 20 digits are
  refused, and nesting too deep for the parser is a 422, not a crash.
- ``application/x-npy``: one ``.npy`` array, the ``rows`` (``/predict`` only);
  ``application/x-npz``: an ``.npz`` archive with one array per field. Read with
  ``allow_pickle=False`` (object arrays are refused), numeric dtypes only (booleans refused),
  and an archive may not expand beyond the body limit.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np

NPY = "application/x-npy"
NPZ = "application/x-npz"
_WS = re.compile(r"[ \t\n\r]*")
# What may appear inside an array of rows of numbers (NaN/Infinity are left to the feature
# checks, which say where they are).
_NOT_A_NUMBER = re.compile(r"[^0-9eE.+\-\[\],\s]")
_WORD = re.compile(r'"[^"]*"?|[A-Za-z]+|.')
_MAX_DIGITS = 20


class BodyError(Exception):
    """A refused request body: an HTTP status and a message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _integer(text: str) -> float:
    digits = len(text.lstrip("-"))
    if digits > _MAX_DIGITS:
        raise BodyError(422, f"a number has {digits} digits; integers of at most {_MAX_DIGITS} "
                        "digits are accepted (send large values as floats).")  # fmt: skip
    return float(text)


_DECODER = json.JSONDecoder(parse_int=_integer)


def media_type(content_type: str | None) -> str:
    return (content_type or "application/json").split(";")[0].strip().lower()


def parse_body(raw: bytes, content_type, fields: tuple[str, ...], *, max_rows: int,
               max_bytes: int) -> dict:  # fmt: skip
    """The fields of a request body, as lists of rows (JSON) or arrays (binary)."""
    kind = media_type(content_type)
    if kind in (NPY, NPZ):
        return _parse_binary(raw, kind, fields, max_rows=max_rows, max_bytes=max_bytes)
    if kind not in ("application/json", "text/json") and not kind.endswith("+json"):
        raise BodyError(415, f"unsupported content type {kind!r}; send application/json, "
                        f"{NPY} (rows only) or {NPZ} (one array per field).")  # fmt: skip
    return _parse_json(raw, fields, max_rows=max_rows)


# -- JSON --------------------------------------------------------------------------------------
def _ws(text: str, pos: int) -> int:
    return _WS.match(text, pos).end()


def _expect(text: str, pos: int, what: str) -> None:
    if text[pos : pos + 1] != what:
        found = repr(text[pos]) if pos < len(text) else "the end of the body"
        raise BodyError(400, f"malformed JSON body: expected {what!r} at character {pos}, "
                        f"found {found}.")  # fmt: skip


def _parse_json(raw: bytes, fields: tuple[str, ...], *, max_rows: int) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(400, f"malformed JSON body: not UTF-8 ({exc}).") from None
    want = ", ".join(fields)
    try:
        pos = _ws(text, 0)
        if text[pos : pos + 1] != "{":
            if pos >= len(text):
                raise BodyError(400, "malformed JSON body: the body is empty.")
            raise BodyError(422, f"the body must be a JSON object with {want}.")
        pos = _ws(text, pos + 1)
        body: dict = {}
        extra: list[str] = []
        while text[pos : pos + 1] != "}":
            key, pos = _DECODER.raw_decode(text, pos)
            if not isinstance(key, str):
                raise BodyError(400, f"malformed JSON body: a key at character {pos} is not a "
                                "string.")  # fmt: skip
            pos = _ws(text, pos)
            _expect(text, pos, ":")
            pos = _ws(text, pos + 1)
            if key in fields:
                if key in body:
                    raise BodyError(422, f"the body gives {key} twice.")
                body[key], pos = _parse_rows(text, pos, key, max_rows)
            else:
                extra.append(key)
                _, pos = _DECODER.raw_decode(text, pos)
            pos = _ws(text, pos)
            if text[pos : pos + 1] == ",":
                pos = _ws(text, pos + 1)
                if text[pos : pos + 1] == "}":
                    _expect(text, pos, '"')
            else:
                _expect(text, pos, "}")
        if _ws(text, pos + 1) != len(text):
            raise BodyError(400, "malformed JSON body: data after the closing '}'.")
    except json.JSONDecodeError as exc:
        raise BodyError(400, f"malformed JSON body: {exc}.") from None
    except RecursionError:
        raise BodyError(
            422, "the JSON body is nested too deeply; rows are lists of numbers."
        ) from None
    missing = [f for f in fields if f not in body]
    if missing or extra:
        what = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}"
        raise BodyError(422, f"the body must have exactly {want} ({what}).")
    return body


def _parse_rows(text: str, pos: int, name: str, max_rows: int) -> tuple[list, int]:
    shape = f"{name} must be a list of rows (lists of numbers)."
    if text[pos : pos + 1] != "[":
        raise BodyError(422, shape)
    start = pos
    pos = _ws(text, pos + 1)
    rows: list = []
    if text[pos : pos + 1] == "]":
        raise BodyError(422, f"{name} is empty; send at least one row.")
    while True:
        if text[pos : pos + 1] != "[":
            raise BodyError(422, shape)
        # One row per call: between rows the interpreter may switch threads.
        row, pos = _DECODER.raw_decode(text, pos)
        rows.append(row)
        if len(rows) > max_rows:
            raise BodyError(413, f"{name} has more than {max_rows} rows; at most {max_rows} per "
                            "request.")  # fmt: skip
        pos = _ws(text, pos)
        if text[pos : pos + 1] == "]":
            pos += 1
            break
        _expect(text, pos, ",")
        pos = _ws(text, pos + 1)
    # A C-speed scan of what was parsed: anything but numbers (and NaN/Infinity, which the
    # feature checks locate) is refused, so true is not taken for 1.0.
    at = start
    while (bad := _NOT_A_NUMBER.search(text, at, pos)) is not None:
        word = _WORD.match(text, bad.start()).group(0)
        if word in ("NaN", "Infinity"):
            at = bad.start() + len(word)
            continue
        kind = "a boolean" if word in ("true", "false") else repr(word[:20])
        raise BodyError(
            422,
            f"{name} must contain numbers only, got {kind} at character {bad.start()}; JSON "
            "booleans, null and text are not numbers.",
        )
    return rows, pos


# -- binary ------------------------------------------------------------------------------------
def _check_array(arr: np.ndarray, name: str, max_rows: int) -> np.ndarray:
    if arr.dtype.kind not in "fiu":
        raise BodyError(422, f"{name} must be an array of numbers (float or int), got dtype "
                        f"{arr.dtype}.")  # fmt: skip
    if arr.ndim >= 1 and len(arr) > max_rows:
        raise BodyError(413, f"{name} has {len(arr)} rows; at most {max_rows} per request.")
    if arr.ndim == 2 and len(arr) == 0:
        raise BodyError(422, f"{name} is empty; send at least one row.")
    return arr


def _load_npy(data, name: str) -> np.ndarray:
    try:
        return np.load(data, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise BodyError(400, f"{name}: not a readable .npy array ({exc}).") from None


def _parse_binary(raw: bytes, kind: str, fields, *, max_rows: int, max_bytes: int) -> dict:
    if kind == NPY:
        if fields != ("rows",):
            raise BodyError(415, f"{NPY} carries one array; send the fields {', '.join(fields)} "
                            f"as {NPZ}.")  # fmt: skip
        return {"rows": _check_array(_load_npy(io.BytesIO(raw), "rows"), "rows", max_rows)}
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise BodyError(400, f"the body is not a readable .npz archive ({exc}).") from None
    with archive:
        members = {info.filename.removesuffix(".npy"): info for info in archive.infolist()}
        expanded = sum(info.file_size for info in archive.infolist())
        if max_bytes and expanded > max_bytes:
            raise BodyError(413, f"the archive expands to {expanded} bytes, over the limit of "
                            f"{max_bytes} bytes.")  # fmt: skip
        missing = [f for f in fields if f not in members]
        extra = sorted(set(members) - set(fields))
        if missing or extra:
            what = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}"
            raise BodyError(422, f"the archive must hold exactly {', '.join(fields)} ({what}).")
        out = {}
        for name in fields:
            with archive.open(members[name]) as fh:
                out[name] = _check_array(_load_npy(io.BytesIO(fh.read()), name), name, max_rows)
    return out


def npy_bytes(arr: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(arr), allow_pickle=False)
    return buffer.getvalue()

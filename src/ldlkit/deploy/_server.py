"""The HTTP API of ``ldlkit serve`` (FastAPI + uvicorn, the ``serve`` extra).

Request bodies are parsed by hand (``_bodies.py``: JSON row by row, or ``.npy``/``.npz``) rather
than by pydantic models: a 256-row Movie batch is half a million numbers, which pydantic
validates an order of magnitude slower. The pydantic models below only document the JSON bodies
on the OpenAPI page. Parsing, validation and prediction run in worker threads, never on the
event loop; a write's key is checked before its body is parsed.
"""

import hmac
import json
import os
import re

import numpy as np

from ._bodies import NPY, NPZ, BodyError, npy_bytes, parse_body
from ._service import (
    LogWriteFailed,
    ModelService,
    ServiceDegraded,
    UnknownSample,
    WritesUnsupported,
)

API_KEY_ENV = "LDLKIT_API_KEY"
API_KEY_HEADER = "X-API-Key"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
DEFAULT_MAX_ROWS = 10_000


def _schemas():
    from pydantic import BaseModel, Field

    class PredictBody(BaseModel):
        rows: list[list[float]] = Field(description="feature rows, each of the model's width")

    class SamplesBody(BaseModel):
        rows: list[list[float]] = Field(description="feature rows, each of the model's width")
        distributions: list[list[float]] = Field(
            description="one label distribution per row: non-negative, summing to 1"
        )

    return PredictBody, SamplesBody


class _BodyLimit:
    """ASGI middleware: refuse a request body over ``limit`` bytes with 413.

    A Content-Length over the limit is refused before anything is read; a body without one
    (chunked) is read up to the limit and then handed on whole, so the application never sees
    part of an oversized body.
    """

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                return await _send_error(send, 413, self._message())
        parts, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return None
            parts.append(message.get("body", b""))
            size += len(parts[-1])
            if size > self.limit:
                return await _send_error(send, 413, self._message())
            more = message.get("more_body", False)
        buffered = [{"type": "http.request", "body": b"".join(parts), "more_body": False}]

        async def replay():
            return buffered.pop() if buffered else await receive()

        return await self.app(scope, replay, send)

    def _message(self) -> str:
        return f"request body over the limit of {self.limit} bytes; send fewer rows per request."


async def _send_error(send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", b"%d" % len(body)),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    service: ModelService,
    *,
    api_key: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
):
    """The FastAPI application serving ``service``.

    ``api_key``: when given, writes (``POST /samples``, ``DELETE /samples/{id}``) need it in the
    ``X-API-Key`` header (compared in constant time); reads stay open.
    """
    from fastapi import FastAPI, HTTPException, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from starlette.concurrency import run_in_threadpool

    PredictBody, SamplesBody = _schemas()
    app = FastAPI(
        title="ldlkit model server",
        version=service.describe()["version"],
        description="Predict label distributions and update the model online. Writes are "
        "durable once acknowledged (SQLite log, WAL, synchronous=FULL).",
    )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc):  # e.g. a sample id that is not an integer
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(
            status_code=422, content={"detail": f"{where}: {first.get('msg', 'invalid value')}"}
        )

    def has_key(request: Request) -> bool:
        given = request.headers.get(API_KEY_HEADER)
        return (
            api_key is not None
            and given is not None
            and hmac.compare_digest(given.encode(), api_key.encode())
        )

    def require_key(request: Request) -> None:
        if api_key is None:
            return
        given = request.headers.get(API_KEY_HEADER)
        if given is None:
            raise HTTPException(401, f"this server needs the {API_KEY_HEADER} header for writes.")
        if not hmac.compare_digest(given.encode(), api_key.encode()):
            raise HTTPException(403, f"wrong {API_KEY_HEADER}.")

    def read_body(raw: bytes, content_type, fields: tuple[str, ...]) -> dict:
        try:
            return parse_body(
                raw, content_type, fields, max_rows=max_rows, max_bytes=max_body_bytes
            )
        except BodyError as exc:
            raise HTTPException(exc.status, str(exc)) from None

    def respond(request: Request, key: str, values: np.ndarray, **extra):
        if NPY in request.headers.get("accept", ""):
            return Response(npy_bytes(values), media_type=NPY)
        return Response(
            json.dumps({key: np.asarray(values).tolist(), **extra}, allow_nan=False),
            media_type="application/json",
        )

    def bad_input(exc: Exception) -> HTTPException:
        return HTTPException(422, str(exc))

    def write_errors(exc: Exception) -> HTTPException:
        if isinstance(exc, WritesUnsupported):
            return HTTPException(405, str(exc))
        if isinstance(exc, UnknownSample):
            return HTTPException(404, str(exc))
        if isinstance(exc, LogWriteFailed | ServiceDegraded):
            return HTTPException(503, str(exc))
        return HTTPException(422, str(exc))

    binary_doc = {
        NPY: {"schema": {"type": "string", "format": "binary"}},
        NPZ: {"schema": {"type": "string", "format": "binary"}},
    }

    @app.get("/health", summary="liveness: 200 while the model is loaded")
    def health():
        return {"status": "degraded" if service.degraded else "ok", "rows": service.n_rows()}

    @app.get(
        "/model",
        summary="method, parameters, rows, labels and versions (paths and ids need the key)",
    )
    def model_info(request: Request):
        return service.describe(private=has_key(request))

    @app.post(
        "/predict",
        summary="label distributions of a batch of feature rows",
        description=f'JSON ``{{"rows": [[...], ...]}}``, or the rows as one ``.npy`` array '
        f"({NPY}). Send ``Accept: {NPY}`` to get the distributions as an ``.npy`` array.",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": PredictBody.model_json_schema()},
                    **binary_doc,
                },
            }
        },
    )
    async def predict(request: Request):
        raw = await request.body()
        content_type = request.headers.get("content-type")

        def work():
            body = read_body(raw, content_type, ("rows",))
            try:
                X = service.check_rows(body["rows"])
            except (ValueError, TypeError) as exc:
                raise bad_input(exc) from None
            return service.predict(X)

        P = await run_in_threadpool(work)
        return respond(request, "distributions", P)

    @app.post(
        "/samples",
        status_code=201,
        summary="append labelled rows (partial_fit); returns their stable ids once durable",
        description=f"JSON with ``rows`` and ``distributions``, or an ``.npz`` archive ({NPZ}) "
        "holding the arrays ``rows`` and ``distributions``.",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": SamplesBody.model_json_schema()},
                    NPZ: binary_doc[NPZ],
                },
            }
        },
    )
    async def add_samples(request: Request):
        require_key(request)  # before the body is parsed
        raw = await request.body()
        content_type = request.headers.get("content-type")

        def work():
            body = read_body(raw, content_type, ("rows", "distributions"))
            try:
                return service.append(body["rows"], body["distributions"])
            except (WritesUnsupported, LogWriteFailed, ServiceDegraded, ValueError,
                    TypeError) as exc:  # fmt: skip
                raise write_errors(exc) from None

        ids = await run_in_threadpool(work)
        return JSONResponse(
            status_code=201, content={"ids": ids.tolist(), "rows": service.n_rows()}
        )

    @app.delete("/samples/{sample_id}", summary="remove one training row by its stable id")
    async def remove_sample(sample_id: str, request: Request):
        require_key(request)  # before the id is parsed
        if not re.fullmatch(r"-?[0-9]{1,18}", sample_id):
            raise HTTPException(422, f"sample_id must be an integer id, got {sample_id[:40]!r}.")
        row = int(sample_id)

        def work():
            try:
                service.remove(row)
            except (WritesUnsupported, UnknownSample, LogWriteFailed, ServiceDegraded) as exc:
                raise write_errors(exc) from None
            except ValueError as exc:  # e.g. it is the last row
                raise HTTPException(409, str(exc)) from None

        await run_in_threadpool(work)
        return {"removed": row, "rows": service.n_rows()}

    return _BodyLimit(app, max_body_bytes) if max_body_bytes else app


def api_key_from_env() -> str | None:
    key = os.environ.get(API_KEY_ENV)
    if key is not None and not key.strip():
        raise ValueError(f"{API_KEY_ENV} is set but empty; unset it or give a real key.")
    return key

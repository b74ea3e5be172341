"""The HTTP JSON API of ``ldlkit serve`` (FastAPI + uvicorn, the ``serve`` extra).

Request bodies are parsed by hand (``json.loads`` then numpy) rather than by pydantic models:
a 256-row Movie batch is half a million numbers, which pydantic validates an order of magnitude
slower. The pydantic models below only document the bodies on the OpenAPI page.
"""

import hmac
import json
import os

import numpy as np

from ._service import ModelService, ServiceDegraded, UnknownSample, WritesUnsupported

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

    def require_key(request: Request) -> None:
        if api_key is None:
            return
        given = request.headers.get(API_KEY_HEADER)
        if given is None:
            raise HTTPException(401, f"this server needs the {API_KEY_HEADER} header for writes.")
        if not hmac.compare_digest(given.encode(), api_key.encode()):
            raise HTTPException(403, f"wrong {API_KEY_HEADER}.")

    async def read_body(request: Request, fields: tuple[str, ...]) -> dict:
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HTTPException(400, f"malformed JSON body: {exc}.") from None
        if not isinstance(body, dict):
            raise HTTPException(422, f"the body must be a JSON object with {', '.join(fields)}.")
        missing = [f for f in fields if f not in body]
        extra = sorted(set(body) - set(fields))
        if missing or extra:
            what = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(extra)}"
            raise HTTPException(422, f"the body must have exactly {', '.join(fields)} ({what}).")
        for name in fields:
            rows = body[name]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise HTTPException(422, f"{name} must be a list of rows (lists of numbers).")
            if not rows:
                raise HTTPException(422, f"{name} is empty; send at least one row.")
            if len(rows) > max_rows:
                raise HTTPException(
                    413, f"{name} has {len(rows)} rows; at most {max_rows} per request."
                )
        return body

    def as_json(payload) -> Response:
        return Response(json.dumps(payload, allow_nan=False), media_type="application/json")

    def bad_input(exc: Exception) -> HTTPException:
        return HTTPException(422, str(exc))

    @app.get("/health", summary="liveness: 200 while the model is loaded")
    def health():
        return {"status": "degraded" if service.degraded else "ok", "rows": service.n_rows()}

    @app.get("/model", summary="method, parameters, rows, labels and versions")
    def model_info():
        return service.describe()

    @app.post(
        "/predict",
        summary="label distributions of a batch of feature rows",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": PredictBody.model_json_schema()}},
            }
        },
    )
    async def predict(request: Request):
        body = await read_body(request, ("rows",))
        try:
            X = service.check_rows(body["rows"])
        except (ValueError, TypeError) as exc:
            raise bad_input(exc) from None
        P = await run_in_threadpool(service.predict, X)
        return as_json({"distributions": np.asarray(P).tolist()})

    @app.post(
        "/samples",
        status_code=201,
        summary="append labelled rows (partial_fit); returns their stable ids once durable",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": SamplesBody.model_json_schema()}},
            }
        },
    )
    async def add_samples(request: Request):
        require_key(request)
        body = await read_body(request, ("rows", "distributions"))
        try:
            ids = await run_in_threadpool(service.append, body["rows"], body["distributions"])
        except WritesUnsupported as exc:
            raise HTTPException(405, str(exc)) from None
        except ServiceDegraded as exc:
            raise HTTPException(503, str(exc)) from None
        except (ValueError, TypeError) as exc:
            raise bad_input(exc) from None
        return JSONResponse(
            status_code=201, content={"ids": ids.tolist(), "rows": service.n_rows()}
        )

    @app.delete("/samples/{sample_id}", summary="remove one training row by its stable id")
    async def remove_sample(sample_id: int, request: Request):
        require_key(request)
        try:
            await run_in_threadpool(service.remove, sample_id)
        except WritesUnsupported as exc:
            raise HTTPException(405, str(exc)) from None
        except UnknownSample as exc:
            raise HTTPException(404, str(exc)) from None
        except ServiceDegraded as exc:
            raise HTTPException(503, str(exc)) from None
        except ValueError as exc:  # e.g. it is the last row
            raise HTTPException(409, str(exc)) from None
        return {"removed": sample_id, "rows": service.n_rows()}

    return _BodyLimit(app, max_body_bytes) if max_body_bytes else app


def api_key_from_env() -> str | None:
    key = os.environ.get(API_KEY_ENV)
    if key is not None and not key.strip():
        raise ValueError(f"{API_KEY_ENV} is set but empty; unset it or give a real key.")
    return key

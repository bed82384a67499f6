"""Every error of the REST API as one JSON shape: ``{"error": code, "detail": text}``.

Clients branch on the status and the short ``error`` code; ``detail`` is for people. Nothing a
client sent is echoed back in a way a browser could run (JSON only, ``nosniff``), and an
unexpected failure answers 500 ``internal`` without a traceback. A document, entity or file the
caller may not read is :data:`NOT_FOUND`, the very same body as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.types import Forbidden, KBError, LockHeld, LoginFailed, NotFound

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "busy",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "locked",
    500: "internal",
}
#: what every unreadable or missing document, entity or file answers: the same bytes either way
NOT_FOUND = "not found"
BUSY = "another process is writing this knowledge base; try again shortly"


class SafeJSON(JSONResponse):
    """JSON with ``<``, ``>`` and ``&`` written as ``\\u`` escapes: a document's text or a hostile query
    echoed in an answer stays inert even where a client mistakes the JSON for HTML."""

    def render(self, content: Any) -> bytes:
        raw = super().render(content)
        return raw.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")


class ApiError(Exception):
    """An answer other than 2xx, raised anywhere in a request and rendered by :func:`install`."""

    def __init__(self, status: int, detail: str, *, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.detail = detail
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, NOT_FOUND)


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def login_failed(exc: LoginFailed) -> ApiError:
    """401, or 429 with ``Retry-After`` (seconds) while the account is locked."""
    if exc.locked_until:
        until = dt.datetime.fromisoformat(exc.locked_until.replace("Z", "+00:00"))
        if until.tzinfo is None:
            until = until.replace(tzinfo=dt.UTC)
        wait = max(1, int((until - dt.datetime.now(dt.UTC)).total_seconds()) + 1)
        return ApiError(429, str(exc), headers={"Retry-After": str(wait)})
    return unauthorized(str(exc))


def body(status: int, detail: str, code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    content = {"error": code or CODES.get(status, "error"), "detail": detail}
    return SafeJSON(content, status_code=status, headers={"X-Content-Type-Options": "nosniff", **(headers or {})})


def _validation_text(exc: RequestValidationError) -> str:
    """``where: what`` for each problem, without the offending input (it may be large or hostile)."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path", "header"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    """Register the handlers that turn exceptions into the JSON error shape."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return body(exc.status, exc.detail, exc.code, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = NOT_FOUND if exc.status_code == 404 else str(exc.detail)
        return body(exc.status_code, detail, headers=dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return body(422, _validation_text(exc))

    @app.exception_handler(KBError)
    async def _kb(request: Request, exc: KBError) -> JSONResponse:
        return _kb_error(exc)

    @app.exception_handler(ValueError)
    async def _value(request: Request, exc: ValueError) -> JSONResponse:
        return body(400, str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return body(500, "internal error")


def _kb_error(exc: KBError) -> JSONResponse:
    if isinstance(exc, LoginFailed):
        err = login_failed(exc)
        return body(err.status, err.detail, err.code, err.headers)
    if isinstance(exc, Forbidden):
        return body(403, str(exc))
    if isinstance(exc, NotFound):
        return body(404, NOT_FOUND)
    if isinstance(exc, LockHeld):
        return body(
            409, "another process is writing this knowledge base; try again shortly", headers={"Retry-After": "5"}
        )
    return body(400, str(exc))


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a path can answer."""
    return {s: {"description": CODES.get(s, "error")} for s in statuses}

"""The FastAPI application over one open knowledge base: ``create_app(kb)``.

One ``KnowledgeBase`` per process (models and segments load once); each request gets a cheap
view of it for its caller (:mod:`kb.api.auth`). Request bodies are small by default
(:data:`MAX_FORM_BYTES`: a login form, a collection name); only the upload path takes more, the
knowledge base's ``max_file_mb`` in all (one largest file, or several smaller ones). A larger body is refused with 413 as soon as its
size is known, before it is read.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.api.auth import router as auth_router
from kb.api.curation import MAX_IMPORT
from kb.api.curation import router as curation_router
from kb.api.errors import SafeJSON, body, install
from kb.api.read import router as read_router
from kb.api.upload import router as upload_router
from kb.api.userdata import router as userdata_router

PREFIX = "/api/v1"
MAX_FORM_BYTES = 64 * 1024
UPLOAD_OVERHEAD = 1024 * 1024  # multipart boundaries and headers around the files
NOSNIFF = b"x-content-type-options"


def create_app(kb: Any) -> FastAPI:
    """The REST API over ``kb`` (a :class:`kb.service.KnowledgeBase`), OpenAPI docs at ``/docs``.

    Without users the app acts as the local owner for requests without proxy headers: serve it
    on a loopback address only (``kb serve`` refuses anything else in that mode).
    """
    app = FastAPI(
        title="kb REST API",
        version="1",
        summary="Search a multilingual knowledge base with per-collection permissions.",
        default_response_class=SafeJSON,
    )
    app.state.kb = kb
    install(app)
    # limits per router, not on the app: the app's limiter answers before any middleware could shape it
    app.include_router(auth_router, prefix=PREFIX, max_body_size=MAX_FORM_BYTES)
    app.include_router(read_router, prefix=PREFIX, max_body_size=MAX_FORM_BYTES)
    app.include_router(userdata_router, prefix=PREFIX, max_body_size=MAX_FORM_BYTES)
    app.include_router(curation_router, prefix=PREFIX, max_body_size=4 * MAX_IMPORT + MAX_FORM_BYTES)  # JSON-escaped
    upload_limit = int(kb.max_upload_mb) * 1024 * 1024 + UPLOAD_OVERHEAD
    app.include_router(upload_router, prefix=PREFIX, max_body_size=upload_limit)
    app.add_middleware(Guards)
    return app


class Guards:
    """Every answer with ``X-Content-Type-Options: nosniff``; the body-size refusals (413, which
    Starlette's limiter sends as plain text) in the API's JSON error shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def guarded(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                if message["status"] == 413 and not headers.get(b"content-type", b"").startswith(b"application/json"):
                    replaced = True
                    await body(413, "the request body is too large")(scope, receive, send)
                    return
                if b"x-content-type-options" not in headers:
                    message = {**message, "headers": [*message.get("headers", []), (NOSNIFF, b"nosniff")]}
            if not replaced:
                await send(message)

        await self.app(scope, receive, guarded)

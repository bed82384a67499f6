"""The REST API of ``kb serve``: FastAPI over the ``KnowledgeBase`` facade (a front end, like the CLI).

:func:`create_app` builds the application for an open knowledge base; :mod:`kb.api.server` runs
it with uvicorn. Paths live under ``/api/v1`` (OpenAPI docs at ``/docs``); every error is
``{"error": code, "detail": text}`` (:mod:`kb.api.errors`).
"""

from kb.api.app import create_app

__all__ = ["create_app"]

"""Who is calling: the bearer token of each request becomes a view of the knowledge base.

In multi-user mode (the knowledge base has users) every path but ``/health`` and
``/auth/token`` needs ``Authorization: Bearer <token>``, a login session or an API token alike;
:meth:`KnowledgeBase.for_token` turns it into a per-request view scoped to that user's
collections. Without users (single-user mode) the server only ever listens on a loopback
address (:mod:`kb.api.server` refuses anything else) and a request acts as the local owner,
as the CLI does, unless it carries proxy headers: a reverse proxy in front of a knowledge base
without users would hand everyone the owner's access, so such requests are refused.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request

from kb.api.errors import ApiError, error_responses, login_failed, unauthorized
from kb.types import LoginFailed

router = APIRouter()

#: headers a reverse proxy adds: their presence means the request did not start on this machine
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
#: user names and passwords longer than this are refused before argon2 sees them
MAX_FIELD = 1024


def bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (``None`` when absent or another scheme)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def caller(request: Request) -> Any:
    """The knowledge base as this request's caller sees it (a dependency of every protected path)."""
    kb = request.app.state.kb
    if not kb.multi_user:
        if any(h in request.headers for h in PROXY_HEADERS):
            raise unauthorized(
                "this knowledge base has no users, so it is served to this machine only: "
                "add an administrator (kb users add NAME --admin) before putting it behind a proxy"
            )
        return kb
    token = bearer(request)
    if token is None:
        raise unauthorized("log in first: send Authorization: Bearer <token> (POST /api/v1/auth/token gives one)")
    try:
        return kb.for_token(token)
    except LoginFailed:
        raise unauthorized("the token is not valid (unknown, expired or revoked)") from None


Caller = Annotated[Any, Depends(caller)]


def require_admin(kb: Any) -> None:
    if not kb.principal.admin:
        raise ApiError(403, "only an administrator may do this")


@router.get("/health", tags=["service"])
def health(request: Request) -> dict[str, Any]:
    """Liveness, without a login: the knowledge base answers, and whether it needs a login (nothing more:
    not even the generation, which would tell an outsider when documents change)."""
    kb = request.app.state.kb
    kb.generation  # noqa: B018 - reads the manifest and the store: fails (500) when they do not open
    return {"status": "ok", "multi_user": bool(kb.multi_user)}


@router.post("/auth/token", tags=["auth"], responses=error_responses(401, 413, 422, 429))
def token(
    request: Request,
    username: Annotated[str, Form(max_length=MAX_FIELD)],
    password: Annotated[str, Form(max_length=MAX_FIELD)],
) -> dict[str, str]:
    """A login session for a user name and password: ``{"access_token", "token_type", "expires_at"}``.

    Five failures within 15 minutes lock the account for 15 minutes: 429 with ``Retry-After``.
    """
    kb = request.app.state.kb
    if not kb.multi_user:
        raise ApiError(400, "this knowledge base has no users: no login is needed on this machine")
    try:
        return dict(kb.login(username, password))
    except LoginFailed as exc:
        raise login_failed(exc) from None
    except ValueError:  # a malformed user name: the same answer as a wrong password
        raise unauthorized(str(LoginFailed())) from None


@router.post("/auth/logout", tags=["auth"], responses=error_responses(401))
def logout(request: Request, kb: Caller) -> dict[str, str]:
    """End this session (or revoke the API token used for this call)."""
    token = bearer(request)
    if token is not None:
        kb.logout(token)
    return {"status": "logged out"}


@router.get("/me", tags=["auth"], responses=error_responses(401))
def me(kb: Caller) -> dict[str, Any]:
    """The caller: name, administrator or not, and the collections it can read (with its role)."""
    p = kb.principal
    collections = [{"name": c["name"], "documents": c["documents"], "role": c["role"]} for c in kb.collections()]
    return {"user": p.name, "admin": p.admin, "owner": p.owner, "collections": collections}


@router.get("/audit", tags=["admin"], responses=error_responses(401, 403))
def audit(
    kb: Caller,
    user: Annotated[str | None, Query(max_length=MAX_FIELD)] = None,
    since: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """The audit trail, oldest first (administrators only)."""
    require_admin(kb)
    return list(kb.audit_log(user=user, since=since, limit=limit))


@router.get("/audit/verify", tags=["admin"], responses=error_responses(401, 403))
def audit_verify(kb: Caller) -> dict[str, Any]:
    """Check the audit trail's hash chain: intact or not, the problems, the head to keep elsewhere."""
    require_admin(kb)
    ok, problems, head = kb.verify_audit()
    return {"ok": ok, "problems": problems, "head": head}


@router.get("/tokens", tags=["auth"], responses=error_responses(401))
def tokens(kb: Caller) -> list[dict[str, Any]]:
    """Your API tokens (never their secrets): id, label, created, expires, revoked."""
    return list(kb.tokens(kb.principal.name))


@router.post("/tokens", tags=["auth"], status_code=201, responses=error_responses(400, 401, 422))
def create_token(
    kb: Caller,
    label: Annotated[str | None, Form(max_length=200)] = None,
    days: Annotated[float | None, Form(gt=0, le=3660)] = None,
) -> dict[str, Any]:
    """A new API token for yourself (for scripts): shown once in ``token``, stored only hashed."""
    if kb.principal.owner:
        raise ApiError(400, "the local owner has no account: API tokens belong to users")
    return {"token": kb.create_token(kb.principal.name, label=label, days=days), "label": label}


@router.delete("/tokens/{token_id}", tags=["auth"], responses=error_responses(401, 403, 404))
def revoke_token(kb: Caller, token_id: int) -> dict[str, Any]:
    """Revoke one of your API tokens (administrators: anyone's) by its id."""
    if not kb.revoke_token(token_id):
        raise ApiError(404, "not found")
    return {"revoked": token_id}

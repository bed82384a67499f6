"""The team commands of ``kb``: users, groups, grants, collections, API tokens and the audit trail.

They are added to the ``kb`` group in :mod:`kb.cli` and, like it, call only the
``KnowledgeBase`` facade. Each acts for whoever the command acts for: the local owner (full
access) or, with ``kb --user NAME``, that user — so ``kb --user alice users list`` is refused
exactly as alice would be. A refusal (:class:`kb.types.Forbidden`, no such user or group) is a
``KBError`` and becomes one ``Error: ...`` line with exit status 1 in :class:`kb.cli.KBGroup`; a
malformed name, role or password is a ``ValueError`` here, shown as a usage error (exit 2).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from kb.cli_audit import JSON, audit, echo_json, printable
from kb.cli_read import open_kb
from kb.types import ALL_COLLECTIONS, ROLES


@contextmanager
def checked() -> Iterator[None]:
    """A ``ValueError`` from the facade (a malformed name, role or password) as a usage error (exit 2).

    Its message names what is wrong ("a password needs at least 8 characters"), so it is shown as is.
    """
    try:
        yield
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def read_password(from_stdin: bool, user: str) -> str:
    """The new password: the first line of standard input, or asked twice without echo."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise click.BadParameter("standard input gave no password.", param_hint="'--password-stdin'")
        return line
    return str(click.prompt(f"Password for {user}", hide_input=True, confirmation_prompt=True))


def where(collection: str) -> str:
    return "every collection" if collection == ALL_COLLECTIONS else f"the collection {collection!r}"


PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of standard input (scripts)."
)


# -- users --------------------------------------------------------------------------------------
@click.group()
def users() -> None:
    """Users of a shared knowledge base (the first one, an administrator, turns on logins)."""


@users.command(name="add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="An administrator: manages users, groups and grants; reads everything.")
@PASSWORD_STDIN
@click.pass_context
def users_add(ctx: click.Context, name: str, admin: bool, password_stdin: bool) -> None:
    """Add a user; the first user must be an --admin, and from then on the app and API ask for a login."""
    kb = open_kb(ctx)
    first = not kb.multi_user
    password = read_password(password_stdin, name)
    with checked():
        kb.add_user(name, password, admin=admin)
    click.echo(f"added {'administrator' if admin else 'user'} {name}")
    if first:
        click.echo("multi-user mode is on: the app and the REST API now ask for a login", err=True)


@users.command(name="list")
@JSON
@click.pass_context
def users_list(ctx: click.Context, as_json: bool) -> None:
    """Every user: administrator or not, disabled or not, created, groups."""
    rows = open_kb(ctx).users()
    if as_json:
        echo_json(rows)
        return
    for u in rows:
        kind = "admin" if u["admin"] else "user"
        state = "disabled" if u["disabled"] else "active"
        groups = ", ".join(u["groups"]) or "-"
        click.echo(f"{u['name']:20} {kind:5} {state:8} {u['created']}  groups: {groups}")


def _set_disabled(ctx: click.Context, name: str, disabled: bool) -> None:
    open_kb(ctx).disable_user(name, disabled)
    click.echo(f"{'disabled' if disabled else 'enabled'} {name}")


@users.command(name="disable")
@click.argument("name")
@click.pass_context
def users_disable(ctx: click.Context, name: str) -> None:
    """Disable a user: no login, and its sessions and API tokens stop working."""
    _set_disabled(ctx, name, True)


@users.command(name="enable")
@click.argument("name")
@click.pass_context
def users_enable(ctx: click.Context, name: str) -> None:
    """Enable a disabled user again (its old tokens stay revoked)."""
    _set_disabled(ctx, name, False)


@users.command(name="passwd")
@click.argument("name")
@PASSWORD_STDIN
@click.pass_context
def users_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a user's password; its open sessions and API tokens end."""
    kb = open_kb(ctx)
    password = read_password(password_stdin, name)
    with checked():
        kb.set_password(name, password)
    click.echo(f"password of {name} changed; its sessions and tokens were revoked")


# -- groups -------------------------------------------------------------------------------------
@click.group()
def groups() -> None:
    """Groups of users: a grant to a group reaches every member."""


@groups.command(name="add")
@click.argument("name")
@click.pass_context
def groups_add(ctx: click.Context, name: str) -> None:
    """Add a group (group and user names share one namespace)."""
    with checked():
        open_kb(ctx).add_group(name)
    click.echo(f"added group {name}")


@groups.command(name="list")
@JSON
@click.pass_context
def groups_list(ctx: click.Context, as_json: bool) -> None:
    """Every group and its members."""
    rows = open_kb(ctx).groups()
    if as_json:
        echo_json([{"name": g, "members": m} for g, m in rows])
        return
    for g, members in rows:
        click.echo(f"{g:20} {', '.join(members) or '-'}")


@groups.command(name="members")
@click.argument("group")
@click.option("--add", "added", multiple=True, metavar="USER", help="Put this user in the group; repeatable.")
@click.option("--remove", "removed", multiple=True, metavar="USER", help="Take this user out; repeatable.")
@JSON
@click.pass_context
def groups_members(
    ctx: click.Context, group: str, added: tuple[str, ...], removed: tuple[str, ...], as_json: bool
) -> None:
    """List a group's members, or change them with --add / --remove."""
    kb = open_kb(ctx)
    for user in added:
        kb.set_member(group, user, True)
    for user in removed:
        kb.set_member(group, user, False)
    members = dict(kb.groups())
    if group not in members:
        raise click.ClickException(f"no group {group!r}; `kb groups list` shows them")
    if as_json:
        echo_json(members[group])
        return
    for user in members[group]:
        click.echo(user)


# -- grants and collections ---------------------------------------------------------------------
@click.command()
@click.argument("subject", metavar="USER_OR_GROUP")
@click.argument("collection")
@click.argument("role", type=click.Choice(ROLES))
@click.pass_context
def grant(ctx: click.Context, subject: str, collection: str, role: str) -> None:
    """Give a user or group read, write or admin on a collection ('*': every collection).

    write includes read; admin includes write and lets the holder change the collection's grants.
    """
    with checked():
        open_kb(ctx).grant(subject, collection, role)
    click.echo(f"granted {subject} {role} on {where(collection)}")


@click.command()
@click.argument("subject", metavar="USER_OR_GROUP")
@click.argument("collection")
@click.pass_context
def revoke(ctx: click.Context, subject: str, collection: str) -> None:
    """Take back a user's or group's grant on a collection (a group member keeps the group's grants)."""
    kb = open_kb(ctx)
    held = any(g["subject"] == subject and g["collection"] == collection for g in kb.grants())
    with checked():
        kb.revoke(subject, collection)
    if not held:
        raise click.ClickException(f"{subject} holds no grant on {where(collection)}; `kb collections` lists them")
    click.echo(f"revoked the grant of {subject} on {where(collection)}")


def collection_rows(kb: Any) -> list[dict[str, Any]]:
    """``kb.collections()``, plus the collections that have grants but no documents yet.

    The facade lists the collections that hold documents (and, for a user, those it was granted);
    an administrator who grants a collection before ingesting into it should still see that grant.
    """
    rows: list[dict[str, Any]] = kb.collections()
    principal = kb.principal
    if not (principal.admin or principal.manage):
        return rows
    grants = kb.grants()
    known = {r["name"] for r in rows}
    everywhere = [g for g in grants if g["collection"] == ALL_COLLECTIONS]
    pending: dict[str, list[dict[str, str]]] = {}
    for g in grants:
        if g["collection"] not in known and g["collection"] != ALL_COLLECTIONS:
            pending.setdefault(g["collection"], []).append(g)
    for name, held in pending.items():
        role = next((r for r in ("admin", "write", "read") if principal.can(r, name)), None)
        rows.append({"name": name, "documents": 0, "role": role, "grants": held + everywhere})
    return sorted(rows, key=lambda r: str(r["name"]))


@click.command()
@JSON
@click.pass_context
def collections(ctx: click.Context, as_json: bool) -> None:
    """The collections you can read: documents, your role, and the grants you may see."""
    rows = collection_rows(open_kb(ctx))
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No collection readable.")
    for r in rows:
        grants = ", ".join(
            f"{g['subject']}{' (group)' if g['kind'] == 'group' else ''}: {g['role']}" for g in r["grants"]
        )
        role = r["role"] or "-"
        click.echo(f"{printable(r['name']):24} {r['documents']:6} documents  role: {role:5}  grants: {grants or '-'}")


# -- API tokens ---------------------------------------------------------------------------------
@click.group()
def tokens() -> None:
    """API tokens for scripts and the REST API (Authorization: Bearer <token>)."""


@tokens.command(name="create")
@click.argument("user")
@click.option("--label", help="What the token is for (shown by `kb tokens list`).")
@click.option(
    "--days", type=click.FloatRange(min=0, min_open=True), help="Expire after this many days (default: never)."
)
@click.pass_context
def tokens_create(ctx: click.Context, user: str, label: str | None, days: float | None) -> None:
    """Create an API token for a user and print it: only once, it is stored hashed."""
    token = open_kb(ctx).create_token(user, label=label, days=days)
    click.echo(token)
    click.echo("Store this token now: it is not shown again (`kb tokens revoke ID` ends it).", err=True)


def token_state(t: dict[str, Any], now: str) -> str:
    if t["revoked"]:
        return "revoked"
    return "expired" if t["expires"] and t["expires"] <= now else "live"


@tokens.command(name="list")
@click.argument("user", required=False)
@JSON
@click.pass_context
def tokens_list(ctx: click.Context, user: str | None, as_json: bool) -> None:
    """API tokens (never their secret), of one user or of all (a user who is no administrator: its own)."""
    kb = open_kb(ctx)
    rows = kb.tokens(user or (None if kb.principal.admin else kb.principal.name))
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for t in rows:
        t["state"] = token_state(t, now)
    if as_json:
        echo_json(rows)
        return
    for t in rows:
        click.echo(
            f"{t['id']:5}  {t['user']:16} {t['state']:7} created {t['created']}  "
            f"expires {t['expires'] or 'never':20}  {printable(t['label'] or '')}".rstrip()
        )


@tokens.command(name="revoke")
@click.argument("token_id", metavar="ID", type=click.IntRange(min=1))
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke an API token by its id (`kb tokens list` shows ids)."""
    if not open_kb(ctx).revoke_token(token_id):
        raise click.ClickException(f"no live token {token_id}; `kb tokens list` shows them")
    click.echo(f"revoked token {token_id}")


ACCOUNT_COMMANDS = (users, groups, grant, revoke, collections, tokens, audit)

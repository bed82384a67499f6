"""The audit trail on the ``kb`` command line: ``kb audit`` lists it, ``kb audit verify`` checks it.

Administrators only (the facade refuses anyone else with :class:`kb.types.Forbidden`). The
trail itself — append-only, each row chained to the one before by its hash — is kept by the
facade; this module only filters, prints and reports on it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any

import click

from kb.cli_input import Known
from kb.cli_read import open_kb
from kb.types import AUDIT_ACTIONS

JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


#: control characters (C0, DEL, C1): a terminal would act on them
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def printable(text: object) -> str:
    """``text`` with control characters escaped (``\\x1b``): a failed login's user name, a token
    label or a query typed by anyone must not move the cursor or recolour an administrator's terminal."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


class Since(click.ParamType):
    """A day (``YYYY[-MM[-DD]]``) or a UTC time (``YYYY-MM-DDTHH:MM[:SS]``): audit times compare as text."""

    name = "time"
    FORMS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d", 16: "%Y-%m-%dT%H:%M", 19: "%Y-%m-%dT%H:%M:%S"}

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value).strip().replace(" ", "T").removesuffix("Z")
        try:
            dt.datetime.strptime(text, self.FORMS[len(text)])
            return text
        except (KeyError, ValueError):
            self.fail(
                f"{value!r} is not a date or time: use YYYY[-MM[-DD]] or YYYY-MM-DDTHH:MM[:SS] (UTC).", param, ctx
            )


def audit_text(r: dict[str, Any]) -> str:
    """One audit row on one line: when, who, what, and about what."""
    parts = [f"{r['id']:6}", r["at"], f"{printable(r['user']):16}", f"{r['action']:13}"]
    if r["query"]:
        parts.append(printable(json.dumps(r["query"], ensure_ascii=False)))
    if r["filters"]:
        parts.append(printable(json.dumps(r["filters"], ensure_ascii=False, sort_keys=True)))
    if r["detail"]:
        parts.append(printable(r["detail"]))
    if r["collections"] is not None:  # what the user could read then; the collection a grant names
        parts.append(printable("[" + ", ".join(r["collections"]) + "]"))
    if r["ids"] is not None:
        parts.append(f"-> {len(r['ids'])} id(s)")
    return " ".join(parts).rstrip()


def audit_rows(kb: Any, user: str | None, since: str | None, limit: int | None, actions: Sequence[str]) -> list[Any]:
    """The trail's rows, oldest first, of ``user``, from ``since``, of ``actions`` (the newest ``limit``)."""
    return list(kb.audit_log(user=user, since=since, limit=limit, actions=actions or None))


@click.group(invoke_without_command=True)
@click.option("--user", "user", metavar="USER", help="Only this user's actions.")
@click.option("--since", type=Since(), help="From this day or UTC time on (YYYY[-MM[-DD]] or YYYY-MM-DDTHH:MM).")
@click.option(
    "--action",
    "actions",
    type=Known("audit action", AUDIT_ACTIONS),
    metavar="ACTION",
    multiple=True,
    help="Only this action (login, search, view, grant...); repeatable.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N rows.")
@JSON
@click.pass_context
def audit(
    ctx: click.Context, user: str | None, since: str | None, actions: tuple[str, ...], limit: int | None, as_json: bool
) -> None:
    """The audit trail, oldest first (administrators): who searched, viewed, downloaded, changed what.

    `kb audit verify` checks that no row was edited or deleted.
    """
    if ctx.invoked_subcommand is not None:
        return
    rows = audit_rows(open_kb(ctx), user, since, limit, actions)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(audit_text(r))


@audit.command(name="verify")
@JSON
@click.pass_context
def audit_verify(ctx: click.Context, as_json: bool) -> None:
    """Check the trail's hash chain: exit 0 and print its head when intact, exit 1 with each problem when not.

    Keep the head somewhere else (a ticket, a mail): a trail rewritten from the start with a
    new chain verifies, but its head no longer matches the one you kept.
    """
    ok, problems, head = open_kb(ctx).verify_audit()
    if as_json:
        echo_json({"ok": ok, "problems": problems, "head": head})
    elif ok:
        click.echo(f"audit trail intact: {head.split(':')[0]} rows")
        click.echo(f"head {head}  (keep it elsewhere: a rewritten trail would not end with it)")
    else:
        for problem in problems:
            click.echo(problem)
    if not ok:
        raise click.ClickException(f"the audit trail was altered ({len(problems)} problem(s))")

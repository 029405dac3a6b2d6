"""`tfp audit`: read the audit trail, a thin face over `Store.list_audit` (itself audited)."""

from __future__ import annotations

from pathlib import Path

import click

from ..store import ACTIONS
from .base import DATABASE_OPTION, cli_actor, fail, main, open_store

FILTERS = ("actor", "action", "decision", "from", "to")


@main.group()
def audit() -> None:
    """Read the audit trail: who did what, to what, when, with which key and outcome."""


@audit.command("list")
@click.option("--actor", help="A client id, anonymous, or cli:USER.")
@click.option("--action", type=click.Choice(ACTIONS))
@click.option("--decision", metavar="ID", help="Rows about this decision.")
@click.option(
    "--from", "at_from", metavar="DATE|TIME", help="On or after (a date is the whole day, UTC)."
)
@click.option("--to", "at_to", metavar="DATE|TIME", help="On or before (inclusive).")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@DATABASE_OPTION
def audit_list(
    actor: str | None,
    action: str | None,
    decision: str | None,
    at_from: str | None,
    at_to: str | None,
    limit: int,
    database: Path,
) -> None:
    """Print audit rows newest first, one per line, tab-separated:
    at, actor, key, action, target, status, detail ("-" where there is none)."""
    given = dict(zip(FILTERS, (actor, action, decision, at_from, at_to), strict=True))
    with open_store(database) as store:
        try:
            rows, more = store.list_audit(
                actor=actor,
                action=action,
                target=decision,
                at_from=at_from,
                at_to=at_to,
                limit=limit,
            )
        except ValueError as exc:
            fail([f"error: {exc}"])
        store.audit(
            actor=cli_actor(),
            action="audit.list",
            status=200,
            detail=",".join(k for k, v in given.items() if v is not None) or None,
        )
    for row in rows:
        fields = [row[k] for k in ("at", "actor", "key_id", "action", "target", "status", "detail")]
        click.echo("\t".join("-" if v is None or v == "" else str(v) for v in fields))
    if more:
        click.echo(f"(more rows: older ones beyond --limit {limit})", err=True)

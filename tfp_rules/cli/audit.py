"""`tfp audit`: read the audit trail and verify its hash chains, thin faces over
`Store.list_audit` and `Store.verify_chains` (both audited)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..store import ACTIONS, CHAINS, ChainReport
from .base import DATABASE_OPTION, cli_actor, fail, main, open_store

FILTERS = ("actor", "action", "decision", "family", "from", "to")


@main.group()
def audit() -> None:
    """Read the audit trail: who did what, to what, when, with which key and outcome."""


@audit.command("list")
@click.option("--actor", help="A client id, anonymous, or cli:USER.")
@click.option("--action", type=click.Choice(ACTIONS))
@click.option("--decision", metavar="ID", help="Rows about this decision.")
@click.option(
    "--family",
    "family_ref",
    metavar="REF",
    help="Rows about this family's decisions, progress decisions and claims.",
)
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
    family_ref: str | None,
    at_from: str | None,
    at_to: str | None,
    limit: int,
    database: Path,
) -> None:
    """Print audit rows newest first, one per line, tab-separated:
    at, actor, key, action, target, status, detail ("-" where there is none)."""
    values = (actor, action, decision, family_ref, at_from, at_to)
    given = dict(zip(FILTERS, values, strict=True))
    with open_store(database) as store:
        try:
            rows, more = store.list_audit(
                actor=actor,
                action=action,
                target=decision,
                family_ref=family_ref,
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


def report_line(report: ChainReport) -> str:
    """One chain's result, as `tfp audit verify` prints it."""
    erased = f" ({report.erased} erased)" if report.erased else ""
    if report.broken is None:
        head = report.head_sha256 if report.head_seq else "-"
        return (
            f"{report.table}: {report.ok} rows checked, OK{erased}; head {report.head_seq} {head}"
        )
    b = report.broken
    where = f"row {b.seq}" if b.seq is not None else "a row without a sequence number"
    key = f" ({b.key})" if b.key is not None else ""
    return (
        f"{report.table}: BROKEN: {b.kind} at {where}{key}: {b.detail};"
        f" {report.ok} of {report.rows} rows OK before it{erased}"
    )


@audit.command("verify")
@click.option(
    "--table",
    "tables",
    type=click.Choice(list(CHAINS)),
    multiple=True,
    help="Only this chain (repeatable); every chain by default.",
)
@DATABASE_OPTION
def audit_verify(tables: tuple[str, ...], database: Path) -> None:
    """Walk each hash chain (decisions, reviews, progress, progress_reviews, claims, audit)
    and print per table the rows checked and OK, or the first record altered, inserted or
    removed. Exit 0 if every chain holds, 1 if one is broken."""
    with open_store(database) as store:
        reports = store.verify_chains(list(tables) or None)
        broken = [r.table for r in reports if not r.intact]
        store.audit(
            actor=cli_actor(),
            action="audit.verify",
            status=200,
            detail=f"tables={len(reports)} broken={','.join(broken) or 'none'}",
        )
    for report in reports:
        click.echo(report_line(report))
    if broken:
        sys.exit(1)

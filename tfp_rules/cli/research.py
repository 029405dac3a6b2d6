"""`tfp research`: the pseudonymised extract for the national evaluation, its register and
its five-year destruction, a thin face over `tfp_rules.privacy.research` (each audited,
actor `cli:<user>`)."""

from __future__ import annotations

from pathlib import Path

import click

from ..privacy.pseudonyms import SECRET_ENV, SecretError, load_secret, secret_path
from ..privacy.research import (
    RESEARCH_RETENTION_TEXT,
    ExtractError,
    destroy_extracts,
    export_extract,
    parse_age,
)
from ..privacy.suppression import MIN_CELL
from ..store import StoreError
from .base import DATABASE_OPTION, cli_actor, fail, main, open_store


@main.group()
def research() -> None:
    """The pseudonymised extract for the national evaluation: export, list, destroy."""


@research.command("export")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="A new (or empty) directory for the extract.",
)
@click.option(
    "--secret-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"The pseudonyms' secret, kept outside the database [default: ${SECRET_ENV}].",
)
@click.option(
    "--min-cell",
    type=click.IntRange(min=1),
    default=MIN_CELL,
    show_default=True,
    help="Counts below this in the tables are suppressed.",
)
@click.option("--as-of", metavar="DATE", help="Only records stored on or before this date.")
@DATABASE_OPTION
def export(
    out: Path, secret_file: Path | None, min_cell: int, as_of: str | None, database: Path
) -> None:
    """Write a pseudonymised research extract (CSV files and a manifest) of every decision,
    progress decision and claim into a new directory, and list it in the register."""
    try:
        secret = load_secret(secret_path(secret_file))
    except SecretError as exc:
        fail([f"error: {exc}"])
    with open_store(database) as store:
        try:
            result = export_extract(
                store, out, secret, actor=cli_actor(), min_cell=min_cell, as_of=as_of
            )
        except (ExtractError, ValueError, StoreError, OSError) as exc:
            fail([f"error: {exc}"])
    extract = result.extract
    click.echo(f"extract {extract.id} written to {extract.out_path}")
    for name, entry in result.manifest["files"].items():
        click.echo(f"{name}\t{entry['rows']} rows")
    click.echo(f"key id {extract.key_id}; destroy by {result.manifest['destroy_by']}")


@research.command("list")
@DATABASE_OPTION
def list_command(database: Path) -> None:
    """Print the register, oldest first, tab-separated: id, created, rows of decisions,
    key id, path, and `destroyed AT by WHO (how)` or `held`."""
    with open_store(database) as store:
        extracts = store.list_extracts()
    for e in extracts:
        state = (
            "held"
            if e.destroyed_at is None
            else f"destroyed {e.destroyed_at} by {e.destroyed_by} ({e.destruction})"
        )
        decisions = e.counts.get("decisions", 0)
        click.echo(
            f"{e.id}\t{e.created_at}\t{decisions} decisions\t{e.key_id}\t{e.out_path}\t{state}"
        )


@research.command("destroy")
@click.option(
    "--older-than",
    default=RESEARCH_RETENTION_TEXT,
    show_default=True,
    metavar="AGE",
    help="Destroy extracts made longer ago than this (e.g. 5y, 60m).",
)
@click.option("--dry-run", is_flag=True, help="Say what would be destroyed; change nothing.")
@DATABASE_OPTION
def destroy(older_than: str, dry_run: bool, database: Path) -> None:
    """Delete the extracts past their period and record it in the register; an extract
    already gone is recorded as such. Exit 1 if a directory did not hold its extract."""
    try:
        age = parse_age(older_than)
    except ValueError as exc:
        fail([f"error: --older-than: {exc}"])
    with open_store(database) as store:
        done = destroy_extracts(store, age, actor=cli_actor(), dry_run=dry_run)
    verbs = {"deleted": "would delete", "already_gone": "would record as already gone"}
    refused = []
    for d in done:
        e = d.extract
        if d.action == "refused":
            refused.append(f"error: {e.id}: not destroyed: {d.note}")
            continue
        what = (
            verbs[d.action]
            if dry_run
            else {"deleted": "deleted", "already_gone": "already gone, recorded"}[d.action]
        )
        click.echo(f"{e.id}\t{e.created_at}\t{what}\t{e.out_path}")
    if not done:
        click.echo(f"no extract is older than {older_than}")
    if refused:
        fail(refused)

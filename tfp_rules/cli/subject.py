"""`tfp subject`: subject access (UK GDPR Art. 15), a thin face of `privacy.subject`;
erasure (Art. 17) and restriction (Art. 18), of `privacy.erasure`.

Exit codes: 0 answered, whether anything is held or not ("nothing held" is the answer to a
subject access request, not an error: the document says `"held": false` and stderr says so
too); 1 the store cannot be read; 2 wrong usage (a member ref without a date of birth, a
date that is not YYYY-MM-DD, or both a family and a person). `erase`: 0 erased, or
nothing held (said on stderr); `restrict`/`unrestrict`: 1 if the family already is (is
not) restricted.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..privacy.erasure import erase_family, restrict_family, unrestrict_family
from ..privacy.subject import SubjectExport, check_date, export_family, export_person
from ..store import RestrictionStateError, StoreError
from .base import DATABASE_OPTION, cli_actor, fail, main, open_store


@main.group()
def subject() -> None:
    """Subject access (everything held about a family or one person), erasure, restriction."""


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_date(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _write(out: Path, text: str) -> None:
    """Write the document readable by its owner only: it is personal data."""
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        fail([f"error: {out}: {exc}"])


@subject.command("export")
@click.argument("family_ref", required=False)
@click.option("--member", "member_ref", metavar="REF", help="One person: their member ref...")
@click.option(
    "--date-of-birth",
    metavar="YYYY-MM-DD",
    callback=_date,
    help="...and their date of birth (both must match a member of the stored facts).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document here (mode 0600) instead of stdout.",
)
@DATABASE_OPTION
def export(
    family_ref: str | None,
    member_ref: str | None,
    date_of_birth: str | None,
    out: Path | None,
    database: Path,
) -> None:
    """Print everything held about FAMILY_REF, or about one person across families
    (--member REF --date-of-birth YYYY-MM-DD; a member ref alone names no one, as refs are
    unique within a family only), as one JSON document with an index of what it holds.
    Audited as subject.export (actor cli:USER), without the ref."""
    if (family_ref is None) == (member_ref is None):
        raise click.UsageError("give FAMILY_REF, or --member REF with --date-of-birth")
    if member_ref is not None and date_of_birth is None:
        raise click.UsageError(
            "--member needs --date-of-birth: member refs are unique within a family only"
        )
    if family_ref is not None and date_of_birth is not None:
        raise click.UsageError("--date-of-birth goes with --member, not with FAMILY_REF")
    with open_store(database) as store:
        made: SubjectExport
        try:
            if family_ref is not None:
                made = export_family(store, family_ref, actor=cli_actor())
            else:
                assert member_ref is not None and date_of_birth is not None
                made = export_person(store, member_ref, date_of_birth, actor=cli_actor())
        except StoreError as exc:
            fail([f"error: {exc}"])
    text = json.dumps(made.document, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        _write(out, text)
    held = ", ".join(f"{n} {kind}" for kind, n in made.counts.items() if n)
    click.echo(f"held: {held}" if made.held else "nothing held", err=True)


REASON = click.option("--reason", required=True, help="Why (kept with the record, never the ref).")


@subject.command("erase")
@click.argument("family_ref")
@REASON
@click.option("--dry-run", is_flag=True, help="Say what would be erased; change nothing.")
@DATABASE_OPTION
def erase(family_ref: str, reason: str, dry_run: bool, database: Path) -> None:
    """Erase everything personal held about FAMILY_REF (facts, traces, review reasons,
    claim content, idempotency records, job entries, the ref itself), keeping tombstones.
    Audited as subject.erase (actor cli:USER), without the ref."""
    with open_store(database) as store:
        try:
            done = erase_family(
                store, family_ref, reason=reason, actor=cli_actor(), dry_run=dry_run
            )
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--reason") from exc
        except StoreError as exc:
            fail([f"error: {exc}"])
    if done is None:
        click.echo("nothing held: nothing erased", err=True)
        return
    verb = "would erase" if dry_run else "erased"
    click.echo(f"erasure {done.id}" + (" (dry run)" if dry_run else ""))
    for kind, n in done.counts.items():
        if n:
            click.echo(f"{kind}: {verb} {n}")


@subject.command("restrict")
@click.argument("family_ref")
@REASON
@DATABASE_OPTION
def restrict(family_ref: str, reason: str, database: Path) -> None:
    """Restrict FAMILY_REF's processing: its data is kept but refused to every role except
    admin, and new facts for it are refused. Audited as subject.restrict."""
    with open_store(database) as store:
        try:
            made = restrict_family(store, family_ref, reason=reason, actor=cli_actor())
        except (RestrictionStateError, StoreError) as exc:
            fail([f"error: {exc}"])
    click.echo(f"restricted: restriction {made.id} at {made.restricted_at}")


@subject.command("unrestrict")
@click.argument("family_ref")
@REASON
@DATABASE_OPTION
def unrestrict(family_ref: str, reason: str, database: Path) -> None:
    """Lift FAMILY_REF's restriction. Audited as subject.unrestrict."""
    with open_store(database) as store:
        try:
            lifted = unrestrict_family(store, family_ref, reason=reason, actor=cli_actor())
        except (RestrictionStateError, StoreError) as exc:
            fail([f"error: {exc}"])
    click.echo(f"lifted: restriction {lifted.id} at {lifted.lifted_at}")

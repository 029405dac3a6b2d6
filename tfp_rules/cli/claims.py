"""`tfp claims`: results claims on the store, for the council's finance and audit staff:
export the list it submits, draw internal audit's sample with each claim's whole evidence
chain, withdraw a claim. Each is audited (actor `cli:<user>`)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click

from ..outcomes.claims import parse_period, sample
from ..store import ClaimRecord, NotFoundError, RefusedError, Store
from ..text import text_problem
from .base import DATABASE_OPTION, cli_actor, fail, main, open_store

EXPORT_COLUMNS = (
    "claim_id",
    "family_ref",
    "claim_date",
    "financial_year",
    "qualifies_by",
    "attachment_fee_gbp",
    "results_payment_gbp",
    "ruleset",
    "ruleset_sha256",
)


@main.group()
def claims() -> None:
    """Results claims: export them for submission, sample them for audit, withdraw one."""


def _all_claimed(store: Store, start: str, end: str) -> list[ClaimRecord]:
    """Every claim in status `claimed` with a claim date in [start, end], oldest first."""
    found: list[ClaimRecord] = []
    cursor = None
    while True:
        page, cursor = store.list_claims(
            claimed_from=start, claimed_to=end, status="claimed", limit=200, cursor=cursor
        )
        found.extend(page)
        if cursor is None:
            return sorted(found, key=lambda c: (c.claim_date, c.created_at, c.id))


def _row(c: ClaimRecord) -> dict[str, object]:
    return {
        "claim_id": c.id,
        "family_ref": c.family_ref,
        "claim_date": c.claim_date,
        "financial_year": c.financial_year,
        "qualifies_by": c.qualifies_by,
        "attachment_fee_gbp": c.attachment_fee_gbp,
        "results_payment_gbp": c.results_payment_gbp,
        "ruleset": f"{c.ruleset_id}@{c.ruleset_version}",
        "ruleset_sha256": c.ruleset_sha256,
    }


@claims.command("export")
@click.option(
    "--period", required=True, metavar="YYYY-MM..YYYY-MM", help="Claim dates in these months."
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@DATABASE_OPTION
def export(period: str, fmt: str, database: Path) -> None:
    """Print the claims the council submits for a period: every claim still `claimed`
    (not withdrawn) with a claim date in those months, oldest first: claim id, family
    reference, claim date, financial year, how it qualified, the amounts, the ruleset."""
    try:
        start, end = parse_period(period)
    except ValueError as exc:
        fail([f"error: {exc}"])
    with open_store(database) as store:
        rows = [_row(c) for c in _all_claimed(store, start, end)]
        store.audit(
            actor=cli_actor(),
            action="claim.list",
            status=200,
            detail=f"export period={period} returned={len(rows)}",
        )
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    click.echo(out.getvalue(), nl=False)


@claims.command("sample")
@click.option(
    "--percent",
    type=click.FloatRange(min=0, max=100, min_open=True),
    default=10,
    show_default=True,
    help="How much of the claims to draw (at least one, if there are any).",
)
@click.option("--seed", type=int, required=True, help="The same seed draws the same sample.")
@DATABASE_OPTION
def sample_command(percent: float, seed: int, database: Path) -> None:
    """Draw internal audit's random sample of claims still `claimed`, reproducibly for a
    seed, and print one JSON document: each sampled claim with its whole evidence chain (its
    progress decision and the merged facts it was made on, the entry decision and its facts,
    the reviews of both, and every audit row about them). Personal data: for auditors."""
    with open_store(database) as store:
        ids = store.claimed_ids()
        chosen = sample(ids, percent, seed)
        chains = [store.evidence_chain(claim_id) for claim_id in chosen]
        store.audit(
            actor=cli_actor(),
            action="claim.sample",
            status=200,
            detail=f"percent={percent:g} seed={seed} population={len(ids)} ids={','.join(chosen)}",
        )
    document = {
        "percent": percent,
        "seed": seed,
        "population": len(ids),
        "sampled": chains,
    }
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@claims.command("withdraw")
@click.argument("claim_id", metavar="ID")
@click.option("--reason", required=True, help="Why it is withdrawn (kept with the claim).")
@click.option(
    "--in-error",
    is_flag=True,
    help="The claim should never have been made: frees the family for a new claim.",
)
@DATABASE_OPTION
def withdraw(claim_id: str, reason: str, in_error: bool, database: Path) -> None:
    """Withdraw a results claim, recording who, when and why; a withdrawal is final. Exit 1
    if there is no such claim or it is already withdrawn."""
    problem = text_problem(reason, multiline=True) if reason.strip() else "says nothing"
    if problem:
        fail([f"error: --reason {problem}"])
    with open_store(database) as store:
        try:
            claim = store.withdraw_claim(
                claim_id, reason=reason, in_error=in_error, withdrawn_by=cli_actor()
            )
        except (NotFoundError, RefusedError) as exc:
            fail([f"error: {exc}"])
    click.echo(f"{claim.id}\t{claim.status}\t{claim.withdrawn_at}")

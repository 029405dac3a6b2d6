"""`tfp retention`: remove what is past its retention period, a thin face over
`tfp_rules.privacy.retention` (audited as `retention.apply`, actor `cli:<user>`).

Exit codes: 0 done; 1 the policy or the store cannot be read, or an extract's directory
held something else and was left alone; 2 wrong usage (an --as-of later than today
without --dry-run).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..privacy.retention import RetentionConfigError, apply_retention, load_policy
from ..store import StoreError
from .base import DATABASE_OPTION, cli_actor, fail, main, open_store


@main.group()
def retention() -> None:
    """Retention by record type: remove personal data past its period, keep tombstones."""


@retention.command("apply")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Apply the periods as of the start of this day (UTC) [default: now].",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The retention policy [default: $TFP_RETENTION_CONFIG or config/retention.yaml].",
)
@DATABASE_OPTION
def apply(dry_run: bool, as_of: dt.datetime | None, config: Path | None, database: Path) -> None:
    """Remove every family's personal data past its period (tombstones kept), idempotency
    keys, ended sessions and jobs' family lists past theirs, and research extracts past
    five years; print the counts per record type."""
    try:
        policy = load_policy(config)
    except RetentionConfigError as exc:
        fail([f"error: {exc}"])
    moment = None if as_of is None else as_of.replace(tzinfo=dt.UTC)
    with open_store(database) as store:
        try:
            report = apply_retention(
                store, policy, actor=cli_actor(), as_of=moment, dry_run=dry_run
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        except StoreError as exc:
            fail([f"error: {exc}"])
    for line in report.lines():
        click.echo(line)
    if any(d.action == "refused" for d in report.extracts):
        raise SystemExit(1)

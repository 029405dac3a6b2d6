"""`tfp publish`: a ruleset version checked, tested and recorded as published."""

from __future__ import annotations

from pathlib import Path

import click

from ..library import RulesetLibrary
from ..policy.publish import PublishRefusedError, publish
from ..policy.register import REGISTER_NAME
from ..ruleset import display_path
from .base import fail, main, refusing
from .rules import RULESETS_OPTION
from .testing import echo_reports


@main.command("publish")
@click.argument("ref", metavar="ID@VERSION")
@click.option("--by", help="Who publishes it (default: $TFP_PUBLISHED_BY, else $USER).")
@click.option("--strict", is_flag=True, help="Refuse if lint warns (tfp validate --strict).")
@RULESETS_OPTION
def publish_(ref: str, by: str | None, strict: bool, rulesets_dir: Path) -> None:
    """Publish a draft: validate it, run its tests, and record its file's sha256 in
    published.yaml beside the rulesets, so the service decides with it.

    Refused (exit 1, every reason on stderr) if it has no tests or any fails, if a local
    version extends a draft, or with --strict if lint warns. Publishing a version
    already published changes nothing. Commit published.yaml with the ruleset: the
    service refuses to start if a published file no longer matches its hash.
    """
    if "@" not in ref:
        raise click.UsageError("name the version: ID@VERSION, e.g. national@2017.1")
    with refusing(ref):
        try:
            library = RulesetLibrary.from_directory(rulesets_dir)
            done = publish(rulesets_dir, library, ref, by=by, strict=strict)
        except PublishRefusedError as exc:
            if exc.report is not None and not exc.report.ok:
                echo_reports([exc.report], coverage=False)
            fail([f"{exc.ref} not published:", *(f"  {r}" for r in exc.reasons)])
    pub = done.publication
    where = display_path(Path(rulesets_dir) / REGISTER_NAME)
    if not done.new:
        click.echo(f"{pub.ref} is already published; nothing to do")
        click.echo(f"  sha256 {pub.sha256[:12]}, on {pub.published_at} by {pub.published_by}")
        return
    for warning in done.warnings:
        click.echo(str(warning), err=True)
    click.echo(
        f"published {pub.ref} (sha256 {pub.sha256[:12]}): tests {pub.tests}; recorded in {where}"
    )
    for note in done.notes:
        click.echo(f"note: {note}")

"""`tfp progress`: a progress check offline, from the facts at entry and the facts later."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..compile import compile_ruleset
from ..evaluate import evaluate
from ..facts import load_document
from ..intake import take_in
from ..library import RulesetLibrary
from ..outcomes.check import progress_after
from ..outcomes.explain import render_progress_text
from .base import fail, main, refusing
from .rules import RULESET_OPTION, RULESETS_OPTION, _read


@main.command()
@click.argument("entry_path", metavar="ENTRY.json", type=click.Path())
@click.argument("later_path", metavar="LATER.json", type=click.Path(allow_dash=True))
@RULESET_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True
)
@RULESETS_OPTION
def progress(
    entry_path: str, later_path: str, ruleset_spec: str | None, fmt: str, rulesets_dir: Path
) -> None:
    """Check a family's progress by its council's outcome plan.

    ENTRY.json is the family's facts at entry: it is decided first (with --ruleset, a
    council's ruleset that has an outcome plan). LATER.json is what partners send later
    (at least sustain_months after entry): it is laid over the entry facts, so records
    from before entry stay known. Prints the progress decision; exit 1 if either document
    is invalid or the check cannot be made (too early, not eligible at entry).
    """
    try:
        entry_raw, later_raw = _read(entry_path), _read(later_path)
    except OSError as exc:
        fail([f"{exc.filename}: cannot read: {exc.strerror}"])
    with refusing(entry_path):
        library = RulesetLibrary.from_directory(rulesets_dir)
        intake = take_in(library, entry_raw, ruleset_spec)
        entry = evaluate(compile_ruleset(intake.ruleset), intake.facts)
    with refusing(f"{later_path} (laid over {entry_path})"):
        decision = progress_after(library, entry, load_document(entry_raw), later_raw)
    if fmt == "json":
        click.echo(json.dumps(decision, indent=2))
    else:
        click.echo(render_progress_text(decision), nl=False)

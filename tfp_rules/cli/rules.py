"""`tfp validate`, `tfp eval` and `tfp rulesets`: rulesets and facts, checked and evaluated."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from ..errors import FactsError, RulesetError, TfpError, UnknownRulesetError
from ..evaluate import decide
from ..facts import parse_facts
from ..ruleset import DEFAULT_RULESETS_DIR, RulesetLibrary, load_ruleset
from ..trace import render_text
from .base import fail as _fail
from .base import main

RULESETS_OPTION = click.option(
    "--rulesets",
    "rulesets_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=lambda: os.environ.get("TFP_RULESETS", str(DEFAULT_RULESETS_DIR)),
    show_default="$TFP_RULESETS or the project's rulesets/",
    help="Directory of ruleset YAML files.",
)


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check ruleset (.yaml) and family facts (.json) files; directories are searched.

    Prints every problem with its file, line or JSON Pointer; exits 1 if any.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))
            )
        else:
            files.append(path)
    failed = []
    for file in files:
        try:
            if file.suffix in (".yaml", ".yml"):
                load_ruleset(file)
            else:
                parse_facts(file.read_bytes())
        except RulesetError as exc:
            failed.extend(str(p) for p in exc.problems)
            continue
        except FactsError as exc:
            failed.extend(f"{file}: {p}" for p in exc.problems)
            continue
        click.echo(f"ok {file}")
    if failed:
        _fail(failed)


@main.command("eval")
@click.argument("facts_path", metavar="FACTS.json", type=click.Path(allow_dash=True))
@click.option(
    "--ruleset",
    "ruleset_spec",
    metavar="ID[@VERSION]",
    help="Default: national, version in force on the assessment date.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True
)
@click.option(
    "--explain",
    type=click.Choice(["full", "failed"]),
    default="full",
    show_default=True,
    help="Text format: show everything, or only what was not met.",
)
@RULESETS_OPTION
def eval_(
    facts_path: str, ruleset_spec: str | None, fmt: str, explain: str, rulesets_dir: Path
) -> None:
    """Evaluate one family's facts and print the decision with its trace.

    With --format json, stdout holds only the decision JSON.
    """
    try:
        raw = _read(facts_path)
    except OSError as exc:
        _fail([f"{facts_path}: cannot read: {exc.strerror}"])
    try:
        facts = parse_facts(raw)
        decision = decide(RulesetLibrary.from_directory(rulesets_dir), facts, ruleset_spec)
    except FactsError as exc:
        _fail([f"{facts_path}: {p}" for p in exc.problems])
    except RulesetError as exc:
        _fail([str(p) for p in exc.problems])
    except UnknownRulesetError as exc:
        _fail([f"{exc}; available: {', '.join(exc.available) or 'none'}"])
    except TfpError as exc:
        _fail([f"error: {exc}"])
    if fmt == "json":
        click.echo(json.dumps(decision, indent=2))
    else:
        click.echo(render_text(decision, only_failed=explain == "failed"), nl=False)


@main.command()
@RULESETS_OPTION
def rulesets(rulesets_dir: Path) -> None:
    """List every ruleset version found, with its effective date and file hash."""
    try:
        library = RulesetLibrary.from_directory(rulesets_dir)
    except RulesetError as exc:
        _fail([str(p) for p in exc.problems])
    for rs in library:
        click.echo(
            f"{rs.ref}\teffective from {rs.effective_from.isoformat()}\tsha256 {rs.sha256}\t{rs.path}"
        )

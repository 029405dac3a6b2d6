"""`tfp impact`: who a new ruleset version moves, over the stored decisions or a folder of
facts, on every core (a thin face of `policy.impact.run_impact`)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import click

from ..library import RulesetLibrary
from ..policy.impact import Family, run_impact
from ..store import StoreError
from .base import cli_actor, fail, main, open_store, refusing
from .progress import progress_bar
from .rules import RULESETS_OPTION


def facts_files(path: Path) -> tuple[int, Iterator[Family]]:
    """A folder's `*.json` files (sorted), or a `.jsonl` file's lines: (how many, the
    families as a stream). A JSON Lines file is counted by a first pass over its lines."""
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        return len(files), (Family(p.read_bytes(), str(p)) for p in files)

    def lines() -> Iterator[Family]:
        with path.open("rb") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    yield Family(line, f"{path}:{number}")

    with path.open("rb") as f:
        total = sum(1 for line in f if line.strip())
    return total, lines()


@main.command("impact")
@click.option("--from", "before", required=True, metavar="ID@VERSION", help="The version now.")
@click.option("--to", "after", required=True, metavar="ID@VERSION", help="The new version.")
@click.option(
    "--decisions",
    "database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: os.environ.get("TFP_DATABASE", str(Path("var") / "tfp.sqlite")),
    show_default="$TFP_DATABASE or var/tfp.sqlite",
    help="The decision store: the latest decision of each family is re-evaluated.",
)
@click.option(
    "--facts",
    "facts_path",
    type=click.Path(exists=True, path_type=Path),
    help="Instead of the store: a folder of *.json facts, or a .jsonl file (one a line).",
)
@click.option("--workers", type=click.IntRange(min=1), help="Processes (default: every core).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option("--list-families", is_flag=True, help="Also name the families that change status.")
@RULESETS_OPTION
def impact(
    before: str,
    after: str,
    database: Path,
    facts_path: Path | None,
    workers: int | None,
    fmt: str,
    list_families: bool,
    rulesets_dir: Path,
) -> None:
    """Re-evaluate families under two versions (drafts too) and report who moves.

    Each family is judged on its own assessment date under both versions, whatever their
    effective dates. Facts that do not parse under a version are counted, not fatal.
    """
    with refusing("impact"):
        library = RulesetLibrary.from_directory(rulesets_dir)
        for ref in (before, after):
            if "@" not in ref:
                fail([f"--from and --to name exact versions (ID@VERSION), not {ref!r}"])
            library.resolve(ref, drafts=True)  # an unknown version fails before any work
        store = None
        if facts_path is not None:
            total, families = facts_files(facts_path)
        else:
            if not database.exists():
                fail([f"error: no decision store at {database} (--decisions, or --facts)"])
            store = open_store(database)
            total = store.count_latest_facts()
            families = (
                Family(s.facts, f"decision {s.decision_id}", s.family_ref, s.decision_id)
                for s in store.iter_latest_facts()
            )
        try:
            with progress_bar("impact", total) as update:
                report = run_impact(
                    library,
                    rulesets_dir,
                    before,
                    after,
                    families,
                    workers=workers,
                    progress=update,
                )
            if store is not None:  # it read every family's stored facts: audited
                store.audit(
                    actor=cli_actor(),
                    action="impact.run",
                    status=200,
                    detail=f"{before} -> {after}: {report.families} families",
                )
        except StoreError as exc:
            fail([f"error: {exc}"])
        finally:
            if store is not None:
                store.close()
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(families=list_families), indent=2))
    else:
        click.echo(report.text(families=list_families), nl=False)

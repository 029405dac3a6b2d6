"""`tfp batch`: a JSON Lines file of families decided with full traces, in input order, on
every core or on a Dask cluster (a thin face of `tfp_rules.batch`)."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO

import click

from ..batch.jsonl import count_lines, read_lines
from ..batch.run import local_results, run_batch
from ..batch.work import EvaluateLine
from ..errors import RulesetError, TfpError
from ..library import RulesetLibrary
from ..store import StoreError
from .base import cli_actor, fail, main, open_store
from .progress import progress_bar
from .rules import RULESET_OPTION, RULESETS_OPTION


@main.command("batch")
@click.argument("facts_path", metavar="FACTS.jsonl", type=click.Path(allow_dash=True))
@click.option(
    "--out",
    "out_path",
    metavar="DECISIONS.jsonl",
    help="Decisions, one JSON line each in input order ('-' for stdout). "
    "Default: stdout unless --store is given.",
)
@click.option(
    "--errors",
    "errors_path",
    metavar="PATH",
    help="Invalid lines, with line number and problems. Default: <out>.errors.jsonl "
    "(errors.jsonl when the decisions go to stdout or only to the store).",
)
@click.option(
    "--store",
    "database",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also save every decision, with its facts, in this decision store.",
)
@click.option("--workers", type=click.IntRange(min=1), help="Processes (default: every core).")
@click.option(
    "--dask",
    "scheduler",
    metavar="ADDRESS",
    help="Run on the Dask distributed scheduler at ADDRESS (e.g. tcp://host:8786) instead.",
)
@click.option("--drafts", is_flag=True, help="Let draft versions decide too.")
@RULESET_OPTION
@RULESETS_OPTION
def batch(
    facts_path: str,
    out_path: str | None,
    errors_path: str | None,
    database: Path | None,
    workers: int | None,
    scheduler: str | None,
    drafts: bool,
    ruleset_spec: str | None,
    rulesets_dir: Path,
) -> None:
    """Decide every family of a JSON Lines file (one facts document a line).

    Decisions, with full traces, are written in input order; invalid lines (not JSON,
    invalid facts, no ruleset) go to the errors file with their line number and do not
    stop the rest. Exits 0 if every line was decided, 1 if any was invalid, 2 on usage.
    """
    if scheduler is not None and workers is not None:
        raise click.UsageError("--workers is for this machine; a --dask cluster has its own")
    if out_path is None and database is None:
        out_path = "-"
    if errors_path is None:
        errors_path = f"{out_path}.errors.jsonl" if out_path not in (None, "-") else "errors.jsonl"
    try:
        library = RulesetLibrary.from_directory(rulesets_dir)
    except RulesetError as exc:
        fail([str(p) for p in exc.problems])
    Path(errors_path).unlink(missing_ok=True)  # a clean run leaves no stale errors file
    work = EvaluateLine(ruleset_spec, drafts, keep_facts=database is not None)
    with ExitStack() as stack:
        try:
            if facts_path == "-":
                source: BinaryIO = sys.stdin.buffer
                total = None
            else:
                source = stack.enter_context(open(facts_path, "rb"))
                total = count_lines(facts_path)
            if out_path == "-":
                out: BinaryIO | None = sys.stdout.buffer
            elif out_path is not None:
                out = stack.enter_context(open(out_path, "wb"))
            else:
                out = None
        except OSError as exc:
            fail([f"{exc.filename}: cannot open: {exc.strerror}"])
        store = stack.enter_context(open_store(database)) if database is not None else None
        lines = read_lines(source)
        if scheduler is not None:
            from ..batch.dask import dask_results

            results = dask_results(scheduler, work, rulesets_dir, lines)
        else:
            results = local_results(work, rulesets_dir, lines, workers=workers, library=library)
        try:
            with progress_bar("batch", total, every=256) as update:
                summary = run_batch(
                    results,
                    out,
                    lambda: open(errors_path, "wb"),  # noqa: SIM115 - run_batch closes it
                    store=store,
                    library=library,
                    submitted_by=cli_actor(),
                    progress=update,
                )
        except (StoreError, TfpError, OSError) as exc:
            fail([f"error: {exc}"])
        if out is not None:
            out.flush()
    click.echo(summary.text(errors_path), err=True)
    if summary.invalid:
        sys.exit(1)

"""`tfp validate`, `tfp eval` and `tfp rulesets`: rulesets and facts, checked and evaluated."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path

import click

from ..compile import compile_ruleset
from ..errors import FactsError, RulesetError, RulesetProblem, UnknownRulesetError
from ..evaluate import evaluate
from ..facts import parse_facts
from ..intake import take_in
from ..library import RulesetLibrary, is_tests_file, load_rulesets, ruleset_files
from ..outcomes.progress import compile_plan
from ..policy.cases import check_tests_file, find_tests
from ..policy.lint import in_force_or_draft, lint
from ..policy.register import read_register
from ..policy.testing import run_tests
from ..ruleset import DEFAULT_RULESETS_DIR, Ruleset, display_path
from ..summary import render_summary
from ..trace import render_text
from .base import fail as _fail
from .base import main, refusing

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


RULESET_OPTION = click.option(
    "--ruleset",
    "ruleset_spec",
    metavar="ID[@VERSION]",
    envvar="TFP_RULESET",
    help="Default: $TFP_RULESET, else national; the version in force on the assessment date.",
)


def _files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(ruleset_files(path))
            files.extend(p for p in sorted(path.rglob("*.yaml")) if is_tests_file(p))
            files.extend(sorted(path.rglob("*.json")))
        else:
            files.append(path)
    return files


def _load_rulesets(
    files: list[Path], rulesets_dir: Path
) -> tuple[list[Ruleset], list[RulesetProblem]]:
    """Each file loaded and compiled on its own, then together as a library (as start-up
    loads them). A local ruleset extends a version among the files, else one under
    `rulesets_dir`."""
    try:
        bases = list(RulesetLibrary.from_directory(rulesets_dir))
    except RulesetError:
        bases = []  # a local file naming a base in a broken directory says it is missing
    loaded, problems = load_rulesets(files, bases)
    compiled = []
    for ruleset in loaded:
        try:
            compile_ruleset(ruleset)  # a condition too complex for the engine is caught here
            if ruleset.outcome_plan is not None:
                compile_plan(ruleset)  # and a progress measure too complex for it
            compiled.append(ruleset)
        except RulesetError as exc:
            problems.extend(exc.problems)
    try:
        RulesetLibrary(compiled)
    except RulesetError as exc:
        problems.extend(exc.problems)
    return compiled, problems


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@RULESET_OPTION
@click.option("--strict", is_flag=True, help="Fail (exit 1) on warnings too, not only on problems.")
@RULESETS_OPTION
def validate(
    paths: tuple[Path, ...], ruleset_spec: str | None, strict: bool, rulesets_dir: Path
) -> None:
    """Check ruleset (.yaml) and family facts (.json) files; directories are searched.

    Runs exactly the checks that loading and evaluation run: rulesets one by one
    and together (duplicate versions, two versions taking effect on one day);
    facts against the ruleset that would judge them (the rulesets given, or else
    --rulesets), so a judgement naming an indicator it lacks is caught here.
    Prints every problem with its file, line or JSON Pointer, and warnings that
    do not stop a decision: a parameter past its review_by date (in a version in
    force today, or a draft), one declared and unused, a condition no facts can
    make true (or false), a window longer than partners keep records. Exits 1 if
    there is any problem, or with --strict any warning.
    """
    files = _files(paths)
    tests_files = [f for f in files if f.suffix in (".yaml", ".yml") and is_tests_file(f)]
    yaml_files = [f for f in files if f.suffix in (".yaml", ".yml") and f not in tests_files]
    loaded, ruleset_problems = _load_rulesets(yaml_files, rulesets_dir)
    failed = [str(p) for p in ruleset_problems]
    faulted = {p.file for p in ruleset_problems}
    registers = [p for p in paths if p.is_dir()] or [rulesets_dir]  # whose publications count
    warned = _lint(loaded, faulted, registers)
    for rs in loaded:
        if rs.path not in faulted:
            click.echo(f"ok {rs.path}")
    for path in tests_files:
        tests_problems = check_tests_file(path)
        failed.extend(str(p) for p in tests_problems)
        if not tests_problems:
            click.echo(f"ok {display_path(path)}")
    library: RulesetLibrary | None = None
    try:
        library = (
            RulesetLibrary(loaded) if yaml_files else RulesetLibrary.from_directory(rulesets_dir)
        )
    except RulesetError as exc:
        if not yaml_files:
            failed.extend(str(p) for p in exc.problems)
    for file in (f for f in files if f not in yaml_files and f not in tests_files):
        try:
            if library is None:  # the rulesets are broken: check the shape at least
                parse_facts(file.read_bytes())
                warnings: tuple = ()
            else:
                warnings = take_in(library, file.read_bytes(), ruleset_spec).warnings
        except FactsError as exc:
            failed.extend(f"{file}: {p}" for p in exc.problems)
            continue
        except UnknownRulesetError as exc:
            failed.append(f"{file}: {exc}; available: {', '.join(exc.available) or 'none'}")
            continue
        for warning in warnings:
            click.echo(f"{file}: warning: {warning}", err=True)
        click.echo(f"ok {file}")
    if failed:
        _fail(failed)
    if strict and warned:
        _fail([f"{warned} warning(s), and --strict fails on warnings"])


def _lint(loaded: list[Ruleset], faulted: set[str], registers: list[Path]) -> int:
    """Print every lint warning of the rulesets that loaded (stderr); how many there were.
    Review dates count for versions in force today and for drafts (they may be soon);
    which are published, the `registers` of the directories say."""
    register = {}
    for directory in registers:
        with contextlib.suppress(RulesetError):  # the loading reports a broken register
            register |= read_register(directory)
    try:
        library = RulesetLibrary(loaded, register)
    except RulesetError:  # reported as problems already
        return 0
    today = dt.date.today()
    count = 0
    for rs in loaded:
        if rs.path in faulted:
            continue
        in_force = in_force_or_draft(library, rs, today)
        warnings = lint(
            rs, today=today, in_force=in_force, library=library, untested=_untested(library, rs)
        )
        for warning in warnings:
            click.echo(str(warning), err=True)
            count += 1
    return count


def _untested(library: RulesetLibrary, ruleset: Ruleset) -> list[str]:
    """The indicators its tests leave unexercised (all of them if it has no tests; a
    failing test is `tfp test`'s to report, not a lint)."""
    if not find_tests(ruleset):
        return [i.id for i in ruleset.indicators]
    report = run_tests(library, ruleset)
    return report.coverage.untested_indicators() if report.coverage is not None else []


@main.command("eval")
@click.argument("facts_path", metavar="FACTS.json", type=click.Path(allow_dash=True))
@RULESET_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="json", show_default=True
)
@click.option(
    "--explain",
    type=click.Choice(["summary", "full", "failed"]),
    default="summary",
    show_default=True,
    help="Text format: a short summary for caseworkers, the full audit view of every "
    "comparison, or only what was not met.",
)
@click.option(
    "--drafts",
    is_flag=True,
    help="Let draft (unpublished) versions decide too: named, or in force by date.",
)
@click.option(
    "--trace",
    type=click.Choice(["full", "compact"]),
    default="full",
    show_default=True,
    help="JSON format: the full trace, or the compact one the store keeps (its static parts "
    "left to the ruleset's trace template).",
)
@RULESETS_OPTION
def eval_(
    facts_path: str,
    ruleset_spec: str | None,
    fmt: str,
    explain: str,
    drafts: bool,
    trace: str,
    rulesets_dir: Path,
) -> None:
    """Evaluate one family's facts and print the decision with its trace.

    With --format json, stdout holds only the decision JSON; with --format text, the
    summary for caseworkers unless --explain asks for the audit view (full) or only what
    was not met (failed). Only published versions decide unless --drafts is given (a
    policy officer trying a draft on a family).
    """
    try:
        raw = _read(facts_path)
    except OSError as exc:
        _fail([f"{facts_path}: cannot read: {exc.strerror}"])
    with refusing(facts_path):
        library = RulesetLibrary.from_directory(rulesets_dir)
        intake = take_in(library, raw, ruleset_spec, drafts=drafts)
        if library.status(intake.ruleset.ref) == "draft":
            click.echo(f"note: {intake.ruleset.ref} is a draft, not published", err=True)
        compiled = compile_ruleset(intake.ruleset)
        decision = evaluate(compiled, intake.facts)
    if fmt == "json":
        if trace == "compact":
            from ..compact import compact, template_for  # only this option needs it

            decision = compact(decision, template_for(compiled))
        click.echo(json.dumps(decision, indent=2))
    elif explain == "summary":
        click.echo(render_summary(decision), nl=False)
    else:
        click.echo(render_text(decision, only_failed=explain == "failed"), nl=False)


@main.command()
@RULESETS_OPTION
def rulesets(rulesets_dir: Path) -> None:
    """List every ruleset version found: published or draft, effective date, file hash."""
    try:
        library = RulesetLibrary.from_directory(rulesets_dir)
    except RulesetError as exc:
        _fail([str(p) for p in exc.problems])
    for rs in library:
        click.echo(
            f"{rs.ref}\t{library.status(rs.ref)}\teffective from {rs.effective_from.isoformat()}"
            f"\tsha256 {rs.sha256}\t{rs.path}"
        )

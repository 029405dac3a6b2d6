"""`tfp test`: run policy officers' test cases against ruleset versions, drafts included."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import RulesetError, UnknownRulesetError, suggest
from ..library import RulesetLibrary
from ..policy.cases import tests_files_under
from ..policy.junit import junit_xml
from ..policy.testing import ERROR, TestReport, run_paths, run_tests
from .base import fail, main
from .rules import RULESETS_OPTION


def _reports(library: RulesetLibrary, targets: tuple[str, ...]) -> list[TestReport]:
    """The reports for what was named: ID@VERSION (its tests files), a tests file, or a
    folder of them; nothing named: every version, drafts included."""
    if not targets:
        return [run_tests(library, ruleset) for ruleset in library]
    reports: list[TestReport] = []
    paths: list[Path] = []
    for target in targets:
        path = Path(target)
        if path.is_file():
            paths.append(path)
        elif path.is_dir():
            found = tests_files_under(path)
            if not found:
                raise click.UsageError(f"no tests files (*.tests.yaml) under {target}")
            paths.extend(found)
        elif "@" in target:
            try:
                reports.append(run_tests(library, library.resolve(target, drafts=True)))
            except UnknownRulesetError:
                refs = library.refs()
                raise click.UsageError(
                    f"no ruleset {target}{suggest(target, refs)}; available: {', '.join(refs)}"
                ) from None
        else:
            raise click.UsageError(f"{target} is neither ID@VERSION nor a tests file or folder")
    return reports + run_paths(library, paths)


def echo_reports(reports: list[TestReport], coverage: bool) -> None:
    """Each failing case with what differed, a summary line per ruleset, and (with
    `coverage`) what the cases never exercised."""
    for report in reports:
        for problem in report.problems:
            click.echo(f"invalid: {problem}", err=True)
        for result in report.unsuccessful():
            mark = "ERROR" if result.outcome == ERROR else "FAILED"
            click.echo(
                f"{click.style(mark, fg='red', bold=True)} {report.ruleset}: "
                f"{result.case.name} ({result.where})"
            )
            if result.case.because:
                click.echo(f"    (fixture override: {result.case.because})")
            for message in result.messages:
                click.echo(f"    {message}")
    for report in reports:
        colour = "green" if report.ok else "red"
        click.echo(f"{report.ruleset}: {click.style(report.summary(), fg=colour)}")
    if len(reports) > 1:
        passed = sum(r.passed for r in reports)
        failed = sum(r.failed for r in reports)
        errors = sum(r.errors for r in reports)
        total = f"{passed} passed" + (f", {failed} failed" if failed else "")
        total += f", {errors} errors" if errors else ""
        click.echo(f"{len(reports)} rulesets: {total}")
    if not coverage:
        return
    for report in reports:
        if report.coverage is None or not report.results:
            continue
        click.echo("")
        click.echo(f"Coverage of {report.ruleset}: {report.coverage.summary()}")
        untested = report.coverage.untested_indicators()
        if untested:
            click.echo(f"  met by no case: {', '.join(untested)}")
        gaps = report.coverage.outcome_gaps() + report.coverage.branch_gaps()
        for gap in gaps:
            click.echo(f"  {gap}")


@main.command("test")
@click.argument("targets", nargs=-1, metavar="[ID@VERSION | PATH]...")
@RULESETS_OPTION
@click.option(
    "--format", "fmt", type=click.Choice(["text", "junit"]), default="text", show_default=True
)
@click.option(
    "--coverage/--no-coverage",
    default=True,
    show_default=True,
    help="Text format: list what the cases never exercised.",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Exit 1 if a ruleset's condition branches are less covered than this (percent).",
)
def test_command(
    targets: tuple[str, ...],
    rulesets_dir: Path,
    fmt: str,
    coverage: bool,
    fail_under: float | None,
) -> None:
    """Run ruleset tests: the cases of each version's tests files, with coverage.

    No argument: every version under --rulesets, drafts included. ID@VERSION: the tests
    files beside that version's file (<version>.tests.yaml, <version>.tests/*.yaml). PATH:
    a tests file, or a folder searched for them. Each failing case is shown with what
    differed, in words; then a summary, and what the cases never exercised: indicator
    outcomes (met, not met, unknown) never seen and condition branches never taken.
    Exits 0 if every case passed, 1 if any failed, a tests file is invalid or coverage is
    under --fail-under, 2 on wrong usage.
    """
    try:
        library = RulesetLibrary.from_directory(rulesets_dir)
    except RulesetError as exc:
        fail([str(p) for p in exc.problems])
    reports = _reports(library, targets)
    if fmt == "junit":
        click.echo(junit_xml(reports), nl=False)
    else:
        echo_reports(reports, coverage)
    short = [
        f"coverage of {r.ruleset}: {r.coverage.percent:.1f}% of condition branches, "
        f"under --fail-under {fail_under:g}"
        for r in reports
        if fail_under is not None and r.coverage is not None and r.coverage.percent < fail_under
    ]
    if short or not all(r.ok for r in reports):
        fail(short)

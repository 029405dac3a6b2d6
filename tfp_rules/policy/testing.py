"""Run policy officers' test cases against a ruleset version (drafts included) and report
what passed, what differed in words, and the coverage (`tfp test`, and `tfp publish`
before it publishes).

`run_cases` is pure over (library, ruleset, cases): each case's facts are taken in with
`take_in(..., drafts=True)` and evaluated. Facts that fail their checks make that case an
error listing the facts' problems; the other cases still run. `run_tests` finds and reads
the tests files beside a ruleset's file first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compile import compile_ruleset
from ..errors import FactsError, RulesetProblem, TfpError
from ..evaluate import evaluate
from ..intake import take_in
from ..library import RulesetLibrary
from ..ruleset import Ruleset
from .cases import TestCase, TestsFile, find_tests, load_tests_file
from .coverage import Coverage, Locations, locate
from .differences import differences

PASSED, FAILED, ERROR = "passed", "failed", "error"


@dataclass(frozen=True)
class CaseResult:
    """How one case came out: passed, failed (with each difference in words), or an error
    (its facts were refused, each problem a line)."""

    case: TestCase
    outcome: str
    messages: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.case.file}:{self.case.line}"


@dataclass
class TestReport:
    """The cases of one ruleset version, run: results, problems of its tests files, coverage."""

    __test__ = False  # not a pytest class, whatever its name

    ruleset: str
    results: list[CaseResult]
    coverage: Coverage | None  # None only for tests files that name no ruleset loaded
    files: list[str] = field(default_factory=list)
    problems: list[RulesetProblem] = field(default_factory=list)  # of the tests files

    def _count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def passed(self) -> int:
        return self._count(PASSED)

    @property
    def failed(self) -> int:
        """Cases that ran and differed from what they expect."""
        return self._count(FAILED)

    @property
    def errors(self) -> int:
        """Cases that could not run: their facts were refused."""
        return self._count(ERROR)

    @property
    def ok(self) -> bool:
        """Every case passed and every tests file is sound (no tests at all is ok too: see
        `files`)."""
        return not self.failed and not self.errors and not self.problems

    def summary(self) -> str:
        """'54 passed, 1 failed', with errors and invalid tests files when there are any."""
        parts = [f"{self.passed} passed"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.errors:
            parts.append(f"{self.errors} error{'s' if self.errors > 1 else ''}")
        if self.problems:
            bad = len({p.file for p in self.problems})
            parts.append(f"{bad} invalid tests file{'s' if bad > 1 else ''}")
        if not self.files and not self.results:
            parts.append("no tests files found")
        return ", ".join(parts)

    def unsuccessful(self) -> list[CaseResult]:
        return [r for r in self.results if r.outcome != PASSED]


def run_case(
    library: RulesetLibrary, ruleset: Ruleset, case: TestCase
) -> tuple[CaseResult, dict[str, Any] | None]:
    """One case evaluated under `ruleset`: its result, and the decision if there was one."""
    try:
        intake = take_in(library, case.facts, ruleset.ref, drafts=True)
        decision = evaluate(compile_ruleset(intake.ruleset), intake.facts)
    except FactsError as exc:
        source = case.facts_from or "facts"
        messages = [f"{source}: {p}" for p in exc.problems]
        return CaseResult(case, ERROR, ("facts refused:", *messages)), None
    except TfpError as exc:
        return CaseResult(case, ERROR, (f"could not evaluate: {exc}",)), None
    found = differences(case.expect, decision)
    return CaseResult(case, FAILED if found else PASSED, tuple(found)), decision


def run_cases(
    library: RulesetLibrary,
    ruleset: Ruleset,
    cases: Iterable[TestCase],
    locations: Locations | None = None,
) -> TestReport:
    """Every case under `ruleset`, with the coverage of all of them together. `locations`
    (from `coverage.locate`) gives the coverage report its lines."""
    coverage = Coverage(ruleset, locations)
    results = []
    for case in cases:
        result, decision = run_case(library, ruleset, case)
        results.append(result)
        if decision is not None:
            coverage.observe(decision)
    return TestReport(ruleset.ref, results, coverage)


def run_files(library: RulesetLibrary, ruleset: Ruleset, files: Sequence[TestsFile]) -> TestReport:
    """The cases of tests files read for `ruleset`, run; their problems go in the report."""
    cases = [case for f in files for case in f.cases]
    report = run_cases(library, ruleset, cases, locate(ruleset))
    report.files = [f.path for f in files]
    report.problems = sorted(p for f in files for p in f.problems)
    return report


def run_tests(library: RulesetLibrary, ruleset: Ruleset) -> TestReport:
    """Run the tests files beside `ruleset`'s file (`find_tests`) against it."""
    files = [load_tests_file(path, library, beside=ruleset) for path in find_tests(ruleset)]
    return run_files(library, ruleset, files)


def run_paths(library: RulesetLibrary, paths: Iterable[Path]) -> list[TestReport]:
    """Tests files given by path, each against the ruleset it names, one report per
    ruleset; a file naming no loadable ruleset gets a report of its own problems."""
    by_ref: dict[str, list[TestsFile]] = {}
    lost: list[TestsFile] = []
    for path in paths:
        tests = load_tests_file(path, library)
        if library.get(tests.ruleset or "") is not None:
            by_ref.setdefault(tests.ruleset, []).append(tests)
        else:
            lost.append(tests)
    reports = [
        run_files(library, library.resolve(ref, drafts=True), files)
        for ref, files in by_ref.items()
    ]
    for tests in lost:
        reports.append(
            TestReport(
                str(tests.ruleset or tests.path),
                [],
                None,
                [tests.path],
                list(tests.problems),
            )
        )
    return reports

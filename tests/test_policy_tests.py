"""`tfp test`: policy officers' test files, what a failing case says, located problems in a
tests file, coverage and its gaps, JUnit XML, exit codes, and the shipped tests passing."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.library import RulesetLibrary, load_rulesets
from tfp_rules.policy.cases import check_tests_file, find_tests, load_tests_file
from tfp_rules.policy.coverage import locate
from tfp_rules.policy.junit import junit_xml
from tfp_rules.policy.testing import ERROR, FAILED, run_cases, run_paths, run_tests

from .published import publish_all

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
ABSENCE = FIXTURES / "families" / "h2_absence_exactly_10pct_vs_just_below.json"

# A family with one parent and one child, nothing else: not eligible under every version.
QUIET_FAMILY = """\
      family_ref: Q-1
      assessment_date: 2019-03-31
      members:
        - {ref: p1, role: adult, date_of_birth: 1984-04-04, parenting_responsibility: true}
        - {ref: c1, role: child, date_of_birth: 2010-10-10}
"""


def write_tests(tmp_path: Path, text: str, name: str = "cases.tests.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def one_case(expect: str, ruleset: str = "national@2015.1", facts: str = QUIET_FAMILY) -> str:
    return (
        f"ruleset: {ruleset}\ntests:\n  - name: the case\n    facts:\n{facts}    expect:\n{expect}"
    )


def report_of(library: RulesetLibrary, path: Path):
    [report] = run_paths(library, [path])
    return report


# --------------------------------------------------------------------------- shipped tests


@pytest.mark.parametrize("ref", ["national@2015.1", "national@2017.1", "stockton@2015.1"])
def test_every_shipped_tests_file_passes(library, ref):
    ruleset = library.resolve(ref, drafts=True)
    report = run_tests(library, ruleset)
    assert report.files, f"no tests file beside {ruleset.path}"
    failures = [(r.case.name, r.messages) for r in report.unsuccessful()]
    assert report.ok, (report.problems, failures)
    assert report.passed >= 5 and report.summary() == f"{report.passed} passed"


def test_every_version_has_tests(library):
    assert all(find_tests(ruleset) for ruleset in library)


@pytest.mark.parametrize("ref", ["national@2015.1", "national@2017.1", "stockton@2015.1"])
def test_every_indicator_of_every_shipped_version_is_met_by_some_case(library, ref):
    report = run_tests(library, library.resolve(ref, drafts=True))
    assert report.coverage.untested_indicators() == []
    assert report.coverage.percent == 100.0  # every condition branch taken both ways


def test_the_draft_moves_exactly_the_fixtures_its_tests_override(library, tmp_path):
    # the fixtures alone, as national@2015.1 expects them, under the 2017 draft
    path = write_tests(tmp_path, f"ruleset: national@2017.1\nfixtures: {FIXTURES}\n")
    report = report_of(library, path)
    failed = {r.case.name: r.messages for r in report.results if r.outcome == FAILED}
    shipped = load_tests_file(ROOT / "rulesets/national/2017.1.tests.yaml", library)
    overridden = {c.name for c in shipped.cases if c.because}
    assert (
        set(failed)
        == overridden
        == {
            "h2_fixed_term_exclusions_3_vs_2",
            "family_unknown_while_education_unchecked",
        }
    )
    assert failed["h2_fixed_term_exclusions_3_vs_2"] == (
        "H2.fixed_term_exclusions for c2: expected not met, got met (fixed term exclusions "
        "(total) 2 (terms 2018-spring..2018-autumn), which is at least 2 "
        "(fixed_term_exclusions_min))",
    )
    assert failed["family_unknown_while_education_unchecked"] == (
        "headlines unknown: expected H2, got H2, H3 (H3 not expected)",
    )


# --------------------------------------------------------------------------- what differed


def test_a_failing_case_says_what_differed_in_words(library, tmp_path):
    expect = (
        "      status: eligible\n"
        "      headlines_met: [H2, H4]\n"
        "      indicators:\n"
        "        c2: {H2.persistent_absence: met}\n"
        "        c1: {H2.persistent_absence: not met}\n"
        "        household: {H4.financial_difficulty: met}\n"
    )
    path = write_tests(
        tmp_path,
        f"ruleset: national@2015.1\ntests:\n  - name: absence\n    facts: {ABSENCE}\n"
        f"    expect:\n{expect}",
    )
    report = report_of(library, path)
    [result] = report.results
    assert result.outcome == FAILED
    assert result.where == f"{report.files[0]}:3"  # the line of its `- name:`
    assert list(result.messages[:4]) == [
        "status: expected eligible, got not eligible (headlines met: H2; 2 needed)",
        "headlines met: expected H2, H4, got H2 (H4 missing)",
        "H2.persistent_absence for c2: expected met, got not met (absence rate 9.97% (terms "
        "2018-spring..2018-autumn: 36 of 361 sessions missed); needs at least 10% "
        "(persistent_absence_rate))",
        "H2.persistent_absence for c1: expected not met, got met (absence rate 10% (terms "
        "2018-spring..2018-autumn: 36 of 360 sessions missed), which is at least 10% "
        "(persistent_absence_rate))",
    ]
    assert result.messages[4].startswith(
        "H4.financial_difficulty for the household: expected met, got not met (number of "
        "rent_arrears/problem_debt/eviction_risk records 0"
    )
    assert report.summary() == "0 passed, 1 failed"
    assert not report.ok


@pytest.mark.parametrize(
    ("expect", "difference"),
    [
        (
            "      status: not eligible\n      family: not met\n",
            "family rule: expected not met, got met (c1 meets",
        ),
        (
            "      status: not eligible\n      headlines: {H3: met}\n",
            "H3: expected met, got not met (no indicator met)",
        ),
        (
            "      status: not eligible\n      indicators:\n        p1: {H2.persistent_absence: met}\n",
            "H2.persistent_absence for p1: expected met, but it does not apply to p1 (it applies to children)",
        ),
        (
            "      status: not eligible\n      indicators_met: {H6.mental_health: [p1]}\n",
            "H6.mental_health for p1: expected met, got not met (flag 'mental_health_support' no; needs yes)",
        ),
    ],
    ids=["family", "headline", "does-not-apply", "indicators-met"],
)
def test_each_kind_of_expectation_says_how_it_differed(library, tmp_path, expect, difference):
    report = report_of(library, write_tests(tmp_path, one_case(expect)))
    [result] = report.results
    assert result.outcome == FAILED
    assert len(result.messages) == 1 and result.messages[0].startswith(difference)


def test_a_case_whose_facts_are_invalid_is_an_error_and_the_others_still_run(library, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"family_ref": "B-1", "assessment_date": "2019-03-31", "members": []}')
    text = one_case("      status: not eligible\n") + (
        "  - name: broken facts\n    facts: bad.json\n    expect: {status: eligible}\n"
    )
    report = report_of(library, write_tests(tmp_path, text))
    passed, broken = report.results
    assert passed.outcome == "passed"
    assert broken.outcome == ERROR
    assert broken.messages[0] == "facts refused:"
    assert any(m.startswith(f"{bad}: /members") for m in broken.messages[1:]), broken.messages
    assert report.summary() == "1 passed, 1 error"
    assert not report.ok


# --------------------------------------------------------------------------- invalid tests files


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        (
            one_case("      status: eligble\n"),
            11,
            "tests[0].expect.status",
            "'eligble' is not one of: eligible, not_eligible, not eligible, undetermined "
            "(did you mean 'eligible'?)",
        ),
        (
            one_case(
                "      status: eligible\n      indicators:\n        c1: {H2.persistant_absence: met}\n"
            ),
            13,
            "tests[0].expect.indicators.c1.H2.persistant_absence",
            "national@2015.1 has no indicator 'H2.persistant_absence' (did you mean "
            "'H2.persistent_absence'?)",
        ),
        (
            one_case(
                "      status: eligible\n      indicators:\n        c3: {H2.persistent_absence: met}\n"
            ),
            13,
            "tests[0].expect.indicators.c3",
            "no member 'c3' in the facts (members: c1, p1; or household)",
        ),
        (
            one_case(
                "      status: eligible\n      indicators:\n        c1: {H2.persistent_absence: mett}\n"
            ),
            13,
            "tests[0].expect.indicators.c1.H2.persistent_absence",
            "'mett' is not one of: met, not_met, not met, unknown (did you mean 'met'?)",
        ),
        (
            one_case(
                "      status: eligible\n      indicators:\n        c1: {H4.financial_difficulty: met}\n"
            ),
            13,
            "tests[0].expect.indicators.c1.H4.financial_difficulty",
            "H4.financial_difficulty applies to the household, so it is not expected of member c1",
        ),
        (
            one_case("      status: eligible\n      headlines_met: [H7]\n"),
            12,
            "tests[0].expect.headlines_met[0]",
            "national@2015.1 has no headline H7",
        ),
        (
            one_case("      status: eligible\n", ruleset="nationl@2015.1"),
            1,
            "ruleset",
            "no ruleset nationl@2015.1 (did you mean 'national@2015.1'?)",
        ),
        (
            "ruleset: national@2015.1\nfixtures:\n  from: FIXTURES\n  overrides:\n"
            "    h2_absence_exactly_10pct_vs_just_belwo: {because: typo}\n",
            5,
            "fixtures.overrides.h2_absence_exactly_10pct_vs_just_belwo",
            "no fixture 'h2_absence_exactly_10pct_vs_just_belwo' in",
        ),
        (
            "ruleset: national@2015.1\ntests:\n  - name: x\n    facts: nowhere.json\n"
            "    expect: {status: eligible}\n",
            4,
            "tests[0].facts",
            "cannot read facts file nowhere.json",
        ),
        ("ruleset: national@2015.1\n", 1, "", "no cases: give `tests:`, `fixtures:`, or both"),
        (
            "ruleset: national@2015.1\ntest: []\n",
            2,
            "test",
            "unknown field 'test' (did you mean 'tests'?)",
        ),
    ],
    ids=[
        "status",
        "indicator",
        "member",
        "result",
        "household-only",
        "headline",
        "ruleset",
        "fixture",
        "facts-file",
        "no-cases",
        "field",
    ],
)
def test_an_invalid_tests_file_is_located_by_line_and_field(
    library, tmp_path, text, line, field, message
):
    path = write_tests(tmp_path, text.replace("FIXTURES", str(FIXTURES)))
    problems = check_tests_file(path, library)
    assert [(p.line, p.field) for p in problems] == [(line, field)], problems
    assert problems[0].message.startswith(message)
    assert problems[0].file == str(path)


def test_a_sound_tests_file_has_no_problems(library):
    for ruleset in library:
        for path in find_tests(ruleset):
            assert check_tests_file(path, library) == []
            assert check_tests_file(path) == []  # the rulesets of the folder it sits in


def test_a_tests_file_beside_one_ruleset_must_name_it(library, tmp_path):
    path = write_tests(
        tmp_path, one_case("      status: not eligible\n", ruleset="national@2017.1")
    )
    national = library.resolve("national@2015.1")
    problems = load_tests_file(path, library, beside=national).problems
    assert [p.message for p in problems] == [
        f"this file sits beside national@2015.1 ({national.path}) but names national@2017.1"
    ]


# --------------------------------------------------------------------------- coverage


def _line_of(path: str, text: str) -> int:
    lines = (ROOT / path).read_text().splitlines()  # ROOT / an absolute path is that path
    return next(i for i, line in enumerate(lines, 1) if text in line)


def test_coverage_lists_what_no_case_exercised(library, tmp_path):
    report = report_of(library, write_tests(tmp_path, one_case("      status: not eligible\n")))
    coverage = report.coverage
    national = library.resolve("national@2015.1")
    custody = _line_of(national.path, "count: {event: custody")
    gaps = coverage.branch_gaps()
    assert (
        f"H1.prisoner_due_for_release: number of custody records at least 1 "
        f"({national.path}:{custody}) was never true"
    ) in gaps
    # p1 has parenting responsibility: taken true, never false
    assert any(
        g.startswith("H1.prisoner_due_for_release: parenting responsibility is true")
        and g.endswith("was never false")
        for g in gaps
    )
    assert "H5.perpetrator: never met, never unknown" in coverage.outcome_gaps()
    assert "family: never not met, never unknown" in coverage.outcome_gaps()
    assert "H2.persistent_absence" in coverage.untested_indicators()
    assert len(coverage.untested_indicators()) == 25  # one quiet family meets nothing
    assert coverage.branches_seen < coverage.branches_total
    assert 0 < coverage.percent < 100


def test_a_case_that_meets_an_indicator_covers_it(library, tmp_path):
    path = write_tests(
        tmp_path,
        f"ruleset: national@2015.1\ntests:\n  - name: absence\n    facts: {ABSENCE}\n"
        "    expect: {status: not eligible}\n",
    )
    coverage = report_of(library, path).coverage
    assert "H2.persistent_absence" not in coverage.untested_indicators()
    assert "H2.persistent_absence: never not met, never unknown" in coverage.outcome_gaps()
    assert not [g for g in coverage.branch_gaps() if g.startswith("H2.persistent_absence:")]


def test_local_indicators_are_located_in_the_local_file(library):
    stockton = library.resolve("stockton@2015.1")
    where = locate(stockton)
    local = where[("H2.unauthorised_absence", ("headlines", 1, "indicators", 5, "when"))]
    assert (local.file, local.path) == (stockton.path, ("indicators", 0, "when"))
    assert local.line == _line_of(stockton.path, "term_total: {field: unauthorised_sessions")
    national = where[("H2.persistent_absence", ("headlines", 1, "indicators", 0, "when"))]
    assert national.file == stockton.extends.path
    assert national.line == _line_of(national.file, "absence_rate: {last_terms")


def test_run_cases_is_the_pure_core(library, tmp_path):
    """The runner takes cases as data: the same cases run twice give the same report."""
    path = write_tests(tmp_path, one_case("      status: not eligible\n"))
    national = library.resolve("national@2015.1")
    cases = load_tests_file(path, library).cases
    first, second = (run_cases(library, national, cases) for _ in range(2))
    assert first.summary() == second.summary() == "1 passed"
    assert first.coverage.to_dict() == second.coverage.to_dict()


# --------------------------------------------------------------------------- JUnit


def test_junit_output_reads_back_as_suites_and_cases(library, tmp_path):
    failing = write_tests(
        tmp_path,
        one_case("      status: eligible\n")
        + "  - name: quiet\n    facts:\n"
        + QUIET_FAMILY
        + "    expect: {status: not eligible}\n",
        "a.tests.yaml",
    )
    invalid = write_tests(tmp_path, one_case("      status: eligble\n"), "b.tests.yaml")
    reports = run_paths(library, [failing, invalid])
    root = ET.fromstring(junit_xml(reports))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "national@2015.1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"the case", "quiet", str(invalid)}
    failure = cases["the case"].find("failure")
    assert failure is not None and failure.get("message", "").startswith(
        "status: expected eligible, got not eligible"
    )
    assert cases["the case"].get("line") == "3"
    assert cases["quiet"].find("failure") is None and cases["quiet"].find("error") is None
    error = cases[str(invalid)].find("error")
    assert error is not None and "'eligble' is not one of" in error.get("message", "")


# --------------------------------------------------------------------------- the command


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_tfp_test_passes_on_the_shipped_rulesets(runner):
    result = runner.invoke(main, ["test", "--no-coverage"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "national@2015.1: 48 passed" in lines
    assert lines[-1].startswith("3 rulesets: ") and "failed" not in lines[-1]
    assert "Coverage" not in result.stdout


def test_tfp_test_reports_a_failure_and_exits_1(runner, tmp_path):
    path = write_tests(tmp_path, one_case("      status: eligible\n"))
    result = runner.invoke(main, ["test", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"FAILED national@2015.1: the case ({path}:3)"
    assert lines[1].startswith("    status: expected eligible, got not eligible")
    assert "national@2015.1: 0 passed, 1 failed" in lines
    assert any(line.startswith("Coverage of national@2015.1: ") for line in lines)
    assert any("was never true" in line for line in lines)


def test_tfp_test_exits_1_on_an_invalid_tests_file(runner, tmp_path):
    path = write_tests(tmp_path, one_case("      status: eligble\n"))
    result = runner.invoke(main, ["test", str(path)])
    assert result.exit_code == 1
    assert f"invalid: {path}:11: tests[0].expect.status: 'eligble'" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["nationl@2015.1"], "no ruleset nationl@2015.1 (did you mean 'national@2015.1'?)"),
        (["no/such/file.yaml"], "neither ID@VERSION nor a tests file or folder"),
        (["--format", "yaml"], "Invalid value for '--format'"),
        (["--fail-under", "101"], "Invalid value for '--fail-under'"),
    ],
)
def test_tfp_test_wrong_usage_exits_2(runner, args, words):
    result = runner.invoke(main, ["test", *args])
    assert result.exit_code == 2
    assert words in result.stderr


def test_fail_under(runner, tmp_path):
    path = write_tests(tmp_path, one_case("      status: not eligible\n"))
    low = runner.invoke(main, ["test", str(path), "--fail-under", "90"])
    assert low.exit_code == 1
    assert "condition branches, under --fail-under 90" in low.stderr
    assert runner.invoke(main, ["test", str(path), "--fail-under", "10"]).exit_code == 0
    assert runner.invoke(main, ["test", "national@2017.1", "--fail-under", "100"]).exit_code == 0


def test_tfp_test_junit_on_the_shipped_rulesets(runner):
    result = runner.invoke(main, ["test", "--format", "junit"])
    assert result.exit_code == 0
    root = ET.fromstring(result.stdout)
    assert [s.get("name") for s in root.findall("testsuite")] == [
        "national@2015.1",
        "national@2017.1",
        "stockton@2015.1",
    ]
    assert root.get("failures") == root.get("errors") == "0"


def _tests_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A rulesets directory of its own holding national@2015.1 and a folder of its tests."""
    rulesets = tmp_path / "rulesets"
    (rulesets / "national").mkdir(parents=True)
    shutil.copy(ROOT / "rulesets/national/2015.1.yaml", rulesets / "national/2015.1.yaml")
    publish_all(rulesets)
    folder = rulesets / "national" / "2015.1.tests"
    folder.mkdir()
    (folder / "quiet.yaml").write_text(one_case("      status: not eligible\n"))
    (folder / "absence.yaml").write_text(
        f"ruleset: national@2015.1\ntests:\n  - name: absence\n    facts: {ABSENCE}\n"
        "    expect: {status: not eligible, headlines_met: [H2]}\n"
    )
    return rulesets, folder


def test_a_tests_folder_beside_a_ruleset_is_found(tmp_path):
    rulesets, folder = _tests_folder(tmp_path)
    [ruleset], problems = load_rulesets([rulesets / "national/2015.1.yaml"])
    assert not problems
    library = RulesetLibrary([ruleset])
    assert find_tests(ruleset) == [folder / "absence.yaml", folder / "quiet.yaml"]
    report = run_tests(library, ruleset)
    assert report.summary() == "2 passed"
    assert report.ok


def test_tfp_test_with_a_tests_folder_in_its_own_rulesets_directory(runner, tmp_path):
    rulesets, folder = _tests_folder(tmp_path)
    by_ref = runner.invoke(main, ["test", "national@2015.1", "--rulesets", str(rulesets)])
    assert by_ref.exit_code == 0, by_ref.output
    assert "national@2015.1: 2 passed" in by_ref.stdout.splitlines()
    by_path = runner.invoke(main, ["test", str(folder), "--rulesets", str(rulesets)])
    assert by_path.exit_code == 0
    assert "national@2015.1: 2 passed" in by_path.stdout.splitlines()


def test_a_tests_file_is_checked_against_the_rulesets_of_its_folder(tmp_path):
    rulesets = tmp_path / "rulesets"
    (rulesets / "national").mkdir(parents=True)
    shutil.copy(ROOT / "rulesets/national/2015.1.yaml", rulesets / "national/2015.1.yaml")
    publish_all(rulesets)
    path = write_tests(
        rulesets / "national", one_case("      status: not eligible\n"), "2015.1.tests.yaml"
    )
    assert check_tests_file(path) == []
    other = write_tests(
        rulesets / "national",
        one_case("      status: eligible\n", ruleset="national@2017.1"),
        "x.tests.yaml",
    )
    [problem] = check_tests_file(other)  # 2017.1 is not among this folder's rulesets
    assert (
        problem.message
        == "no ruleset national@2017.1 (did you mean 'national@2015.1'?) (loaded: national@2015.1)"
    )

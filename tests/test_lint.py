"""Lint: warnings about rulesets that load but may not say what their authors meant."""

from __future__ import annotations

import dataclasses
import datetime as dt
import textwrap

import pytest
from click.testing import CliRunner

from tests.conftest import NATIONAL_YAML
from tfp_rules.cli import main
from tfp_rules.errors import RulesetError
from tfp_rules.library import RulesetLibrary
from tfp_rules.policy.lint import READ_BY_NAME, lint, used_parameters
from tfp_rules.ruleset import PROJECT_ROOT, parse_ruleset

TODAY = dt.date(2026, 12, 2)
MINI = textwrap.dedent(
    """\
    ruleset: mini
    version: "1"
    effective_from: 2020-01-01
    description: A tiny ruleset for lint tests.
    sources: [test]
    parameters:
      adult_age: {value: 18, description: Adult from, source: test, review_by: 2027-01-01}
      required: {value: 1, description: Headlines needed, source: test, review_by: 2027-01-01}
      rate: {value: 10, description: Absence threshold, source: test, review_by: 2027-01-01}
      partner_data_kept_months: {value: 24, description: Kept, source: test, review_by: 2027-01-01}
    family:
      name: A household with a child
      source: test
      data_sources: []
      when:
        field: age
        below: 18
    eligibility:
      headlines_required: required
    headlines:
      - id: H2
        name: School
        indicators:
          - id: H2.flagged
            name: Leaving school with no plan
            applies_to: child
            source: test
            data_sources: [education]
            when:
              field: flags.leaving_school_no_plan
              is: true
          - id: H2.absence
            name: Absent
            applies_to: child
            source: test
            data_sources: [education]
            when:
              absence_rate: {last_terms: 3}
              at_least: rate
    """
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def ruleset(text: str = MINI):
    return parse_ruleset(text.encode(), "mini.yaml")


def with_condition(when: str) -> str:
    """MINI with H2.flagged's condition replaced (YAML indented as under `when:`)."""
    old = "          field: flags.leaving_school_no_plan\n          is: true\n"
    assert old in MINI
    return MINI.replace(old, textwrap.indent(textwrap.dedent(when), " " * 10))


def kinds(warnings) -> list[tuple[str, str]]:
    return [(w.kind, w.field) for w in warnings]


def test_a_clean_ruleset_has_no_warnings():
    assert lint(ruleset(), today=TODAY) == []


@pytest.mark.parametrize("ref", ["national@2015.1", "national@2017.1", "stockton@2015.1"], ids=str)
def test_the_shipped_rulesets_are_clean(library, ref):
    assert [str(w) for w in lint(library.resolve(ref, drafts=True), today=TODAY)] == []


def test_a_parameter_past_its_review_date_is_named_with_its_line_and_source():
    text = MINI.replace(
        "rate: {value: 10, description: Absence threshold, source: test, review_by: 2027-01-01}",
        "rate: {value: 10, description: Absence threshold, source: DfE 2015, review_by: 2026-03-31}",
    )
    [warning] = lint(ruleset(text), today=TODAY)
    assert (warning.kind, warning.field, warning.line) == ("review", "parameters.rate", 9)
    assert "was due for review by 31 March 2026" in warning.message
    assert "DfE 2015" in warning.message
    # a version no longer in force is history: its review dates no longer matter
    assert lint(ruleset(text), today=TODAY, in_force=False) == []
    # the day itself is still within the date
    assert lint(ruleset(text), today=dt.date(2026, 3, 31)) == []


def test_a_parameter_without_a_review_date_is_named():
    text = MINI.replace(", source: test, review_by: 2027-01-01}\n  rate", ", source: test}\n  rate")
    assert kinds(lint(ruleset(text), today=TODAY)) == [("review", "parameters.required")]


def test_a_declared_parameter_nothing_uses_is_named():
    text = MINI.replace(
        "  rate: {",
        "  spare_months: {value: 3, description: Unused, source: test, review_by: 2027-01-01}\n  rate: {",
    )
    [warning] = lint(ruleset(text), today=TODAY)
    assert (warning.kind, warning.field) == ("unused", "parameters.spare_months")
    assert "declared but nothing uses it" in warning.message


def test_parameters_code_reads_by_name_count_as_used(library):
    national = library.resolve("national@2015.1")
    assert set(READ_BY_NAME) <= set(national.parameters)
    # each is read where it says: the name appears in that module's source
    for name, where in READ_BY_NAME.items():
        module = where.split("(")[1].split(",")[0].rstrip(")")
        path = PROJECT_ROOT / (module if module.startswith("tfp_rules/") else f"tfp_rules/{module}")
        source = path.read_text()
        assert name in source or "AMOUNTS" in source, (name, path)
    assert {
        "offence_window_months",
        "household_asb_kinds",
        "headlines_required",
    } <= used_parameters(national)


@pytest.mark.parametrize(
    ("when", "kind", "words"),
    [
        ("field: age\nbelow: 0\n", "never_true", "'aged under 0' is never true"),
        ("field: age\nbetween: [16, 10]\n", None, None),  # the parser refuses it outright
        ("field: age\nat_least: 0\n", "always_true", "'aged 0 or over' is always true"),
        (
            "count: {event: proven_offence, within_months: 12}\nat_least: 0\n",
            "always_true",
            "'at least 0 proven offences in the last 12 months' is always true",
        ),
        ("absence_rate: {last_terms: 3}\nmore_than: 100\n", "never_true", "is never true"),
        ("field: role\nis: parent\n", None, None),  # so it does a value the field cannot have
    ],
    ids=[
        "age below 0",
        "between reversed",
        "age at least 0",
        "count at least 0",
        "rate over 100",
        "bad enum",
    ],
)
def test_a_comparison_no_facts_can_change_is_named(when, kind, words):
    text = with_condition(when)
    if kind is None:
        with pytest.raises(RulesetError):
            ruleset(text)
        return
    [warning] = lint(ruleset(text), today=TODAY)
    assert (warning.kind, warning.field) == (kind, "headlines[0].indicators[0].when")
    assert words in warning.message
    assert warning.message.startswith("H2.flagged: ")


def test_a_whole_condition_that_cannot_be_met_is_named_when_no_part_explains_it():
    # each part can be true, but not with the other: a child both under 5 and over 10 ...
    # taken measure by measure, lint cannot see that, so it stays silent rather than guess
    text = with_condition("all:\n  - field: age\n    below: 5\n  - field: age\n    more_than: 10\n")
    assert lint(ruleset(text), today=TODAY) == []
    # ... but a part that can never be true is named, inside the `all`
    text = with_condition("all:\n  - field: age\n    below: 0\n  - field: flags.substance_misuse\n")
    [warning] = lint(ruleset(text), today=TODAY)
    assert warning.field == "headlines[0].indicators[0].when.all[0]"


def test_a_window_longer_than_partners_keep_records_is_named():
    text = with_condition("count: {event: proven_offence, within_months: 36}\nat_least: 1\n")
    [warning] = lint(ruleset(text), today=TODAY)
    assert warning.kind == "window"
    assert "a window of 36 months reaches back further than the 24 months" in warning.message
    text = with_condition("absence_rate: {last_terms: 9}\nat_least: 10\n")
    [warning] = lint(ruleset(text), today=TODAY)
    assert "9 terms" in warning.message


def test_an_indicator_no_test_exercises_is_named_at_its_condition():
    [warning] = lint(ruleset(), today=TODAY, untested=["H2.flagged"])
    assert (warning.kind, warning.field) == ("untested", "headlines[0].indicators[0].when")
    assert warning.line == MINI.splitlines().index("        when:") + 1


def test_validate_prints_warnings_and_strict_fails_on_them(runner, tmp_path):
    stale = NATIONAL_YAML.read_text().replace(
        "    source: Financial Framework 2015, H1 indicator 1.\n    review_by: 2027-03-31",
        "    source: Financial Framework 2015, H1 indicator 1.\n    review_by: 2020-03-31",
    )
    assert stale != NATIONAL_YAML.read_text()
    path = tmp_path / "2015.1.yaml"
    path.write_text(stale)
    result = runner.invoke(main, ["validate", str(path), "--rulesets", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "ok " in result.stdout
    # a copy without its tests: every indicator is untested, and one review date has passed
    lines = result.stderr.splitlines()
    [line] = [line for line in lines if "was due for review" in line]
    assert "parameters.offence_window_months: warning: offence_window_months was due" in line
    untested = [line for line in lines if "no test exercises this indicator" in line]
    assert len(untested) == len(lines) - 1 == 25
    strict = runner.invoke(main, ["validate", "--strict", str(path), "--rulesets", str(tmp_path)])
    assert strict.exit_code == 1
    assert "26 warning(s), and --strict fails on warnings" in strict.stderr


def test_validate_strict_passes_on_the_shipped_rulesets(runner):
    result = runner.invoke(main, ["validate", "--strict", "rulesets"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_a_local_version_over_a_superseded_national_one_is_named(library):
    stockton = library.resolve("stockton@2015.1")
    national = library.resolve("national@2015.1")
    later = dataclasses.replace(
        national, version="2017.1", effective_from=dt.date(2017, 4, 1), sha256="0" * 64
    )
    both = RulesetLibrary([national, later, stockton])
    [warning] = lint(stockton, today=TODAY, library=both)
    assert (warning.kind, warning.field) == ("base", "extends")
    assert warning.line == stockton.lines["extends"]
    assert "stockton@2015.1 extends national@2015.1, but national@2017.1 is the national" in (
        warning.message
    )
    # the shipped 2017.1 is a draft, so national@2015.1 is still in force: no warning
    assert lint(stockton, today=TODAY, library=library) == []

"""Loading rulesets: the national file, and every mistake a policy officer can make,
each reported with file, line and field, all at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import textwrap
from pathlib import Path

import pytest

from tests.published import publish_all
from tfp_rules.errors import RulesetError, UnknownRulesetError
from tfp_rules.library import RulesetLibrary
from tfp_rules.ruleset import load_ruleset, parse_ruleset

from .conftest import NATIONAL_YAML

MINI = textwrap.dedent(
    """\
    ruleset: mini
    version: "1"
    effective_from: 2020-01-01
    description: A tiny ruleset for tests.
    sources: [test]
    parameters:
      adult_age: {value: 18, description: Adult from, source: test}
      required: {value: 1, description: Headlines needed, source: test}
      rate: {value: 10, description: Absence threshold, source: test}
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
          - id: H2.absence
            name: Absent
            applies_to: child
            source: test
            data_sources: [education]
            when:
              absence_rate: {last_terms: 3}
              at_least: rate
          - id: H2.flagged
            name: Flagged
            applies_to: any_member
            source: test
            data_sources: [education]
            when:
              field: flags.leaving_school_no_plan
    """
)


def problems_of(text: str) -> list:
    with pytest.raises(RulesetError) as caught:
        parse_ruleset(text.encode(), "mini.yaml")
    return caught.value.problems


def line_of(text: str, needle: str) -> int:
    """The line of the last occurrence (a duplicate is reported where it repeats)."""
    return max(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_national_ruleset_loads_with_all_headlines_and_indicators(national):
    assert national.ref == "national@2015.1"
    assert [h.id for h in national.headlines] == ["H1", "H2", "H3", "H4", "H5", "H6"]
    assert len(list(national.indicators)) == 25
    assert national.headlines_required == 2
    assert national.headlines_required_param == "headlines_required"
    assert national.parameters["persistent_absence_rate"].value == 10
    assert national.sha256 == hashlib.sha256(NATIONAL_YAML.read_bytes()).hexdigest()
    assert national.effective_from == dt.date(2015, 4, 1)


def test_every_national_parameter_has_a_description_and_source(national):
    for p in national.parameters.values():
        assert p.description and p.source, p.name


def test_mini_ruleset_is_valid():
    rs = parse_ruleset(MINI.encode(), "mini.yaml")
    assert [i.id for i in rs.indicators] == ["H2.absence", "H2.flagged"]


@pytest.mark.parametrize(
    ("old", "new", "needle", "field", "message"),
    [
        (
            "at_least: rate",
            "at_least: rat",
            "at_least: rat",
            "headlines[0].indicators[0].when.at_least",
            "unknown parameter 'rat' (did you mean 'rate'?)",
        ),
        (
            "field: flags.leaving_school_no_plan",
            "field: flags.leaving_school",
            "field: flags.leaving_school",
            "headlines[0].indicators[1].when.field",
            "unknown field 'flags.leaving_school' (did you mean 'flags.leaving_school_no_plan'?)",
        ),
        (
            "at_least: rate",
            "atleast: rate",
            "atleast: rate",
            "headlines[0].indicators[0].when.atleast",
            "unknown field 'atleast' (did you mean 'at_least'?)",
        ),
        (
            "field: flags.leaving_school_no_plan",
            "field: flags.leaving_school_no_plan\n          at_least: 1",
            "at_least: 1",
            "headlines[0].indicators[1].when.at_least",
            "'at_least' compares numbers, but 'flags.leaving_school_no_plan' is a true/false field",
        ),
        (
            "id: H2.flagged",
            "id: H2.absence",
            "id: H2.absence",
            "headlines[0].indicators[1].id",
            "indicator id 'H2.absence' is used twice",
        ),
        (
            "id: H2.flagged",
            "id: H3.flagged",
            "id: H3.flagged",
            "headlines[0].indicators[1].id",
            "its id must start with 'H2.'",
        ),
        (
            "applies_to: child",
            "applies_to: kid",
            "applies_to: kid",
            "headlines[0].indicators[0].applies_to",
            "'kid' is not one of: child, adult, any_member, household",
        ),
        (
            "applies_to: any_member",
            "applies_to: household",
            "field: flags",
            "headlines[0].indicators[1].when.field",
            "describes a member, but this indicator applies to the household",
        ),
        (
            "rate: {value: 10,",
            'rate: {value: "10",',
            "rate: {value:",
            "parameters.rate.value",
            'or a list of names (letters, digits, _), got "10"',
        ),
        (
            "effective_from: 2020-01-01",
            "effective_from: 2020-02-30",
            "effective_from",
            "effective_from",
            "'2020-02-30' is not a date",
        ),
        (
            "absence_rate: {last_terms: 3}",
            "absence_rate: {last_terms: 0}",
            "absence_rate",
            "headlines[0].indicators[0].when.absence_rate.last_terms",
            "expected a whole number of at least 1, got 0",
        ),
        (
            "        source: test\n        data_sources: [education]\n        when:\n          absence_rate",
            "        data_sources: [education]\n        when:\n          absence_rate",
            "- id: H2.absence",
            "headlines[0].indicators[0]",
            "missing required field 'source'",
        ),
        (
            "  adult_age: {value: 18, description: Adult from, source: test}\n",
            "",
            "parameters:",
            "parameters",
            "missing parameter 'adult_age'",
        ),
        (
            "headlines_required: required",
            "headlines_required: 3",
            "headlines_required: 3",
            "eligibility.headlines_required",
            "3 headlines required, but the ruleset defines only 1",
        ),
    ],
)
def test_each_mistake_names_file_line_and_field(old, new, needle, field, message):
    assert old in MINI
    text = MINI.replace(old, new, 1)
    problems = problems_of(text)
    assert len(problems) == 1, problems
    [p] = problems
    assert (p.file, p.field) == ("mini.yaml", field)
    assert message in p.message
    assert p.line == line_of(text, needle)
    assert str(p).startswith(f"mini.yaml:{p.line}: {field}: ")


def test_headline_without_indicators():
    start = MINI.index("    indicators:")
    text = MINI[:start] + "    indicators: []\n"
    [p] = problems_of(text)
    assert p.field == "headlines[0].indicators"
    assert p.message == "a headline needs at least one indicator"
    assert p.line == line_of(text, "indicators: []")


def test_every_problem_is_reported_at_once():
    text = (
        MINI.replace("at_least: rate", "at_least: rat")
        .replace("applies_to: any_member", "applies_to: everyone")
        .replace("description: A tiny", "descripton: A tiny")
        .replace("id: H2.flagged", "id: H2.absence")
    )
    problems = problems_of(text)
    fields = {p.field for p in problems}
    assert {
        "headlines[0].indicators[0].when.at_least",
        "headlines[0].indicators[1].applies_to",
        "descripton",
        "headlines[0].indicators[1].id",
    } <= fields
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_duplicate_yaml_key_is_a_mistake_not_a_silent_override():
    text = MINI.replace(
        "  rate: {value: 10,", "  rate: {value: 12, description: x, source: y}\n  rate: {value: 10,"
    )
    [p] = problems_of(text)
    assert p.message == "'rate' appears twice in the same block"
    assert p.line == line_of(text, "rate: {value: 10")


def test_yaml_syntax_error_gives_its_line():
    text = MINI.replace("name: Absent", "name: [Absent")
    [p] = problems_of(text)
    assert p.message.startswith("not valid YAML")
    assert p.line >= line_of(text, "name: [Absent")


def test_empty_and_unreadable_files(tmp_path: Path):
    with pytest.raises(RulesetError, match="the file is empty"):
        parse_ruleset(b"", "empty.yaml")
    with pytest.raises(RulesetError, match="cannot read file"):
        load_ruleset(tmp_path / "missing.yaml")


# --------------------------------------------------------------------------- versions


def write_version(directory: Path, version: str, effective_from: str, rate: int) -> Path:
    text = MINI.replace('version: "1"', f'version: "{version}"').replace(
        "2020-01-01", effective_from
    )
    text = text.replace("rate: {value: 10,", f"rate: {{value: {rate},")
    path = directory / f"{version}.yaml"
    path.write_text(text)
    return path


def test_versions_side_by_side_resolve_by_assessment_date(tmp_path: Path):
    write_version(tmp_path, "1", "2020-01-01", 10)
    write_version(tmp_path, "2", "2021-09-01", 15)
    lib = RulesetLibrary.from_directory(publish_all(tmp_path))
    assert lib.refs() == ["mini@1", "mini@2"]
    assert lib.resolve("mini", on=dt.date(2021, 8, 31)).version == "1"
    assert lib.resolve("mini", on=dt.date(2021, 9, 1)).version == "2"
    assert lib.resolve("mini@1", on=dt.date(2022, 1, 1)).version == "1"
    assert lib.resolve("mini").version == "2"


def test_unknown_rulesets_list_what_exists(tmp_path: Path):
    write_version(tmp_path, "1", "2020-01-01", 10)
    lib = RulesetLibrary.from_directory(publish_all(tmp_path))
    with pytest.raises(UnknownRulesetError) as caught:
        lib.resolve("mini@9")
    assert caught.value.available == ["mini@1"]
    with pytest.raises(UnknownRulesetError, match="no ruleset with id 'national'"):
        lib.resolve("national")
    with pytest.raises(UnknownRulesetError, match="no version of 'mini' is in force on 2019-12-31"):
        lib.resolve("mini", on=dt.date(2019, 12, 31))


def test_same_version_in_two_files_is_refused(tmp_path: Path):
    write_version(tmp_path, "1", "2020-01-01", 10)
    (tmp_path / "copy.yaml").write_text((tmp_path / "1.yaml").read_text())
    with pytest.raises(RulesetError, match="mini@1 is also defined in"):
        RulesetLibrary.from_directory(tmp_path)


def test_a_broken_file_in_a_directory_reports_with_its_own_name(tmp_path: Path):
    write_version(tmp_path, "1", "2020-01-01", 10)
    (tmp_path / "2.yaml").write_text(
        MINI.replace("at_least: rate", "at_least: rat").replace('"1"', '"2"')
    )
    with pytest.raises(RulesetError) as caught:
        RulesetLibrary.from_directory(tmp_path)
    [p] = caught.value.problems
    assert p.file.endswith("2.yaml")


WITH_LISTS = MINI.replace(
    "  rate: {value: 10,",
    "  kinds: {value: [warning, injunction], description: Kinds counted, source: test}\n"
    "  benefits: {value: [JSA, ESA], description: Benefits counted, source: test}\n"
    "  rate: {value: 10,",
).replace(
    "      - id: H2.flagged",
    """      - id: H2.warned
        name: Warned
        applies_to: any_member
        source: test
        data_sources: [police]
        when:
          count: {event: asb_intervention, where: {kind: kinds}}
          at_least: 1
      - id: H2.claiming
        name: Claiming
        applies_to: adult
        source: test
        data_sources: [dwp]
        when:
          count: {benefit: benefits, open: true, within_months: 0}
          at_least: 1
      - id: H2.flagged""",
)


def test_list_parameters_name_the_kinds_and_types_that_count():
    rs = parse_ruleset(WITH_LISTS.encode(), "mini.yaml")
    assert rs.parameters["kinds"].value == ("warning", "injunction")
    warned = rs.indicator("H2.warned").when
    assert warned.measure.where == (("kind", ("warning", "injunction")),)
    assert warned.measure.list_params == (("where.kind", "kinds"),)
    claiming = rs.indicator("H2.claiming").when
    assert claiming.measure.types == ("JSA", "ESA")
    assert claiming.measure.within_months.value == 0  # with open: true, "open now"


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "at_least: rate",
            "at_least: kinds",
            "headlines[0].indicators[0].when.at_least",
            "unknown parameter 'kinds'",
        ),
        (
            "[JSA, ESA], description: Benefits",
            "[JSA, PIP], description: Benefits",
            "headlines[0].indicators[2].when.count.benefit",
            "unknown benefit type 'PIP' (in parameter 'benefits')",
        ),
        (
            "open: true, within_months: 0",
            "within_months: 0",
            "headlines[0].indicators[2].when.count.within_months",
            "expected a whole number of at least 1, got 0",
        ),
        (
            "absence_rate: {last_terms: 3}",
            "absence_rate: {last_terms: kinds}",
            "headlines[0].indicators[0].when.absence_rate.last_terms",
            "'kinds' is a list of names; a number is needed here",
        ),
    ],
)
def test_list_parameters_are_checked_where_they_are_used(old, new, field, message):
    assert old in WITH_LISTS
    [p] = problems_of(WITH_LISTS.replace(old, new, 1))
    assert p.field == field
    assert message in p.message


def test_a_councils_term_dates_are_checked_for_sense_with_their_line():
    text = MINI.replace(
        "eligibility:",
        "school_terms:\n"
        "  rule: census\n"
        "  source: our term dates\n"
        "  dates:\n"
        "    - {term: 2019-spring, from: 2019-01-07, to: 2019-04-26}\n"
        "eligibility:",
    )
    [p] = problems_of(text)
    assert p.field == "school_terms.dates[0]"
    assert p.line == line_of(text, "term: 2019-spring")
    assert "ends on 2019-04-26, after term 2019-summer has started" in p.message


def test_two_versions_taking_effect_on_one_day_are_refused_naming_both(tmp_path: Path):
    write_version(tmp_path, "1", "2020-01-01", 10)
    write_version(tmp_path, "2", "2020-01-01", 12)
    with pytest.raises(RulesetError) as caught:
        RulesetLibrary.from_directory(tmp_path)
    [p] = caught.value.problems
    assert p.field == "effective_from"
    assert "mini@2 and mini@1" in p.message and "1.yaml" in p.message
    assert "both take effect on 2020-01-01" in p.message


def test_a_ruleset_must_say_who_counts_as_a_family():
    start, end = MINI.index("family:"), MINI.index("eligibility:")
    [p] = problems_of(MINI[:start] + MINI[end:])
    assert (p.field, p.line) == ("", 1)
    assert "missing required field 'family'" in p.message

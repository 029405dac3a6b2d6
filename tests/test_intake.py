"""Taking in a facts document: every problem of every kind in one answer, checks that need
the ruleset (judgements that fit their indicator, terms under its calendar), and warnings."""

from __future__ import annotations

import copy

import pytest

from tfp_rules.errors import FactsError, UnknownRulesetError
from tfp_rules.intake import take_in
from tfp_rules.library import RulesetLibrary
from tfp_rules.ruleset import parse_ruleset

from .conftest import NATIONAL_YAML


def problems(library, doc, spec=None) -> dict[str, str]:
    with pytest.raises(FactsError) as caught:
        take_in(library, doc, spec)
    return {p.pointer: p.message for p in caught.value.problems}


def judged(doc, indicator, member):
    doc = copy.deepcopy(doc)
    doc["judgements"] = [{"indicator": indicator, "member": member, "by": "kw", "reason": "r"}]
    return doc


def test_a_judgement_for_a_member_the_indicator_does_not_apply_to_is_refused(library, example_doc):
    # p1 is an adult; a proven offence counts for a child only
    found = problems(library, judged(example_doc, "H1.proven_offence", "p1"))
    assert found == {
        "/judgements/0/member": "H1.proven_offence applies to a child, but p1 is an adult (aged 34) "
        "on the assessment date 2019-03-31"
    }
    found = problems(library, judged(example_doc, "H4.out_of_work_benefits", "c1"))
    assert "applies to an adult, but c1 is a child (aged 12)" in found["/judgements/0/member"]


@pytest.mark.parametrize(
    ("indicator", "member", "message"),
    [
        (
            "H4.financial_difficulty",
            "p1",
            "applies to the household: a judgement on it names no member",
        ),
        ("H6.mental_health", None, "say which member the judgement is about"),
    ],
)
def test_household_and_member_judgements_name_the_right_subject(
    library, example_doc, indicator, member, message
):
    assert (
        message in problems(library, judged(example_doc, indicator, member))["/judgements/0/member"]
    )


def test_judgements_that_fit_are_taken(library, example_doc):
    for indicator, member in [("H6.mental_health", "c1"), ("H4.financial_difficulty", None)]:
        intake = take_in(library, judged(example_doc, indicator, member))
        assert intake.facts.judgements[0].indicator == indicator


def test_a_term_not_yet_started_under_the_rulesets_calendar_is_refused(library, example_doc):
    doc = copy.deepcopy(example_doc)
    doc["assessment_date"] = "2019-04-18"  # summer 2019 starts on Easter Monday, 22 April
    doc["members"][1]["school"]["terms"].append(
        {"term": "2019-summer", "possible_sessions": 2, "absent_sessions": 0}
    )
    found = problems(library, doc)
    assert found == {
        "/members/1/school/terms/3/term": "term 2019-summer starts after the assessment date "
        "2019-04-18 (on 2019-04-22 under national@2015.1's term dates)"
    }


def test_a_councils_own_term_dates_decide_when_a_term_has_started(example_doc, tmp_path):
    local = (
        NATIONAL_YAML.read_text()
        .replace(
            "  dates: []",
            "  dates:\n"
            "    - {term: 2019-spring, from: 2019-01-07, to: 2019-04-12}\n"
            "    - {term: 2019-summer, from: 2019-04-15, to: 2019-07-19}",
        )
        .replace('version: "2015.1"', 'version: "local-terms"')
    )
    library = RulesetLibrary([parse_ruleset(local.encode(), "local.yaml")])
    doc = copy.deepcopy(example_doc)
    doc["assessment_date"] = "2019-04-18"
    doc["members"][1]["school"]["terms"].append(
        {"term": "2019-summer", "possible_sessions": 6, "absent_sessions": 0}
    )
    assert take_in(library, doc).ruleset.version == "local-terms"


def test_every_kind_of_problem_in_one_answer(library, example_doc):
    doc = judged(example_doc, "H6.nonexistent", "p1")
    doc["members"][0]["flags"]["colour"] = "red"  # schema
    doc["members"][1]["events"][1]["ended"] = "2018-01-01"  # cross-field
    assert set(problems(library, doc)) == {
        "/judgements/0/indicator",
        "/members/0/flags/colour",
        "/members/1/events/1/ended",
    }


def test_a_role_the_date_of_birth_contradicts_is_a_warning_not_a_problem(library, example_doc):
    doc = copy.deepcopy(example_doc)
    doc["members"][0]["role"] = "child"
    intake = take_in(library, doc)
    [warning] = intake.warnings
    assert warning.pointer == "/members/0/role"
    assert "role says child, but p1 is 34" in warning.message


def test_no_ruleset_in_force_is_its_own_error(library, example_doc):
    doc = {**example_doc, "assessment_date": "2014-01-01"}
    with pytest.raises(UnknownRulesetError, match="no version of 'national' is in force"):
        take_in(library, doc)
    with pytest.raises(UnknownRulesetError):
        take_in(library, example_doc, "national@9")


@pytest.mark.parametrize("ruleset", ["national", "stockton"])
def test_a_judgement_naming_no_text_is_a_problem_not_a_crash(library, example_doc, ruleset):
    """Found by the fuzz tests: an indicator that is a list was looked up among the outcome
    plan's measures, and a list cannot be (TypeError, a 500)."""
    doc = copy.deepcopy(example_doc)
    doc["judgements"] = [{"indicator": ["H6.mental_health"], "by": "kw", "reason": "x"}]
    with pytest.raises(FactsError) as caught:
        take_in(library, doc, ruleset)
    assert any(p.pointer == "/judgements/0/indicator" for p in caught.value.problems)


def test_a_judgement_of_progress_is_accepted_only_without_a_member(library, example_doc):
    doc = copy.deepcopy(example_doc)
    doc["judgements"] = [
        {"indicator": "H6.engaged_with_treatment", "by": "kw", "reason": "on file"},
        {"indicator": "H6.engaged_with_treatment", "member": "p1", "by": "kw", "reason": "x"},
    ]
    with pytest.raises(FactsError) as caught:
        take_in(library, doc, "stockton")
    assert [p.pointer for p in caught.value.problems] == ["/judgements/1/member"]
    # the national ruleset has no such measure
    with pytest.raises(FactsError, match=r"has no indicator 'H6\.engaged_with_treatment'"):
        take_in(library, {**doc, "judgements": doc["judgements"][:1]}, "national")

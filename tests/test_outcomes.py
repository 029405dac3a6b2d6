"""Missing is not false: sources checked, three-valued outcomes, what would settle them,
and the nearest misses."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfp_rules.evaluate import evaluate
from tfp_rules.facts import SOURCES, parse_facts
from tfp_rules.prospects import settle_with

from .strategies import family

FIXTURES = Path(__file__).parent.parent / "fixtures" / "families"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_without_sources_checked_the_closed_world_is_assumed_and_said(compiled, example_facts):
    d = evaluate(compiled, example_facts)
    assert d["status"] == "eligible"
    assert d["headlines_unknown"] == []
    assert d["trace"]["sources"] is None
    assert d["trace"]["assumptions"][0].startswith("Closed world")


def test_undetermined_names_what_could_and_what_is_sure_to_settle_it(compiled):
    d = evaluate(compiled, parse_facts(load("sources_police_not_checked_undetermined")))
    assert (d["status"], d["eligible"]) == ("undetermined", None)
    prospects = d["trace"]["prospects"]
    assert prospects["headlines_needed"] == 1
    assert prospects["missing_sources"] == ["police", "youth_justice"]
    # police alone could settle it (an ASB record would make H1); only both are sure to
    assert prospects["could_settle_with"] == ["police"]
    assert prospects["sure_to_settle_with"] == ["police", "youth_justice"]
    [offence] = [
        i
        for h in d["trace"]["headlines"]
        for i in h["indicators"]
        if i["id"] == "H1.proven_offence"
    ]
    assert offence["status"] == "unknown"
    assert offence["subjects"][0]["missing_sources"] == ["police", "youth_justice"]
    assert "Sources checked: dwp (2019-03-30)" in d["trace"]["assumptions"][0]


def test_an_unchecked_source_does_not_hide_a_record_that_arrived(compiled):
    d = evaluate(compiled, parse_facts(load("sources_record_found_in_unchecked_source")))
    assert d["status"] == "eligible"
    assert "prospects" not in d["trace"]


def test_not_eligible_when_even_every_unknown_could_not_reach_the_threshold(compiled):
    d = evaluate(compiled, parse_facts(load("sources_only_health_missing_not_eligible")))
    assert (d["status"], d["eligible"], d["headlines_unknown"]) == ("not_eligible", False, ["H6"])
    assert d["trace"]["prospects"]["could_settle_with"] == []
    assert d["trace"]["prospects"]["missing_sources"] == ["health"]


def test_nearest_misses_are_ordered_by_distance_to_the_threshold(compiled, example_doc):
    doc = copy.deepcopy(example_doc)
    for m in doc["members"]:
        m.update(events=[], benefits=[], flags={})
    doc["household"], doc["judgements"] = {"events": []}, []
    terms = doc["members"][1]["school"]["terms"]
    for t in terms:
        t.update(absent_sessions=0, unauthorised_sessions=0, fixed_term_exclusions=0)
    terms[0]["absent_sessions"], terms[2]["fixed_term_exclusions"] = 36, 2
    d = evaluate(compiled, parse_facts(doc))
    assert d["status"] == "not_eligible"
    misses = d["trace"]["prospects"]["nearest_misses"]
    assert [(m["indicator"], m["subject"]) for m in misses] == [
        ("H2.persistent_absence", "c1"),
        ("H2.fixed_term_exclusions", "c1"),
    ]
    assert (
        misses[0]["text"]
        == "H2.persistent_absence for c1: absence rate 9.73% against 10% (persistent_absence_rate)"
    )
    assert misses[0]["gap"] == 0.027
    assert d["trace"]["prospects"]["headlines_needed"] == 2


def test_settle_with_by_hand():
    police, school = frozenset({"police"}), frozenset({"education"})
    # 1 met of 2: either unknown headline could make it; both must be checked to be sure
    assert settle_with(1, 2, {"H1": [police], "H2": [school]}) == (
        ["education"],
        ["education", "police"],
    )
    # 0 met of 2, one unknown: nothing to settle (already not eligible); empty sets
    assert settle_with(0, 2, {"H1": [police]}) == ([], [])
    # an indicator needing two sources is resolved only when both are checked
    both = frozenset({"police", "youth_justice"})
    assert settle_with(1, 2, {"H1": [both]}) == (
        ["police", "youth_justice"],
        ["police", "youth_justice"],
    )


def _with_sources(doc: dict, sources: set[str]) -> dict:
    return {**doc, "sources_checked": {s: "2019-01-01" for s in sorted(sources)}}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family(), st.sets(st.sampled_from(SOURCES)), st.sampled_from(SOURCES))
def test_checking_one_more_source_only_ever_settles_an_outcome(compiled, doc, checked, extra):
    doc = {k: v for k, v in doc.items() if k != "sources_checked"}
    before = evaluate(compiled, parse_facts(_with_sources(doc, checked)))["status"]
    after = evaluate(compiled, parse_facts(_with_sources(doc, checked | {extra})))["status"]
    if before != "undetermined":
        assert after == before  # never eligible -> not eligible (or back) with the same facts
    closed = evaluate(compiled, parse_facts(doc))["status"]
    everything = evaluate(compiled, parse_facts(_with_sources(doc, set(SOURCES))))["status"]
    assert everything == closed  # every source checked is the closed world
    assert closed in ("eligible", "not_eligible")
    if before != "undetermined":
        assert before == closed  # a determined outcome is the one the full data gives


def _subject(decision: dict, indicator: str, subject: str) -> dict:
    return next(
        s
        for h in decision["trace"]["headlines"]
        for i in h["indicators"]
        if i["id"] == indicator
        for s in i["subjects"]
        if s["subject"] == subject
    )


def test_a_result_checked_facts_already_rule_out_is_settled_not_unknown(compiled):
    doc = load("sources_unchecked_but_outcome_settled_by_checked_facts")
    d = evaluate(compiled, parse_facts(doc))
    prisoner = _subject(d, "H1.prisoner_due_for_release", "p1")
    assert prisoner["status"] == "not_met"
    assert prisoner["settled"] is True and prisoner["missing_sources"] == ["probation"]
    parenting, custody = prisoner["condition"]["all"]
    assert "could_be" not in parenting  # part of the family document: no record changes it
    assert custody["could_be"] == {"min": 0, "max": None}  # probation could send custody records
    assert d["trace"]["prospects"]["could_settle_with"] == []
    # with parenting responsibility, the same gap is a real unknown
    doc["members"][0]["parenting_responsibility"] = True
    d = evaluate(compiled, parse_facts(doc))
    assert d["status"] == "undetermined"
    assert _subject(d, "H1.prisoner_due_for_release", "p1")["status"] == "unknown"
    assert d["trace"]["prospects"]["could_settle_with"] == ["probation"]


def test_a_household_that_is_not_a_family_is_not_eligible_whatever_its_headlines(compiled):
    d = evaluate(compiled, parse_facts(load("family_no_dependent_child_not_a_family")))
    assert (d["status"], d["headlines_met"]) == ("not_eligible", ["H4", "H6"])
    family = d["trace"]["family"]
    assert family["status"] == "not_met" and family["met_by"] == []
    assert d["trace"]["decision"]["family"] == "not_met"
    assert "no member makes the household a family" in d["trace"]["decision"]["text"]
    assert d["trace"]["prospects"]["family"] == "not_met"


def test_an_unknown_family_rule_names_the_source_that_would_settle_it(compiled):
    d = evaluate(compiled, parse_facts(load("family_unknown_while_education_unchecked")))
    assert d["status"] == "undetermined"
    prospects = d["trace"]["prospects"]
    assert prospects["family"] == "unknown"
    assert prospects["headlines_needed"] == 0
    assert prospects["could_settle_with"] == prospects["sure_to_settle_with"] == ["education"]
    assert "whether the household is a family" in d["trace"]["decision"]["text"]


def test_settle_with_the_family_rule_by_hand():
    school, health = frozenset({"education"}), frozenset({"health"})
    # enough headlines; only the family rule is open, and one member's answer settles it
    assert settle_with(2, 2, {}, family=[school]) == (["education"], ["education"])
    # two members could make a family: either could settle it, both are needed to be sure
    assert settle_with(2, 2, {}, family=[school, health]) == (
        ["education"],
        ["education", "health"],
    )

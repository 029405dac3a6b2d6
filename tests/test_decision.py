"""The decision contract: shape, determinism, and the plain-English rendering."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from tfp_rules.evaluate import evaluate
from tfp_rules.facts import parse_facts
from tfp_rules.measures import Measured
from tfp_rules.trace import comparison_text, explain, render_text

SCHEMA = json.loads((Path(__file__).parent.parent / "schemas" / "decision.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
FAMILIES = sorted((Path(__file__).parent.parent / "fixtures" / "families").glob("*.json"))


def test_example_decision_matches_the_published_schema(compiled, example_facts):
    decision = evaluate(compiled, example_facts)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(decision)]
    assert errors == []


@pytest.mark.parametrize("path", FAMILIES, ids=[p.stem for p in FAMILIES])
def test_every_fixture_decision_matches_the_published_schema(compiled, path):
    decision = evaluate(compiled, parse_facts(path.read_bytes()))
    assert [e.message for e in VALIDATOR.iter_errors(decision)] == []


def test_decision_contract_fields(compiled, national, example_facts):
    d = evaluate(compiled, example_facts)
    assert d["eligible"] is True
    assert d["headlines_met"] == sorted(d["headlines_met"])
    assert d["ruleset"] == {"id": "national", "version": "2015.1", "sha256": national.sha256}
    assert d["assessment_date"] == "2019-03-31"
    assert json.loads(json.dumps(d)) == d  # plain JSON, nothing that needs a custom encoder


def test_same_facts_same_decision(compiled, example_facts):
    assert evaluate(compiled, example_facts) == evaluate(compiled, example_facts)


def test_trace_says_why_an_indicator_was_not_met(compiled, example_doc):
    doc = copy.deepcopy(example_doc)
    terms = doc["members"][1]["school"]["terms"]
    for t in terms:
        t["absent_sessions"] = t["unauthorised_sessions"] = 0
    terms[0]["absent_sessions"] = 36  # 36 of 370 sessions = 9.7%
    d = evaluate(compiled, parse_facts(doc))
    [absence] = [
        i
        for h in d["trace"]["headlines"]
        for i in h["indicators"]
        if i["id"] == "H2.persistent_absence"
    ]
    assert absence["met"] is False
    [c1] = absence["subjects"]
    node = c1["condition"]
    assert node["value"] == pytest.approx(9.72973, abs=1e-5)
    assert node["threshold"] == 10
    assert node["parameters"] == ["persistent_absence_rate"]
    assert node["evidence"] == [
        "/members/1/school/terms/0",
        "/members/1/school/terms/1",
        "/members/1/school/terms/2",
    ]
    assert comparison_text(node) == (
        "absence rate (terms 2018-spring..2018-autumn: 36 of 370 sessions missed): "
        "9.73% >= 10% (persistent_absence_rate)"
    )


def test_judgement_shows_who_and_why(compiled, example_doc):
    doc = copy.deepcopy(example_doc)
    doc["members"][0]["flags"] = {}
    d = evaluate(compiled, parse_facts(doc))
    [mh] = [
        i for h in d["trace"]["headlines"] for i in h["indicators"] if i["id"] == "H6.mental_health"
    ]
    [p1] = [s for s in mh["subjects"] if s["subject"] == "p1"]
    assert p1["met"] is True
    assert p1["basis"] == "judgement"
    assert p1["condition"]["met"] is False
    assert p1["judgements"] == [
        {"by": "keyworker-17", "reason": "GP letter on file", "pointer": "/judgements/0"}
    ]


def test_indicator_with_nobody_to_test_says_so(compiled, example_doc):
    doc = copy.deepcopy(example_doc)
    doc["members"] = doc["members"][:1]
    d = evaluate(compiled, parse_facts(doc))
    [offence] = [
        i
        for h in d["trace"]["headlines"]
        for i in h["indicators"]
        if i["id"] == "H1.proven_offence"
    ]
    assert offence["subjects"] == []
    assert offence["note"] == "no member of the family is a child"


def test_plain_english_names_outcome_rules_and_reasons(compiled, example_facts):
    text = render_text(evaluate(compiled, example_facts))
    assert text.startswith("Family STK-2019-000123, assessed on 2019-03-31: ELIGIBLE\n")
    assert "Ruleset national@2015.1" in text
    assert (
        "6 of 6 headlines met (H1, H2, H3, H4, H5, H6); at least 2 (headlines_required) required"
        in text
    )
    assert (
        "[x] absence rate (terms 2018-spring..2018-autumn: 42 of 370 sessions missed): 11.35% >= 10%"
        in text
    )
    assert "professional judgement by keyworker-17: GP letter on file" in text


def test_only_failed_leaves_out_what_was_met(compiled, example_facts):
    text = render_text(evaluate(compiled, example_facts), only_failed=True)
    assert "H1.proven_offence" not in text
    assert "H1.licence_or_supervision" in text
    assert "[x] absence rate" not in text


def test_rounding_never_makes_the_text_contradict_the_result(national):
    [absence] = [i for i in national.indicators if i.id == "H2.persistent_absence"]
    key = absence.when.measure.key
    node = explain(absence.when, {key: Measured(9.999)})
    assert node["met"] is False
    assert comparison_text(node) == "absence rate: 9.999% >= 10% (persistent_absence_rate)"
    assert comparison_text(explain(absence.when, {key: Measured(11.3514)})) == (
        "absence rate: 11.35% >= 10% (persistent_absence_rate)"
    )

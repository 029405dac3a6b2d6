"""The compact trace gives back the full decision exactly: for every fixture family (and
`tests/data`'s example), every generated family `tests/identical_output.py` pins, under
every ruleset version in `rulesets/` that accepts it,
`expand(compact(d))` encodes to the same JSON text as `d` (key order too) and renders the
same plain English; random families (hypothesis) likewise. And what cannot be compacted
exactly is kept in full, not lost."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.identical_output import ROOT, pinned_decisions
from tfp_rules.compact import (
    TRACE_FORMAT,
    TraceTemplate,
    compact,
    expand,
    is_compact,
    template_for,
    template_of,
)
from tfp_rules.errors import TraceTemplateError
from tfp_rules.evaluate import evaluate
from tfp_rules.facts import parse_facts
from tfp_rules.library import RulesetLibrary
from tfp_rules.trace import render_text

from .strategies import family


def _round_trip(decision, template):
    """The decision compacted, through JSON text (as stored), and expanded."""
    small = compact(decision, template)
    assert is_compact(small)
    return small, expand(json.loads(json.dumps(small)), TraceTemplate.from_json(template.to_json()))


def test_every_pinned_decision_round_trips_exactly() -> None:
    library = RulesetLibrary.from_directory()
    checked = 0
    example = ROOT / "tests" / "data" / "example_facts.json"
    extra = [("data:example_facts", example.read_text(encoding="utf-8"))]
    for where, compiled, decision in pinned_decisions(library, extra):
        small, full = _round_trip(decision, template_for(compiled))
        assert json.dumps(full) == json.dumps(decision), where
        assert render_text(full) == render_text(decision), where
        assert render_text(full, only_failed=True) == render_text(decision, only_failed=True)
        # every node was compacted: nothing fell back to the full form
        assert all("id" not in h for h in small["trace"]["headlines"]), where
        checked += 1
    assert checked > 500


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family())
def test_random_families_round_trip_exactly(compiled, doc):
    decision = evaluate(compiled, parse_facts(doc))
    _, full = _round_trip(decision, template_for(compiled))
    assert json.dumps(full) == json.dumps(decision)


@pytest.fixture
def decision_and_template(compiled):
    doc = json.loads(Path("fixtures/families/facts_md_example.json").read_text(encoding="utf-8"))
    return evaluate(compiled, parse_facts(doc)), template_for(compiled)


def test_compact_trace_says_its_format_and_template(decision_and_template) -> None:
    decision, template = decision_and_template
    small = compact(decision, template)
    assert small["trace"]["trace_format"] == TRACE_FORMAT
    assert template_of(small) == template.sha256
    assert template_of(decision) is None
    assert len(json.dumps(small)) * 3 < len(json.dumps(decision))
    # the hash reads the template canonically: however it was written, the same hash
    reordered = json.loads(json.dumps(template.body, sort_keys=True))
    assert TraceTemplate.of(reordered).sha256 == template.sha256
    assert TraceTemplate.from_json(template.to_json()) == template


def test_a_full_decision_expands_to_itself(decision_and_template) -> None:
    decision, template = decision_and_template
    assert expand(decision, template) == decision


def test_the_wrong_template_is_refused(decision_and_template) -> None:
    decision, template = decision_and_template
    other = TraceTemplate.of({**template.body, "ruleset": {"id": "x"}})
    with pytest.raises(TraceTemplateError, match="needs template"):
        expand(compact(decision, template), other)
    with pytest.raises(TraceTemplateError, match="not a trace template"):
        TraceTemplate.from_json('{"a": 1}')
    with pytest.raises(TraceTemplateError, match="not JSON"):
        TraceTemplate.from_json("{")


def test_a_decision_of_another_ruleset_stays_full(decision_and_template) -> None:
    decision, template = decision_and_template
    other = {**decision, "ruleset": {**decision["ruleset"], "version": "1999.1"}}
    assert compact(other, template) == other
    assert not is_compact(compact(other, template))


def test_what_differs_from_the_template_is_kept_in_full(decision_and_template) -> None:
    decision, template = decision_and_template
    odd = copy.deepcopy(decision)
    headline = odd["trace"]["headlines"][0]
    headline["name"] = "renamed"  # not the template's: the headline stays whole
    leaf = odd["trace"]["family"]["subjects"][0]["condition"]["any"][0]
    leaf["threshold"] = 16.0  # 16.0 is not 16 in JSON: that condition stays whole
    indicator = odd["trace"]["headlines"][1]["indicators"][0]
    indicator["met_by"] = ["nobody"]  # not what its subjects say: the indicator stays whole
    small = compact(odd, template)
    assert small["trace"]["headlines"][0] == headline
    _subject, _status, condition = small["trace"]["family"]["subjects"][0]  # the common shape
    assert condition == odd["trace"]["family"]["subjects"][0]["condition"]
    assert small["trace"]["headlines"][1]["indicators"][0] == indicator
    full = expand(json.loads(json.dumps(small)), template)
    assert json.dumps(full) == json.dumps(odd)


def test_changing_an_expanded_decision_leaves_the_template_alone(decision_and_template) -> None:
    decision, template = decision_and_template
    before = template.to_json()
    full = expand(compact(decision, template), template)
    full["trace"]["headlines"][0]["indicators"][0]["data_sources"].append("x")
    full["trace"]["family"]["subjects"][0]["condition"]["any"][0]["measured"]["kind"] = "x"
    assert template.to_json() == before

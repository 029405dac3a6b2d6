"""durable_rules and the plain-Python reference evaluation agree on every indicator (met,
unknown because a record from an unchecked source could still make it met, or not met), on
the family rule and on the outcome, for random families built to land on the thresholds'
edges, with random sets of sources checked."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tfp_rules.conditions import could_hold, holds
from tfp_rules.evaluate import evaluate, fire
from tfp_rules.facts import parse_facts

from .strategies import family


def _reference(condition, data_sources, subject, firing) -> str:
    """met, unknown or not_met, read in plain Python."""
    values = {key: got.value for key, got in firing.measured[subject.ref].items()}
    if holds(condition, values):
        return "met"
    if firing.unchecked & set(data_sources) and could_hold(condition, firing.reach[subject.ref]):
        return "unknown"
    return "not_met"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family())
def test_engine_and_reference_agree_on_which_indicators_fire(compiled, doc):
    facts = parse_facts(doc)
    firing = fire(compiled, facts)
    ruleset = compiled.ruleset
    by_reference, unknown_by_reference = set(), set()
    for ind in ruleset.indicators:
        for subject in firing.subjects:
            if subject.applies(ind.applies_to):
                status = _reference(ind.when, ind.data_sources, subject, firing)
                if status == "met":
                    by_reference.add((ind.id, subject.ref))
                elif status == "unknown":
                    unknown_by_reference.add((ind.id, subject.ref))
    by_engine = {key for key, bases in firing.met.items() if "rule" in bases}
    assert by_engine == by_reference
    assert firing.unknown == unknown_by_reference

    gate = ruleset.family
    members = [s for s in firing.subjects if s.kind == "member"]
    family_by_reference = {
        s.ref: status
        for s in members
        if (status := _reference(gate.when, gate.data_sources, s, firing)) != "not_met"
    }
    assert firing.family == family_by_reference
    is_family = (
        "met"
        if "met" in family_by_reference.values()
        else ("unknown" if family_by_reference else "not_met")
    )

    judged = {(j.indicator, j.member or "household") for j in facts.judgements}
    assert {key for key, bases in firing.met.items() if "judgement" in bases} == judged
    headlines = {ind_id.split(".")[0] for ind_id, _ in by_reference | judged}
    assert firing.headlines == headlines
    required = ruleset.headlines_required
    assert firing.eligible == (is_family == "met" and len(headlines) >= required)
    reachable = headlines | {ind_id.split(".")[0] for ind_id, _ in unknown_by_reference}
    assert firing.reachable == (is_family != "not_met" and len(reachable) >= required)

    decision = evaluate(compiled, facts)  # also cross-checks while writing the trace
    assert (decision["status"] == "eligible") == firing.eligible
    assert decision["headlines_met"] == sorted(headlines)
    assert decision["headlines_unknown"] == sorted(reachable - headlines)
    assert decision["trace"]["family"]["status"] == is_family

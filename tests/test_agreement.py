"""durable_rules and the plain-Python reference evaluation agree on every indicator (met,
unknown for want of a source, or not met), for random families built to land on the
thresholds' edges, with random sets of sources checked."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tfp_rules.conditions import holds
from tfp_rules.evaluate import evaluate, fire
from tfp_rules.facts import parse_facts

from .strategies import family


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family())
def test_engine_and_reference_agree_on_which_indicators_fire(compiled, doc):
    facts = parse_facts(doc)
    firing = fire(compiled, facts)
    ruleset = compiled.ruleset
    by_reference, unknown_by_reference = set(), set()
    for ind in ruleset.indicators:
        for subject in firing.subjects:
            if not subject.applies(ind.applies_to):
                continue
            values = {key: got.value for key, got in firing.measured[subject.ref].items()}
            if holds(ind.when, values):
                by_reference.add((ind.id, subject.ref))
            elif firing.unchecked & set(ind.data_sources):
                unknown_by_reference.add((ind.id, subject.ref))
    by_engine = {key for key, bases in firing.met.items() if "rule" in bases}
    assert by_engine == by_reference
    assert firing.unknown == unknown_by_reference

    judged = {(j.indicator, j.member or "household") for j in facts.judgements}
    assert {key for key, bases in firing.met.items() if "judgement" in bases} == judged
    headlines = {ind_id.split(".")[0] for ind_id, _ in by_reference | judged}
    assert firing.headlines == headlines
    assert firing.eligible == (len(headlines) >= ruleset.headlines_required)
    reachable = headlines | {ind_id.split(".")[0] for ind_id, _ in unknown_by_reference}
    assert firing.reachable == (len(reachable) >= ruleset.headlines_required)

    decision = evaluate(compiled, facts)  # also cross-checks while writing the trace
    assert (decision["status"] == "eligible") == firing.eligible
    assert decision["headlines_met"] == sorted(headlines)
    assert decision["headlines_unknown"] == sorted(reachable - headlines)

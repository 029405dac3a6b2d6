"""Unknown means a record could still make it met: for random families and random sets of
sources checked, every result reported unknown is made met by adding records that its
unchecked sources could send, and no result reported not met is, whatever is added.

Records are added to the subject's own data only (a member's events, benefits, school and
flags; the household's events), and only of the kinds the indicator reads. The national
conditions ask for more, not less, of what they count, so adding the most of everything
("the worst case") is the strongest test of "not met"; a random part of it is tried too.
"""

from __future__ import annotations

import copy
import datetime as dt
from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfp_rules.conditions import Measure, measures_of
from tfp_rules.evaluate import evaluate
from tfp_rules.facts import AMOUNT_EVENT_TYPES, MAX_EXCLUSIONS, SOURCES, parse_facts

from .strategies import family

_refs = count()


def _records(m: Measure, on: dt.date, calendar) -> list[tuple[str, Any]]:
    """(where, what) additions that push measure `m` as far as records can."""
    iso = on.isoformat()
    where = {key: values[0] for key, values in m.where}
    out: list[tuple[str, Any]] = []
    if m.kind in ("count", "sum", "mean") and m.records == "event":
        for kind in m.types:
            for _ in range(3):
                event: dict[str, Any] = {
                    "type": kind,
                    "date": iso,
                    "incident": f"ADD-{next(_refs)}",
                }
                event.update({k: v for k, v in where.items() if k in ("role", "kind")})
                if kind == "custody":
                    event["release_due"] = iso
                if kind in AMOUNT_EVENT_TYPES:
                    event["amount_gbp"] = 100_000
                out.append(("events", event))
    elif m.kind in ("count", "sum", "mean"):
        for kind in m.types:
            benefit: dict[str, Any] = {"type": kind, "from": iso}
            if kind == "UC":
                benefit.update(where)
            out.append(("benefits", benefit))
    elif m.kind == "field" and (m.field or "").startswith("flags."):
        out.append(("flag", (m.field or "").removeprefix("flags.")))
    elif m.kind in ("field", "absence_rate", "term_total"):
        out.append(("school", None))
        if m.last_terms is not None:
            for label in calendar.last_terms(on, int(m.last_terms.value)):
                out.append(("term", label))
    return out


def _add(doc: dict[str, Any], subject: str, additions: list[tuple[str, Any]]) -> dict[str, Any]:
    """The document with records added to one subject (never changing what it already has)."""
    doc = copy.deepcopy(doc)
    if subject == "household":
        target = doc.setdefault("household", {})
    else:
        target = next(m for m in doc["members"] if m["ref"] == subject)
    for where, what in additions:
        if where in ("events", "benefits"):
            target.setdefault(where, []).append(what)
        elif where == "flag":
            target.setdefault("flags", {})[what] = True
        elif where == "school":
            target.setdefault(
                "school",
                {
                    "registered": False,
                    "education_otherwise": False,
                    "alternative_provision": "behaviour",
                },
            )
        elif where == "term":
            terms = target.setdefault("school", {"registered": False}).setdefault("terms", [])
            if all(t["term"] != what for t in terms):
                terms.append(
                    {
                        "term": what,
                        "possible_sessions": 100,
                        "absent_sessions": 100,
                        "fixed_term_exclusions": MAX_EXCLUSIONS,
                        "permanently_excluded": True,
                    }
                )
    return doc


def _results(decision: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(indicator id or "family", subject) -> status, from the trace; "settled" for a result
    not met while one of its sources is unchecked."""
    found = [
        ((ind["id"], s["subject"]), s)
        for h in decision["trace"]["headlines"]
        for ind in h["indicators"]
        for s in ind["subjects"]
        if "condition" in s  # tested by rule (a judgement alone has no condition)
    ]
    found += [(("family", s["subject"]), s) for s in decision["trace"]["family"]["subjects"]]
    return {key: "settled" if s.get("settled") else s["status"] for key, s in found}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family(), st.sets(st.sampled_from(SOURCES), max_size=7), st.randoms(use_true_random=False))
def test_unknown_can_be_met_by_unchecked_records_and_not_met_cannot(compiled, doc, checked, rnd):
    doc = {k: v for k, v in doc.items() if k not in ("sources_checked", "judgements")}
    doc["sources_checked"] = {s: doc["assessment_date"] for s in sorted(checked)}
    facts = parse_facts(doc)
    ruleset = compiled.ruleset
    rules = {ind.id: ind.when for ind in ruleset.indicators} | {"family": ruleset.family.when}
    before = _results(evaluate(compiled, facts))
    open_results = sorted(k for k, status in before.items() if status in ("unknown", "settled"))
    # a sample per family keeps the test quick; across examples every kind of result comes up
    for rule, subject in rnd.sample(open_results, min(6, len(open_results))):
        status = before[(rule, subject)]
        additions = [
            a
            for m in measures_of(rules[rule])
            if not m.source_free
            for a in _records(m, facts.assessment_date, ruleset.terms)
        ]
        worst = _results(evaluate(compiled, parse_facts(_add(doc, subject, additions))))
        if status == "unknown":
            assert worst[(rule, subject)] == "met", f"{rule} for {subject}: unknown, yet unmeetable"
            continue
        some = [a for a in additions if rnd.random() < 0.5]
        partial = _results(evaluate(compiled, parse_facts(_add(doc, subject, some))))
        for after in (worst, partial):
            assert after[(rule, subject)] != "met", f"{rule} for {subject}: settled, yet met"

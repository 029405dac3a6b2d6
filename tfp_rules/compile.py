"""Compile a checked Ruleset into durable_rules rules: indicators, headlines, eligibility.

The rule network, all matched and chained by durable_rules:

- one rule per indicator: a subject fact (member or household) whose measure
  values satisfy the indicator's condition derives an `indicator` fact with
  status "met";
- one "unknown" rule per indicator: a subject fact that does NOT satisfy the
  condition, joined with an `unchecked` fact naming one of the indicator's
  data sources, derives an `indicator` fact with status "unknown" (missing is
  not false);
- one rule for professional judgements: a `judgement` fact derives a met
  `indicator` fact with basis "judgement";
- per headline: a met indicator derives a `headline` fact, and any indicator
  (met or unknown) a `reachable` fact (asserting the same fact twice is a no-op);
- eligibility: every N `headline` facts (N = the headlines-required
  parameter) derive the decision "eligible"; every N `reachable` facts derive
  "reachable". Not eligible but reachable is undetermined; neither is not
  eligible.

Measures are computed in Python first (`measures.py`) and sent as fields
`m0, m1, ...` of the subject facts; `CompiledRuleset.measures` maps them back.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from . import engine
from .conditions import All, Any_, Compare, Condition, Measure, Not, measures_of
from .ruleset import Ruleset

# durable_rules delivers at most this many matches to one action call; more than any family has.
_CAP = 1000

_SUBJECT_FILTER: dict[str, list[dict[str, Any]]] = {
    "child": [{"kind": "member"}, {"child": True}],
    "adult": [{"kind": "member"}, {"child": False}],
    "any_member": [{"kind": "member"}],
    "household": [{"kind": "household"}],
}
_SUBJECTS_OF = {
    "child": ("child",),
    "adult": ("adult",),
    "any_member": ("child", "adult"),
    "household": ("household",),
}
_OPS = {"at_least": "$gte", "more_than": "$gt", "at_most": "$lte", "below": "$lt"}
_NEGATED = {"at_least": "$lt", "more_than": "$lte", "at_most": "$gt", "below": "$gte"}


@dataclass(frozen=True)
class CompiledRuleset:
    """A ruleset registered with the engine, with the measures each kind of subject needs.

    Built once per process and reused for every family (see `compile_ruleset`).
    """

    ruleset: Ruleset
    engine_name: str
    measures: dict[str, Measure]  # fact field (m0, m1, ...) -> measure
    fields: dict[str, str]  # measure key -> fact field
    needs: dict[str, tuple[str, ...]]  # "child"/"adult"/"household" -> fact fields to compute
    adult_age: int


def to_durable(condition: Condition, fields: dict[str, str]) -> dict[str, Any]:
    """A condition as a durable_rules expression over one fact's measure fields."""
    if isinstance(condition, All):
        return {"$and": [to_durable(c, fields) for c in condition.items]}
    if isinstance(condition, Any_):
        return {"$or": [to_durable(c, fields) for c in condition.items]}
    if isinstance(condition, Not):
        return _negate(condition.item, fields)
    return _compare(condition, fields)


def _compare(c: Compare, fields: dict[str, str]) -> dict[str, Any]:
    name = fields[c.measure.key]
    values = [o.value for o in c.operands]
    if c.op == "is":
        return {name: values[0]}
    if c.op == "is_not":
        return {"$neq": {name: values[0]}}
    if c.op == "between":
        return {"$and": [{"$gte": {name: values[0]}}, {"$lte": {name: values[1]}}]}
    if c.op == "one_of":
        return {"$or": [{name: v} for v in values]}
    return {_OPS[c.op]: {name: values[0]}}


def _negate(condition: Condition, fields: dict[str, str]) -> dict[str, Any]:
    """Push `not` down to comparisons (durable_rules has no `not` inside one fact).

    A missing measure fails every comparison, so its negation holds: each
    negated comparison also accepts the field being absent (`$nex`).
    """
    if isinstance(condition, All):
        return {"$or": [_negate(c, fields) for c in condition.items]}
    if isinstance(condition, Any_):
        return {"$and": [_negate(c, fields) for c in condition.items]}
    if isinstance(condition, Not):
        return to_durable(condition.item, fields)
    name = fields[condition.measure.key]
    values = [o.value for o in condition.operands]
    op = condition.op
    if op == "is":
        negated: dict[str, Any] = {"$neq": {name: values[0]}}
    elif op == "is_not":
        negated = {name: values[0]}
    elif op == "between":
        negated = {"$or": [{"$lt": {name: values[0]}}, {"$gt": {name: values[1]}}]}
    elif op == "one_of":
        negated = {"$and": [{"$neq": {name: v}} for v in values]}
    else:
        negated = {_NEGATED[op]: {name: values[0]}}
    return {"$or": [negated, {"$nex": {name: 1}}]}


def _indicator_derive(indicator_id: str, headline: str, status: str, basis: str):
    """Subjects matched by an indicator's rule become `indicator` facts of that status."""

    def derive(matched: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "kind": "indicator",
                "indicator": indicator_id,
                "headline": headline,
                "subject": f["subject"],
                "status": status,
                "basis": basis,
            }
            for f in matched
        ]

    return derive


def _judgement_derive(matched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "kind": "indicator",
            "indicator": f["indicator"],
            "headline": f["headline"],
            "subject": f["subject"],
            "status": "met",
            "basis": "judgement",
        }
        for f in matched
    ]


def _emit(fact: dict[str, Any]):
    """A rule that derives one fixed fact, whatever matched (asserting it twice is a no-op)."""

    def derive(matched: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [dict(fact)]

    return derive


_cache: dict[str, CompiledRuleset] = {}
_cache_lock = threading.Lock()


def compile_ruleset(ruleset: Ruleset) -> CompiledRuleset:
    """Compile and register a ruleset once per process; later calls return the same object.

    Versions (and edited files, by hash) get distinct engine names, so any number
    of rulesets can be used side by side.
    """
    engine_name = f"{ruleset.ref}#{ruleset.sha256[:16]}"
    with _cache_lock:
        if engine_name in _cache:
            return _cache[engine_name]
        compiled = _compile(ruleset, engine_name)
        _cache[engine_name] = compiled
        return compiled


def _compile(ruleset: Ruleset, engine_name: str) -> CompiledRuleset:
    fields: dict[str, str] = {}
    measures: dict[str, Measure] = {}
    needs: dict[str, list[str]] = {"child": [], "adult": [], "household": []}
    for indicator in ruleset.indicators:
        for m in measures_of(indicator.when):
            if m.key not in fields:
                fields[m.key] = f"m{len(fields)}"
                measures[fields[m.key]] = m
            for subject in _SUBJECTS_OF[indicator.applies_to]:
                if fields[m.key] not in needs[subject]:
                    needs[subject].append(fields[m.key])

    rules: dict[str, engine.Rule] = {}
    for indicator in ruleset.indicators:
        subject = _SUBJECT_FILTER[indicator.applies_to]
        rules[f"indicator:{indicator.id}"] = engine.Rule(
            [{"m": {"$and": [*subject, to_durable(indicator.when, fields)]}}],
            _indicator_derive(indicator.id, indicator.headline, "met", "rule"),
            {"cap": _CAP},
        )
        # Not met, and one of its sources was not checked: unknown, not "not met".
        unchecked = [{"source": source} for source in indicator.data_sources]
        rules[f"unknown:{indicator.id}"] = engine.Rule(
            [
                {"m": {"$and": [*subject, _negate(indicator.when, fields)]}},
                {"u": {"$and": [{"kind": "unchecked"}, {"$or": unchecked}]}},
            ],
            _indicator_derive(indicator.id, indicator.headline, "unknown", "missing"),
            {"cap": _CAP},
        )
    rules["judgement"] = engine.Rule(
        [{"m": {"kind": "judgement"}}], _judgement_derive, {"cap": _CAP}
    )
    for headline in ruleset.headlines:
        of_headline = [{"kind": "indicator"}, {"headline": headline.id}]
        rules[f"headline:{headline.id}"] = engine.Rule(
            [{"m": {"$and": [*of_headline, {"status": "met"}]}}],
            _emit({"kind": "headline", "headline": headline.id}),
            {"cap": _CAP},
        )
        # met or unknown: a headline the family might still show once the data is in
        rules[f"reachable:{headline.id}"] = engine.Rule(
            [{"m": {"$and": of_headline}}],
            _emit({"kind": "reachable", "headline": headline.id}),
            {"cap": _CAP},
        )
    required = ruleset.headlines_required
    rules["eligibility"] = engine.Rule(
        [{"m": {"kind": "headline"}}],
        _emit({"kind": "decision", "eligible": True}),
        {"count": required},
    )
    rules["reachability"] = engine.Rule(
        [{"m": {"kind": "reachable"}}],
        _emit({"kind": "decision", "reachable": True}),
        {"count": required},
    )
    engine.register(engine_name, rules)
    adult_age = ruleset.parameters["adult_age"].value
    return CompiledRuleset(
        ruleset,
        engine_name,
        measures,
        fields,
        {k: tuple(v) for k, v in needs.items()},
        int(adult_age),
    )

"""Compile a checked Ruleset into durable_rules rules: indicators, headlines, eligibility.

The rule network, all matched and chained by durable_rules:

- one rule per indicator: a subject fact (member or household) whose measure
  values satisfy the indicator's condition derives an `indicator` fact;
- one rule for professional judgements: a `judgement` fact derives an
  `indicator` fact with basis "judgement";
- one rule per headline: any `indicator` fact of that headline derives a
  `headline` fact (asserting the same headline twice is a no-op);
- one eligibility rule: every N `headline` facts (N = the ruleset's
  headlines-required parameter) derive the `decision` fact.

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


def _indicator_derive(indicator_id: str, headline: str):
    def derive(matched: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                "kind": "indicator",
                "indicator": indicator_id,
                "headline": headline,
                "subject": f["subject"],
                "basis": "rule",
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
            "basis": "judgement",
        }
        for f in matched
    ]


def _headline_derive(headline: str):
    def derive(matched: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"kind": "headline", "headline": headline}]

    return derive


def _decision_derive(matched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"kind": "decision", "eligible": True, "headlines": sorted(f["headline"] for f in matched)}
    ]


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
        condition = [*_SUBJECT_FILTER[indicator.applies_to], to_durable(indicator.when, fields)]
        rules[f"indicator:{indicator.id}"] = engine.Rule(
            [{"m": {"$and": condition}}],
            _indicator_derive(indicator.id, indicator.headline),
            {"cap": _CAP},
        )
    rules["judgement"] = engine.Rule(
        [{"m": {"kind": "judgement"}}], _judgement_derive, {"cap": _CAP}
    )
    for headline in ruleset.headlines:
        rules[f"headline:{headline.id}"] = engine.Rule(
            [{"m": {"$and": [{"kind": "indicator"}, {"headline": headline.id}]}}],
            _headline_derive(headline.id),
            {"cap": _CAP},
        )
    rules["eligibility"] = engine.Rule(
        [{"m": {"kind": "headline"}}], _decision_derive, {"count": ruleset.headlines_required}
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

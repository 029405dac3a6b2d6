"""Compile a checked Ruleset into durable_rules rules: indicators, headlines, eligibility.

The rule network, all matched and chained by durable_rules:

- one rule per indicator: a subject fact (member or household) whose measure
  values satisfy the indicator's condition derives an `indicator` fact with
  status "met";
- one "unknown" rule per indicator: a subject fact that does NOT satisfy the
  condition but COULD, given what records from unchecked sources might add
  (its reach fields, below), joined with an `unchecked` fact naming one of the
  indicator's data sources, derives an `indicator` fact with status "unknown"
  (missing is not false, but an outcome already certain is not unknown);
- one rule for professional judgements: a `judgement` fact derives a met
  `indicator` fact with basis "judgement";
- per headline: a met indicator derives a `headline` fact, and any indicator
  (met or unknown) a `reachable` fact (asserting the same fact twice is a no-op);
- the family rule, like an indicator on members: a member meeting it derives
  a `family` fact "met"; one who could, while its sources are unchecked,
  "unknown";
- eligibility: every N `headline` facts (N = the headlines-required
  parameter) derive `enough` "met", every N `reachable` facts `enough`
  "reachable"; `enough` "met" with a family "met" derives the decision
  "eligible", `enough` "reachable" with any family fact "reachable". Not
  eligible but reachable is undetermined; neither is not eligible.

Measures are computed in Python first (`measures.py`) and sent as fields
`m0, m1, ...` of the subject facts; `CompiledRuleset.measures` maps them back.
While sources are unchecked, each measure's reach goes along too: `mK_lo`,
`mK_hi` (`UNBOUNDED` for no upper bound), `mK_none` (no value possible),
`mK_point` (lo equals hi) for numbers, and `mK_can<i>` for each possible value
`i` of a true/false or text measure (its index in `Measure.domain`).

durable_rules allows at most 32 expressions in one fact's condition (error 113,
ERR_EXPRESSION_LIMIT_EXCEEDED); a condition too complex for it is a RulesetError
naming the indicator's file, line and field, not an engine failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import engine
from .conditions import All, Any_, Compare, Condition, Measure, Not, Reach, compare, measures_of
from .errors import RulesetError, RulesetProblem
from .measures import FamilyMeasures, Measured, Subject
from .ruleset import Ruleset
from .trace import Explainer, explainer

# durable_rules delivers at most this many matches to one action call; more than any family has.
_CAP = 1000

# How each `applies_to` picks subject facts out (shared with outcome plans' measures).
SUBJECT_FILTER: dict[str, list[dict[str, Any]]] = {
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
_FALSE: dict[str, Any] = {"kind": "$never"}  # no subject fact has this kind
# The upper end of a reach with none: above any value a measure can have (amounts are capped
# at ten million, records at 2,000 a list), and written without an exponent.
UNBOUNDED = 1e15


@dataclass(frozen=True)
class CompiledRuleset:
    """A ruleset registered with the engine, with the measures each kind of subject needs.

    Built once per process and reused for every family (see `compile_ruleset`).
    """

    ruleset: Ruleset
    engine_name: str  # every rule: for a family with sources unchecked
    measures: dict[str, Measure]  # fact field (m0, m1, ...) -> measure
    fields: dict[str, str]  # measure key -> fact field
    needs: dict[str, tuple[str, ...]]  # "child"/"adult"/"household" -> fact fields to compute
    adult_age: int
    # The same network without the "unknown" rules, for a family with nothing unchecked: they
    # cannot fire there, and their conditions would still be matched against every subject.
    closed_engine_name: str = ""
    # Each indicator's condition (by indicator id) and the family rule's, lowered for the
    # trace once here rather than walked afresh for every subject of every family.
    explainers: dict[str, Explainer] = field(default_factory=dict)
    family_explainer: Explainer | None = None

    def engine_for(self, unchecked: frozenset[str]) -> str:
        """The network to run a family on, given the sources not checked for it."""
        return self.engine_name if unchecked else self.closed_engine_name


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


def reach_fields(name: str, m: Measure, reach: Reach) -> dict[str, Any]:
    """A measure's reach as fields of its subject fact (see the module docstring)."""
    if reach.values is not None:
        return {f"{name}_can{i}": True for i, v in enumerate(m.domain) if v in reach.values}
    out: dict[str, Any] = {}
    if reach.lo is not None:
        out[f"{name}_lo"] = reach.lo
        out[f"{name}_hi"] = UNBOUNDED if reach.hi is None else reach.hi
        if reach.hi == reach.lo:
            out[f"{name}_point"] = True
    if reach.none:
        out[f"{name}_none"] = True
    return out


def subject_facts(
    people: list[Subject],
    needs: Mapping[str, Sequence[str]],
    measures: Mapping[str, Measure],
    family: FamilyMeasures,
    *,
    with_reach: bool,
) -> tuple[dict[str, dict[str, Measured]], dict[str, dict[str, Reach]], list[dict[str, Any]]]:
    """Each subject's measures (those its group `needs`, by engine field), their reach if
    asked, and the subject facts that carry them to the engine: (measured by subject and
    measure key, reach likewise, facts)."""
    measured: dict[str, dict[str, Measured]] = {}
    reach: dict[str, dict[str, Reach]] = {}
    facts: list[dict[str, Any]] = []
    for subject in people:
        values, reaches = measured.setdefault(subject.ref, {}), reach.setdefault(subject.ref, {})
        fact: dict[str, Any] = {"kind": subject.kind, "subject": subject.ref}
        if subject.kind == "member":
            fact["child"] = subject.is_child
        for name in needs[subject.group]:
            m = measures[name]
            got = values[m.key] = family.measure(m, subject)
            if got.value is not None:
                fact[name] = got.value
            if with_reach:
                reaches[m.key] = family.reach(m, subject, got)
                if not m.source_free:
                    fact.update(reach_fields(name, m, reaches[m.key]))
        facts.append(fact)
    return measured, reach, facts


def could(condition: Condition, fields: dict[str, str], want: bool = True) -> dict[str, Any]:
    """A durable_rules expression over reach fields: some value within reach makes
    `condition` come out as `want` (the engine's reading of `conditions.could_hold`)."""
    if isinstance(condition, All | Any_):
        parts = [could(c, fields, want) for c in condition.items]
        joined = "$and" if isinstance(condition, All) == want else "$or"
        return {joined: parts}
    if isinstance(condition, Not):
        return could(condition.item, fields, not want)
    m = condition.measure
    if m.source_free:
        return _compare(condition, fields) if want else _negate(condition, fields)
    name = fields[m.key]
    if m.value_type != "number":
        hits = [
            {f"{name}_can{i}": True}
            for i, v in enumerate(m.domain)
            if compare(v, condition.op, condition.operands) == want
        ]
        return _any(hits) if hits else _FALSE
    return _interval(condition, name, want)


def _any(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """$or of the parts, or the one part alone (each $or costs durable_rules expressions)."""
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _interval(c: Compare, name: str, want: bool) -> dict[str, Any]:
    """Some number in [lo, hi] (or no value, for `want` false) gives `want`."""
    lo, hi, none, point = (f"{name}_{x}" for x in ("lo", "hi", "none", "point"))
    values = [o.value for o in c.operands]
    t = values[0]

    def top(op: str, v: Any) -> dict[str, Any]:  # hi satisfies op (UNBOUNDED satisfies any)
        return {op: {hi: v}}

    def within(v: Any) -> dict[str, Any]:  # v lies in [lo, hi]
        return {"$and": [{"$lte": {lo: v}}, top("$gte", v)]}

    def not_only(v: Any) -> dict[str, Any]:  # some number other than v lies in [lo, hi]
        return {"$and": [{"$ex": {lo: 1}}, {"$or": [{"$nex": {point: 1}}, {"$neq": {lo: v}}]}]}

    if want:
        match c.op:
            case "at_least":
                return top("$gte", t)
            case "more_than":
                return top("$gt", t)
            case "at_most":
                return {"$lte": {lo: t}}
            case "below":
                return {"$lt": {lo: t}}
            case "between":
                return {"$and": [{"$lte": {lo: values[1]}}, top("$gte", t)]}
            case "is":
                return within(t)
            case "is_not":
                return not_only(t)
            case "one_of":
                return {"$or": [within(v) for v in values]}
    failing = {
        "at_least": lambda: {"$lt": {lo: t}},
        "more_than": lambda: {"$lte": {lo: t}},
        "at_most": lambda: top("$gt", t),
        "below": lambda: top("$gte", t),
        "between": lambda: {"$or": [{"$lt": {lo: t}}, top("$gt", values[1])]},
        "is": lambda: not_only(t),
        "is_not": lambda: within(t),
        "one_of": lambda: {
            "$and": [
                {"$ex": {lo: 1}},
                {"$or": [{"$nex": {point: 1}}, {"$and": [{"$neq": {lo: v}} for v in values]}]},
            ]
        },
    }[c.op]()
    return {"$or": [{none: True}, failing]}


def too_complex(
    ruleset: Ruleset,
    network: str,
    rules: dict[str, engine.Rule],
    locate: Callable[[str], tuple[int, str]],
    parts: str,
) -> RulesetProblem | None:
    """Which condition durable_rules cannot hold, found by registering its rules one by one
    (only after the whole `network` was refused): located by `locate(target)` (line, field)
    in the ruleset's file; `parts` is what to split it into ("indicators", "measures")."""
    for rule_name, rule in rules.items():
        try:
            engine.register(f"probe:{network}:{rule_name}", {rule_name: rule})
        except engine.TooComplexError:
            target = rule_name.split(":", 1)[1] if ":" in rule_name else rule_name
            line, field = locate(target)
            return RulesetProblem(
                ruleset.path,
                line,
                field,
                f"this condition is too complex for the rules engine ({target}): durable_rules "
                "takes at most 32 expressions in one condition, and testing whether a missing "
                f"record could still meet it doubles them; split it into two {parts}, or "
                "use fewer any/all branches",
            )
    return None


def _indicator_or_family(ruleset: Ruleset, target: str) -> tuple[int, str]:
    at = ruleset.indicator(target) or ruleset.family
    return (at.line, at.field) if at is not None else (0, "")


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


def _family_derive(status: str):
    """Members matched by the family rule become `family` facts of that status."""

    def derive(matched: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"kind": "family", "status": status, "subject": f["subject"]} for f in matched]

    return derive


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


def _met_and_unknown(
    name: str,
    when: Condition,
    subject: list[dict[str, Any]],
    data_sources: tuple[str, ...],
    fields: dict[str, str],
    met: engine.Derive,
    unknown: engine.Derive,
) -> dict[str, engine.Rule]:
    """The rule that a subject meets `when`, and the rule that it does not yet could: records
    from one of `data_sources`, unchecked, might still make it met."""
    rules = {
        f"met:{name}": engine.Rule(
            [{"m": {"$and": [*subject, to_durable(when, fields)]}}], met, {"cap": _CAP}
        )
    }
    if data_sources:
        unchecked = [{"source": source} for source in data_sources]
        rules[f"unknown:{name}"] = engine.Rule(
            [
                {"m": {"$and": [*subject, _negate(when, fields), could(when, fields)]}},
                {"u": {"$and": [{"kind": "unchecked"}, {"$or": unchecked}]}},
            ],
            unknown,
            {"cap": _CAP},
        )
    return rules


def _compile(ruleset: Ruleset, engine_name: str) -> CompiledRuleset:
    fields: dict[str, str] = {}
    measures: dict[str, Measure] = {}
    needs: dict[str, list[str]] = {"child": [], "adult": [], "household": []}
    assert ruleset.family is not None
    tested = [(i.when, i.applies_to) for i in ruleset.indicators]
    for when, applies_to in [(ruleset.family.when, "any_member"), *tested]:
        for m in measures_of(when):
            if m.key not in fields:
                fields[m.key] = f"m{len(fields)}"
                measures[fields[m.key]] = m
            for subject in _SUBJECTS_OF[applies_to]:
                if fields[m.key] not in needs[subject]:
                    needs[subject].append(fields[m.key])

    rules: dict[str, engine.Rule] = {}
    for indicator in ruleset.indicators:
        rules.update(
            _met_and_unknown(
                indicator.id,
                indicator.when,
                SUBJECT_FILTER[indicator.applies_to],
                indicator.data_sources,
                fields,
                _indicator_derive(indicator.id, indicator.headline, "met", "rule"),
                _indicator_derive(indicator.id, indicator.headline, "unknown", "missing"),
            )
        )
    rules.update(
        _met_and_unknown(
            "family",
            ruleset.family.when,
            SUBJECT_FILTER["any_member"],
            ruleset.family.data_sources,
            fields,
            _family_derive("met"),
            _family_derive("unknown"),
        )
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
    rules["enough:met"] = engine.Rule(
        [{"m": {"kind": "headline"}}],
        _emit({"kind": "enough", "of": "met"}),
        {"count": required},
    )
    rules["enough:reachable"] = engine.Rule(
        [{"m": {"kind": "reachable"}}],
        _emit({"kind": "enough", "of": "reachable"}),
        {"count": required},
    )
    rules["eligibility"] = engine.Rule(
        [
            {"m": {"$and": [{"kind": "enough"}, {"of": "met"}]}},
            {"f": {"$and": [{"kind": "family"}, {"status": "met"}]}},
        ],
        _emit({"kind": "decision", "eligible": True}),
    )
    rules["reachability"] = engine.Rule(
        [{"m": {"$and": [{"kind": "enough"}, {"of": "reachable"}]}}, {"f": {"kind": "family"}}],
        _emit({"kind": "decision", "reachable": True}),
    )
    closed = {name: rule for name, rule in rules.items() if not name.startswith("unknown:")}
    try:
        engine.register(engine_name, rules)
        engine.register(f"{engine_name}/closed", closed)
    except engine.TooComplexError:
        problem = too_complex(
            ruleset,
            engine_name,
            rules,
            lambda target: _indicator_or_family(ruleset, target),
            "indicators",
        )
        if problem is None:
            raise
        raise RulesetError([problem]) from None
    adult_age = ruleset.parameters["adult_age"].value
    return CompiledRuleset(
        ruleset,
        engine_name,
        measures,
        fields,
        {k: tuple(v) for k, v in needs.items()},
        int(adult_age),
        f"{engine_name}/closed",
        {i.id: explainer(i.when) for i in ruleset.indicators},
        explainer(ruleset.family.when),
    )

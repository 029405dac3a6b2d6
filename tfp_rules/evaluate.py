"""Evaluate one family: measures in Python, rules in durable_rules, explanation in `trace`.

`evaluate` is a pure function of (compiled ruleset, facts): no files, no
database, no clock. The decision it returns is the contract the CLI prints and
the service stores (see `schemas/decision.schema.json`).

While writing the trace, every result durable_rules derived is checked against
the plain-Python reference reading of the same rules (`conditions.holds` and
`conditions.could_hold`); a disagreement is an EngineError, never a decision.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import engine
from .compile import CompiledRuleset, compile_ruleset, subject_facts
from .conditions import Condition, Reach, could_hold
from .errors import EngineError, FactsError
from .facts import SOURCES, FamilyFacts
from .intake import ruleset_problems, warnings
from .library import RulesetLibrary
from .measures import FamilyMeasures, Measured, Subject, subjects
from .prospects import nearest_misses, settle_with
from .ruleset import FamilyRule, Headline, Indicator, Ruleset
from .trace import CLOSED_WORLD, Explainer


@dataclass
class Firing:
    """What durable_rules concluded for one family, before the trace is written."""

    subjects: list[Subject]
    # subject ref -> measure key -> value, and (while sources are unchecked) its reach
    measured: dict[str, dict[str, Measured]]
    reach: dict[str, dict[str, Reach]]
    # (indicator id, subject ref) -> what made it met: "rule" and/or "judgement"
    met: dict[tuple[str, str], set[str]]
    headlines: set[str]
    eligible: bool
    # (indicator id, subject ref) not met, but a record from an unchecked source could make it
    unknown: set[tuple[str, str]] = field(default_factory=set)
    family: dict[str, str] = field(default_factory=dict)  # member ref -> "met" or "unknown"
    reachable: bool = False  # enough headlines met or unknown, and a family met or unknown
    unchecked: frozenset[str] = frozenset()


def evaluate(compiled: CompiledRuleset, facts: FamilyFacts) -> dict[str, Any]:
    """The decision for one family, with its full trace."""
    return _decision(compiled, facts, fire(compiled, facts))


def unchecked_sources(facts: FamilyFacts) -> frozenset[str]:
    """Sources not consulted for this family; none when the facts do not say (closed world)."""
    if facts.sources_checked is None:
        return frozenset()
    return frozenset(SOURCES) - set(facts.sources_checked)


def measure_family(
    compiled: CompiledRuleset, facts: FamilyFacts, *, with_reach: bool = False
) -> tuple[
    list[Subject], dict[str, dict[str, Measured]], dict[str, dict[str, Reach]], list[dict[str, Any]]
]:
    """Every measure the ruleset needs, per subject (with its reach if asked), and the facts
    to give the engine."""
    people = subjects(facts, compiled.adult_age)
    family = FamilyMeasures(facts, compiled.ruleset.terms)
    measured, reach, engine_facts = subject_facts(
        people, compiled.needs, compiled.measures, family, with_reach=with_reach
    )
    engine_facts.extend(_judgement_facts(compiled.ruleset, facts))
    return people, measured, reach, engine_facts


def fire(compiled: CompiledRuleset, facts: FamilyFacts) -> Firing:
    """Compute the measures, run the rules in durable_rules, and collect what they derived."""
    unchecked = unchecked_sources(facts)
    people, measured, reach, engine_facts = measure_family(
        compiled, facts, with_reach=bool(unchecked)
    )
    engine_facts.extend({"kind": "unchecked", "source": s} for s in sorted(unchecked))
    firing = Firing(people, measured, reach, {}, set(), False, unchecked=unchecked)
    for _rule, derived in engine.run(compiled.engine_for(unchecked), engine_facts):
        for f in derived:
            kind = f["kind"]
            if kind == "indicator" and f["status"] == "met":
                firing.met.setdefault((f["indicator"], f["subject"]), set()).add(f["basis"])
            elif kind == "indicator":
                firing.unknown.add((f["indicator"], f["subject"]))
            elif kind == "family" and firing.family.get(f["subject"]) != "met":
                firing.family[f["subject"]] = f["status"]
            elif kind == "headline":
                firing.headlines.add(f["headline"])
            elif kind == "decision" and f.get("eligible"):
                firing.eligible = True
            elif kind == "decision":
                firing.reachable = True
    return firing


def _judgement_facts(ruleset: Ruleset, facts: FamilyFacts) -> list[dict[str, Any]]:
    """Professional judgements as engine facts; one that does not fit the ruleset (no such
    indicator, or a member it does not apply to) is bad input."""
    if not facts.judgements:
        return []
    problems = ruleset_problems(
        ruleset,
        {
            "assessment_date": facts.assessment_date.isoformat(),
            "members": [
                {"ref": m.ref, "date_of_birth": m.date_of_birth.isoformat()} for m in facts.members
            ],
            "judgements": [
                {"indicator": j.indicator, "member": j.member} for j in facts.judgements
            ],
        },
    )
    if problems:
        raise FactsError(problems)
    out = []
    for i, j in enumerate(facts.judgements):
        indicator = ruleset.indicator(j.indicator)
        if indicator is None:
            continue  # a judgement of progress, on a measure of the outcome plan
        out.append(
            {
                "kind": "judgement",
                "indicator": j.indicator,
                "headline": indicator.headline,
                "subject": j.member or "household",
                "judgement": i,  # two judgements of the same thing are still two facts
            }
        )
    return out


# --------------------------------------------------------------------------- the trace


class _Disagreements(list[str]):
    """What durable_rules and the reference reading disagreed on, if anything."""

    def check(self, what: str, engine_says: Any, reference_says: Any) -> None:
        if engine_says != reference_says:
            self.append(f"{what}: engine {engine_says}, reference {reference_says}")

    def raise_if_any(self) -> None:
        if self:
            raise EngineError(
                "durable_rules and the reference evaluation disagree: " + "; ".join(self)
            )


def _tested(
    explain_it: Explainer,
    when: Condition,
    missing: list[str],
    subject: Subject,
    firing: Firing,
) -> tuple[dict[str, Any], bool, bool]:
    """A subject tested against a condition by the reference reading (`explain_it`, the
    condition lowered at compile): (condition node, met, unknown). Unknown: not met, a
    source is unchecked, and some records from it could make it met."""
    reach = firing.reach.get(subject.ref) if missing else None
    node = explain_it(firing.measured[subject.ref], reach)
    met = node["met"]
    unknown = not met and bool(missing) and could_hold(when, firing.reach[subject.ref])
    return node, met, unknown


def _result(status: str, missing: list[str]) -> dict[str, Any]:
    """The status part of a subject's result; names what is unchecked and whether it matters."""
    out: dict[str, Any] = {"status": status, "met": status == "met"}
    if status == "unknown":
        out["missing_sources"] = missing
    elif status == "not_met" and missing:
        out["missing_sources"] = missing
        out["settled"] = True  # no record from them could make it met
    return out


_NO_BASES: frozenset[str] = frozenset()


def _indicator(
    ind: Indicator,
    explain_it: Explainer,
    firing: Firing,
    judged: dict[tuple[str, str], list[dict[str, Any]]],
    disagree: _Disagreements,
) -> dict[str, Any]:
    """One indicator: every subject it applies to (or that a judgement names), tested."""
    missing = sorted(firing.unchecked & set(ind.data_sources)) if firing.unchecked else []
    results = []
    met_by, unknown_at = firing.met, firing.unknown
    ind_id, applies_to, when = ind.id, ind.applies_to, ind.when
    for subject in firing.subjects:
        key = (ind_id, subject.ref)
        applies = subject.applies(applies_to)
        judgements = judged.get(key) if judged else None
        if not applies and not judgements:
            continue
        bases = met_by.get(key, _NO_BASES)
        node, met_by_rule, unknown = None, False, False
        if applies:
            node, met_by_rule, unknown = _tested(explain_it, when, missing, subject, firing)
        if (
            ("rule" in bases) != met_by_rule
            or (key in unknown_at) != unknown
            or ("judgement" in bases) != bool(judgements)
        ):
            where = f"{ind_id} for {subject.ref}"
            disagree.check(f"{where} met by rule", "rule" in bases, met_by_rule)
            disagree.check(f"{where} unknown", key in unknown_at, unknown)
            disagree.check(f"{where} judged", "judgement" in bases, bool(judgements))
        status = "met" if bases else "unknown" if unknown else "not_met"
        # the keys in `_result`'s order, built in place (this loop runs for every subject)
        entry: dict[str, Any] = {"subject": subject.ref, "status": status, "met": bool(bases)}
        if missing and status != "met":
            entry["missing_sources"] = missing
            if status == "not_met":
                entry["settled"] = True
        if bases:
            entry["basis"] = "rule" if "rule" in bases else "judgement"
        if node is not None:
            entry["condition"] = node
        if judgements:
            entry["judgements"] = judgements
        results.append(entry)
    status = _strongest(r["status"] for r in results)
    out: dict[str, Any] = {
        "id": ind.id,
        "name": ind.name,
        "origin": ind.origin,
        "applies_to": ind.applies_to,
        "data_sources": list(ind.data_sources),
        "status": status,
        "met": status == "met",
        "met_by": [r["subject"] for r in results if r["met"]],
        "subjects": results,
    }
    if status == "unknown":
        out["missing_sources"] = missing
    if not results:
        out["note"] = no_member_note(ind.applies_to)
    return out


def _headline(
    headline: Headline,
    compiled: CompiledRuleset,
    firing: Firing,
    judged: dict[tuple[str, str], list[dict[str, Any]]],
    disagree: _Disagreements,
) -> dict[str, Any]:
    explainers = compiled.explainers
    indicators = [
        _indicator(ind, explainers[ind.id], firing, judged, disagree) for ind in headline.indicators
    ]
    status = _strongest(i["status"] for i in indicators)
    disagree.check(f"headline {headline.id} met", headline.id in firing.headlines, status == "met")
    return {
        "id": headline.id,
        "name": headline.name,
        "status": status,
        "met": status == "met",
        "indicators_met": [i["id"] for i in indicators if i["met"]],
        "indicators": indicators,
    }


def _family(
    rule: FamilyRule, explain_it: Explainer, firing: Firing, disagree: _Disagreements
) -> dict[str, Any]:
    """Whether the household is a family at all: some member meets the ruleset's rule."""
    missing = sorted(firing.unchecked & set(rule.data_sources))
    results = []
    for subject in firing.subjects:
        if subject.kind != "member":
            continue
        node, met, unknown = _tested(explain_it, rule.when, missing, subject, firing)
        status = "met" if met else "unknown" if unknown else "not_met"
        engine_says = firing.family.get(subject.ref, "not_met")
        disagree.check(f"family rule for {subject.ref}", engine_says, status)
        results.append({"subject": subject.ref, **_result(status, missing), "condition": node})
    status = _strongest(r["status"] for r in results)
    return {
        "name": rule.name,
        "source": rule.source,
        "data_sources": list(rule.data_sources),
        "status": status,
        "met": status == "met",
        "met_by": [r["subject"] for r in results if r["met"]],
        "subjects": results,
    }


def _judgements_by_key(facts: FamilyFacts) -> dict[tuple[str, str], list[dict[str, Any]]]:
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for i, j in enumerate(facts.judgements):
        out.setdefault((j.indicator, j.member or "household"), []).append(
            {"by": j.by, "reason": j.reason, "pointer": f"/judgements/{i}"}
        )
    return out


def _outcome(family: str, met: int, unknown: int, required: int) -> str:
    """eligible, not_eligible or undetermined, from the family rule and the headline counts."""
    if family == "met" and met >= required:
        return "eligible"
    if family == "not_met" or met + unknown < required:
        return "not_eligible"
    return "undetermined"


def _decision(compiled: CompiledRuleset, facts: FamilyFacts, firing: Firing) -> dict[str, Any]:
    """Assemble the decision and its trace, checking durable_rules against the reference."""
    ruleset = compiled.ruleset
    assert ruleset.family is not None
    disagree = _Disagreements()
    judged = _judgements_by_key(facts)
    headlines = [_headline(h, compiled, firing, judged, disagree) for h in ruleset.headlines]
    assert compiled.family_explainer is not None
    family = _family(ruleset.family, compiled.family_explainer, firing, disagree)
    required = ruleset.headlines_required
    headlines_met = sorted(h["id"] for h in headlines if h["status"] == "met")
    headlines_unknown = sorted(h["id"] for h in headlines if h["status"] == "unknown")
    status = _outcome(family["status"], len(headlines_met), len(headlines_unknown), required)
    disagree.check("eligible", firing.eligible, status == "eligible")
    disagree.check("reachable", firing.reachable, status != "not_eligible")
    disagree.raise_if_any()
    eligible = {"eligible": True, "not_eligible": False}.get(status)

    trace: dict[str, Any] = {
        "assumptions": [_sources_assumption(facts, firing.unchecked)],
        "warnings": [p.to_dict() for p in warnings(ruleset, facts)],
        "sources": None
        if facts.sources_checked is None
        else {
            "checked": {k: v.isoformat() for k, v in sorted(facts.sources_checked.items())},
            "unchecked": sorted(firing.unchecked),
        },
        "subjects": [
            {
                "subject": s.ref,
                "kind": s.kind,
                **({"child": s.is_child} if s.kind == "member" else {}),
            }
            for s in firing.subjects
        ],
        "family": family,
        "headlines": headlines,
        "decision": {
            "status": status,
            "eligible": eligible,
            "family": family["status"],
            "headlines_met": headlines_met,
            "headlines_unknown": headlines_unknown,
            "headlines_required": required,
            "parameter": ruleset.headlines_required_param,
            "text": _outcome_text(ruleset, status, family, headlines_met, headlines_unknown),
        },
    }
    if ruleset.extends is not None:
        trace["local"] = local_choices(ruleset)
    if status != "eligible":
        trace["prospects"] = _prospects(status, family, headlines, len(headlines_met), required)
    return {
        "family_ref": facts.family_ref,
        "assessment_date": facts.assessment_date.isoformat(),
        "status": status,
        "eligible": eligible,
        "headlines_met": headlines_met,
        "headlines_unknown": headlines_unknown,
        "headlines_required": required,
        "ruleset": ruleset.identity(),
        "trace": trace,
    }


def local_choices(ruleset: Ruleset) -> dict[str, Any]:
    """A local ruleset's council, the version it extends, and each parameter it overrides
    with both values and both sources, so a reader sees whose choice each threshold is."""
    assert ruleset.extends is not None
    national = ruleset.extends.parameters
    return {
        "council": ruleset.council,
        "extends": ruleset.extends.ref,
        "overrides": [
            {
                "parameter": name,
                "value": _plain(ruleset.parameters[name].value),
                "unit": ruleset.parameters[name].unit,
                "source": ruleset.parameters[name].source,
                "national": {
                    "value": _plain(national[name].value),
                    "source": national[name].source,
                },
            }
            for name in ruleset.overrides
        ],
    }


def _plain(value: float | int | tuple[str, ...]) -> float | int | list[str]:
    return list(value) if isinstance(value, tuple) else value


def _unknown_sets(results: Iterable[dict[str, Any]]) -> list[frozenset[str]]:
    """The missing sources behind each unknown result."""
    return [frozenset(r["missing_sources"]) for r in results if r["status"] == "unknown"]


def _prospects(
    status: str,
    family: dict[str, Any],
    headlines: list[dict[str, Any]],
    met: int,
    required: int,
) -> dict[str, Any]:
    """What could change an outcome that is not (yet) eligible."""
    needs = {h["id"]: _unknown_sets(h["indicators"]) for h in headlines if h["status"] == "unknown"}
    family_needs = _unknown_sets(family["subjects"]) if family["status"] == "unknown" else None
    every = [s for sets in needs.values() for s in sets] + (family_needs or [])
    could, sure = (
        settle_with(met, required, needs, family=family_needs)
        if status == "undetermined"
        else ([], [])
    )
    return {
        "family": family["status"],
        "headlines_needed": max(0, required - met),
        "missing_sources": sorted(set().union(*every)),
        "could_settle_with": could,
        "sure_to_settle_with": sure,
        "nearest_misses": nearest_misses(headlines),
    }


def _strongest(statuses: Iterable[str]) -> str:
    """Any met makes met; else any unknown makes unknown; else not met (also when empty)."""
    seen = set(statuses)
    return "met" if "met" in seen else "unknown" if "unknown" in seen else "not_met"


def _sources_assumption(facts: FamilyFacts, unchecked: frozenset[str]) -> str:
    if facts.sources_checked is None:
        return CLOSED_WORLD
    checked = ", ".join(f"{k} ({v.isoformat()})" for k, v in sorted(facts.sources_checked.items()))
    return (
        f"Sources checked: {checked or 'none'}. Not checked: {', '.join(sorted(unchecked)) or 'none'}; "
        "an indicator that reads an unchecked source, is not met, and could be met by a record "
        "from it is unknown, not 'not met'."
    )


def _outcome_text(
    ruleset: Ruleset,
    status: str,
    family: dict[str, Any],
    met: list[str],
    unknown: list[str],
) -> str:
    required = ruleset.headlines_required
    param = f" ({ruleset.headlines_required_param})" if ruleset.headlines_required_param else ""
    text = (
        f"{len(met)} of {len(ruleset.headlines)} headlines met ({', '.join(met) or 'none'}); "
        f"at least {required}{param} required"
    )
    if family["status"] == "not_met":
        return (
            f"{text}; but no member makes the household a family ({family['name']}), "
            "so it is not eligible"
        )
    if status == "eligible":
        return text + ", so the family is eligible"
    if status == "not_eligible":
        extra = f" even if the {len(unknown)} unknown ones were met" if unknown else ""
        return text + f", so the family is not eligible{extra}"
    reasons = []
    if len(met) < required:
        reasons.append(f"{len(unknown)} more unknown ({', '.join(unknown)})")
    if family["status"] == "unknown":
        reasons.append(f"whether the household is a family ({family['name']}) is unknown")
    return f"{text}; {' and '.join(reasons)}, so the outcome is undetermined"


def no_member_note(applies_to: str) -> str:
    """What an indicator with no subject to test says (the same for every family)."""
    who = {"child": "a child", "adult": "an adult", "any_member": "a member"}.get(
        applies_to, applies_to
    )
    return f"no member of the family is {who}"


def decide(
    library: RulesetLibrary, facts: FamilyFacts, ruleset: str | None = None
) -> dict[str, Any]:
    """Evaluate facts with the ruleset named `ID[@VERSION]`, or the version in force on the
    assessment date; the one call the CLI and the service share."""
    chosen = library.resolve(ruleset, on=facts.assessment_date)
    return evaluate(compile_ruleset(chosen), facts)

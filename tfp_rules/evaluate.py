"""Evaluate one family: measures in Python, rules in durable_rules, explanation in `trace`.

`evaluate` is a pure function of (compiled ruleset, facts): no files, no
database, no clock. The decision it returns is the contract the CLI prints and
the service stores (see `schemas/decision.schema.json`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import engine
from .compile import CompiledRuleset, compile_ruleset
from .conditions import suggest
from .errors import EngineError, FactProblem, FactsError
from .facts import SOURCES, FamilyFacts
from .measures import FamilyMeasures, Measured, Subject, subjects
from .prospects import nearest_misses, settle_with
from .ruleset import RulesetLibrary
from .trace import CLOSED_WORLD, explain


@dataclass
class Firing:
    """What durable_rules concluded for one family, before the trace is written."""

    subjects: list[Subject]
    # subject ref -> measure key -> value
    measured: dict[str, dict[str, Measured]]
    # (indicator id, subject ref) -> what made it met: "rule" and/or "judgement"
    met: dict[tuple[str, str], set[str]]
    headlines: set[str]
    eligible: bool
    # (indicator id, subject ref) not met while one of its data sources was not checked
    unknown: set[tuple[str, str]] = field(default_factory=set)
    reachable: bool = False  # enough headlines met or unknown to reach the threshold
    unchecked: frozenset[str] = frozenset()


def evaluate(compiled: CompiledRuleset, facts: FamilyFacts) -> dict[str, Any]:
    """The decision for one family, with its full trace."""
    return _decision(compiled, facts, fire(compiled, facts))


def measure_family(
    compiled: CompiledRuleset, facts: FamilyFacts
) -> tuple[list[Subject], dict[str, dict[str, Measured]], list[dict[str, Any]]]:
    """Every measure the ruleset needs, per subject, and the facts to give the engine."""
    people = subjects(facts, compiled.adult_age)
    family = FamilyMeasures(facts)
    measured: dict[str, dict[str, Measured]] = {}
    engine_facts: list[dict[str, Any]] = []
    for subject in people:
        values: dict[str, Measured] = {}
        fact: dict[str, Any] = {"kind": subject.kind, "subject": subject.ref}
        if subject.kind == "member":
            fact["child"] = subject.is_child
        for name in compiled.needs[_subject_class(subject)]:
            m = compiled.measures[name]
            got = family.measure(m, subject)
            values[m.key] = got
            if got.value is not None:
                fact[name] = got.value
        measured[subject.ref] = values
        engine_facts.append(fact)
    engine_facts.extend(_judgement_facts(compiled, facts))
    return people, measured, engine_facts


def unchecked_sources(facts: FamilyFacts) -> frozenset[str]:
    """Sources not consulted for this family; none when the facts do not say (closed world)."""
    if facts.sources_checked is None:
        return frozenset()
    return frozenset(SOURCES) - set(facts.sources_checked)


def fire(compiled: CompiledRuleset, facts: FamilyFacts) -> Firing:
    """Compute the measures, run the rules in durable_rules, and collect what they derived."""
    people, measured, engine_facts = measure_family(compiled, facts)
    unchecked = unchecked_sources(facts)
    engine_facts.extend({"kind": "unchecked", "source": s} for s in sorted(unchecked))
    firing = Firing(people, measured, {}, set(), False, unchecked=unchecked)
    for _rule, derived in engine.run(compiled.engine_name, engine_facts):
        for f in derived:
            if f["kind"] == "indicator" and f["status"] == "met":
                firing.met.setdefault((f["indicator"], f["subject"]), set()).add(f["basis"])
            elif f["kind"] == "indicator":
                firing.unknown.add((f["indicator"], f["subject"]))
            elif f["kind"] == "headline":
                firing.headlines.add(f["headline"])
            elif f["kind"] == "decision" and f.get("eligible"):
                firing.eligible = True
            elif f["kind"] == "decision":
                firing.reachable = True
    return firing


def _subject_class(subject: Subject) -> str:
    if subject.kind == "household":
        return "household"
    return "child" if subject.is_child else "adult"


def _judgement_facts(compiled: CompiledRuleset, facts: FamilyFacts) -> list[dict[str, Any]]:
    """Professional judgements as engine facts; a judgement naming no known indicator is bad input."""
    ruleset = compiled.ruleset
    problems = []
    out = []
    for i, j in enumerate(facts.judgements):
        indicator = ruleset.indicator(j.indicator)
        if indicator is None:
            ids = [ind.id for ind in ruleset.indicators]
            problems.append(
                FactProblem(
                    f"/judgements/{i}/indicator",
                    f"ruleset {ruleset.ref} has no indicator '{j.indicator}'{suggest(j.indicator, ids)}",
                )
            )
            continue
        household = indicator.applies_to == "household"
        if household != (j.member is None):
            needs = "no member (it applies to the household)" if household else "a member"
            problems.append(
                FactProblem(
                    f"/judgements/{i}/member", f"a judgement on {j.indicator} names {needs}"
                )
            )
            continue
        out.append(
            {
                "kind": "judgement",
                "indicator": j.indicator,
                "headline": indicator.headline,
                "subject": j.member or "household",
                "judgement": i,  # two judgements of the same thing are still two facts
            }
        )
    if problems:
        raise FactsError(problems)
    return out


def _decision(compiled: CompiledRuleset, facts: FamilyFacts, firing: Firing) -> dict[str, Any]:
    """Assemble the trace, checking durable_rules against the reference evaluation as it goes."""
    ruleset = compiled.ruleset
    people, measured, met = firing.subjects, firing.measured, firing.met
    unchecked = firing.unchecked
    disagreements = []
    judgements_by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for i, j in enumerate(facts.judgements):
        judgements_by_key.setdefault((j.indicator, j.member or "household"), []).append(
            {"by": j.by, "reason": j.reason, "pointer": f"/judgements/{i}"}
        )

    headlines_out = []
    # headline -> the unchecked sources behind each of its unknown indicators
    unknown_needs: dict[str, list[frozenset[str]]] = {}
    for headline in ruleset.headlines:
        indicators_out = []
        for ind in headline.indicators:
            missing = sorted(unchecked & set(ind.data_sources))
            subjects_out = []
            for subject in people:
                key = (ind.id, subject.ref)
                bases = met.get(key, set())
                applies = subject.applies(ind.applies_to)
                judged = judgements_by_key.get(key, [])
                if not applies and not judged:
                    continue
                entry: dict[str, Any] = {
                    "subject": subject.ref,
                    "status": "not_met",
                    "met": bool(bases),
                }
                if applies:
                    node = explain(ind.when, measured[subject.ref])
                    entry["condition"] = node
                    if node["met"] != ("rule" in bases):
                        disagreements.append(
                            f"{ind.id} for {subject.ref}: engine {'rule' in bases}, reference {node['met']}"
                        )
                    unknown = not node["met"] and bool(missing)
                    if unknown != (key in firing.unknown):
                        disagreements.append(
                            f"{ind.id} for {subject.ref}: engine unknown {key in firing.unknown}, reference {unknown}"
                        )
                if bool(judged) != ("judgement" in bases):
                    disagreements.append(
                        f"{ind.id} for {subject.ref}: engine judged {'judgement' in bases}, facts {bool(judged)}"
                    )
                if bases:
                    entry["status"] = "met"
                    entry["basis"] = "rule" if "rule" in bases else "judgement"
                elif key in firing.unknown:
                    entry["status"] = "unknown"
                    entry["missing_sources"] = missing
                if judged:
                    entry["judgements"] = judged
                subjects_out.append(entry)
            status = _strongest(s["status"] for s in subjects_out)
            ind_out: dict[str, Any] = {
                "id": ind.id,
                "name": ind.name,
                "origin": ind.origin,
                "applies_to": ind.applies_to,
                "data_sources": list(ind.data_sources),
                "status": status,
                "met": status == "met",
                "met_by": [s["subject"] for s in subjects_out if s["met"]],
                "subjects": subjects_out,
            }
            if not subjects_out:
                ind_out["note"] = f"no member of the family is {_who(ind.applies_to)}"
            indicators_out.append(ind_out)
        h_status = _strongest(i["status"] for i in indicators_out)
        if (h_status == "met") != (headline.id in firing.headlines):
            disagreements.append(
                f"headline {headline.id}: engine {headline.id in firing.headlines}, reference {h_status}"
            )
        if h_status == "unknown":
            unknown_needs[headline.id] = [
                frozenset(unchecked & set(i["data_sources"]))
                for i in indicators_out
                if i["status"] == "unknown"
            ]
        headlines_out.append(
            {
                "id": headline.id,
                "name": headline.name,
                "status": h_status,
                "met": h_status == "met",
                "indicators_met": [i["id"] for i in indicators_out if i["met"]],
                "indicators": indicators_out,
            }
        )

    required = ruleset.headlines_required
    headlines_met = sorted(h["id"] for h in headlines_out if h["status"] == "met")
    headlines_unknown = sorted(unknown_needs)
    if len(headlines_met) >= required:
        status = "eligible"
    elif len(headlines_met) + len(headlines_unknown) >= required:
        status = "undetermined"
    else:
        status = "not_eligible"
    if firing.eligible != (status == "eligible") or firing.reachable != (status != "not_eligible"):
        disagreements.append(
            f"outcome: engine eligible {firing.eligible} reachable {firing.reachable}, reference {status}"
        )
    if disagreements:
        raise EngineError(
            "durable_rules and the reference evaluation disagree: " + "; ".join(disagreements)
        )
    eligible = {"eligible": True, "not_eligible": False}.get(status)

    trace: dict[str, Any] = {
        "assumptions": [_sources_assumption(facts, unchecked)],
        "sources": None
        if facts.sources_checked is None
        else {
            "checked": {k: v.isoformat() for k, v in sorted(facts.sources_checked.items())},
            "unchecked": sorted(unchecked),
        },
        "subjects": [
            {
                "subject": s.ref,
                "kind": s.kind,
                **({"child": s.is_child} if s.kind == "member" else {}),
            }
            for s in people
        ],
        "headlines": headlines_out,
        "decision": {
            "status": status,
            "eligible": eligible,
            "headlines_met": headlines_met,
            "headlines_unknown": headlines_unknown,
            "headlines_required": required,
            "parameter": ruleset.headlines_required_param,
            "text": _outcome_text(ruleset, status, headlines_met, headlines_unknown),
        },
    }
    if status != "eligible":
        missing = sorted(
            set().union(*(s for sets in unknown_needs.values() for s in sets))
            if unknown_needs
            else set()
        )
        could, sure = settle_with(len(headlines_met), required, unknown_needs)
        trace["prospects"] = {
            "headlines_needed": required - len(headlines_met),
            "missing_sources": missing,
            "could_settle_with": could if status == "undetermined" else [],
            "sure_to_settle_with": sure if status == "undetermined" else [],
            "nearest_misses": nearest_misses(headlines_out),
        }
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
        "an indicator that reads an unchecked source and found nothing is unknown, not 'not met'."
    )


def _outcome_text(ruleset: Any, status: str, met: list[str], unknown: list[str]) -> str:
    required = ruleset.headlines_required
    param = f" ({ruleset.headlines_required_param})" if ruleset.headlines_required_param else ""
    text = (
        f"{len(met)} of {len(ruleset.headlines)} headlines met ({', '.join(met) or 'none'}); "
        f"at least {required}{param} required"
    )
    if status == "eligible":
        return text + ", so the family is eligible"
    if status == "not_eligible":
        extra = f" even if the {len(unknown)} unknown ones were met" if unknown else ""
        return text + f", so the family is not eligible{extra}"
    return (
        text
        + f"; {len(unknown)} more unknown ({', '.join(unknown)}), so the outcome is undetermined"
    )


def _who(applies_to: str) -> str:
    return {"child": "a child", "adult": "an adult", "any_member": "a member"}.get(
        applies_to, applies_to
    )


def decide(
    library: RulesetLibrary, facts: FamilyFacts, ruleset: str | None = None
) -> dict[str, Any]:
    """Evaluate facts with the ruleset named `ID[@VERSION]`, or the version in force on the
    assessment date; the one call the CLI and the service share."""
    chosen = library.resolve(ruleset, on=facts.assessment_date)
    return evaluate(compile_ruleset(chosen), facts)

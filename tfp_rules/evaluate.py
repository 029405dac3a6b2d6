"""Evaluate one family: measures in Python, rules in durable_rules, explanation in `trace`.

`evaluate` is a pure function of (compiled ruleset, facts): no files, no
database, no clock. The decision it returns is the contract the CLI prints and
the service stores (see `schemas/decision.schema.json`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import engine
from .compile import CompiledRuleset, compile_ruleset
from .conditions import suggest
from .errors import EngineError, FactProblem, FactsError
from .facts import FamilyFacts
from .measures import FamilyMeasures, Measured, Subject, subjects
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


def fire(compiled: CompiledRuleset, facts: FamilyFacts) -> Firing:
    """Compute the measures, run the rules in durable_rules, and collect what they derived."""
    people, measured, engine_facts = measure_family(compiled, facts)
    firing = Firing(people, measured, {}, set(), False)
    for _rule, derived in engine.run(compiled.engine_name, engine_facts):
        for f in derived:
            if f["kind"] == "indicator":
                firing.met.setdefault((f["indicator"], f["subject"]), set()).add(f["basis"])
            elif f["kind"] == "headline":
                firing.headlines.add(f["headline"])
            elif f["kind"] == "decision":
                firing.eligible = True
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
    headlines_fired, eligible = firing.headlines, firing.eligible
    disagreements = []
    judgements_by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for i, j in enumerate(facts.judgements):
        judgements_by_key.setdefault((j.indicator, j.member or "household"), []).append(
            {"by": j.by, "reason": j.reason, "pointer": f"/judgements/{i}"}
        )

    headlines_out = []
    headlines_met = []
    for headline in ruleset.headlines:
        indicators_out = []
        for ind in headline.indicators:
            subjects_out = []
            for subject in people:
                key = (ind.id, subject.ref)
                bases = met.get(key, set())
                applies = subject.applies(ind.applies_to)
                judged = judgements_by_key.get(key, [])
                if not applies and not judged:
                    continue
                entry: dict[str, Any] = {"subject": subject.ref, "met": bool(bases)}
                if applies:
                    node = explain(ind.when, measured[subject.ref])
                    entry["condition"] = node
                    if node["met"] != ("rule" in bases):
                        disagreements.append(
                            f"{ind.id} for {subject.ref}: engine {'rule' in bases}, reference {node['met']}"
                        )
                if bool(judged) != ("judgement" in bases):
                    disagreements.append(
                        f"{ind.id} for {subject.ref}: engine judged {'judgement' in bases}, facts {bool(judged)}"
                    )
                if bases:
                    entry["basis"] = "rule" if "rule" in bases else "judgement"
                if judged:
                    entry["judgements"] = judged
                subjects_out.append(entry)
            ind_met = any(s["met"] for s in subjects_out)
            ind_out: dict[str, Any] = {
                "id": ind.id,
                "name": ind.name,
                "origin": ind.origin,
                "applies_to": ind.applies_to,
                "met": ind_met,
                "met_by": [s["subject"] for s in subjects_out if s["met"]],
                "subjects": subjects_out,
            }
            if not subjects_out:
                ind_out["note"] = f"no member of the family is {_who(ind.applies_to)}"
            indicators_out.append(ind_out)
        h_met = any(i["met"] for i in indicators_out)
        if h_met:
            headlines_met.append(headline.id)
        if h_met != (headline.id in headlines_fired):
            disagreements.append(
                f"headline {headline.id}: engine {headline.id in headlines_fired}, reference {h_met}"
            )
        headlines_out.append(
            {
                "id": headline.id,
                "name": headline.name,
                "met": h_met,
                "indicators_met": [i["id"] for i in indicators_out if i["met"]],
                "indicators": indicators_out,
            }
        )

    required = ruleset.headlines_required
    if eligible != (len(headlines_met) >= required):
        disagreements.append(
            f"eligibility: engine {eligible}, reference {len(headlines_met)} >= {required}"
        )
    if disagreements:
        raise EngineError(
            "durable_rules and the reference evaluation disagree: " + "; ".join(disagreements)
        )

    param = f" ({ruleset.headlines_required_param})" if ruleset.headlines_required_param else ""
    headlines_met.sort()
    shown = ", ".join(headlines_met) or "none"
    text = (
        f"{len(headlines_met)} of {len(ruleset.headlines)} headlines met ({shown}); "
        f"at least {required}{param} required, so the family is {'eligible' if eligible else 'not eligible'}"
    )
    return {
        "family_ref": facts.family_ref,
        "assessment_date": facts.assessment_date.isoformat(),
        "eligible": eligible,
        "headlines_met": headlines_met,
        "headlines_required": required,
        "ruleset": ruleset.identity(),
        "trace": {
            "assumptions": [CLOSED_WORLD],
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
                "eligible": eligible,
                "headlines_met": headlines_met,
                "headlines_required": required,
                "parameter": ruleset.headlines_required_param,
                "text": text,
            },
        },
    }


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

"""The progress check: did a family make significant and sustained progress on every headline
it had at entry, by its council's outcome plan?

Pure, like eligibility: the ruleset, the entry (date and headlines) and the family's facts at
the later date in, a progress decision with its trace out. Each measure is tested on the
family as a whole (the household subject, which sees every member's records) in durable_rules
and by the reference reading, which must agree.

Missing is not failure, in both directions: a measure that does not hold is unknown while
records from an unchecked source could make it hold, and one that holds is unknown while
such records could break it (a call-out police have not yet reported). A measure met only by
a worker's judgement (`evidence: judgement`) is met by a judgement naming it, else not met.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import engine
from ..compile import SUBJECT_FILTER, subject_facts, to_durable, too_complex
from ..compile import could as could_in_engine
from ..conditions import Measure, Not, Reach, could, holds, measures_of
from ..errors import EngineError, FactProblem, FactsError, RulesetError, TfpError
from ..facts import SOURCES, FamilyFacts
from ..measures import FamilyMeasures, Measured, Subject, months_after, subjects
from ..ruleset import Ruleset
from ..trace import explain
from .employment import family_continuous_employment, family_status
from .plan import APPLIES_TO, OutcomePlan, ProgressMeasure

_CAP = 1000
_STATUSES = ("met", "unknown", "not_met")


class ProgressError(TfpError):
    """A progress check that cannot be made; `code` names why for the API."""

    code = "progress-refused"


class NoOutcomePlanError(ProgressError):
    code = "no-outcome-plan"


class TooEarlyError(ProgressError):
    """Progress cannot have been sustained yet: the check is before entry + sustain_months."""

    code = "too-early"


class NotEligibleAtEntryError(ProgressError):
    """A family that had no headlines at entry has nothing to progress on."""

    code = "not-eligible-at-entry"


@dataclass(frozen=True)
class CompiledPlan:
    """An outcome plan registered with durable_rules, and its measures' engine fields."""

    ruleset: Ruleset
    plan: OutcomePlan
    engine_name: str
    measures: dict[str, Measure]  # engine field -> measure
    fields: dict[str, str]  # measure key -> engine field
    needs: dict[str, tuple[str, ...]]  # subject class (household, child, adult) -> fields


_cache: dict[str, CompiledPlan] = {}
_lock = threading.Lock()


def compile_plan(ruleset: Ruleset) -> CompiledPlan:
    """Compile and register a ruleset's outcome plan once per process."""
    plan = ruleset.outcome_plan
    if plan is None:
        raise NoOutcomePlanError(f"{ruleset.ref} has no outcome plan: use a council's ruleset")
    name = f"{ruleset.ref}#{ruleset.sha256[:16]}/progress"
    with _lock:
        if name not in _cache:
            _cache[name] = _compile(ruleset, plan, name)
        return _cache[name]


def _compile(ruleset: Ruleset, plan: OutcomePlan, name: str) -> CompiledPlan:
    fields: dict[str, str] = {}
    measures: dict[str, Measure] = {}
    needs: dict[str, list[str]] = {"household": [], "child": [], "adult": []}
    for pm in plan.measures:
        for m in measures_of(pm.when) if pm.when is not None else ():
            if m.key not in fields:
                fields[m.key] = f"m{len(fields)}"
                measures[fields[m.key]] = m
            subject = APPLIES_TO[pm.applies_to]
            if fields[m.key] not in needs[subject]:
                needs[subject].append(fields[m.key])
    rules: dict[str, engine.Rule] = {}
    for pm in plan.measures:
        if pm.when is None:
            continue
        who = SUBJECT_FILTER[APPLIES_TO[pm.applies_to]]
        now = to_durable(pm.when, fields)
        rules[f"holds:{pm.id}"] = engine.Rule(
            [{"m": {"$and": [*who, now]}}], _emit("holds", pm.id), {"cap": _CAP}
        )
        if pm.data_sources:
            unchecked = {"$and": [{"kind": "unchecked"}, _any_source(pm.data_sources)]}
            rules[f"doubt:{pm.id}"] = engine.Rule(
                [
                    {"m": {"$and": [*who, now, could_in_engine(pm.when, fields, False)]}},
                    {"u": unchecked},
                ],
                _emit("doubt", pm.id),
                {"cap": _CAP},
            )
            not_now = to_durable(Not(pm.when), fields)
            rules[f"could:{pm.id}"] = engine.Rule(
                [
                    {"m": {"$and": [*who, not_now, could_in_engine(pm.when, fields)]}},
                    {"u": unchecked},
                ],
                _emit("could", pm.id),
                {"cap": _CAP},
            )
    rules["judgement"] = engine.Rule(
        [{"m": {"kind": "judgement"}}],
        lambda matched: [{"kind": "judged", "measure": f["measure"]} for f in matched],
        {"cap": _CAP},
    )
    try:
        engine.register(name, rules)
    except engine.TooComplexError:
        problem = too_complex(
            ruleset, name, rules, lambda target: _measure_at(plan, target), "measures"
        )
        if problem is None:
            raise
        raise RulesetError([problem]) from None
    return CompiledPlan(
        ruleset, plan, name, measures, fields, {k: tuple(v) for k, v in needs.items()}
    )


def _any_source(sources: Iterable[str]) -> dict[str, Any]:
    parts = [{"source": s} for s in sources]
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _emit(kind: str, measure_id: str):
    """Each subject matched becomes a fact that the measure holds (or could change) for it."""

    def derive(matched: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"kind": kind, "measure": measure_id, "subject": f["subject"]} for f in matched]

    return derive


def _measure_at(plan: OutcomePlan, target: str) -> tuple[int, str]:
    pm = next((m for m in plan.measures if m.id == target), None)
    return (pm.line, pm.field) if pm is not None else (0, "outcome_plan")


# --------------------------------------------------------------------------- the check


def check_progress(
    compiled: CompiledPlan,
    entry_date: dt.date,
    entry_headlines: Iterable[str],
    facts: FamilyFacts,
) -> dict[str, Any]:
    """The progress decision for a family that entered on `entry_date` with
    `entry_headlines`, judged on `facts` (everything known at the later date, the records
    from before entry included)."""
    plan, ruleset = compiled.plan, compiled.ruleset
    headlines = [h for h in (h.id for h in ruleset.headlines) if h in set(entry_headlines)]
    if not headlines:
        raise NotEligibleAtEntryError(
            "the family had no headline at entry, so there is no progress to measure"
        )
    sustained_from = months_after(entry_date, plan.sustain_months)
    if facts.assessment_date < sustained_from:
        raise TooEarlyError(
            f"progress must last {plan.sustain_months} months after entry on "
            f"{entry_date.isoformat()}: check on or after {sustained_from.isoformat()} "
            f"(the facts are of {facts.assessment_date.isoformat()})"
        )
    judged = _judged(plan, facts)
    unchecked = _unchecked(facts, sustained_from)
    people = subjects(facts, int(ruleset.parameters["adult_age"].value))  # on the check date
    family = FamilyMeasures(facts, ruleset.terms, entry=entry_date)
    measured, reach, engine_facts = subject_facts(
        people, compiled.needs, compiled.measures, family, with_reach=bool(unchecked)
    )
    engine_facts += [{"kind": "unchecked", "source": s} for s in sorted(unchecked)]
    engine_facts += [
        {"kind": "judgement", "measure": mid, "judgement": i} for i, mid in judged["order"]
    ]
    said: dict[tuple[str, str], set[str]] = {}
    for _rule, derived in engine.run(compiled.engine_name, engine_facts):
        for f in derived:
            said.setdefault((f["measure"], f.get("subject", "")), set()).add(f["kind"])

    disagree: list[str] = []
    results = []
    for hid in headlines:
        h = next(x for x in ruleset.headlines if x.id == hid)
        tested = [
            _measure_result(pm, people, measured, reach, unchecked, judged, said, disagree)
            for pm in plan.headlines[hid]
        ]
        status = next(s for s in _STATUSES if any(t["status"] == s for t in tested))
        results.append({"id": hid, "name": h.name, "status": status, "measures": tested})
    if disagree:
        raise EngineError("durable_rules and the reference disagree: " + "; ".join(disagree))
    met = [r["id"] for r in results if r["status"] == "met"]
    unknown = [r["id"] for r in results if r["status"] == "unknown"]
    if len(met) == len(results):
        status = "progressed"
    elif any(r["status"] == "not_met" for r in results):
        status = "not_progressed"
    else:
        status = "undetermined"
    employment = _employment(ruleset, entry_date, facts)
    qualifies, qualifies_by = _qualifies(status, employment["status"])
    return {
        "kind": "progress",
        "family_ref": facts.family_ref,
        "assessment_date": facts.assessment_date.isoformat(),
        "entry": {"assessment_date": entry_date.isoformat(), "headlines": headlines},
        "status": status,
        "progressed": {"progressed": True, "not_progressed": False}.get(status),
        "headlines_progressed": met,
        "headlines_unknown": unknown,
        "qualifies": qualifies,
        "qualifies_by": qualifies_by,
        "ruleset": ruleset.identity(),
        "trace": {
            "plan": {"name": plan.name, "source": plan.source},
            "sustain": {
                "months": plan.sustain_months,
                "parameter": plan.sustain_param,
                "from": sustained_from.isoformat(),
            },
            "sources": None
            if facts.sources_checked is None
            else {
                "checked": {k: v.isoformat() for k, v in sorted(facts.sources_checked.items())},
                "unchecked": sorted(unchecked),
                "fresh_from": sustained_from.isoformat(),
            },
            "headlines": results,
            "employment": employment,
            "decision": {
                "status": status,
                "qualifies": qualifies,
                "text": _outcome_text(status, results, employment["status"], qualifies_by),
            },
        },
    }


def _employment(ruleset: Ruleset, entry_date: dt.date, facts: FamilyFacts) -> dict[str, Any]:
    """Continuous employment of each adult on an out-of-work benefit at entry: the other
    way a family turns around, whatever its headlines."""
    p = ruleset.parameters

    def number(name: str) -> int:
        if name not in p or isinstance(p[name].value, tuple):
            raise ProgressError(f"{ruleset.ref} has no number parameter '{name}'")
        return int(p[name].value)  # type: ignore[arg-type]

    def names(name: str) -> tuple[str, ...]:
        value = p[name].value if name in p else ()
        return value if isinstance(value, tuple) else ()

    adults = family_continuous_employment(
        facts,
        entry_date=entry_date,
        weeks_required=number("continuous_employment_weeks"),
        weeks_required_jsa=number("continuous_employment_weeks_jsa"),
        out_of_work_benefits=names("out_of_work_benefits"),
        uc_work_search_regimes=names("uc_work_search_regimes"),
        adult_age=number("adult_age"),
    )
    return {
        "status": family_status(adults) if adults else "not_met",
        "parameters": ["continuous_employment_weeks", "continuous_employment_weeks_jsa"],
        "adults": [a.to_dict() for a in adults],
    }


def _qualifies(progress: str, employment: str) -> tuple[bool | None, str | None]:
    """Whether the family may be claimed for, and on which ground: sustained progress on
    every entry headline, or an adult's continuous employment (either is enough)."""
    if progress == "progressed":
        return True, "progress"
    if employment == "met":
        return True, "employment"
    if progress == "not_progressed" and employment == "not_met":
        return False, None
    return None, None


def _unchecked(facts: FamilyFacts, since: dt.date) -> frozenset[str]:
    """Sources not checked on or after `since` (when progress is due): a check from before
    then says nothing of the months that count. None unchecked in a closed world."""
    if facts.sources_checked is None:
        return frozenset()
    fresh = {s for s, on in facts.sources_checked.items() if on >= since}
    return frozenset(SOURCES) - fresh


def _judged(plan: OutcomePlan, facts: FamilyFacts) -> dict[str, Any]:
    """Workers' judgements naming a measure of the plan (others are about entry). A
    judgement of progress is of the family: naming a member is refused."""
    ids = {pm.id for pm in plan.measures}
    by_measure: dict[str, list[dict[str, Any]]] = {}
    order: list[tuple[int, str]] = []
    problems = []
    for i, j in enumerate(facts.judgements):
        if j.indicator not in ids:
            continue
        if j.member is not None:
            problems.append(
                FactProblem(
                    f"/judgements/{i}/member",
                    f"{j.indicator} is progress of the whole family: leave out member",
                )
            )
            continue
        by_measure.setdefault(j.indicator, []).append(
            {"by": j.by, "reason": j.reason, "evidence": [f"/judgements/{i}"]}
        )
        order.append((i, j.indicator))
    if problems:
        raise FactsError(problems)
    return {"by_measure": by_measure, "order": order}


def _measure_result(
    pm: ProgressMeasure,
    people: list[Subject],
    measured: Mapping[str, Mapping[str, Measured]],
    reach: Mapping[str, Mapping[str, Reach]],
    unchecked: frozenset[str],
    judged: Mapping[str, Any],
    said: Mapping[tuple[str, str], set[str]],
    disagree: list[str],
) -> dict[str, Any]:
    """One measure by the reference reading, checked against what durable_rules derived."""
    judgements = judged["by_measure"].get(pm.id, [])
    if ("judged" in said.get((pm.id, ""), set())) != bool(judgements):
        disagree.append(f"{pm.id}: judgement")
    out: dict[str, Any] = {
        "id": pm.id,
        "name": pm.name,
        "applies_to": pm.applies_to,
        "source": pm.source,
        "data_sources": list(pm.data_sources),
    }
    missing = sorted(set(pm.data_sources) & unchecked)
    if pm.when is None:
        status, basis = ("met", "judgement") if judgements else ("not_met", "judgement only")
    else:
        tested = [
            _subject_result(pm, s, measured[s.ref], reach[s.ref], missing, said, disagree)
            for s in people
            if s.applies(APPLIES_TO[pm.applies_to])
        ]
        if pm.applies_to == "family":
            out["condition"] = tested[0]["condition"]
        else:
            out["subjects"] = tested
        every = {t["status"] for t in tested}
        if judgements:
            status, basis = "met", "judgement"
        elif not tested:
            status, basis = "not_met", f"no {pm.applies_to.removeprefix('every_')} in the family"
        elif every == {"met"}:
            status, basis = "met", "rule"
        elif "not_met" in every:
            status, basis = "not_met", "rule"
        else:
            status, basis = "unknown", "missing"
    out.update(status=status, met=status == "met", basis=basis)
    if status == "unknown":
        out["missing_sources"] = missing
    if judgements:
        out["judgements"] = judgements
    return out


def _subject_result(
    pm: ProgressMeasure,
    subject: Subject,
    measured: Mapping[str, Measured],
    reach: Mapping[str, Reach],
    missing: list[str],
    said: Mapping[tuple[str, str], set[str]],
    disagree: list[str],
) -> dict[str, Any]:
    """The measure on one subject: met, not met, or unknown while a missing source could
    make it hold, or break it."""
    assert pm.when is not None
    values = {k: v.value for k, v in measured.items()}
    now = holds(pm.when, values)
    doubt = now and bool(missing) and could(pm.when, reach, want=False)
    might = not now and bool(missing) and could(pm.when, reach, want=True)
    engine_said = said.get((pm.id, subject.ref), set())
    for kind, reference in (("holds", now), ("doubt", doubt), ("could", might)):
        if (kind in engine_said) != reference:
            disagree.append(
                f"{pm.id} on {subject.ref}: {kind} engine {kind in engine_said}, "
                f"reference {reference}"
            )
    status = ("unknown" if doubt else "met") if now else ("unknown" if might else "not_met")
    return {
        "subject": subject.ref,
        "status": status,
        "condition": explain(pm.when, measured, reach if missing else None),
    }


def _outcome_text(
    status: str, results: list[dict[str, Any]], employment: str, qualifies_by: str | None
) -> str:
    said = {s: [r["id"] for r in results if r["status"] == s] for s in _STATUSES}
    if status == "progressed":
        text = (
            f"significant and sustained progress on every headline the family had at entry "
            f"({', '.join(said['met'])})"
        )
    elif status == "not_progressed":
        text = f"no significant and sustained progress yet on {', '.join(said['not_met'])}"
    else:
        text = (
            f"progress on {', '.join(said['met']) or 'no headline'} so far; "
            f"{', '.join(said['unknown'])} cannot be judged until the missing sources are checked"
        )
    if qualifies_by == "employment":
        return f"{text}; but an adult moved into continuous employment, which is enough on its own"
    if employment == "unknown" and qualifies_by is None:
        return f"{text}; continuous employment cannot be judged until DWP is checked"
    return text

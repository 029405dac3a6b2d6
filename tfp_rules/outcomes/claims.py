"""Results claims: what a council claims for a family that turned around, and why.

Pure: a stored progress decision (with the merged facts it was made on and its outcome in
force), the ruleset that made it, the claim date and the council's own preconditions in; the
claim's content out. The programme pays by results on the council's own declaration, and
internal audit checks a sample against evidence before submission, so a claim names the
entry and progress decisions behind it and the JSON Pointers of every record that made the
family qualify (each checked to resolve in the merged facts).

One results claim per family is the store's rule (a unique index), not this module's.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..errors import TfpError
from ..ruleset import Ruleset
from ..text import text_problem

PRECONDITIONS = ("whole_family_assessment", "action_plan", "keyworker")
AMOUNTS = ("attachment_fee_gbp", "results_payment_gbp")
EARLIEST = dt.date(1900, 1, 1)
_PERIOD = re.compile(r"^([0-9]{4})-([0-9]{2})\.\.([0-9]{4})-([0-9]{2})$")


class ClaimError(TfpError):
    """A results claim that cannot be made; `code` names why for the API."""

    code = "claim-refused"


class NotQualifyingError(ClaimError):
    """The outcome in force for the progress decision is not "qualifies" (not, or unknown)."""

    code = "not-qualifying"


class ClaimPreconditionsError(ClaimError):
    """The council has not evidenced what every claim needs: `missing` names each absent
    precondition, `problems` each given one that is not acceptable ({name, detail})."""

    code = "claim-preconditions"

    def __init__(self, missing: Sequence[str], problems: Sequence[dict[str, str]] = ()):
        self.missing = list(missing)
        self.problems = list(problems)
        parts = []
        if self.missing:
            parts.append(f"missing: {', '.join(self.missing)}")
        parts.extend(f"{p['name']}: {p['detail']}" for p in self.problems)
        super().__init__("a results claim needs its preconditions evidenced; " + "; ".join(parts))


class EvidenceError(ClaimError):
    """The progress decision's trace names a record the merged facts do not hold: the claim
    could not be audited, so it is not made."""

    code = "evidence-unresolved"


def financial_year(day: dt.date) -> str:
    """The financial year (1 April to 31 March) of `day`, e.g. 2019-04-01 -> "2019-20"."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def parse_period(text: str) -> tuple[str, str]:
    """`YYYY-MM..YYYY-MM` (inclusive months) as the first and last day, ISO dates;
    ValueError if malformed or backwards."""
    match = _PERIOD.fullmatch(text)
    if not match:
        raise ValueError(f"period is YYYY-MM..YYYY-MM, not {text!r}")
    y1, m1, y2, m2 = map(int, match.groups())
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12) or (y1, m1) > (y2, m2) or y1 < 1:
        raise ValueError(f"period {text!r}: months 01-12, the first not after the last")
    last = dt.date(y2 + (m2 == 12), m2 % 12 + 1, 1) - dt.timedelta(days=1)
    return dt.date(y1, m1, 1).isoformat(), last.isoformat()


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 JSON Pointer; KeyError if it names nothing."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise KeyError(pointer)
    node = document
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise KeyError(pointer)
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(pointer)
    return node


def _condition_evidence(node: Mapping[str, Any]) -> Iterable[str]:
    """The evidence of a met condition: its leaves' pointers, through the branches that
    held (a branch not met did not make the measure hold)."""
    if not node.get("met"):
        return
    yield from node.get("evidence") or ()
    for key in ("all", "any"):
        for child in node.get(key) or ():
            yield from _condition_evidence(child)
    if isinstance(node.get("not"), Mapping):
        yield from _all_evidence(node["not"])


def _all_evidence(node: Mapping[str, Any]) -> Iterable[str]:
    """Every leaf's pointers under a condition (what a met `not` rests on: all of it)."""
    yield from node.get("evidence") or ()
    for key in ("all", "any"):
        for child in node.get(key) or ():
            yield from _all_evidence(child)
    if isinstance(node.get("not"), Mapping):
        yield from _all_evidence(node["not"])


def evidence_of(decision: Mapping[str, Any], facts: Mapping[str, Any]) -> list[str]:
    """The sorted, de-duplicated pointers (into `facts`, the merged facts) of the records
    behind what qualified the family: by employment, the evidence of each adult whose
    employment was met; else each met measure's condition evidence (each member's, for a
    measure on every child or adult), and the judgements it rests on. EvidenceError if one
    resolves to nothing."""
    trace = decision.get("trace") or {}
    pointers: set[str] = set()
    if decision.get("qualifies_by") == "employment":
        for adult in (trace.get("employment") or {}).get("adults") or ():
            if adult.get("status") == "met":
                pointers.update(adult.get("evidence") or ())
    else:
        for headline in trace.get("headlines") or ():
            for measure in headline.get("measures") or ():
                if measure.get("status") != "met":
                    continue
                for judgement in measure.get("judgements") or ():  # the trace names them
                    pointers.update(judgement.get("evidence") or ())
                if measure.get("condition"):
                    pointers.update(_condition_evidence(measure["condition"]))
                for subject in measure.get("subjects") or ():  # a measure on every child/adult
                    pointers.update(_condition_evidence(subject["condition"]))
    for pointer in pointers:
        try:
            resolve_pointer(facts, pointer)
        except KeyError:
            raise EvidenceError(
                f"the trace names {pointer}, which is not in the merged facts"
            ) from None
    return sorted(pointers, key=_pointer_order)


def _pointer_order(pointer: str) -> list[tuple[int, int | str]]:
    """Pointers in document order (/members/2 before /members/10), then by name."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in pointer.split("/")]  # type: ignore[misc]


def _amounts(ruleset: Ruleset) -> dict[str, dict[str, Any]]:
    out = {}
    for name in AMOUNTS:
        parameter = ruleset.parameters.get(name)
        if parameter is None or not isinstance(parameter.value, int | float):
            raise ClaimError(f"{ruleset.ref} has no national parameter {name}")
        out[name] = {
            "value": parameter.value,
            "parameter": name,
            "source": parameter.source,
            "ruleset": ruleset.ref,
        }
    return out


def check_preconditions(
    claim_date: dt.date,
    *,
    whole_family_assessment: dt.date | None,
    action_plan: dt.date | None,
    keyworker: str | None,
) -> dict[str, str]:
    """The preconditions as the claim records them; ClaimPreconditionsError naming every
    one missing (a blank name is missing) and every one not acceptable (a date after the
    claim date or before 1900, a name with control characters)."""
    missing: list[str] = []
    problems: list[dict[str, str]] = []
    for name, day in (
        ("whole_family_assessment", whole_family_assessment),
        ("action_plan", action_plan),
    ):
        if day is None:
            missing.append(name)
        elif day > claim_date:
            problems.append({"name": name, "detail": f"{day} is after the claim date {claim_date}"})
        elif day < EARLIEST:
            problems.append({"name": name, "detail": f"{day} is before {EARLIEST}"})
    if keyworker is None or not keyworker.strip():
        missing.append("keyworker")
    else:
        problem = text_problem(keyworker)
        if problem:
            problems.append({"name": "keyworker", "detail": problem})
    if missing or problems:
        raise ClaimPreconditionsError(missing, problems)
    return {
        "whole_family_assessment": whole_family_assessment.isoformat(),  # type: ignore[union-attr]
        "action_plan": action_plan.isoformat(),  # type: ignore[union-attr]
        "keyworker": keyworker.strip(),  # type: ignore[union-attr]
    }


def results_claim(
    decision: Mapping[str, Any],
    facts: Mapping[str, Any],
    *,
    progress_id: str,
    entry_id: str,
    outcome: Mapping[str, Any],
    ruleset: Ruleset,
    claim_date: dt.date,
    whole_family_assessment: dt.date | None,
    action_plan: dt.date | None,
    keyworker: str | None,
    rates: Ruleset | None = None,
) -> dict[str, Any]:
    """The content of a results claim on the progress decision `decision` (stored as
    `progress_id`, following `entry_id`), made on the merged `facts`, whose outcome in force
    is `outcome` ({qualifies, source, review_id}); `ruleset` is the one that made it.
    Payments change by financial year, so the amounts are `rates`': the national version
    in force on the claim date (by default, `ruleset`'s own).

    NotQualifyingError unless the outcome in force qualifies; ClaimPreconditionsError
    naming every precondition missing or not acceptable; EvidenceError if the trace names a
    record the facts do not hold. A family qualifying only by a review override is claimed
    `qualifies_by: review`, with the evidence of every measure that was met.
    """
    if outcome.get("qualifies") is not True:
        state = "undetermined" if outcome.get("qualifies") is None else "does not qualify"
        raise NotQualifyingError(
            f"progress decision {progress_id}: the outcome in force is {state}"
            f" ({outcome.get('source', 'automated')}): there is no results claim to make"
        )
    preconditions = check_preconditions(
        claim_date,
        whole_family_assessment=whole_family_assessment,
        action_plan=action_plan,
        keyworker=keyworker,
    )
    qualifies_by = decision.get("qualifies_by") if decision.get("qualifies") else None
    rs = decision["ruleset"]
    if (rs["id"], rs["version"], rs["sha256"]) != (ruleset.id, ruleset.version, ruleset.sha256):
        raise ClaimError(
            f"progress decision {progress_id} was made with {rs['id']}@{rs['version']}"
            f" ({rs['sha256'][:12]}), not the ruleset given ({ruleset.ref})"
        )
    return {
        "kind": "results_claim",
        "family_ref": decision["family_ref"],
        "claim_date": claim_date.isoformat(),
        "financial_year": financial_year(claim_date),
        "entry_id": entry_id,
        "progress_id": progress_id,
        "qualifies_by": qualifies_by or "review",
        "outcome": dict(outcome),
        "ruleset": ruleset.identity(),
        "amounts": _amounts(rates or ruleset),
        "evidence": evidence_of({**decision, "qualifies_by": qualifies_by or "progress"}, facts),
        "preconditions": preconditions,
    }


def sample(ids: Sequence[str], percent: float, seed: int) -> list[str]:
    """A reproducible random sample of `percent`% of `ids` (at least one if any, rounded
    up), in the order given: the same ids, percent and seed give the same sample."""
    if not 0 < percent <= 100:
        raise ValueError(f"percent is more than 0 and at most 100, not {percent}")
    ordered = list(ids)
    if not ordered:
        return []
    k = min(len(ordered), math.ceil(len(ordered) * percent / 100))
    chosen = set(random.Random(seed).sample(ordered, k))
    return [i for i in ordered if i in chosen]

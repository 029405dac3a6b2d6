"""Subject access (UK GDPR Art. 15): everything held about a family, or about one person
across families, as one JSON document with a machine-readable index of what it holds.

A family's document holds, per family: every decision with the facts as received and the
decision with its trace, every review (with the reviewer's name), every progress decision
with its merged facts, trace and reviews, every results claim with its content, the entries
of background jobs (impact analyses) that name the family, and the audit rows about any of
these (by target, and the list reads and exports that returned their ids). Sessions hold no
family's data and are not part of it.

A person (member ref and date of birth, both: refs are unique within a family only) gets the
records of each family whose facts name them, with **other members' data withheld**: their
entries in the facts, their judgements and their parts of the trace are replaced by a marker
(`{"withheld": ...}`) at the same place, so every JSON Pointer (evidence, index) still
points where it did. A subject access request gives the requester their own data; another
person's is not theirs to receive (Art. 15(4)). What is about the household as a whole
(household events, the family's outcome) is the requester's too and is kept. Free text
(review and judgement reasons, withdrawal reasons) is given as written and may mention
others: the document's `notes` say so, for whoever sends it.

Each export is audited as `subject.export`: who asked, the counts, and the ids of the
records it gave out (the ids every other audit row names), never the family ref, member ref
or date of birth. Its target is the export's own id (the document's `export_id`): a ref in
the trail, in clear or as a plain hash (refs are guessable: STK-2019-000123 is one of a
million), would be a second copy of personal data that outlives its erasure.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..store import FamilyRows, Store

FORMAT = "tfp-rules/subject-access/1"
WITHHELD = "another person's data: not part of this subject access request"
KINDS = (
    "decision",
    "decision_facts",
    "decision_trace",
    "decision_review",
    "progress_decision",
    "progress_facts",
    "progress_trace",
    "progress_review",
    "claim",
    "job",
    "audit",
)
NOTES = (
    "Everything the decision store holds about the subject when the document was made.",
    "Review, judgement and withdrawal reasons are free text as written: read them for other"
    " people's data before the document is sent.",
    "Audit rows name clients by id and the records they touched; this export's own audit row"
    " is written after the document is made, so the next export shows it.",
)
PERSON_NOTE = (
    "Other members of the requester's families are withheld (marked at their place): a subject"
    " access request gives the requester's own data. Household records are kept."
)


@dataclass(frozen=True)
class SubjectExport:
    """One subject access document and what its audit row said."""

    document: dict[str, Any]
    counts: dict[str, int]

    @property
    def held(self) -> bool:
        """Whether anything is held: "nothing held" is an answer too, not an error."""
        return self.document["held"]


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _ruleset(row: dict[str, Any]) -> dict[str, str]:
    return {
        "id": row["ruleset_id"],
        "version": row["ruleset_version"],
        "sha256": row["ruleset_sha256"],
    }


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def _review(row: dict[str, Any], field: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "verdict": row["verdict"],
        field: _flag(row[field]),
        "reason": row["reason"],
        "reviewer": row["reviewer"],
        "reviewer_name": row["reviewer_name"],
        "created_at": row["created_at"],
    }


def _decision(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "submitted_by": row["submitted_by"],
        "assessment_date": row["assessment_date"],
        "status": row["status"],
        "eligible": _flag(row["eligible"]),
        "headlines_met": json.loads(row["headlines_met"]),
        "ruleset": _ruleset(row),
        "previous_id": row["previous_id"],
        "facts": _loads(row["facts"]),
        "decision": _loads(row["decision"]),
        "reviews": [_review(r, "eligible") for r in row["reviews"]],
    }


def _progress(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "entry_id": row["entry_id"],
        "created_at": row["created_at"],
        "submitted_by": row["submitted_by"],
        "assessment_date": row["assessment_date"],
        "status": row["status"],
        "qualifies": _flag(row["qualifies"]),
        "qualifies_by": row["qualifies_by"],
        "ruleset": _ruleset(row),
        "facts": _loads(row["facts"]),
        "decision": _loads(row["decision"]),
        "reviews": [_review(r, "qualifies") for r in row["reviews"]],
    }


def _claim(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "created_at",
        "claimed_by",
        "progress_id",
        "entry_id",
        "claim_date",
        "financial_year",
        "qualifies_by",
        "attachment_fee_gbp",
        "results_payment_gbp",
        "status",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawn_reason",
    )
    return {**{k: row[k] for k in keys}, "ruleset": _ruleset(row), "content": _loads(row["claim"])}


def _job(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "kind", "created_at", "requested_by", "parameters", "status", "finished_at")
    return {**{k: row[k] for k in keys}, "entries": row["personal"]}


def _family(rows: FamilyRows) -> dict[str, Any]:
    return {
        "family_ref": rows.family_ref,
        "decisions": [_decision(r) for r in rows.decisions],
        "progress": [_progress(r) for r in rows.progress],
        "claims": [_claim(r) for r in rows.claims],
        "jobs": [_job(r) for r in rows.jobs],
        "audit": list(rows.audit),
    }


# -- one person: their records, others withheld ------------------------------------------


def _member_refs(facts: Any) -> set[str]:
    members = facts.get("members") if isinstance(facts, dict) else None
    return {m["ref"] for m in members or [] if isinstance(m, dict) and "ref" in m}


def _names(facts: Any, member_ref: str, date_of_birth: str) -> bool:
    members = facts.get("members") if isinstance(facts, dict) else None
    return any(
        isinstance(m, dict)
        and m.get("ref") == member_ref
        and m.get("date_of_birth") == date_of_birth
        for m in members or []
    )


def _withheld_facts(facts: dict[str, Any], member_ref: str) -> dict[str, Any]:
    """The facts with every other member, and judgements about them, marked withheld."""
    out = dict(facts)
    out["members"] = [
        m if isinstance(m, dict) and m.get("ref") == member_ref else {"withheld": WITHHELD}
        for m in facts.get("members", [])
    ]
    if isinstance(facts.get("judgements"), list):
        out["judgements"] = [
            j
            if not isinstance(j, dict) or j.get("member") in (None, member_ref)
            else {"withheld": WITHHELD}
            for j in facts["judgements"]
        ]
    return out


def _withheld_trace(value: Any, others: set[str]) -> Any:
    """A decision (with its trace) with what is about `others` withheld: each part whose
    `subject` is another member marked in place, and their refs (in `met_by`, `member`)
    replaced by "withheld"."""
    if isinstance(value, dict):
        if value.get("subject") in others:
            return {"subject": "withheld", "withheld": WITHHELD}
        return {
            k: "withheld" if k == "member" and v in others else _withheld_trace(v, others)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            "withheld" if isinstance(v, str) and v in others else _withheld_trace(v, others)
            for v in value
        ]
    return value


def _withheld(record: dict[str, Any], member_ref: str) -> dict[str, Any]:
    others = _member_refs(record["facts"]) - {member_ref}
    return {
        **record,
        "facts": _withheld_facts(record["facts"], member_ref),
        "decision": _withheld_trace(record["decision"], others),
    }


def _mentions(row: dict[str, Any], ids: Iterable[str]) -> bool:
    text = f"{row['target'] or ''} {row['detail'] or ''}"
    return any(i in text for i in ids)


def _person_family(rows: FamilyRows, member_ref: str, date_of_birth: str) -> dict[str, Any]:
    """One family's records that name the person, others' data withheld."""
    family = _family(rows)

    def naming(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            _withheld(r, member_ref)
            for r in records
            if _names(r["facts"], member_ref, date_of_birth)
        ]

    decisions, progress = naming(family["decisions"]), naming(family["progress"])
    decision_ids = {d["id"] for d in decisions}
    progress_ids = {p["id"] for p in progress}
    claims = [
        c
        for c in family["claims"]
        if c["progress_id"] in progress_ids or c["entry_id"] in decision_ids
    ]
    jobs = []
    for job in family["jobs"]:
        entries = {
            part: [e for e in found if e.get("decision_id") in decision_ids]
            for part, found in job["entries"].items()
        }
        if any(entries.values()):
            jobs.append({**job, "entries": entries})
    ids = [*decision_ids, *progress_ids, *(c["id"] for c in claims), *(j["id"] for j in jobs)]
    return {
        "family_ref": rows.family_ref,
        "decisions": decisions,
        "progress": progress,
        "claims": claims,
        "jobs": jobs,
        "audit": [a for a in family["audit"] if _mentions(a, ids)],
    }


def check_date(value: str) -> str:
    """`value` if it is a date YYYY-MM-DD (as the facts give dates of birth); else ValueError."""
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ValueError(f"not a date YYYY-MM-DD: {value!r}")


# -- the document ---------------------------------------------------------------------------


def index_of(families: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each kind of record (KINDS), how many, and a JSON Pointer to each in the document."""
    where: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for i, family in enumerate(families):
        base = f"/families/{i}"
        for part, kind in (("decisions", "decision"), ("progress", "progress")):
            label = "decision" if kind == "decision" else "progress_decision"
            for j, record in enumerate(family[part]):
                at = f"{base}/{part}/{j}"
                where[label].append(at)
                if record["facts"] is not None:
                    where[f"{kind}_facts"].append(f"{at}/facts")
                if record["decision"] is not None:
                    where[f"{kind}_trace"].append(f"{at}/decision")
                where[f"{kind}_review"].extend(
                    f"{at}/reviews/{k}" for k in range(len(record["reviews"]))
                )
        for part, kind in (("claims", "claim"), ("jobs", "job"), ("audit", "audit")):
            where[kind].extend(f"{base}/{part}/{j}" for j in range(len(family[part])))
    return [{"kind": k, "count": len(p), "pointers": p} for k, p in where.items()]


def _document(
    store: Store,
    about: dict[str, Any],
    families: list[dict[str, Any]],
    notes: tuple[str, ...],
    *,
    actor: str,
    key_id: str | None,
) -> SubjectExport:
    """The document, and its audit row (written after it is made)."""
    index = index_of(families)
    counts = {entry["kind"]: entry["count"] for entry in index}
    held = any(counts.values())
    document = {
        "format": FORMAT,
        "export_id": uuid.uuid4().hex,
        "made_at": store.now(),
        "made_by": actor,
        "about": about,
        "held": held,
        "index": index,
        "notes": list(notes),
        "families": families,
    }
    ids = [
        r["id"] for f in families for part in ("decisions", "progress", "claims") for r in f[part]
    ]
    detail = " ".join(
        [
            f"kind={about['kind']}",
            f"families={len(families)}",
            *(f"{k}={n}" for k, n in counts.items() if n),
            *([f"ids={','.join(ids)}"] if ids else []),
        ]
    )
    store.audit(
        actor=actor,
        key_id=key_id,
        action="subject.export",
        status=200,
        target=document["export_id"],
        detail=detail,
    )
    return SubjectExport(document, counts)


def export_family(
    store: Store, family_ref: str, *, actor: str, key_id: str | None = None
) -> SubjectExport:
    """Everything held about one family (see the module docstring), audited."""
    if not family_ref:
        raise ValueError("a family ref is required")
    rows = store.family_rows(family_ref)
    families = [_family(rows)] if rows.record_ids or rows.jobs else []
    about = {"kind": "family", "family_ref": family_ref}
    return _document(store, about, families, NOTES, actor=actor, key_id=key_id)


def export_person(
    store: Store,
    member_ref: str,
    date_of_birth: str,
    *,
    actor: str,
    key_id: str | None = None,
) -> SubjectExport:
    """Everything held about one person, named by member ref and date of birth (both must
    match one member of the stored facts), across every family whose facts name them;
    other members' data withheld. Audited."""
    if not member_ref or not date_of_birth:
        raise ValueError("a person is named by a member ref and a date of birth, both")
    check_date(date_of_birth)
    families = [
        _person_family(store.family_rows(ref), member_ref, date_of_birth)
        for ref in store.families_of_person(member_ref, date_of_birth)
    ]
    about = {"kind": "person", "member_ref": member_ref, "date_of_birth": date_of_birth}
    notes = (*NOTES, PERSON_NOTE)
    return _document(store, about, families, notes, actor=actor, key_id=key_id)

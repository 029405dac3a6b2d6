"""Subject access reads (UK GDPR Art. 15): every row the store holds about one family, read
by the family's own indexes, and the families in whose facts one person appears.

Read only, and plain rows (dicts): what a subject access document says about them is
`privacy.subject`'s business. A family's rows are found by `family_ref` (the family indexes
of `decisions` and `progress`), their claims by progress id, their audit rows by target id,
so no other family's rows are read into Python. Finding a person (a member ref and a date of
birth, which only together name someone: member refs are unique within a family only) uses
the person index of blind digests (`persons.py`), since the facts are sealed at rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from ..compact import template_of
from ..privacy.datakeys import DataKeys
from .audit import LIST_READS, AuditLog
from .encoding import encoded
from .persons import families_with, person_text
from .sealed import unseal_row
from .templates import in_form

# Audit rows that name what they read in `detail` (list reads record the ids returned, a
# subject access export the ids it gave out) or in `target` (a refused request's path).
_DETAIL_NAMES = (*LIST_READS, "subject.export")
_TARGET_NAMES = ("request.rejected",)


@dataclass
class FamilyRows:
    """Everything the store holds about one family, as rows, oldest first: decisions with
    their payloads (`facts`, `decision`: JSON text, None once erased) and reviews; progress
    decisions likewise; claims with their content; jobs whose personal part names the
    family (only this family's entries); and the audit rows about any of them."""

    family_ref: str
    decisions: list[dict[str, Any]] = field(default_factory=list)
    progress: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)

    @property
    def record_ids(self) -> list[str]:
        """The ids of the family's decisions, progress decisions and claims."""
        return [r["id"] for r in (*self.decisions, *self.progress, *self.claims)]


def _ids(rows: list[dict[str, Any]]) -> str:
    return json.dumps([r["id"] for r in rows])


def _reviews(
    db: sqlite_utils.Database, keys: DataKeys | None, table: str, column: str, ids: str
) -> dict[str, list]:
    """Each record's reviews, oldest first, with the reviewer's client name."""
    found: dict[str, list[dict[str, Any]]] = {}
    rows = db.query(
        f"SELECT r.*, c.name AS reviewer_name FROM {table} r"
        " LEFT JOIN clients c ON c.id = r.reviewer"
        f" WHERE r.{column} IN (SELECT value FROM json_each(?)) ORDER BY r.seq",
        [ids],
    )
    for row in rows:
        found.setdefault(row[column], []).append(unseal_row(keys, table, row))
    return found


def _job_entries(personal: dict[str, Any], family_ref: str, ids: set[str]) -> dict[str, Any]:
    """The entries of a job's personal part about this family (by ref or decision id)."""
    return {
        part: [
            e
            for e in entries
            if isinstance(e, dict)
            and (e.get("family_ref") == family_ref or e.get("decision_id") in ids)
        ]
        for part, entries in personal.items()
        if isinstance(entries, list)
    }


def _reviewed(
    db: sqlite_utils.Database,
    keys: DataKeys | None,
    family_ref: str,
    table: str,
    reviews_table: str,
    key: str,
) -> list[dict[str, Any]]:
    """A family's decisions (or progress decisions) with their facts, decision and reviews,
    oldest first: `table`'s rows, its `<singular>_payloads` on `key`, `reviews_table`."""
    payloads = f"{key.removesuffix('_id')}_payloads"
    rows = list(
        db.query(
            f"SELECT d.*, p.facts, p.decision FROM {table} d"
            f" LEFT JOIN {payloads} p ON p.{key} = d.id"
            " WHERE d.family_ref = ? ORDER BY d.created_at, d.id",
            [family_ref],
        )
    )
    reviews = _reviews(db, keys, reviews_table, key, _ids(rows))
    for row in rows:
        unseal_row(keys, payloads, row, row["id"])
        if table == "decisions":
            row["decision"] = _full_text(db, row["decision"])
        row["reviews"] = reviews.get(row["id"], [])
    return rows


def _full_text(db: sqlite_utils.Database, text: str | None) -> str | None:
    """A decision's JSON text with its trace in full: the requester gets the trace as it
    reads, and a member's export can withhold the other members' parts of it, which the
    compact trace's shared values and positional results would not let it do."""
    if text is None or '"trace_format"' not in text:
        return text
    decision = json.loads(text)
    return text if template_of(decision) is None else encoded(in_form(db, decision, "full"))


class Subjects(AuditLog):
    """Read queries for subject access: one family's rows, and a person's families."""

    def now(self) -> str:
        """The store's clock, as it writes timestamps (ISO 8601 UTC, microseconds)."""
        return self._now()

    def families_of_person(self, member_ref: str, date_of_birth: str) -> list[str]:
        """The family refs (sorted) whose stored facts, of a decision or a progress
        decision, hold a member with this ref and this date of birth (YYYY-MM-DD), both."""
        with self._read() as db:
            return families_with(db, self.keys, person_text(member_ref, date_of_birth))

    def family_rows(self, family_ref: str) -> FamilyRows:
        """Everything held about one family, in one consistent snapshot (see FamilyRows)."""
        found = FamilyRows(family_ref)
        with self._read() as db:
            found.decisions = _reviewed(
                db, self.keys, family_ref, "decisions", "reviews", "decision_id"
            )
            found.progress = _reviewed(
                db, self.keys, family_ref, "progress", "progress_reviews", "progress_id"
            )
            # by progress id (indexed): every claim rests on one of the family's progress
            # decisions, and keeps its family even if its own ref is cleared
            found.claims = [
                unseal_row(
                    self.keys, "claim_payloads", unseal_row(self.keys, "claims", row), row["id"]
                )
                for row in db.query(
                    "SELECT c.*, p.claim FROM claims c"
                    " LEFT JOIN claim_payloads p ON p.claim_id = c.id"
                    " WHERE c.progress_id IN (SELECT value FROM json_each(?))"
                    " ORDER BY c.created_at, c.id",
                    [_ids(found.progress)],
                )
            ]
            found.jobs = self._jobs_naming(db, family_ref, {r["id"] for r in found.decisions})
            ids = [*found.record_ids, *(j["id"] for j in found.jobs)]
            found.audit = self._audit_naming(db, ids)
        return found

    def _jobs_naming(
        self, db: sqlite_utils.Database, family_ref: str, decision_ids: set[str]
    ) -> list[dict[str, Any]]:
        """Jobs whose personal part names the family, with only its entries there (jobs
        are few: SQLite looks through each one's personal part)."""
        rows = db.query(
            "SELECT id, kind, created_at, requested_by, parameters, status, finished_at,"
            " personal, personal_cleared_at FROM jobs j WHERE personal IS NOT NULL AND EXISTS ("
            " SELECT 1 FROM json_tree(j.personal) t WHERE t.key IN ('family_ref', 'decision_id')"
            " AND (t.value = ? OR t.value IN (SELECT value FROM json_each(?))))"
            " ORDER BY created_at, id",
            [family_ref, json.dumps(sorted(decision_ids))],
        )
        jobs = []
        for row in rows:
            personal = json.loads(row.pop("personal"))
            row["parameters"] = json.loads(row["parameters"])
            row["personal"] = _job_entries(personal, family_ref, decision_ids)
            jobs.append(row)
        return jobs

    def _audit_naming(self, db: sqlite_utils.Database, ids: list[str]) -> list[dict[str, Any]]:
        """Audit rows about any of `ids`: their target, or (list reads, exports) an id in
        their detail, or (refused requests) an id in the path they record; oldest first."""
        if not ids:
            return []
        # three queries, each on an index (target; action), unioned, not one OR over a scan
        return list(
            db.query(
                "SELECT id, at, actor, key_id, action, target, status, detail FROM audit"
                " WHERE target IN (SELECT value FROM json_each(:ids))"
                " UNION SELECT id, at, actor, key_id, action, target, status, detail FROM audit a"
                " WHERE a.action IN (SELECT value FROM json_each(:details)) AND EXISTS ("
                "  SELECT 1 FROM json_each(:ids) i WHERE instr(a.detail, i.value) > 0)"
                " UNION SELECT id, at, actor, key_id, action, target, status, detail FROM audit a"
                " WHERE a.action IN (SELECT value FROM json_each(:targets)) AND EXISTS ("
                "  SELECT 1 FROM json_each(:ids) i WHERE instr(a.target, i.value) > 0)"
                " ORDER BY id",
                {
                    "ids": json.dumps(ids),
                    "details": json.dumps(_DETAIL_NAMES),
                    "targets": json.dumps(_TARGET_NAMES),
                },
            )
        )

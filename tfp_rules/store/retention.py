"""Retention and erasure in the store: replace a family's personal content with nothing and
keep each record as a tombstone; purge idempotency keys, ended sessions and jobs' personal
parts past a cut-off.

The contract with the audit chain (`chain.py`): no row of `decisions`, `reviews`,
`progress`, `progress_reviews`, `claims` or `audit` is ever deleted, and none of their
non-personal fields changes. Erasing a record deletes its payload row (facts and the
decision with its trace; a claim's content), sets its `family_ref` and its reviews'
`reason` to NULL (a withdrawn claim's reason to ''), deletes its idempotency rows (not
chained) and its person index rows, and removes the entries that name it from jobs'
personal parts; an audit row is touched only if its `target` quotes the
family ref (a refused request's path), and then `target` and `detail` both become NULL.
`tombstones` (migration 13) marks every record so erased, when, and why. What stays of a
decision (id, dates, ruleset, status, outcome, review verdicts) is its tombstone: it keeps
statistics whole and names no one.

Which families are past their period is `privacy.retention`'s business; this module only
reads the facts it decides on (`family_activity`) and does what it is told.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from .audit import AuditLog
from .filters import _IN_FORCE

CAUSES = ("retention", "erasure")
RECORD_TYPES = ("decision", "progress", "claim", "audit")
# What an erasure counts, in the order reports print them.
ERASED = (
    "decisions",
    "progress",
    "claims",
    "reviews",
    "progress_reviews",
    "idempotency",
    "job_entries",
    "restrictions",
    "audit",
)


class DryRun(Exception):  # not an error: carries a dry run's result out of its rollback
    """Raised inside a write transaction to roll it back, carrying what it would have done."""

    def __init__(self, result: Any):
        self.result = result
        super().__init__("dry run")


@dataclass(frozen=True)
class FamilyActivity:
    """What retention decides a family's period on: its newest decision or progress
    decision, whether any of its decisions has eligible as the outcome in force, and when
    its results claim in force (claimed, or withdrawn not in error) was made, if any."""

    family_ref: str
    last_activity: str
    eligible: bool
    claimed_at: str | None


@dataclass(frozen=True)
class Tombstone:
    """A record whose personal content was erased: when, by retention (with its `rule`) or
    by an erasure (`erasure_id`)."""

    record_type: str
    record_id: str
    erased_at: str
    cause: str
    rule: str | None
    erasure_id: str | None

    def to_dict(self) -> dict[str, Any]:
        """As a tombstone's `erased` member says it."""
        return {
            "at": self.erased_at,
            "cause": self.cause,
            "rule": self.rule,
            "erasure_id": self.erasure_id,
        }


@dataclass(frozen=True)
class ErasureRecord:
    """One erasure of a family (Art. 17): who, when, why, and what it erased (counts and the
    ids of the records it tombstoned); never the family ref."""

    id: str
    at: str
    erased_by: str
    reason: str
    counts: dict[str, int]
    record_ids: list[str]


def _ids(db: sqlite_utils.Database, sql: str, args: list[Any]) -> list[str]:
    return [r[0] for r in db.execute(sql, args).fetchall()]


def _in(ids: list[str]) -> str:
    return json.dumps(ids)


_IN_IDS = "IN (SELECT value FROM json_each(?))"


def _without(personal: dict[str, Any], family_ref: str, ids: set[str]) -> tuple[dict, int]:
    """A job's personal part without the entries naming the family (by ref or record id),
    and how many were removed."""
    kept: dict[str, Any] = {}
    removed = 0
    for part, entries in personal.items():
        if not isinstance(entries, list):
            kept[part] = entries
            continue
        left = [
            e
            for e in entries
            if not (
                isinstance(e, dict)
                and (e.get("family_ref") == family_ref or e.get("decision_id") in ids)
            )
        ]
        removed += len(entries) - len(left)
        kept[part] = left
    return kept, removed


class Retention(AuditLog):
    """Tombstones, the erasure of a family's personal content, and retention's purges."""

    def family_activity(self) -> list[FamilyActivity]:
        """Every family with a ref still held, with what retention decides its period on,
        sorted by ref (a council's families are thousands: one list is small)."""
        with self._read() as db:
            rows = db.execute(
                "WITH fam AS (SELECT family_ref, max(created_at) AS last FROM decisions"
                " WHERE family_ref IS NOT NULL GROUP BY family_ref)"
                " SELECT f.family_ref,"
                " max(f.last, COALESCE((SELECT max(p.created_at) FROM progress p"
                "  WHERE p.family_ref = f.family_ref), '')),"
                f" (SELECT max({_IN_FORCE}) FROM decisions d WHERE d.family_ref = f.family_ref),"
                " (SELECT max(c.created_at) FROM claims c WHERE c.family_ref = f.family_ref"
                "  AND c.status != 'withdrawn_in_error')"
                " FROM fam f ORDER BY f.family_ref"
            ).fetchall()
        return [
            FamilyActivity(ref, last, in_force == 1, claimed)
            for ref, last, in_force, claimed in rows
        ]

    def tombstone_of(self, record_type: str, record_id: str) -> Tombstone | None:
        """The record's tombstone, or None if its personal content is still held."""
        with self._read() as db:
            rows = list(
                db.query(
                    "SELECT * FROM tombstones WHERE record_type = ? AND record_id = ?",
                    [record_type, record_id],
                )
            )
        return Tombstone(**rows[0]) if rows else None

    def tombstone_count(self) -> dict[str, int]:
        """How many records of each type are tombstones."""
        with self._read() as db:
            rows = db.execute(
                "SELECT record_type, count(*) FROM tombstones GROUP BY record_type"
            ).fetchall()
        return dict(rows)

    # -- erasing one family's content ----------------------------------------------------

    def _family_records(
        self, db: sqlite_utils.Database, family_ref: str
    ) -> tuple[list[str], list[str], list[str]]:
        """The family's decisions, progress decisions and claims: by ref, and by what they
        rest on (a record whose own ref is already cleared still belongs to its family)."""
        decisions = _ids(db, "SELECT id FROM decisions WHERE family_ref = ?", [family_ref])
        progress = _ids(
            db,
            f"SELECT id FROM progress WHERE family_ref = ? OR entry_id {_IN_IDS}",
            [family_ref, _in(decisions)],
        )
        claims = _ids(
            db,
            f"SELECT id FROM claims WHERE family_ref = ? OR progress_id {_IN_IDS}",
            [family_ref, _in(progress)],
        )
        return decisions, progress, claims

    def _erase(
        self,
        db: sqlite_utils.Database,
        family_ref: str,
        *,
        cause: str,
        rule: str | None = None,
        erasure_id: str | None = None,
        actor: str,
    ) -> tuple[dict[str, int], list[str]]:
        """Erase the family's personal content inside the caller's write transaction;
        returns (counts per ERASED, ids of the records tombstoned)."""
        now = self._now()
        decisions, progress, claims = self._family_records(db, family_ref)
        counts = dict.fromkeys(ERASED, 0)
        tombstoned: list[str] = []

        def run(sql: str, args: list[Any]) -> int:
            return db.execute(sql, args).rowcount

        def mark(record_type: str, ids: list[str]) -> None:
            for record_id in ids:
                added = run(
                    "INSERT OR IGNORE INTO tombstones"
                    " (record_type, record_id, erased_at, cause, rule, erasure_id)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [record_type, record_id, now, cause, rule, erasure_id],
                )
                if added:
                    tombstoned.append(record_id)

        for key, ids, table, payloads, column, reviews, keys in (
            ("decisions", decisions, "decisions", "decision_payloads", "decision_id",
             "reviews", "idempotency"),
            ("progress", progress, "progress", "progress_payloads", "progress_id",
             "progress_reviews", "progress_idempotency"),
        ):  # fmt: skip
            run(f"DELETE FROM {payloads} WHERE {column} {_IN_IDS}", [_in(ids)])
            run(f"UPDATE {table} SET family_ref = NULL WHERE id {_IN_IDS}", [_in(ids)])
            counts[reviews] = run(
                f"UPDATE {reviews} SET reason = NULL WHERE {column} {_IN_IDS}"
                " AND reason IS NOT NULL",
                [_in(ids)],
            )
            counts["idempotency"] += run(f"DELETE FROM {keys} WHERE {column} {_IN_IDS}", [_in(ids)])
            before = len(tombstoned)
            mark(key.removesuffix("s") if key == "decisions" else key, ids)
            counts[key] = len(tombstoned) - before
        run(f"DELETE FROM claim_payloads WHERE claim_id {_IN_IDS}", [_in(claims)])
        # a withdrawal's reason is free text (the CHECK keeps it non-NULL once withdrawn)
        run(
            "UPDATE claims SET family_ref = NULL, withdrawn_reason = CASE WHEN"
            f" withdrawn_reason IS NULL THEN NULL ELSE '' END WHERE id {_IN_IDS}",
            [_in(claims)],
        )
        run("DELETE FROM person_index WHERE family_ref = ?", [family_ref])
        before = len(tombstoned)
        mark("claim", claims)
        counts["claims"] = len(tombstoned) - before
        counts["job_entries"] = self._erase_job_entries(db, family_ref, {*decisions, *progress})
        counts["restrictions"] = run(
            "UPDATE restrictions SET family_ref = NULL, reason = NULL,"
            " lifted_at = COALESCE(lifted_at, ?), lifted_by = COALESCE(lifted_by, ?),"
            " lift_reason = COALESCE(lift_reason, ?) WHERE family_ref = ?",
            [now, actor, f"erased ({cause})", family_ref],
        )
        # A refused request's path may quote the ref (bounded rows, `record_rejection`).
        quoting = _ids(
            db,
            "SELECT id FROM audit WHERE action = 'request.rejected'"
            " AND instr(target, '/families/' || ?) > 0",
            [family_ref],
        )
        counts["audit"] = run(
            f"UPDATE audit SET target = NULL, detail = NULL WHERE id {_IN_IDS}",
            [json.dumps(quoting)],
        )
        for audit_id in quoting:
            run(
                "INSERT OR IGNORE INTO tombstones"
                " (record_type, record_id, erased_at, cause, rule, erasure_id)"
                " VALUES ('audit', ?, ?, ?, ?, ?)",
                [str(audit_id), now, cause, rule, erasure_id],
            )
        return counts, tombstoned

    def _erase_job_entries(self, db: sqlite_utils.Database, family_ref: str, ids: set[str]) -> int:
        rows = db.execute(
            "SELECT id, personal FROM jobs j WHERE personal IS NOT NULL AND EXISTS ("
            " SELECT 1 FROM json_tree(j.personal) t WHERE t.key IN ('family_ref', 'decision_id')"
            " AND (t.value = ? OR t.value IN (SELECT value FROM json_each(?))))",
            [family_ref, json.dumps(sorted(ids))],
        ).fetchall()
        removed = 0
        for job_id, personal in rows:
            kept, n = _without(json.loads(personal), family_ref, ids)
            removed += n
            db.execute("UPDATE jobs SET personal = ? WHERE id = ?", [json.dumps(kept), job_id])
        return removed

    def erase_expired_family(
        self, family_ref: str, *, rule: str, actor: str, dry_run: bool = False
    ) -> dict[str, int]:
        """Retention: erase one family's personal content under `rule` (the retention
        rule whose period ended); returns the counts. `dry_run` changes nothing."""
        try:
            with self._write() as db:
                counts, _ = self._erase(db, family_ref, cause="retention", rule=rule, actor=actor)
                if dry_run:
                    raise DryRun(counts)
        except DryRun as done:
            return done.result
        return counts

    def erase_family(
        self,
        family_ref: str,
        *,
        erased_by: str,
        reason: str,
        key_id: str | None = None,
        dry_run: bool = False,
    ) -> ErasureRecord | None:
        """Erasure (Art. 17): erase everything personal held about the family, keep
        tombstones, and record who and why (an `erasures` row; audited as `subject.erase`,
        its target the erasure's id, its detail counts and record ids, never the ref).
        None if nothing is held (audited with status 404). `dry_run` changes nothing."""
        reason = reason.strip()
        if not reason:
            raise ValueError("an erasure records why: give a reason")
        if family_ref in reason:
            raise ValueError("the reason must not quote the family ref: it is kept after it")
        erasure_id = uuid.uuid4().hex
        try:
            with self._write() as db:
                at = self._now()
                db["erasures"].insert(
                    {"id": erasure_id, "at": at, "erased_by": erased_by, "reason": reason,
                     "counts": "{}"}
                )  # fmt: skip
                counts, ids = self._erase(
                    db, family_ref, cause="erasure", erasure_id=erasure_id, actor=erased_by
                )
                held = any(counts.values())
                if not held:
                    db.execute("DELETE FROM erasures WHERE id = ?", [erasure_id])
                else:
                    db.execute(
                        "UPDATE erasures SET counts = ? WHERE id = ?",
                        [json.dumps(counts), erasure_id],
                    )
                record = ErasureRecord(erasure_id, at, erased_by, reason, counts, ids)
                if dry_run:
                    raise DryRun(record if held else None)
                detail = " ".join(f"{k}={v}" for k, v in counts.items() if v)
                if ids:
                    detail += f" ids={','.join(ids)}"
                self._audit(
                    db,
                    actor=erased_by,
                    key_id=key_id,
                    action="subject.erase",
                    status=200 if held else 404,
                    target=erasure_id if held else None,
                    detail=detail or "nothing held",
                )
        except DryRun as done:
            return done.result
        return record if held else None

    # -- purges ----------------------------------------------------------------------------

    def purge_idempotency_before(self, cutoff: str, *, dry_run: bool = False) -> int:
        """Delete idempotency keys (decisions' and progress decisions') first used at or
        before `cutoff`; returns how many."""
        return self._purge(
            ["DELETE FROM idempotency WHERE created_at <= ?",
             "DELETE FROM progress_idempotency WHERE created_at <= ?"],
            cutoff, dry_run,
        )  # fmt: skip

    def drop_sessions_ended_before(self, cutoff: str, *, dry_run: bool = False) -> int:
        """Delete browser sessions that ended, or reached their time limit, at or before
        `cutoff` (they hold no family's data: only who and when); returns how many."""
        return self._purge(
            ["DELETE FROM sessions WHERE COALESCE(ended_at, expires_at) <= ?"], cutoff, dry_run
        )

    def clear_jobs_personal_before(self, cutoff: str, *, dry_run: bool = False) -> int:
        """Clear the personal part (family refs, decision ids) of jobs finished at or before
        `cutoff`, keeping their counts; returns how many jobs."""
        now = self._now()
        return self._purge(
            [f"UPDATE jobs SET personal = NULL, personal_cleared_at = '{now}'"
             " WHERE personal IS NOT NULL AND finished_at <= ?"],
            cutoff, dry_run,
        )  # fmt: skip

    def _purge(self, statements: list[str], cutoff: str, dry_run: bool) -> int:
        try:
            with self._write() as db:
                n = sum(db.execute(sql, [cutoff]).rowcount for sql in statements)
                if dry_run:
                    raise DryRun(n)
        except DryRun as done:
            return done.result
        return n

    def record_retention(self, *, actor: str, counts: dict[str, int], as_of: str) -> None:
        """The audit row of one retention run (`retention.apply`): counts only."""
        detail = " ".join(f"{k}={v}" for k, v in counts.items() if v) or "nothing due"
        self.audit(
            actor=actor, action="retention.apply", status=200, detail=f"as_of={as_of} {detail}"
        )

"""Restriction of processing (UK GDPR Art. 18): a family's data is kept but refused to every
role except admin, and new facts for it are refused, until the restriction is lifted.

One row per restriction (`restrictions`, migration 13): who restricted the family, when and
why, and who lifted it, when and why; at most one in force per family (a unique partial
index). Restricting a family of which nothing is held yet is allowed: facts sent for it
later are refused. Audited as `subject.restrict` and `subject.unrestrict`, the target the
restriction's id, never the family ref.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from .audit import AuditLog
from .errors import RefusedError


class RestrictionStateError(RefusedError):
    """The family is already restricted (restrict) or is not (unrestrict)."""


@dataclass(frozen=True)
class RestrictionRecord:
    """One restriction of a family's processing; `lifted_at` None while it is in force."""

    id: str
    family_ref: str | None
    restricted_at: str
    restricted_by: str
    reason: str | None
    lifted_at: str | None
    lifted_by: str | None
    lift_reason: str | None


class Restrictions(AuditLog):
    """The `restrictions` table."""

    def restrict_family(
        self, family_ref: str, *, restricted_by: str, reason: str, key_id: str | None = None
    ) -> RestrictionRecord:
        """Restrict the family's processing; RestrictionStateError if it already is."""
        if not family_ref:
            raise ValueError("a restriction names its family")
        record = RestrictionRecord(
            uuid.uuid4().hex, family_ref, "", restricted_by, reason.strip() or None, None, None,
            None,
        )  # fmt: skip
        try:
            with self._write() as db:
                row = {**record.__dict__, "restricted_at": self._now()}
                db["restrictions"].insert(row)
                self._audit(
                    db,
                    actor=restricted_by,
                    key_id=key_id,
                    action="subject.restrict",
                    status=201,
                    target=record.id,
                )
        except sqlite3.IntegrityError as exc:
            raise RestrictionStateError("that family's processing is already restricted") from exc
        return RestrictionRecord(**row)

    def unrestrict_family(
        self, family_ref: str, *, lifted_by: str, reason: str, key_id: str | None = None
    ) -> RestrictionRecord:
        """Lift the restriction in force; RestrictionStateError if there is none."""
        with self._write() as db:
            rows = list(
                db.query(
                    "SELECT * FROM restrictions WHERE family_ref = ? AND lifted_at IS NULL",
                    [family_ref],
                )
            )
            if not rows:
                raise RestrictionStateError("that family's processing is not restricted")
            row = {
                **rows[0],
                "lifted_at": self._now(),
                "lifted_by": lifted_by,
                "lift_reason": reason.strip() or None,
            }
            db.execute(
                "UPDATE restrictions SET lifted_at = ?, lifted_by = ?, lift_reason = ?"
                " WHERE id = ?",
                [row["lifted_at"], row["lifted_by"], row["lift_reason"], row["id"]],
            )
            self._audit(
                db,
                actor=lifted_by,
                key_id=key_id,
                action="subject.unrestrict",
                status=200,
                target=row["id"],
            )
        return RestrictionRecord(**row)

    def restriction_of(self, family_ref: str | None) -> RestrictionRecord | None:
        """The restriction in force for the family, or None."""
        if family_ref is None:
            return None
        with self._read() as db:
            rows = list(
                db.query(
                    "SELECT * FROM restrictions WHERE family_ref = ? AND lifted_at IS NULL",
                    [family_ref],
                )
            )
        return RestrictionRecord(**rows[0]) if rows else None

    def restricted_among(self, family_refs: Iterable[str | None]) -> set[str]:
        """Which of these family refs are restricted now (one query, for a listed page)."""
        refs = sorted({r for r in family_refs if r is not None})
        if not refs:
            return set()
        with self._read() as db:
            rows = db.execute(
                "SELECT family_ref FROM restrictions WHERE lifted_at IS NULL"
                " AND family_ref IN (SELECT value FROM json_each(?))",
                [json.dumps(refs)],
            ).fetchall()
        return {r[0] for r in rows}

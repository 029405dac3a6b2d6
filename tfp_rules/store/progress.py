"""Progress decisions: each follows one entry decision (several may), stored with the merged
facts it was made on, idempotently; read back, listed per entry, and reviewed.

Personal data (the merged facts and the decision with its trace) lives in
`progress_payloads`, apart from the metadata in `progress`, as for decisions. Reviews use
the decisions' rules (`reviews.write_review`), on `qualifies`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import timedelta
from typing import Any

from .audit import AuditLog
from .chain import link
from .errors import NotFoundError
from .idempotency import (
    IDEMPOTENCY_LIFETIME,
    PROGRESS_KEYS,
    check_lifetime,
    cutoff,
    purge_expired,
    remember,
    replayed_id,
)
from .listing import decode_cursor, encode_cursor, page, timestamp
from .payloads import PROGRESS_PAYLOADS, with_payload
from .persons import index_persons
from .records import ProgressRecord, ProgressReview, StoredProgress
from .reviews import PROGRESS, Reviews, reviews_of
from .sealed import sealed_payload


def _metadata_row(
    decision: dict[str, Any], entry_id: str, submitted_by: str, created_at: str
) -> dict[str, Any]:
    """The `progress` row of a progress decision as `progress_after` returns it."""
    try:
        ruleset = decision["ruleset"]
        qualifies = decision["qualifies"]
        return {
            "id": uuid.uuid4().hex,
            "created_at": created_at,
            "submitted_by": submitted_by,
            "entry_id": entry_id,
            "family_ref": decision["family_ref"],
            "assessment_date": decision["assessment_date"],
            "status": decision["status"],
            "qualifies": None if qualifies is None else int(bool(qualifies)),
            "qualifies_by": decision["qualifies_by"] if qualifies else None,
            "ruleset_id": ruleset["id"],
            "ruleset_version": ruleset["version"],
            "ruleset_sha256": ruleset["sha256"],
        }
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a progress decision as progress_after returns it: {exc}") from exc


def _fields(row: dict[str, Any], reviews: list[ProgressReview]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "submitted_by": row["submitted_by"],
        "entry_id": row["entry_id"],
        "family_ref": row["family_ref"],
        "assessment_date": row["assessment_date"],
        "status": row["status"],
        "qualifies": None if row["qualifies"] is None else bool(row["qualifies"]),
        "qualifies_by": row["qualifies_by"],
        "ruleset_id": row["ruleset_id"],
        "ruleset_version": row["ruleset_version"],
        "ruleset_sha256": row["ruleset_sha256"],
        "reviews": reviews,
    }


class ProgressChecks(Reviews, AuditLog):
    """The `progress`, `progress_payloads`, `progress_reviews` and `progress_idempotency`
    tables."""

    def save_progress(
        self,
        decision: dict[str, Any],
        facts: dict[str, Any],
        *,
        entry_id: str,
        submitted_by: str,
        key_id: str | None = None,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        idempotency_lifetime: timedelta = IDEMPOTENCY_LIFETIME,
    ) -> tuple[StoredProgress, bool]:
        """Store a progress decision following `entry_id`, with the merged facts it was made
        on; returns (progress decision, created).

        With an idempotency key (the client's own, scoped to progress checks), a repeat of
        the same request (`request_hash`) within the lifetime returns the first progress
        decision and created=False; the same key with another request is ConflictError.
        NotFoundError if the entry decision does not exist.
        """
        if not submitted_by:
            raise ValueError("submitted_by is required")
        if idempotency_key is not None and not (idempotency_key and request_hash):
            raise ValueError("an idempotency key needs a non-empty key and a request hash")
        lifetime = check_lifetime(idempotency_lifetime)
        try:
            with self._write() as db:
                moment = self._clock()
                expired_at = cutoff(moment, lifetime)
                if idempotency_key is not None:
                    earlier = self._progress_replay(
                        db, submitted_by, idempotency_key, request_hash, key_id, expired_at
                    )
                    if earlier is not None:
                        return earlier, False
                if not list(db.query("SELECT 1 FROM decisions WHERE id = ?", [entry_id])):
                    raise NotFoundError(f"no decision {entry_id!r} (entry_id)")
                purge_expired(db, expired_at, keys=PROGRESS_KEYS)
                row = _metadata_row(decision, entry_id, submitted_by, timestamp(moment))
                db["progress"].insert(row)
                db["progress_payloads"].insert(
                    {
                        "progress_id": row["id"],
                        **sealed_payload(
                            self.keys,
                            "progress_payloads",
                            row["id"],
                            facts=facts,
                            decision=decision,
                        ),
                    }
                )
                link(db, "progress", row["id"], self.keys)
                index_persons(
                    db, self.keys, family_ref=row["family_ref"], record_id=row["id"], facts=facts
                )
                if idempotency_key is not None:
                    remember(
                        db,
                        submitted_by=submitted_by,
                        key=idempotency_key,
                        request_hash=request_hash or "",
                        decision_id=row["id"],
                        created_at=row["created_at"],
                        expired_at=expired_at,
                        keys=PROGRESS_KEYS,
                    )
                self._audit(
                    db,
                    actor=submitted_by,
                    key_id=key_id,
                    action="progress.create",
                    status=201,
                    target=row["id"],
                    detail=f"entry={entry_id} {row['ruleset_id']}@{row['ruleset_version']}"
                    f" status={row['status']} qualifies={json.dumps(decision['qualifies'])}",
                )
                stored = self.get_progress(row["id"])
        except sqlite3.IntegrityError as exc:
            # Another writer used the same key between our look-up and insert (BEGIN
            # IMMEDIATE prevents it; the unique index is the guarantee): answer its result.
            if idempotency_key is None or "progress_idempotency" not in str(exc):
                raise
            earlier = self.replay_progress(
                submitted_by,
                idempotency_key,
                request_hash or "",
                key_id=key_id,
                idempotency_lifetime=lifetime,
            )
            if earlier is None:
                raise
            return earlier, False
        return stored, True

    def replay_progress(
        self,
        submitted_by: str,
        idempotency_key: str,
        request_hash: str,
        *,
        key_id: str | None = None,
        idempotency_lifetime: timedelta = IDEMPOTENCY_LIFETIME,
    ) -> StoredProgress | None:
        """The progress decision an earlier request with this key made (audited as a
        replay), or None if the key is new or expired; ConflictError for another request."""
        with self._write() as db:
            expired_at = cutoff(self._clock(), idempotency_lifetime)
            return self._progress_replay(
                db, submitted_by, idempotency_key, request_hash, key_id, expired_at
            )

    def _progress_replay(
        self,
        db: Any,
        submitted_by: str,
        key: str,
        request_hash: str | None,
        key_id: str | None,
        expired_at: str,
    ) -> StoredProgress | None:
        progress_id = replayed_id(db, submitted_by, key, request_hash, expired_at, PROGRESS_KEYS)
        if progress_id is None:
            return None
        self._audit(
            db,
            actor=submitted_by,
            key_id=key_id,
            action="progress.replay",
            status=200,
            target=progress_id,
        )
        return self.get_progress(progress_id)

    def get_progress(self, progress_id: str) -> StoredProgress:
        """One progress decision with its decision dict and its reviews, oldest first."""
        with self._read() as db:
            row, decision = with_payload(
                db, PROGRESS_PAYLOADS, progress_id, "decision", "d.*", keys=self.keys
            )
            reviews = reviews_of(db, [progress_id], PROGRESS, keys=self.keys)[progress_id]
        return StoredProgress(**_fields(row, reviews), decision=decision)

    def get_progress_facts(self, progress_id: str) -> dict[str, Any]:
        """The merged facts a progress decision was made on (personal data)."""
        with self._read() as db:
            return with_payload(db, PROGRESS_PAYLOADS, progress_id, "facts", keys=self.keys)[1]

    def list_progress(
        self,
        entry_id: str,
        *,
        submitted_by: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[ProgressRecord], str | None]:
        """The progress decisions following one entry decision, newest first, metadata and
        reviews only (those `submitted_by` made, if given); returns (page, next cursor)."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        where, args = ["r.entry_id = ?"], [entry_id]
        if submitted_by is not None:
            where.append("r.submitted_by = ?")
            args.append(submitted_by)
        if cursor is not None:
            where.append("(r.created_at, r.id) < (?, ?)")
            args.extend(decode_cursor(cursor))
        with self._read() as db:
            rows, more = page(
                db, "SELECT r.* FROM progress r", where, args, "r.created_at DESC, r.id DESC", limit
            )
            reviews = reviews_of(db, [row["id"] for row in rows], PROGRESS, keys=self.keys)
        records = [ProgressRecord(**_fields(row, reviews[row["id"]])) for row in rows]
        return records, (encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None)

    def add_progress_review(
        self,
        progress_id: str,
        *,
        verdict: str,
        reason: str,
        reviewer: str,
        qualifies: bool | None = None,
        key_id: str | None = None,
    ) -> ProgressReview:
        """Record a human review of a progress decision, by the rules of decision reviews
        (`Reviews.add_review`) on whether the family qualifies for a results claim."""
        return self.write_review(
            PROGRESS,
            progress_id,
            verdict=verdict,
            value=qualifies,
            reason=reason,
            reviewer=reviewer,
            key_id=key_id,
        )

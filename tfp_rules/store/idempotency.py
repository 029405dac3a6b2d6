"""Idempotency keys: a client's retry is answered with the first decision, for a lifetime.

A key is honoured for `lifetime` after the request that first used it (the row's
`created_at`; replays do not extend it). Once expired it is as if never used: the same key
makes a new decision, whatever it was used for before. Expired rows are purged on every
decision write, at most `PURGE_BATCH` at a time, oldest first, in the write's own
transaction: the table holds the keys of one lifetime plus a backlog that every write
shrinks, and no write pays for more than one batch. Keys are the client's own text (a
partner may put a family reference in one), so keeping them no longer than retries need is
also data minimisation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from .listing import timestamp

# A day covers a partner's automatic retries and an overnight batch retried next morning;
# the longest a deployment may choose is the longest grace a rotated API key may have.
IDEMPOTENCY_LIFETIME = timedelta(hours=24)
MAX_IDEMPOTENCY_LIFETIME = timedelta(hours=720)
PURGE_BATCH = 100


def check_lifetime(lifetime: timedelta) -> timedelta:
    """`lifetime` if it is a usable key lifetime (more than nothing, at most 720 hours);
    ValueError otherwise."""
    if not isinstance(lifetime, timedelta):
        raise ValueError(f"an idempotency key lifetime is a timedelta, not {lifetime!r}")
    if not timedelta(0) < lifetime <= MAX_IDEMPOTENCY_LIFETIME:
        raise ValueError(
            f"an idempotency key lifetime is more than 0 and at most"
            f" {MAX_IDEMPOTENCY_LIFETIME.total_seconds() / 3600:g} hours, not {lifetime}"
        )
    return lifetime


def cutoff(now: datetime, lifetime: timedelta) -> str:
    """The stored-format time at or before which a key has expired."""
    return timestamp(now - check_lifetime(lifetime))


def earlier_request(
    db: sqlite_utils.Database, submitted_by: str, key: str, expired_at: str
) -> dict[str, Any] | None:
    """The live record of this client's key (`request_hash`, `decision_id`), or None if the
    key is new or has expired."""
    rows = list(
        db.query(
            "SELECT request_hash, decision_id FROM idempotency"
            " WHERE submitted_by = ? AND key = ? AND created_at > ?",
            [submitted_by, key, expired_at],
        )
    )
    return rows[0] if rows else None


def remember(
    db: sqlite_utils.Database,
    *,
    submitted_by: str,
    key: str,
    request_hash: str,
    decision_id: str,
    created_at: str,
    expired_at: str,
) -> None:
    """Record that this client's key made `decision_id`, replacing an expired use of the same
    key (the unique index allows one row per client and key)."""
    db.execute(
        "DELETE FROM idempotency WHERE submitted_by = ? AND key = ? AND created_at <= ?",
        [submitted_by, key, expired_at],
    )
    db["idempotency"].insert(
        {
            "submitted_by": submitted_by,
            "key": key,
            "request_hash": request_hash,
            "decision_id": decision_id,
            "created_at": created_at,
        }
    )


def purge_expired(db: sqlite_utils.Database, expired_at: str, limit: int | None = None) -> int:
    """Delete up to `limit` (default PURGE_BATCH) expired keys of any client, oldest first
    (by the index of migration 6); returns how many were deleted."""
    limit = PURGE_BATCH if limit is None else limit
    cursor = db.execute(
        "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency"
        " WHERE created_at <= ? ORDER BY created_at LIMIT ?)",
        [expired_at, limit],
    )
    return cursor.rowcount

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

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from .errors import ConflictError
from .listing import timestamp
from .statements import insert


@dataclass(frozen=True)
class KeyTable:
    """A table of idempotency keys and the column naming what each key's request made."""

    table: str
    column: str
    noun: str


DECISION_KEYS = KeyTable("idempotency", "decision_id", "decision")
PROGRESS_KEYS = KeyTable("progress_idempotency", "progress_id", "progress decision")

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
    db: sqlite_utils.Database,
    submitted_by: str,
    key: str,
    expired_at: str,
    keys: KeyTable = DECISION_KEYS,
) -> dict[str, Any] | None:
    """The live record of this client's key (`request_hash` and `keys.column`), or None if
    the key is new or has expired."""
    found = db.execute(
        f"SELECT request_hash, {keys.column} FROM {keys.table}"
        " WHERE submitted_by = ? AND key = ? AND created_at > ?",
        [submitted_by, key, expired_at],
    ).fetchone()
    return {"request_hash": found[0], keys.column: found[1]} if found else None


def replayed_id(
    db: sqlite_utils.Database,
    submitted_by: str,
    key: str,
    request_hash: str | None,
    expired_at: str,
    keys: KeyTable = DECISION_KEYS,
) -> str | None:
    """The id of what the live use of this key made, or None if the key is new or expired;
    ConflictError if it was used for another request."""
    earlier = earlier_request(db, submitted_by, key, expired_at, keys)
    if earlier is None:
        return None
    made = earlier[keys.column]
    if not hmac.compare_digest(earlier["request_hash"], request_hash or ""):
        raise ConflictError(
            f"idempotency key {key!r} was already used for a different request"
            f" ({keys.noun} {made})",
            made,
        )
    return made


def remember(
    db: sqlite_utils.Database,
    *,
    submitted_by: str,
    key: str,
    request_hash: str,
    decision_id: str,
    created_at: str,
    expired_at: str,
    keys: KeyTable = DECISION_KEYS,
) -> None:
    """Record that this client's key made `decision_id` (a progress decision's id, for
    PROGRESS_KEYS), replacing an expired use of the same key (the unique index allows one
    row per client and key)."""
    db.execute(
        f"DELETE FROM {keys.table} WHERE submitted_by = ? AND key = ? AND created_at <= ?",
        [submitted_by, key, expired_at],
    )
    insert(
        db.conn,
        keys.table,
        {
            "submitted_by": submitted_by,
            "key": key,
            "request_hash": request_hash,
            keys.column: decision_id,
            "created_at": created_at,
        },
    )


def purge_expired(
    db: sqlite_utils.Database,
    expired_at: str,
    limit: int | None = None,
    keys: KeyTable = DECISION_KEYS,
) -> int:
    """Delete up to `limit` (default PURGE_BATCH) expired keys of any client, oldest first
    (by the index of migration 6, or 7 for progress keys); returns how many were deleted."""
    limit = PURGE_BATCH if limit is None else limit
    cursor = db.execute(
        f"DELETE FROM {keys.table} WHERE rowid IN (SELECT rowid FROM {keys.table}"
        " WHERE created_at <= ? ORDER BY created_at LIMIT ?)",
        [expired_at, limit],
    )
    return cursor.rowcount

"""Browser sessions: a person's API key exchanged for a session at sign-in.

Only the session token's sha256 is stored, with the key it acts for, when it started and
when it was last used. A session ends at sign-out, after `idle` without a request, at its
absolute `expires_at`, or as soon as its key is revoked or expires. The table holds no
family's data, only who and when, so retention (issue 18) can drop ended sessions whole.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from .hashing import sha256_hex
from .keys import Keys
from .listing import timestamp
from .records import ApiKey

SESSION_PREFIX = "tfps_"


class Sessions(Keys):
    """The `sessions` table."""

    def start_session(self, key: ApiKey, *, lifetime: timedelta) -> str:
        """A new session for `key` (an active key, as `authenticate` returned it); its secret
        token, to be set as a cookie and never stored."""
        token = f"{SESSION_PREFIX}{secrets.token_urlsafe(32)}"
        now = self._clock()
        with self._write() as db:
            db["sessions"].insert(
                {
                    "id": sha256_hex(token),
                    "key_id": key.id,
                    "created_at": timestamp(now),
                    "last_seen_at": timestamp(now),
                    "expires_at": timestamp(now + lifetime),
                    "ended_at": None,
                    "end_reason": None,
                }
            )
        return token

    def session_key(self, token: str, *, idle: timedelta) -> tuple[ApiKey | None, str | None]:
        """The active key a live session acts for, having noted this use of it; or None and
        why the session is over ("signed out", "idle", "expired", "key revoked"...), None
        for a token that was never a session."""
        if not isinstance(token, str) or not token.startswith(SESSION_PREFIX):
            return None, None
        digest = sha256_hex(token)
        now = self._clock()
        with self._write() as db:
            rows = list(db.query("SELECT * FROM sessions WHERE id = ?", [digest]))
            if not rows:
                return None, None
            row = rows[0]
            if row["ended_at"] is not None:
                return None, row["end_reason"]
            key = self._key(db, row["key_id"])
            reason = None
            if not key.active:
                reason = f"key {key.state}"
            elif row["expires_at"] <= timestamp(now):
                reason = "expired"
            elif row["last_seen_at"] <= timestamp(now - idle):
                reason = "idle"
            if reason is not None:
                db["sessions"].update(digest, {"ended_at": timestamp(now), "end_reason": reason})
                return None, reason
            db["sessions"].update(digest, {"last_seen_at": timestamp(now)})
            return key, None

    def end_session(self, token: str) -> bool:
        """Sign out: end the session `token` names; False if it was no live session."""
        if not isinstance(token, str) or not token.startswith(SESSION_PREFIX):
            return False
        with self._write() as db:
            cursor = db.execute(
                "UPDATE sessions SET ended_at = ?, end_reason = 'signed out'"
                " WHERE id = ? AND ended_at IS NULL",
                [self._now(), sha256_hex(token)],
            )
            return cursor.rowcount == 1

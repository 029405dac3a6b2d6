"""The audit log: who did what to what, when, with which key, and with what outcome.

Every row names its actor (a client id; `anonymous` for a request without a valid key;
`cli:<user>` or `library:<user>` for local use) and its outcome as an HTTP-like status
(the status answered, for a request; 201 when a store action created something, else 200).
No foreign keys and no personal data: the trail outlives the decisions it mentions, so a
row names ids and outcomes, never a family's facts, its reference or a reviewer's reason.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import json
import os
from typing import Any

import sqlite_utils

from .connection import Connection
from .listing import moment_bound, page

ANONYMOUS = "anonymous"
ACTIONS = (
    "audit.list",
    "client.create",
    "decision.create",
    "decision.list",
    "decision.read",
    "decision.replay",
    "key.create",
    "key.revoke",
    "key.rotate",
    "request.rejected",
    "review.create",
)
COLUMNS = ("id", "at", "actor", "key_id", "action", "target", "status", "detail")


def os_actor(prefix: str) -> str:
    """An actor for work done on this machine rather than through the API: `prefix:<OS user>`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry, e.g. in a container
        user = f"uid{os.getuid()}"
    return f"{prefix}:{user}"


def json_bool(value: Any) -> str:
    """A flag as audit details spell it."""
    return "true" if value else "false"


def _check(actor: str, action: str, status: int) -> None:
    if not isinstance(actor, str) or not actor:
        raise ValueError("an audit row names its actor")
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of: {', '.join(ACTIONS)}")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"an audit row records its outcome as an HTTP status, not {status!r}")


def _encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([row_id]).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        [row_id] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc
    if not isinstance(row_id, int) or isinstance(row_id, bool):
        raise ValueError(f"invalid cursor {cursor!r}")
    return row_id


class AuditLog(Connection):
    """Writing and reading the audit log."""

    def _audit(
        self,
        db: sqlite_utils.Database,
        *,
        actor: str,
        action: str,
        status: int,
        target: str | None = None,
        detail: str | None = None,
        key_id: str | None = None,
    ) -> None:
        """One audit row, inside the caller's transaction (it commits or rolls back with it)."""
        _check(actor, action, status)
        db["audit"].insert(
            {
                "at": self._now(),
                "actor": actor,
                "key_id": key_id,
                "action": action,
                "target": target,
                "status": status,
                "detail": detail,
            }
        )

    def audit(
        self,
        *,
        actor: str,
        action: str,
        status: int,
        target: str | None = None,
        detail: str | None = None,
        key_id: str | None = None,
    ) -> None:
        """Record who (`actor`, with `key_id` if a key was used) did what (`action`, one of
        ACTIONS) to what (`target`), with what outcome (`status`), in its own transaction.
        Keep personal data out of `detail`: the log outlives the decisions it mentions."""
        with self._write() as db:
            self._audit(
                db,
                actor=actor,
                action=action,
                status=status,
                target=target,
                detail=detail,
                key_id=key_id,
            )

    def list_audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        at_from: str | None = None,
        at_to: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Audit rows newest first, as dicts of COLUMNS; returns (page, next cursor or None).

        `at_from`/`at_to` take a date (the whole day, UTC) or an ISO 8601 time (UTC if no
        zone), both inclusive. Reading is not itself recorded here: the caller records it,
        naming the reader. Bad arguments raise ValueError.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("actor", actor), ("action", action), ("target", target)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        for value, name, upper in ((at_from, "from", False), (at_to, "to", True)):
            if value is not None:
                op, moment = moment_bound(value, name, upper=upper)
                where.append(f"at {op} ?")
                args.append(moment)
        if cursor is not None:
            where.append("id < ?")
            args.append(_decode_cursor(cursor))
        with self._read() as db:
            rows, more = page(
                db, f"SELECT {', '.join(COLUMNS)} FROM audit", where, args, "id DESC", limit
            )
        return rows, (_encode_cursor(rows[-1]["id"]) if more else None)

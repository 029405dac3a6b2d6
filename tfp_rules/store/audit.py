"""The audit log: who did what to what, when, with what outcome.

No foreign keys and no personal data: the trail outlives the decisions it mentions, so a
row names ids and outcomes, never a family's facts or a reviewer's reason.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from .connection import Connection


def json_bool(value: Any) -> str:
    """A flag as audit details spell it."""
    return "true" if value else "false"


def record(
    db: sqlite_utils.Database,
    *,
    at: str,
    actor: str | None,
    action: str,
    target: str | None = None,
    status: int | None = None,
    detail: str | None = None,
) -> None:
    """One audit row, inside the caller's transaction (so it commits or rolls back with it)."""
    db["audit"].insert(
        {
            "at": at,
            "actor": actor,
            "action": action,
            "target": target,
            "status": status,
            "detail": detail,
        }
    )


class AuditLog(Connection):
    """Writing and reading the audit log."""

    def _audit(
        self,
        db: sqlite_utils.Database,
        *,
        actor: str | None,
        action: str,
        target: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        record(
            db,
            at=self._now(),
            actor=actor,
            action=action,
            target=target,
            status=status,
            detail=detail,
        )

    def audit(
        self,
        *,
        actor: str | None,
        action: str,
        target: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Record who did what to what, in its own transaction. Keep personal data out of
        `detail`: the audit log outlives the decisions it mentions."""
        if not action:
            raise ValueError("action is required")
        with self._write() as db:
            self._audit(db, actor=actor, action=action, target=target, status=status, detail=detail)

    def list_audit(
        self, *, target: str | None = None, actor: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Audit rows, newest first: id, at, actor, action, target, status, detail."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        where, args = [], []
        if target is not None:
            where.append("target = ?")
            args.append(target)
        if actor is not None:
            where.append("actor = ?")
            args.append(actor)
        sql = (
            "SELECT id, at, actor, action, target, status, detail FROM audit"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY id DESC LIMIT ?"
        )
        with self._read() as db:
            return list(db.query(sql, [*args, limit]))

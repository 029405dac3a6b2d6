"""Storage faults on demand, without root: SQLite's own errors, or a double that fails one
chosen statement.

- `disk_full`: `PRAGMA max_page_count` at the current size, so the next write that needs a
  new page gets SQLite's real "database or disk is full" (SQLITE_FULL), mid-transaction.
- `read_only`: `PRAGMA query_only`, so every write gets "attempt to write a readonly
  database" (SQLITE_READONLY), as a file remounted read-only would.
- `FailingConnection`: the store's sqlite3 connection with one statement (BEGIN, a write, or
  COMMIT, counted in order) failing with the error a full disk gives. Unlike SQLite, it does
  not roll anything back itself, so the store's own rollback is what is tested; it can make
  the ROLLBACK fail too.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tfp_rules.store import Store

DISK_FULL = "database or disk is full"
COUNTED = ("BEGIN", "INSERT", "UPDATE", "DELETE", "REPLACE", "COMMIT")


def disk_full(store: Store) -> None:
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")


def read_only(store: Store) -> None:
    store.db.execute("PRAGMA query_only = 1")


def cleared(store: Store) -> None:
    """The fault fixed: room on the disk, the file writable again."""
    store.db.execute("PRAGMA query_only = 0")
    store.db.execute("PRAGMA max_page_count = 1073741823")


class FailingConnection:
    """Delegates to the real connection; the `fail_at`-th counted statement raises instead."""

    def __init__(self, real: sqlite3.Connection):
        self._real = real
        self.fail_at: int | None = None
        self.fail_rollback = False
        self.count = 0

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        word = sql.lstrip().split(None, 1)[0].upper()
        if word == "ROLLBACK" and self.fail_rollback:
            raise sqlite3.OperationalError("disk I/O error")
        if word in COUNTED:
            self.count += 1
            if self.count == self.fail_at:
                raise sqlite3.OperationalError(DISK_FULL)
        return self._real.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def arm(self, fail_at: int | None, *, fail_rollback: bool = False) -> None:
        self.fail_at, self.fail_rollback, self.count = fail_at, fail_rollback, 0


def failing(store: Store) -> FailingConnection:
    """Put the double between the store (and its sqlite-utils Database) and SQLite."""
    double = FailingConnection(store._conn)
    store._conn = double  # type: ignore[assignment]
    store.db.conn = double  # type: ignore[assignment]
    return double


def contents(path: Path) -> list[str]:
    """Everything committed to the file, as SQL, read through a connection of its own."""
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def consistent(path: Path) -> None:
    """No half-written record: every decision has its payload and its audit row, every key
    and payload its decision; and SQLite finds the file sound."""
    db = sqlite3.connect(path)
    try:
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        assert one("PRAGMA integrity_check") == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert (
            one(
                "SELECT count(*) FROM decisions d WHERE NOT EXISTS"
                " (SELECT 1 FROM decision_payloads p WHERE p.decision_id = d.id)"
            )
            == 0
        )
        assert (
            one(
                "SELECT count(*) FROM decision_payloads p WHERE NOT EXISTS"
                " (SELECT 1 FROM decisions d WHERE d.id = p.decision_id)"
            )
            == 0
        )
        assert (
            one(
                "SELECT count(*) FROM idempotency i WHERE NOT EXISTS"
                " (SELECT 1 FROM decisions d WHERE d.id = i.decision_id)"
            )
            == 0
        )
        made = {r[0] for r in db.execute("SELECT id FROM decisions")}
        audited = {
            r[0] for r in db.execute("SELECT target FROM audit WHERE action = 'decision.create'")
        }
        assert made == audited
    finally:
        db.close()

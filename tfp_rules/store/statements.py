"""Inserts with fixed column lists, for the write paths that run on every request.

sqlite-utils' `table.insert` reads the table's schema (three `sqlite_master` queries) and
wraps the insert in a savepoint on every call; on `save_decision` that was 4 of every 10
statements. Here the SQL is made once per table and column list and SQLite's statement
cache keeps it prepared.
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=64)
def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """`INSERT INTO table (columns) VALUES (?, ...)` (names are the store's own, never input)."""
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'


def insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> int:
    """Insert one row (its keys are the columns) in the caller's transaction; its rowid."""
    cursor = conn.execute(insert_sql(table, tuple(row)), tuple(row.values()))
    rowid = cursor.lastrowid
    assert rowid is not None
    return rowid

"""Opening the store: tables and schema version, durable pragmas, file permissions, many
openers at once, and files it must refuse."""

from __future__ import annotations

import re
import threading

import pytest

from tfp_rules.store import (
    MIGRATIONS,
    Store,
    StoreError,
)

from .conftest import TABLES, raw


def test_opening_creates_every_table_and_records_the_version(db_path):
    with Store(db_path) as store:
        assert store.schema_version == len(MIGRATIONS)
    db = raw(db_path)
    assert set(db.table_names()) >= TABLES
    assert [r["version"] for r in db["schema_version"].rows] == [len(MIGRATIONS)]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_database_file_is_readable_by_its_owner_only(db_path):
    Store(db_path).close()
    assert db_path.stat().st_mode & 0o077 == 0


def test_connection_is_durable_and_enforces_foreign_keys(store):
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_reopening_applies_nothing_twice_and_keeps_the_data(db_path, make):
    with Store(db_path) as store:
        saved, _ = store.save_decision(*make(), submitted_by="k1")
        schema = raw(db_path).execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    for _ in range(2):
        with Store(db_path) as store:
            assert store.schema_version == len(MIGRATIONS)
            assert store.get_decision(saved.id) == saved
    db = raw(db_path)
    assert db["schema_version"].count == 1
    assert db.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema


def test_many_threads_can_create_the_same_new_database_at_once(tmp_path):
    # Switching a new file to WAL takes a lock SQLite does not wait for: the store retries.
    for attempt in range(20):
        path = tmp_path / f"new-{attempt}.sqlite"
        barrier = threading.Barrier(8)
        errors = []

        def open_it(path=path, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                with Store(path) as store:
                    assert store.schema_version == len(MIGRATIONS)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert raw(path)["schema_version"].count == 1


def test_a_database_newer_than_the_code_is_refused(db_path):
    Store(db_path).close()
    raw(db_path).execute("UPDATE schema_version SET version = ?", [len(MIGRATIONS) + 1])
    known = len(MIGRATIONS)
    message = f"schema version {known + 1} is newer than this code knows ({known})"
    with pytest.raises(StoreError, match=re.escape(message)):
        Store(db_path)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("shopping list: eggs, milk, bread, tea, and a great deal more text\n" * 20)
    with pytest.raises(StoreError, match="cannot open the decision store"):
        Store(path)

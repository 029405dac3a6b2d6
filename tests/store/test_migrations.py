"""Databases written by earlier schema versions migrate in place, keeping their data."""

from __future__ import annotations

import json

from tfp_rules.store import (
    Store,
)


def test_migration_2_keeps_version_1_decisions_and_their_reviews(tmp_path, make):
    """A database written by schema 1 (before undetermined outcomes) migrates in place."""
    import sqlite3

    from tfp_rules.store import migrations

    path = tmp_path / "old.sqlite"
    old = migrations.MIGRATIONS
    migrations.MIGRATIONS = old[:1]
    try:
        with Store(path) as v1:
            assert v1.schema_version == 1
    finally:
        migrations.MIGRATIONS = old
    decision, facts = make()
    rs = decision["ruleset"]
    raw_db = sqlite3.connect(path)
    with raw_db:  # a row as schema 1 wrote them: no status column
        raw_db.execute(
            "INSERT INTO decisions VALUES ('d1', '2026-01-01T00:00:00.000000Z', 'k1', 'F', '2019-03-31', 1, ?, ?, ?, ?, NULL)",
            [json.dumps(decision["headlines_met"]), rs["id"], rs["version"], rs["sha256"]],
        )
        raw_db.execute(
            "INSERT INTO decision_payloads VALUES ('d1', ?, ?)",
            [json.dumps(facts), json.dumps(decision)],
        )
        raw_db.execute(
            "INSERT INTO reviews (id, decision_id, verdict, eligible, reason, reviewer, created_at) "
            "VALUES ('r1', 'd1', 'confirm', NULL, 'checked', 'k2', '2026-01-02T00:00:00.000000Z')"
        )
    raw_db.close()
    saved = type("Saved", (), {"id": "d1"})
    with Store(path) as v2:
        assert v2.schema_version == 2
        again = v2.get_decision(saved.id)
        assert (again.status, again.eligible, len(again.reviews)) == ("eligible", True, 1)
        assert [d.id for d in v2.list_decisions(status="eligible")[0]] == [saved.id]
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    assert connection.execute("SELECT count(*) FROM decision_payloads").fetchone() == (1,)

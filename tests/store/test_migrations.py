"""Databases written by earlier schema versions migrate in place, keeping their data."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tfp_rules.store import MIGRATIONS, Store, SupersededError, migrations

from .conftest import Clock


def created_at_version(path: Path, version: int) -> None:
    """An empty database as the code of schema `version` created it (its first migrations)."""
    every = migrations.MIGRATIONS
    migrations.MIGRATIONS = every[:version]
    try:
        with Store(path) as old:
            assert old.schema_version == version
    finally:
        migrations.MIGRATIONS = every


def test_migration_2_keeps_version_1_decisions_and_their_reviews(tmp_path, make):
    """A database written by schema 1 (before undetermined outcomes) migrates in place."""
    path = tmp_path / "old.sqlite"
    created_at_version(path, 1)
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
    with Store(path) as current:
        assert current.schema_version == len(MIGRATIONS)
        again = current.get_decision("d1")
        assert (again.status, again.eligible, len(again.reviews)) == ("eligible", True, 1)
        assert [d.id for d in current.list_decisions(status="eligible")[0]] == ["d1"]
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    assert connection.execute("SELECT count(*) FROM decision_payloads").fetchone() == (1,)


def _token(key_id: str) -> str:
    return f"tfp_{key_id}_{'s' * 43}"


@pytest.fixture
def version_2(tmp_path, make) -> Path:
    """A schema-2 database holding what the first release wrote: keys (two sharing a name,
    one revoked), decisions submitted under key ids (one with two successors: a forked
    chain), a review, an idempotency record and audit rows, inserted as that release's SQL
    wrote them."""
    path = tmp_path / "v2.sqlite"
    created_at_version(path, 2)
    decision, facts = make()
    rs = decision["ruleset"]
    db = sqlite3.connect(path)
    with db:
        for n, (key_id, name, role, revoked) in enumerate(
            [
                ("a1", "school-mis", "submitter", None),
                ("b2", "duty", "reviewer", None),
                ("c3", "school-mis", "submitter", None),  # the same name again
                ("d4", "leaver", "reviewer", "2026-01-05T00:00:00.000000Z"),
            ]
        ):
            db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?)",
                [
                    key_id,
                    name,
                    role,
                    hashlib.sha256(_token(key_id).encode()).hexdigest(),
                    f"2026-01-0{n + 1}T00:00:00.000000Z",
                    revoked,
                ],
            )
        for decision_id, by, status, previous in [
            ("d1", "a1", "eligible", None),
            ("d2", "c3", "not_eligible", None),
            ("d3", "a1", "eligible", "d1"),
            ("d4", "a1", "eligible", "d1"),  # /facts twice on d1: the first release forked
        ]:
            db.execute(
                "INSERT INTO decisions VALUES (?, ?, ?, 'F1', '2019-03-31', ?, ?, ?, ?, ?, ?, ?)",
                [
                    decision_id,
                    f"2026-02-0{decision_id[1]}T00:00:00.000000Z",
                    by,
                    int(status == "eligible"),
                    json.dumps(decision["headlines_met"]),
                    rs["id"],
                    rs["version"],
                    rs["sha256"],
                    previous,
                    status,
                ],
            )
            db.execute(
                "INSERT INTO decision_payloads VALUES (?, ?, ?)",
                [decision_id, json.dumps(facts), json.dumps(decision)],
            )
        db.execute(
            "INSERT INTO reviews (id, decision_id, verdict, eligible, reason, reviewer, created_at)"
            " VALUES ('r1', 'd1', 'override', 0, 'moved', 'b2', '2026-02-03T00:00:00.000000Z')"
        )
        db.execute(
            "INSERT INTO idempotency VALUES ('a1', 'retry-1', 'h', 'd1', '2026-02-01T00:00:00Z')"
        )
        db.execute(
            "INSERT INTO audit (at, actor, action, target) VALUES"
            " ('2026-02-01T00:00:00.000000Z', 'a1', 'decision.create', 'd1')"
        )
    db.close()
    return path


def test_a_version_2_database_migrates_in_place_keeping_decisions_keys_and_ownership(version_2):
    # opened within a day of the old idempotency record, so that it is still live
    with Store(version_2, clock=Clock("2026-02-01T12:00:00+00:00")) as store:
        assert store.schema_version == len(MIGRATIONS)
        # every old key is a client with the key's id, so old owners stay the owners
        keys = {k.id: k for k in store.list_keys()}
        assert {k: (v.client_id, v.name, v.role, v.state) for k, v in keys.items()} == {
            "a1": ("a1", "school-mis", "submitter", "active"),
            "b2": ("b2", "duty", "reviewer", "active"),
            "c3": ("c3", "school-mis (c3)", "submitter", "active"),  # names are unique now
            "d4": ("d4", "leaver", "reviewer", "revoked"),
        }
        assert store.authenticate(_token("a1")) == keys["a1"]
        assert store.authenticate(_token("d4")) is None
        d1 = store.get_decision("d1")
        assert (d1.submitted_by, d1.status, d1.eligible) == ("a1", "eligible", True)
        assert [(r.verdict, r.eligible, r.reviewer) for r in d1.reviews] == [
            ("override", False, "b2")
        ]
        assert [d.id for d in store.list_decisions(submitted_by="c3")[0]] == ["d2"]
        # a new key for an old client owns the client's old decisions
        new, _ = store.create_key("submitter", "school-mis")
        assert new.client_id == "a1"
        mine = store.list_decisions(submitted_by=new.client_id)[0]
        assert [d.id for d in mine] == ["d4", "d3", "d1"]
        # the old fork is kept as it was; the earlier successor is the one that supersedes
        assert [store.get_decision(d).previous_id for d in ("d3", "d4")] == ["d1", "d1"]
        assert (d1.superseded_by, store.latest_in_chain("d1")) == ("d3", "d3")
        with pytest.raises(SupersededError):
            store.save_decision(d1.decision, {"new": 1}, submitted_by="a1", previous_id="d1")
        # the old idempotency record still answers for its client
        again, created = store.save_decision(
            d1.decision, {}, submitted_by="a1", idempotency_key="retry-1", request_hash="h"
        )
        assert (again.id, created) == ("d1", False)
        # ... and expires a day after it was made, like any other
        store._clock.now = datetime(2026, 2, 2, tzinfo=UTC)
        _, created = store.save_decision(
            d1.decision, {}, submitted_by="a1", idempotency_key="retry-1", request_hash="h"
        )
        assert created is True
        assert [r["action"] for r in store.list_audit(target="d1")[0]][-1] == "decision.create"
    connection = sqlite3.connect(version_2)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_version_5_database_gains_the_idempotency_index_and_its_keys_expire(tmp_path, make):
    """Migration 6 only adds an index: keys stored before it still replay, then expire and
    are purged like any other."""
    path = tmp_path / "v5.sqlite"
    created_at_version(path, 5)
    decision, facts = make()
    rs = decision["ruleset"]
    db = sqlite3.connect(path)
    with db:  # as schema 5 wrote them
        db.execute(
            "INSERT INTO decisions (id, created_at, submitted_by, family_ref, assessment_date,"
            " eligible, headlines_met, ruleset_id, ruleset_version, ruleset_sha256, status)"
            " VALUES ('d1', '2026-06-01T08:00:00.000000Z', 'a1', 'F1', '2019-03-31', 1, ?, ?, ?,"
            " ?, 'eligible')",
            [json.dumps(decision["headlines_met"]), rs["id"], rs["version"], rs["sha256"]],
        )
        db.execute(
            "INSERT INTO decision_payloads VALUES ('d1', ?, ?)",
            [json.dumps(facts), json.dumps(decision)],
        )
        db.execute(
            "INSERT INTO idempotency VALUES"
            " ('a1', 'retry-1', 'h', 'd1', '2026-06-01T08:00:00.000000Z')"
        )
    db.close()
    clock = Clock("2026-06-01T20:00:00+00:00")
    with Store(path, clock=clock) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.replay("a1", "retry-1", "h").id == "d1"
        clock.now = datetime(2026, 6, 2, 8, tzinfo=UTC)
        assert store.replay("a1", "retry-1", "h") is None
        store.save_decision(decision, facts, submitted_by="a2")
        assert store.db["idempotency"].count == 0
    connection = sqlite3.connect(path)
    indexes = {r[1] for r in connection.execute("PRAGMA index_list(idempotency)")}
    assert "idempotency_created" in indexes
    assert connection.execute("SELECT count(*) FROM decisions").fetchone() == (2,)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)

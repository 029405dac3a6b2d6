"""Idempotency keys expire: a retry within the lifetime replays, a key older than it is new,
and expired keys are purged on write in bounded batches (issue 14: 1,000 distinct
255-character keys were all kept for ever)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tfp_rules.store import (
    IDEMPOTENCY_LIFETIME,
    ConflictError,
    Store,
    idempotency,
)

from .conftest import raw

DAY = timedelta(hours=24)


def keys_of(store: Store) -> list[tuple[str, str]]:
    return [
        (r["submitted_by"], r["key"])
        for r in store.db.query("SELECT submitted_by, key FROM idempotency ORDER BY rowid")
    ]


def test_the_default_lifetime_is_a_day():
    assert IDEMPOTENCY_LIFETIME == DAY


def test_a_key_replays_within_its_lifetime_and_is_new_after_it(store, clock, make):
    decision, facts = make()
    first, _ = store.save_decision(decision, facts, submitted_by="k1", idempotency_key="r1")
    clock.now += DAY - timedelta(minutes=1)
    again, created = store.save_decision(decision, facts, submitted_by="k1", idempotency_key="r1")
    assert (again.id, created) == (first.id, False)
    with pytest.raises(ConflictError):
        store.save_decision(decision, {"other": 1}, submitted_by="k1", idempotency_key="r1")
    clock.now += timedelta(minutes=1)
    # a day after its first use the key is new, whatever it was used for before
    later, created = store.save_decision(
        decision, {"other": 1}, submitted_by="k1", idempotency_key="r1"
    )
    assert created is True and later.id != first.id
    assert keys_of(store) == [("k1", "r1")]  # the expired use replaced, not kept beside it
    # ... and the new use is honoured for a lifetime of its own
    clock.now += DAY - timedelta(minutes=1)
    assert store.replay("k1", "r1", _hash_of(store, later.id)).id == later.id


def _hash_of(store: Store, decision_id: str) -> str:
    [row] = store.db.query(
        "SELECT request_hash FROM idempotency WHERE decision_id = ?", [decision_id]
    )
    return row["request_hash"]


def test_a_replay_does_not_extend_the_life_of_a_key(store, clock, make):
    decision, facts = make()
    first, _ = store.save_decision(decision, facts, submitted_by="k1", idempotency_key="r1")
    request_hash = _hash_of(store, first.id)
    clock.now += DAY - timedelta(hours=1)
    assert store.replay("k1", "r1", request_hash).id == first.id
    clock.now += timedelta(hours=1)
    assert store.replay("k1", "r1", request_hash) is None
    _, created = store.save_decision(decision, facts, submitted_by="k1", idempotency_key="r1")
    assert created is True


def test_the_caller_chooses_the_lifetime_within_bounds(store, clock, make):
    decision, facts = make()
    hour = timedelta(hours=1)
    first, _ = store.save_decision(
        decision, facts, submitted_by="k1", idempotency_key="r1", idempotency_lifetime=hour
    )
    clock.now += hour
    later, created = store.save_decision(
        decision, facts, submitted_by="k1", idempotency_key="r1", idempotency_lifetime=hour
    )
    assert created is True and later.id != first.id
    before = raw(store.path)["decisions"].count
    for wrong in (timedelta(0), -hour, timedelta(hours=721), 24):
        with pytest.raises(ValueError, match="idempotency key lifetime"):
            store.save_decision(
                decision, facts, submitted_by="k1", idempotency_key="r2", idempotency_lifetime=wrong
            )
        with pytest.raises(ValueError, match="idempotency key lifetime"):
            store.replay("k1", "r1", "h", idempotency_lifetime=wrong)
    assert raw(store.path)["decisions"].count == before


def test_expired_keys_are_purged_on_write_a_bounded_batch_at_a_time(store, clock, make):
    """The issue's attack: many distinct 255-character keys. After their lifetime every
    decision write purges at most PURGE_BATCH of them, oldest first, until none is left."""
    store.db.execute("PRAGMA synchronous = OFF")  # this test's writes need not survive a crash
    decision, facts = make()
    for n in range(250):
        store.save_decision(decision, facts, submitted_by="k1", idempotency_key=f"{n:03}" * 85)
    assert len(keys_of(store)) == 250 and len(keys_of(store)[0][1]) == 255
    clock.now += DAY
    left = []
    for _ in range(4):  # writes without a key purge too: clients that stop using keys
        store.save_decision(decision, facts, submitted_by="k2")
        left.append(len(keys_of(store)))
    assert left == [150, 50, 0, 0]
    assert idempotency.PURGE_BATCH == 100


def test_the_purge_takes_the_oldest_first_and_keeps_live_keys(store, clock, make, monkeypatch):
    monkeypatch.setattr(idempotency, "PURGE_BATCH", 2)
    decision, facts = make()
    for key in ("old-1", "old-2", "old-3"):
        store.save_decision(decision, facts, submitted_by="k1", idempotency_key=key)
    clock.now += DAY
    store.save_decision(decision, facts, submitted_by="k1", idempotency_key="new-1")
    assert keys_of(store) == [("k1", "old-3"), ("k1", "new-1")]
    store.save_decision(decision, facts, submitted_by="k1")
    assert keys_of(store) == [("k1", "new-1")]


def test_finding_expired_keys_uses_the_index(store):
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT rowid FROM idempotency"
        " WHERE created_at <= ? ORDER BY created_at LIMIT ?",
        ["2026-01-01T00:00:00.000000Z", 100],
    ).fetchall()
    assert any("idempotency_created" in row[-1] for row in plan), plan

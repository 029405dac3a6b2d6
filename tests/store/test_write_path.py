"""What one `save_decision` asks of SQLite (the store benchmark's lever, `benchmarks/store.py`):
no schema look-ups or savepoints (sqlite-utils' `insert` made both on every call), no
read-back of the payload it just wrote, and one transaction."""

from __future__ import annotations

import re

from tfp_rules.store import Store

from .conftest import family

INSERT = re.compile(r'INSERT (?:OR \w+ )?INTO "?(\w+)')


def statements_of_a_save(store: Store, make, key: str) -> list[str]:
    """The statements of a new decision's save (after one to warm the store)."""
    decision, facts = make(family("STK-W"))
    store.save_decision(decision, facts, submitted_by="partner", idempotency_key=f"{key}-warm")
    seen: list[str] = []
    store._conn.set_trace_callback(seen.append)
    try:
        store.save_decision(decision, facts, submitted_by="partner", idempotency_key=key)
    finally:
        store._conn.set_trace_callback(None)
    return seen


def test_a_save_is_one_transaction_of_fixed_inserts(store, make):
    seen = statements_of_a_save(store, make, "k-1")
    assert seen[0] == "BEGIN IMMEDIATE" and seen[-1] == "COMMIT"
    assert sum(s in ("BEGIN IMMEDIATE", "COMMIT") for s in seen) == 2
    assert not [s for s in seen if "sqlite_master" in s or "SAVEPOINT" in s.upper()]
    # the payload is written once and never read back (the chain hashes the values in hand)
    assert not [s for s in seen if s.startswith("SELECT") and "decision_payloads" in s]
    assert not [s for s in seen if s.startswith("UPDATE decisions")]
    inserts = [m[1] for s in seen if (m := INSERT.match(s))]
    assert inserts[:3] == ["chain_heads", "decisions", "decision_payloads"]
    assert {"idempotency", "audit", "person_index"} <= set(inserts)
    assert len(seen) <= 20, seen


def test_what_a_save_writes_verifies(store, make):
    statements_of_a_save(store, make, "k-2")
    assert all(r.intact for r in store.verify_chains()), store.verify_chains()

"""Storage faults on every write path: a full disk, a read-only file, an I/O error at any
statement of a write. Each is a StoreError that leaves nothing half-written (no decision
without its payload, audit row or idempotency key, no key without its audit row), and the
same store works again once the fault clears."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest

from tfp_rules.store import Store, StoreError, request_hash_of

from .faults import DISK_FULL, cleared, consistent, contents, disk_full, failing, read_only

DAY = timedelta(hours=24)


@dataclass(frozen=True)
class Write:
    """One write path of the store, and what must be true before it (`prepare`)."""

    name: str
    act: Callable[[Store, SimpleNamespace], object]
    prepare: Callable[[SimpleNamespace], None] = lambda w: None


def _expire_keys(w: SimpleNamespace) -> None:
    w.clock.now += DAY


WRITES = [
    Write(
        "save_decision",
        lambda s, w: s.save_decision(
            w.decision, w.facts, submitted_by=w.submitter.client_id, key_id=w.submitter.id
        ),
    ),
    Write(
        "save_decision with a key, purging an expired one",
        lambda s, w: s.save_decision(
            w.decision, w.facts, submitted_by=w.submitter.client_id, idempotency_key="new"
        ),
        _expire_keys,
    ),
    Write(
        "save_decision re-using an expired key",
        lambda s, w: s.save_decision(
            w.decision, w.facts, submitted_by=w.submitter.client_id, idempotency_key="old"
        ),
        _expire_keys,
    ),
    Write(
        "save_decision following another (facts added)",
        lambda s, w: s.save_decision(
            w.decision,
            {**w.facts, "sources_checked": {"dwp": "2019-04-02"}},
            submitted_by=w.submitter.client_id,
            previous_id=w.earlier.id,
        ),
    ),
    Write(
        "replay (audited)",
        lambda s, w: s.replay(
            w.submitter.client_id, "old", request_hash_of(w.facts, "national@2015.1")
        ),
    ),
    Write(
        "add_review",
        lambda s, w: s.add_review(
            w.earlier.id,
            verdict="override",
            eligible=False,
            reason="Family left the area",
            reviewer=w.reviewer.client_id,
            key_id=w.reviewer.id,
        ),
    ),
    Write("create_key for a new client", lambda s, w: s.create_key("admin", "auditor")),
    Write("create_key for a client", lambda s, w: s.create_key("submitter", "partner system")),
    Write("rotate_key", lambda s, w: s.rotate_key(w.submitter.id)),
    Write(
        "rotate_key keeping the old key",
        lambda s, w: s.rotate_key(w.submitter.id, keep_old_for=timedelta(hours=2)),
    ),
    Write("revoke_key", lambda s, w: s.revoke_key(w.submitter.id)),
    Write("audit", lambda s, w: s.audit(actor="a", action="decision.list", status=200)),
]
SAVES = [w for w in WRITES if w.name.startswith("save_decision")]


@pytest.fixture
def world(store, make, clock) -> SimpleNamespace:
    """Two clients and a decision stored with the idempotency key "old"."""
    decision, facts = make()
    submitter = store.create_key("submitter", "partner system")[0]
    reviewer = store.create_key("reviewer", "duty manager")[0]
    earlier, _ = store.save_decision(
        decision, facts, submitted_by=submitter.client_id, idempotency_key="old"
    )
    return SimpleNamespace(
        decision=decision,
        facts=facts,
        submitter=submitter,
        reviewer=reviewer,
        earlier=earlier,
        clock=clock,
    )


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_a_write_failing_at_any_statement_leaves_nothing_and_the_store_works_after(
    store, world, write
):
    """Fail the 1st, 2nd, ... statement of the write (BEGIN, each INSERT, UPDATE or DELETE,
    COMMIT) until it gets through: every failed attempt leaves the file as it was."""
    write.prepare(world)
    double = failing(store)
    before = contents(store.path)
    failed = 0
    for n in itertools.count(1):
        double.arm(n)
        try:
            write.act(store, world)
        except StoreError as exc:
            assert DISK_FULL in str(exc)
            assert contents(store.path) == before, f"statement {n} left part of the write"
            assert not double.in_transaction
            failed += 1
            continue
        break
    assert failed >= 3  # BEGIN, at least one write, COMMIT
    assert contents(store.path) != before  # the write, with the fault gone, is stored
    consistent(store.path)


@pytest.mark.parametrize("write", SAVES[:2] + WRITES[-2:], ids=lambda w: w.name)
def test_a_failed_rollback_does_not_swallow_the_next_write(store, world, write):
    """If the rollback after a fault fails too, the transaction stays open. The next write
    must not join it: it would be acknowledged, never committed, and lost."""
    write.prepare(world)
    double = failing(store)
    double.arm(3, fail_rollback=True)  # BEGIN, a write, then the next write fails
    with pytest.raises(StoreError):
        write.act(store, world)
    assert double.in_transaction  # the double left it open, as a failing disk may
    double.arm(None)
    store.audit(actor="a", action="decision.list", status=200, detail="after the fault")
    assert not double.in_transaction
    committed = contents(store.path)
    assert any("after the fault" in line for line in committed)
    consistent(store.path)  # the stale half of the failed write was rolled back, not kept


@pytest.mark.parametrize("write", SAVES, ids=lambda w: w.name)
def test_a_full_disk_mid_save_is_a_store_error_and_rolls_back_what_was_written(store, world, write):
    """SQLite's own SQLITE_FULL: the metadata row fits, the payload needs new pages."""
    write.prepare(world)
    before = contents(store.path)
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    disk_full(store)
    with pytest.raises(StoreError, match=DISK_FULL):
        write.act(store, world)
    store._conn.set_trace_callback(None)
    inserted = [s for s in statements if re.match(r"INSERT INTO .?decisions\b", s)]
    assert inserted, "the fault came before the save had written anything"
    assert contents(store.path) == before
    assert not store._conn.in_transaction
    cleared(store)
    write.act(store, world)
    consistent(store.path)


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.name)
def test_a_read_only_database_refuses_every_write_and_takes_them_again_after(store, world, write):
    write.prepare(world)
    before = contents(store.path)
    read_only(store)
    with pytest.raises(StoreError, match="attempt to write a readonly database"):
        write.act(store, world)
    assert contents(store.path) == before
    cleared(store)
    write.act(store, world)
    assert contents(store.path) != before
    consistent(store.path)


def test_a_read_only_database_still_reads(store, world):
    """Reads need no write; the service still refuses them while it cannot audit them."""
    read_only(store)
    assert store.get_decision(world.earlier.id) == world.earlier
    assert [d.id for d in store.list_decisions()[0]] == [world.earlier.id]
    assert store.authenticate("tfp_nothing_here") is None


def test_a_store_that_cannot_be_created_is_a_store_error(tmp_path):
    (tmp_path / "var").write_text("a file where the directory should be")
    with pytest.raises(StoreError, match="cannot open the decision store"):
        Store(tmp_path / "var" / "tfp.sqlite")

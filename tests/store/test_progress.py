"""Progress decisions in the store: linked to their entry decision, personal data apart,
idempotent, listed per entry newest first, and reviewed by the decisions' rules."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tfp_rules.evaluate import decide
from tfp_rules.facts import parse_facts
from tfp_rules.merge import merge_facts
from tfp_rules.outcomes.check import progress_after
from tfp_rules.store import (
    ConflictError,
    NotFoundError,
    ProgressOutcome,
    ReviewRefusedError,
)
from tfp_rules.store.sealed import context

from .conftest import raw

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "progress"


def documents(name: str) -> tuple[dict, dict]:
    return tuple(
        json.loads((FIXTURES / name / f"{p}.json").read_text()) for p in ("entry", "later")
    )


@pytest.fixture
def checked(store, library):
    """check(name) -> (entry record, progress decision, merged facts), the entry stored."""

    def check(name: str = "turns_around"):
        entry_facts, later = documents(name)
        decision = decide(library, parse_facts(entry_facts), "stockton")
        entry, _ = store.save_decision(decision, entry_facts, submitted_by="partner")
        progress = progress_after(library, decision, entry_facts, later)
        return entry, progress, merge_facts(entry_facts, later)

    return check


def test_saved_linked_to_its_entry_and_read_back_as_made(store, checked, db_path):
    entry, progress, merged = checked()
    stored, created = store.save_progress(
        progress, merged, entry_id=entry.id, submitted_by="partner"
    )
    assert created
    got = store.get_progress(stored.id)
    assert got == stored
    assert got.decision == json.loads(json.dumps(progress))
    assert (got.entry_id, got.status, got.qualifies, got.qualifies_by) == (
        entry.id,
        "progressed",
        True,
        "progress",
    )
    assert got.outcome == ProgressOutcome(True, "automated", None)
    assert store.get_progress_facts(stored.id) == merged
    db = raw(db_path)
    row = db["progress"].get(stored.id)
    assert "facts" not in row and "decision" not in row  # personal data is in its own table
    sealed = db["progress_payloads"].get(stored.id)["facts"]
    opened = store.keys.open(sealed, context("progress_payloads", "facts", stored.id))
    assert json.loads(opened) == merged


def test_an_unknown_entry_stores_nothing(store, checked, db_path):
    _, progress, merged = checked()
    with pytest.raises(NotFoundError):
        store.save_progress(progress, merged, entry_id="nope", submitted_by="partner")
    assert raw(db_path)["progress"].count == 0
    with pytest.raises(NotFoundError):
        store.get_progress("nope")


def test_several_checks_follow_one_entry_listed_newest_first(store, checked):
    entry, progress, merged = checked()
    ids = [
        store.save_progress(progress, merged, entry_id=entry.id, submitted_by=who)[0].id
        for who in ("partner", "partner", "admin")
    ]
    page, cursor = store.list_progress(entry.id, limit=2)
    assert [p.id for p in page] == ids[::-1][:2] and cursor is not None
    rest, end = store.list_progress(entry.id, limit=2, cursor=cursor)
    assert [p.id for p in rest] == [ids[0]] and end is None
    mine, _ = store.list_progress(entry.id, submitted_by="partner")
    assert [p.id for p in mine] == ids[:2][::-1]


def test_idempotency_key_replays_or_conflicts(store, checked, db_path):
    entry, progress, merged = checked()
    first, created = store.save_progress(
        progress,
        merged,
        entry_id=entry.id,
        submitted_by="partner",
        idempotency_key="k",
        request_hash="h1",
    )
    again, created_again = store.save_progress(
        progress,
        merged,
        entry_id=entry.id,
        submitted_by="partner",
        idempotency_key="k",
        request_hash="h1",
    )
    assert created and not created_again and again.id == first.id
    with pytest.raises(ConflictError):
        store.save_progress(
            progress,
            merged,
            entry_id=entry.id,
            submitted_by="partner",
            idempotency_key="k",
            request_hash="h2",
        )
    # another client's key is its own
    _, other = store.save_progress(
        progress,
        merged,
        entry_id=entry.id,
        submitted_by="other",
        idempotency_key="k",
        request_hash="h2",
    )
    assert other and raw(db_path)["progress"].count == 2
    actions = [r["action"] for r in store.list_audit()[0]]
    assert actions.count("progress.create") == 2 and actions.count("progress.replay") == 1


def test_reviews_follow_the_decisions_rules_on_qualifies(store, checked):
    entry, progress, merged = checked()
    stored, _ = store.save_progress(progress, merged, entry_id=entry.id, submitted_by="partner")
    with pytest.raises(ReviewRefusedError) as refused:
        store.add_progress_review(
            stored.id, verdict="override", qualifies=True, reason="x", reviewer="r"
        )
    assert refused.value.code == "already-in-force"
    with pytest.raises(ValueError, match="qualifies true or false"):
        store.add_progress_review(stored.id, verdict="override", reason="x", reviewer="r")
    with pytest.raises(ValueError, match="reason"):
        store.add_progress_review(stored.id, verdict="confirm", reason="a\u202eb", reviewer="r")
    override = store.add_progress_review(
        stored.id, verdict="override", qualifies=False, reason=" not yet ", reviewer="r"
    )
    assert override.reason == "not yet"
    got = store.get_progress(stored.id)
    assert got.outcome == ProgressOutcome(False, "review", override.id)
    assert got.review_status == "overridden" and got.qualifies is True
    back = store.add_progress_review(
        stored.id, verdict="override", qualifies=True, reason="ok", reviewer="r"
    )
    assert store.get_progress(stored.id).review_status == "confirmed"
    assert store.get_progress(stored.id).outcome.review_id == back.id
    # a decision's reviews and a progress decision's are apart
    assert store.get_decision(entry.id).reviews == []


def test_confirming_an_undetermined_check_is_refused(store, checked):
    entry, progress, merged = checked("police_not_checked_since_entry")
    stored, _ = store.save_progress(progress, merged, entry_id=entry.id, submitted_by="partner")
    assert stored.qualifies is None
    with pytest.raises(ReviewRefusedError) as refused:
        store.add_progress_review(stored.id, verdict="confirm", reason="x", reviewer="r")
    assert refused.value.code == "nothing-to-confirm"
    assert store.get_progress(stored.id).reviews == []


def test_the_schema_refuses_a_qualifying_check_without_its_ground(store, checked, db_path):
    entry, progress, merged = checked()
    stored, _ = store.save_progress(progress, merged, entry_id=entry.id, submitted_by="partner")
    db = raw(db_path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE progress SET qualifies_by = NULL WHERE id = ?", [stored.id])

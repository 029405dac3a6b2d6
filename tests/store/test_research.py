"""The register of research extracts (migration 11): what it records, that destruction is
recorded once, with its audit rows, and that the readers stop at the cut-off."""

from __future__ import annotations

import pytest

from tfp_rules.store import NotFoundError

from .conftest import family, raw


def register(store, extract_id="e1"):
    return store.record_extract(
        extract_id=extract_id,
        created_at="2026-11-25T09:00:00.000000Z",
        created_by="cli:analyst",
        out_path="/srv/research/e1",
        as_of="2026-11-25T09:00:00.000000Z",
        key_id="0123456789abcdef",
        parameters={"min_cell": 10},
        counts={"decisions": 3, "claims": 1},
    )


def test_an_extract_is_registered_with_its_audit_row(store, db_path):
    entry = register(store)
    assert entry.counts == {"claims": 1, "decisions": 3} and entry.destroyed_at is None
    assert store.list_extracts() == [entry]
    [row] = store.list_audit(action="research.export")[0]
    assert (row["actor"], row["target"], row["status"]) == ("cli:analyst", "e1", 201)
    assert row["detail"] == "claims=1 decisions=3 key_id=0123456789abcdef"
    columns = {c.name for c in raw(db_path)["research_extracts"].columns}
    assert {"destroyed_at", "destroyed_by", "destruction", "key_id"} <= columns
    assert not {"secret", "family_ref"} & columns


def test_destruction_is_recorded_once(store):
    register(store)
    done = store.record_destroyed("e1", destroyed_by="cli:dpo", destruction="already_gone")
    assert done.destruction == "already_gone" and done.destroyed_by == "cli:dpo"
    with pytest.raises(ValueError, match="already destroyed"):
        store.record_destroyed("e1", destroyed_by="cli:dpo", destruction="deleted")
    with pytest.raises(NotFoundError):
        store.record_destroyed("nope", destroyed_by="cli:dpo", destruction="deleted")
    with pytest.raises(ValueError):
        store.record_destroyed("e1", destroyed_by="cli:dpo", destruction="shredded")
    [row] = store.list_audit(action="research.destroy")[0]
    assert (row["target"], row["detail"]) == ("e1", "destruction=already_gone")
    assert store.extracts_created_before("2099-01-01T00:00:00.000000Z") == []


def test_extracts_past_a_cutoff_are_those_not_destroyed_made_before_it(store):
    register(store, "e1")
    assert [e.id for e in store.extracts_created_before("2026-11-25T09:00:00.000001Z")] == ["e1"]
    assert store.extracts_created_before("2026-11-25T09:00:00.000000Z") == []


def test_the_readers_stream_every_record_up_to_the_cut_off(store, make, clock):
    ids = []
    for n in range(5):
        decision, facts = make(family(f"F-{n}"))
        ids.append(store.save_decision(decision, facts, submitted_by="partner")[0].id)
    cut = store.get_decision(ids[2]).created_at
    read = list(store.research_decisions(cut, page_size=2))
    assert [r.record.id for r in read] == ids[:3]
    assert read[0].facts["family_ref"] == "F-0" and read[0].decision["trace"]
    assert list(store.research_progress(cut)) == [] and list(store.research_claims(cut)) == []

"""Stored results claims: one per family by SQLite's unique index (whoever writes), never
deleted, withdrawn with who/when/why, listed by claim date; the evidence chain whole."""

from __future__ import annotations

import copy
import datetime as dt
import json
import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from tfp_rules.compile import compile_ruleset
from tfp_rules.evaluate import evaluate
from tfp_rules.intake import take_in
from tfp_rules.library import RulesetLibrary
from tfp_rules.merge import merge_facts
from tfp_rules.outcomes.check import progress_after
from tfp_rules.outcomes.claims import resolve_pointer, results_claim
from tfp_rules.store import ClaimExistsError, ClaimWithdrawnError, NotFoundError, Store

from .conftest import raw

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "progress" / "turns_around"
GOOD = {
    "whole_family_assessment": dt.date(2019, 1, 2),
    "action_plan": dt.date(2019, 1, 10),
    "keyworker": "Sam Keyworker",
}


@pytest.fixture(scope="module")
def library() -> RulesetLibrary:
    return RulesetLibrary.from_directory()


def stored_progress(store: Store, library: RulesetLibrary, family_ref: str) -> str:
    """A Stockton entry decision and a qualifying progress decision on it, stored."""
    entry = json.loads((FIXTURES / "entry.json").read_text())
    later = json.loads((FIXTURES / "later.json").read_text())
    entry["family_ref"] = family_ref
    later.pop("family_ref", None)
    intake = take_in(library, entry, "stockton")
    decision = evaluate(compile_ruleset(intake.ruleset), intake.facts)
    saved, _ = store.save_decision(decision, entry, submitted_by="partner")
    progress = progress_after(library, saved.decision, entry, later)
    p, _ = store.save_progress(
        progress, merge_facts(entry, later), entry_id=saved.id, submitted_by="partner"
    )
    return p.id


def content(store: Store, library: RulesetLibrary, progress_id: str, day: str) -> dict:
    p = store.get_progress(progress_id)
    return results_claim(
        p.decision,
        store.get_progress_facts(p.id),
        progress_id=p.id,
        entry_id=p.entry_id,
        outcome=p.outcome.to_dict(),
        ruleset=library.resolve("stockton@2015.1"),
        claim_date=dt.date.fromisoformat(day),
        **GOOD,
    )


def test_a_claim_is_stored_with_its_content_apart(store, library, db_path):
    pid = stored_progress(store, library, "STK-1")
    claim = store.save_claim(content(store, library, pid, "2019-11-01"), claimed_by="council")
    assert claim.status == "claimed" and claim.financial_year == "2019-20"
    assert claim.attachment_fee_gbp == 1000 and claim.results_payment_gbp == 800
    assert claim.claim["preconditions"]["keyworker"] == "Sam Keyworker"
    columns = {c.name for c in raw(db_path)["claims"].columns}
    assert "claim" not in columns and "keyworker" not in columns and "evidence" not in columns
    facts = store.get_progress_facts(pid)
    for pointer in claim.claim["evidence"]:
        resolve_pointer(facts, pointer)
    with pytest.raises(NotFoundError):
        store.get_claim("nope")
    rows, _ = store.list_audit(action="claim.create")
    assert rows[0]["target"] == claim.id and "STK-" not in rows[0]["detail"]


def test_the_index_holds_one_claim_per_family_even_for_raw_sql(store, library, db_path):
    pid = stored_progress(store, library, "STK-1")
    first = store.save_claim(content(store, library, pid, "2019-11-01"), claimed_by="council")
    with pytest.raises(ClaimExistsError) as caught:
        store.save_claim(content(store, library, pid, "2019-11-02"), claimed_by="council")
    assert caught.value.existing_id == first.id
    row = dict(next(raw(db_path).query("SELECT * FROM claims")))
    row["id"] = "another"
    with pytest.raises(sqlite3.IntegrityError):
        raw(db_path)["claims"].insert(row)


def test_withdrawal(store, library):
    pid = stored_progress(store, library, "STK-1")
    first = store.save_claim(content(store, library, pid, "2019-11-01"), claimed_by="council")
    with pytest.raises(ValueError):
        store.withdraw_claim(first.id, reason=" ", in_error=False, withdrawn_by="admin")
    withdrawn = store.withdraw_claim(
        first.id, reason="moved away", in_error=False, withdrawn_by="admin"
    )
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_by == "admin"
    assert withdrawn.withdrawn_reason == "moved away" and withdrawn.withdrawn_at
    with pytest.raises(ClaimExistsError):  # still the family's one claim
        store.save_claim(content(store, library, pid, "2019-11-02"), claimed_by="council")
    with pytest.raises(ClaimWithdrawnError):
        store.withdraw_claim(first.id, reason="again", in_error=True, withdrawn_by="admin")
    with pytest.raises(NotFoundError):
        store.withdraw_claim("nope", reason="x", in_error=True, withdrawn_by="admin")


def test_withdrawn_in_error_frees_the_family_and_is_kept(store, library):
    pid = stored_progress(store, library, "STK-1")
    first = store.save_claim(content(store, library, pid, "2019-11-01"), claimed_by="council")
    store.withdraw_claim(first.id, reason="wrong family", in_error=True, withdrawn_by="admin")
    second = store.save_claim(content(store, library, pid, "2019-11-02"), claimed_by="council")
    assert store.claim_in_force("STK-1") == second.id
    assert store.get_claim(first.id).status == "withdrawn_in_error"
    with pytest.raises(ClaimExistsError) as caught:
        store.save_claim(content(store, library, pid, "2019-11-03"), claimed_by="council")
    assert caught.value.existing_id == second.id


def test_listing_by_claim_date_status_and_family(store, library):
    days = ["2019-03-31", "2019-04-01", "2019-06-30", "2019-07-01"]
    ids = []
    for i, day in enumerate(days):
        pid = stored_progress(store, library, f"STK-{i}")
        ids.append(store.save_claim(content(store, library, pid, day), claimed_by="c").id)
    inside, _ = store.list_claims(claimed_from="2019-04-01", claimed_to="2019-06-30")
    assert [c.id for c in inside] == [ids[2], ids[1]]
    page1, cursor = store.list_claims(limit=3)
    page2, end = store.list_claims(limit=3, cursor=cursor)
    assert [c.id for c in page1 + page2] == ids[::-1] and end is None
    assert [c.id for c in store.list_claims(family_ref="STK-2")[0]] == [ids[2]]
    store.withdraw_claim(ids[0], reason="x", in_error=False, withdrawn_by="a")
    assert [c.id for c in store.list_claims(status="withdrawn")[0]] == [ids[0]]
    assert store.claimed_ids() == ids[1:]
    with pytest.raises(ValueError):
        store.list_claims(status="paid")


def test_the_evidence_chain_is_whole(store, library):
    pid = stored_progress(store, library, "STK-1")
    claim = store.save_claim(content(store, library, pid, "2019-11-01"), claimed_by="council")
    store.add_progress_review(pid, verdict="confirm", reason="checked", reviewer="rev")
    chain = store.evidence_chain(claim.id)
    assert chain["claim"]["id"] == claim.id
    assert chain["progress"]["id"] == pid and chain["progress"]["decision"]["qualifies"]
    assert chain["progress"]["reviews"][0]["reason"] == "checked"
    assert chain["entry"]["id"] == claim.entry_id
    assert chain["entry"]["facts"]["family_ref"] == "STK-1"
    for pointer in chain["claim"]["evidence"]:
        resolve_pointer(chain["progress"]["facts"], pointer)
    about = {(r["action"], r["target"]) for r in chain["audit"]}
    assert {("claim.create", claim.id), ("progress.create", pid)} <= about
    assert ("decision.create", claim.entry_id) in about
    json.dumps(chain)


def _claim_in_another_process(path: str, claim: dict, queue) -> None:
    with Store(path) as s:
        try:
            queue.put(s.save_claim(claim, claimed_by="racer").id)
        except ClaimExistsError as exc:
            queue.put(f"exists:{exc.existing_id}")


def test_racing_processes_one_wins(store, library, db_path):
    pid = stored_progress(store, library, "STK-1")
    claims = [content(store, library, pid, "2019-11-01") for _ in range(4)]
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_claim_in_another_process, args=(str(db_path), c, queue)) for c in claims
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    results = sorted(queue.get(timeout=5) for _ in procs)
    winners = [r for r in results if not r.startswith("exists:")]
    assert len(winners) == 1
    assert results.count(f"exists:{winners[0]}") == 3


def test_racing_threads_one_wins(db_path, store, library):
    pid = stored_progress(store, library, "STK-1")
    claim = content(store, library, pid, "2019-11-01")
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def race() -> None:
        with Store(db_path) as own:
            barrier.wait()
            try:
                outcomes.append(own.save_claim(copy.deepcopy(claim), claimed_by="t").id)
            except ClaimExistsError:
                outcomes.append("exists")

    threads = [threading.Thread(target=race) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("exists") == 5

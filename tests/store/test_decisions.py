"""Decisions: saved whole and durably, idempotent under concurrency, listed with filters and
keyset pagination."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta

import pytest

from tfp_rules.privacy.datakeys import sealed_key_id
from tfp_rules.store import (
    ConflictError,
    DecisionRecord,
    NotFoundError,
    NothingNewError,
    Store,
    StoredDecision,
    SupersededError,
    request_hash_of,
)
from tfp_rules.store.sealed import context

from .conftest import ROOT, TIMESTAMP, Clock, family, raw


def test_a_saved_decision_reads_back_whole(store, submitter, make):
    decision, facts = make()
    saved, created = store.save_decision(decision, facts, submitted_by=submitter.id)
    assert created is True
    assert isinstance(saved, StoredDecision)
    assert re.fullmatch(r"[0-9a-f]{32}", saved.id)
    assert TIMESTAMP.match(saved.created_at)
    assert saved.decision == decision
    assert (saved.family_ref, saved.assessment_date) == ("STK-2019-000123", "2019-03-31")
    assert saved.eligible is True and saved.headlines_met == decision["headlines_met"]
    assert (saved.ruleset_id, saved.ruleset_version, saved.ruleset_sha256) == (
        "national",
        "2015.1",
        decision["ruleset"]["sha256"],
    )
    assert (saved.submitted_by, saved.reviews, saved.previous_id) == (submitter.id, [], None)
    assert saved.review_status == "unreviewed"
    assert store.get_decision(saved.id) == saved
    assert store.get_facts(saved.id) == facts


def test_facts_and_trace_are_kept_apart_from_the_metadata(store, make, db_path):
    decision, facts = make()
    saved, _ = store.save_decision(decision, facts, submitted_by="k1")
    db = raw(db_path)
    metadata = db["decisions"].get(saved.id)
    assert set(metadata) == {
        "id",
        "created_at",
        "submitted_by",
        "family_ref",
        "assessment_date",
        "eligible",
        "headlines_met",
        "ruleset_id",
        "ruleset_version",
        "ruleset_sha256",
        "previous_id",
        "status",
        "forked",
        "chain_seq",
        "content_sha256",
        "chain_sha256",
    }
    flat = json.dumps(metadata)
    assert "1984-06-02" not in flat and "keyworker-17" not in flat  # a birth date, a worker
    payload = db["decision_payloads"].get(saved.id)
    for column, expected in (("facts", facts), ("decision", decision)):
        # sealed at rest with the current data key, bound to this record and column
        assert sealed_key_id(payload[column]) == store.keys.current
        text = store.keys.open(payload[column], context("decision_payloads", column, saved.id))
        assert json.loads(text) == expected


def test_summary_holds_metadata_only(store, make):
    saved, _ = store.save_decision(*make(), submitted_by="k1")
    assert saved.summary() == {
        "id": saved.id,
        "created_at": saved.created_at,
        "family_ref": "STK-2019-000123",
        "assessment_date": "2019-03-31",
        "status": "eligible",
        "eligible": True,
        "headlines_met": ["H1", "H2", "H3", "H4", "H5", "H6"],
        "ruleset": {"id": "national", "version": "2015.1", "sha256": saved.ruleset_sha256},
        "review_status": "unreviewed",
        "outcome": {
            "status": "eligible",
            "eligible": True,
            "source": "automated",
            "review_id": None,
        },
        "submitted_by": "k1",
        "previous_id": None,
        "superseded_by": None,
    }


def test_unknown_decision_and_previous_id(store, make):
    with pytest.raises(NotFoundError, match="no decision 'nope'"):
        store.get_decision("nope")
    with pytest.raises(NotFoundError):
        store.get_facts("nope")
    with pytest.raises(NotFoundError, match="previous_id"):
        store.save_decision(*make(), submitted_by="k1", previous_id="nope")
    assert store.list_decisions() == ([], None)


# -- chains: facts added later ----------------------------------------------------------------


def later(facts: dict, n: int = 1) -> dict:
    """The facts with n more police checks recorded: a new document each time."""
    return {**facts, "sources_checked": {"police": f"2019-03-{n:02}"}}


def test_a_chain_links_both_ways(store, make):
    decision, facts = make()
    first, _ = store.save_decision(decision, facts, submitted_by="k1")
    second, _ = store.save_decision(decision, later(facts), submitted_by="k1", previous_id=first.id)
    third, _ = store.save_decision(
        decision, later(facts, 2), submitted_by="k1", previous_id=second.id
    )
    chain = [store.get_decision(d.id) for d in (first, second, third)]
    assert [(d.previous_id, d.superseded_by) for d in chain] == [
        (None, second.id),
        (first.id, third.id),
        (second.id, None),
    ]
    assert [store.latest_in_chain(d.id) for d in chain] == [third.id] * 3
    listed = {d.id: d for d in store.list_decisions()[0]}
    assert listed[first.id].summary()["superseded_by"] == second.id
    assert listed[third.id].summary()["previous_id"] == second.id


def test_a_chain_cannot_fork(store, make, db_path):
    decision, facts = make()
    first, _ = store.save_decision(decision, facts, submitted_by="k1")
    second, _ = store.save_decision(decision, later(facts), submitted_by="k1", previous_id=first.id)
    third, _ = store.save_decision(
        decision, later(facts, 2), submitted_by="k1", previous_id=second.id
    )
    with pytest.raises(SupersededError, match=f"latest decision of its chain is {third.id}") as e:
        store.save_decision(decision, later(facts, 3), submitted_by="k1", previous_id=first.id)
    assert (e.value.decision_id, e.value.latest_id) == (first.id, third.id)
    assert raw(db_path)["decisions"].count == 3
    # the unique index refuses a fork whatever the code above it does
    with pytest.raises(sqlite3.IntegrityError, match=r"decisions\.previous_id"):
        raw(db_path).execute(
            "INSERT INTO decisions SELECT 'x', created_at, submitted_by, family_ref,"
            " assessment_date, eligible, headlines_met, ruleset_id, ruleset_version,"
            " ruleset_sha256, previous_id, status, 0, NULL, NULL, NULL FROM decisions WHERE id = ?",
            [second.id],
        )


def test_losing_a_race_for_the_successor_is_superseded_and_stores_nothing(store, make, monkeypatch):
    """If another writer adds the successor between our check and our insert, the unique
    index refuses ours and the whole write rolls back."""
    decision, facts = make()
    first, _ = store.save_decision(decision, facts, submitted_by="k1")
    winner, _ = store.save_decision(decision, later(facts), submitted_by="k1", previous_id=first.id)
    monkeypatch.setattr(Store, "require_latest", lambda self, decision_id: None)
    with pytest.raises(SupersededError) as e:
        store.save_decision(decision, later(facts, 2), submitted_by="k1", previous_id=first.id)
    assert e.value.latest_id == winner.id
    assert store.db["decisions"].count == store.db["decision_payloads"].count == 2


def test_the_same_facts_again_are_nothing_new(store, make):
    decision, facts = make()
    first, _ = store.save_decision(decision, facts, submitted_by="k1")
    shuffled = json.loads(json.dumps(facts, sort_keys=True))
    with pytest.raises(NothingNewError, match=f"the facts of decision {first.id} again"):
        store.save_decision(decision, shuffled, submitted_by="k1", previous_id=first.id)
    assert store.get_decision(first.id).superseded_by is None
    assert len(store.list_decisions()[0]) == 1


def test_a_retry_of_an_update_replays_rather_than_being_superseded(store, make):
    decision, facts = make()
    first, _ = store.save_decision(decision, facts, submitted_by="k1")
    made, _ = store.save_decision(
        decision, later(facts), submitted_by="k1", previous_id=first.id, idempotency_key="u1"
    )
    again, created = store.save_decision(
        decision, later(facts), submitted_by="k1", previous_id=first.id, idempotency_key="u1"
    )
    assert (again.id, created) == (made.id, False)


def test_filter_by_family_and_the_newest_decision_of_each(store, make):
    decision, facts = make()
    a1, _ = store.save_decision({**decision, "family_ref": "A"}, facts, submitted_by="k1")
    b1, _ = store.save_decision({**decision, "family_ref": "B"}, facts, submitted_by="k1")
    a2, _ = store.save_decision(
        {**decision, "family_ref": "A"}, later(facts), submitted_by="k1", previous_id=a1.id
    )
    b2, _ = store.save_decision({**decision, "family_ref": "B"}, facts, submitted_by="k2")
    ids = lambda **f: [d.id for d in store.list_decisions(**f)[0]]  # noqa: E731
    assert ids(family_ref="A") == [a2.id, a1.id]
    assert ids(latest=True) == [b2.id, a2.id]
    assert ids(latest=True, family_ref="B") == [b2.id]
    # newest among those the caller may see: k1 does not see k2's decision for B
    assert ids(latest=True, submitted_by="k1") == [a2.id, b1.id]
    assert ids(latest=True, submitted_by="k2") == [b2.id]
    assert ids(family_ref="C") == []


def test_the_listing_queries_use_indexes(store, make):
    """latest=true and family_ref look up the family index, and superseded_by the unique
    successor index, instead of scanning every decision once per row."""
    plans = []
    for sql in (
        "SELECT * FROM decisions d WHERE d.family_ref = 'A'",
        "SELECT 1 FROM decisions n WHERE n.family_ref = 'A' AND (n.created_at, n.id) > ('x', 'y')",
        "SELECT s.id FROM decisions s WHERE s.previous_id = 'x' AND s.forked = 0",
    ):
        plan = " ".join(r[-1] for r in store.db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
        plans.append(plan)
    assert "USING INDEX decisions_family" in plans[0]
    assert "USING COVERING INDEX decisions_family" in plans[1]
    assert "decisions_successor" in plans[2]


def test_rulesets_used_by_stored_decisions(store, populated):
    assert store.ruleset_refs() == ["national@2015.1", "national@2019.1", "stockton@2015.1"]


def test_something_that_is_not_a_decision_is_refused(store):
    with pytest.raises(ValueError, match="missing 'ruleset'"):
        store.save_decision({"eligible": True}, {}, submitted_by="k1")


# -- idempotency ------------------------------------------------------------------------------


def test_replaying_a_request_returns_the_first_decision(store, make, db_path):
    decision, facts = make()
    first, created = store.save_decision(decision, facts, submitted_by="k1", idempotency_key="r1")
    again, created_again = store.save_decision(
        decision, facts, submitted_by="k1", idempotency_key="r1"
    )
    assert (created, created_again) == (True, False)
    assert again == first
    assert raw(db_path)["decisions"].count == 1
    actions = [row["action"] for row in store.list_audit(target=first.id)[0]]
    assert actions == ["decision.replay", "decision.create"]


def test_reusing_a_key_for_another_request_is_a_conflict(store, make, db_path):
    first, _ = store.save_decision(*make(), submitted_by="k1", idempotency_key="r1")
    other = make(family("STK-2019-000999"))
    with pytest.raises(ConflictError, match="'r1' was already used for a different request") as exc:
        store.save_decision(*other, submitted_by="k1", idempotency_key="r1")
    assert exc.value.decision_id == first.id
    assert raw(db_path)["decisions"].count == 1
    assert [r["action"] for r in store.list_audit()[0]] == ["decision.create"]


def test_the_callers_request_hash_decides_what_is_the_same_request(store, make):
    decision, facts = make()
    first, _ = store.save_decision(
        decision, facts, submitted_by="k1", idempotency_key="r1", request_hash="aaa"
    )
    assert store.save_decision(
        decision, facts, submitted_by="k1", idempotency_key="r1", request_hash="aaa"
    ) == (first, False)
    with pytest.raises(ConflictError):
        store.save_decision(
            decision, facts, submitted_by="k1", idempotency_key="r1", request_hash="bbb"
        )


def test_a_request_hash_is_of_the_parsed_request_in_canonical_form():
    facts = {"family_ref": "F", "members": [{"ref": "p1", "flags": {"neet": True}}]}
    reordered = json.loads(json.dumps(facts, sort_keys=True, indent=4))
    reordered = {"members": reordered["members"], "family_ref": "F"}
    assert request_hash_of(facts) == request_hash_of(reordered)
    assert request_hash_of(facts, "national") == request_hash_of(reordered, "national")
    different = [
        request_hash_of(facts),
        request_hash_of(facts, "national"),
        request_hash_of(facts, "national@2015.1"),
        request_hash_of(facts, None, "d1"),
        request_hash_of(facts, None, "d2"),
        request_hash_of({**facts, "family_ref": "G"}),
        request_hash_of({"family_ref": "F", "members": [{"ref": "p1", "flags": {"neet": 1}}]}),
    ]
    assert len(set(different)) == len(different)


def test_idempotency_keys_belong_to_their_submitter(store, make):
    decision, facts = make()
    a, _ = store.save_decision(decision, facts, submitted_by="k1", idempotency_key="r1")
    b, created = store.save_decision(decision, facts, submitted_by="k2", idempotency_key="r1")
    assert created is True and a.id != b.id


def test_concurrent_saves_with_one_key_store_one_decision(db_path, make):
    Store(db_path).close()  # created and migrated before the race
    decision, facts = make()
    barrier = threading.Barrier(8)
    results, errors = [], []

    def save():
        try:
            with Store(db_path) as store:
                barrier.wait()
                results.append(
                    store.save_decision(decision, facts, submitted_by="k1", idempotency_key="same")
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert len({saved.id for saved, _ in results}) == 1
    db = raw(db_path)
    assert db["decisions"].count == db["decision_payloads"].count == db["idempotency"].count == 1
    actions = [r["action"] for r in db["audit"].rows]
    assert sorted(actions) == ["decision.create"] + ["decision.replay"] * 7


def test_losing_a_race_on_the_unique_index_returns_the_winner(store, make, monkeypatch):
    """If another writer inserts the key between our look-up and our insert, the unique index
    refuses ours, everything we wrote is rolled back, and the winner is returned."""
    decision, facts = make()
    winner, _ = store.save_decision(decision, facts, submitted_by="k1", idempotency_key="r1")
    real_replay = Store._replay
    calls = []

    def blind_once(self, *args):
        calls.append(args)
        return None if len(calls) == 1 else real_replay(self, *args)

    monkeypatch.setattr(Store, "_replay", blind_once)
    got, created = store.save_decision(decision, facts, submitted_by="k1", idempotency_key="r1")
    assert (got.id, created, len(calls)) == (winner.id, False, 2)
    assert store.db["decisions"].count == store.db["decision_payloads"].count == 1


DURABILITY_SCRIPT = """
import json, os, signal, sys
from tfp_rules.store import Store
decision, facts = json.load(sys.stdin)
store = Store(sys.argv[1])
saved, _ = store.save_decision(decision, facts, submitted_by="k1")
print(saved.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_an_acknowledged_save_survives_kill_9(db_path, make):
    decision, facts = make()
    proc = subprocess.run(
        [sys.executable, "-c", DURABILITY_SCRIPT, str(db_path)],
        input=json.dumps([decision, facts]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    decision_id = proc.stdout.strip()
    with Store(db_path) as store:
        assert store.get_decision(decision_id).decision == decision


# -- listing ----------------------------------------------------------------------------------


@pytest.fixture
def populated(store, clock, make):
    """Six decisions over three days, two submitters, three rulesets, eligible and not."""
    saved = {}
    specs = [
        ("a", "2026-03-01T10:00:00", family("A", "2019-03-31"), "national@2015.1", "k1"),
        ("b", "2026-03-01T11:00:00", family("B", "2019-03-01", eligible=False), None, "k1"),
        ("c", "2026-03-02T10:00:00", family("C", "2019-06-30"), "national@2019.1", "k2"),
        ("d", "2026-03-02T23:59:59", family("D", "2019-04-15", eligible=False), None, "k2"),
        ("e", "2026-03-03T00:00:00", family("E", "2019-03-31"), "stockton", "k1"),
        ("f", "2026-03-03T12:00:00", family("F", "2020-01-10"), None, "k2"),
    ]
    for name, at, doc, ruleset, by in specs:
        clock.now = datetime.fromisoformat(at).replace(tzinfo=UTC) - clock.step
        saved[name] = store.save_decision(*make(doc, ruleset), submitted_by=by)[0]
    return saved


def names(store, populated, **filters) -> str:
    by_id = {d.id: name for name, d in populated.items()}
    page, cursor = store.list_decisions(**filters)
    assert cursor is None
    return "".join(by_id[d.id] for d in page)


def test_listing_is_newest_first_and_metadata_only(store, populated):
    page, cursor = store.list_decisions()
    assert cursor is None
    assert [d.id for d in page] == [populated[n].id for n in "fedcba"]
    assert all(type(d) is DecisionRecord for d in page)
    assert [d.summary() for d in page] == [populated[n].summary() for n in "fedcba"]
    seen = []
    with store.db.tracer(lambda sql, params: seen.append(sql)):
        store.list_decisions(headline="H2")
    assert seen and not any("decision_payloads" in sql for sql in seen)


def having(populated, test) -> str:
    return "".join(n for n in "fedcba" if test(populated[n]))


def test_filter_by_outcome_headline_and_submitter(store, populated):
    assert having(populated, lambda d: not d.eligible) == "db"
    assert names(store, populated, eligible=True) == "feca"
    assert names(store, populated, eligible=False) == "db"
    with_h1 = having(populated, lambda d: "H1" in d.headlines_met)
    assert with_h1 not in ("", "fedcba")
    assert names(store, populated, headline="H1") == with_h1
    assert names(store, populated, headline="H6") == "feca"
    assert names(store, populated, headline="H9") == ""
    assert names(store, populated, submitted_by="k2") == "fdc"
    assert names(store, populated, submitted_by="k1", eligible=True) == "ea"


def test_filter_by_ruleset_id_or_version(store, populated):
    assert populated["b"].ruleset_version == "2015.1"  # in force on 2019-03-01
    assert populated["d"].ruleset_version == "2019.1"  # in force on 2019-04-15
    assert names(store, populated, ruleset="national") == "fdcba"
    assert names(store, populated, ruleset="national@2015.1") == "ba"
    assert names(store, populated, ruleset="national@2019.1") == "fdc"
    assert names(store, populated, ruleset="stockton") == "e"
    assert names(store, populated, ruleset="stockton@2019.1") == ""


def test_filter_by_when_created_and_assessed(store, populated):
    assert names(store, populated, created_from="2026-03-02") == "fedc"
    assert names(store, populated, created_to="2026-03-02") == "dcba"  # the whole day
    assert names(store, populated, created_from="2026-03-02", created_to="2026-03-02") == "dc"
    assert names(store, populated, created_from="2026-03-01T11:00:00Z") == "fedcb"
    assert names(store, populated, created_to="2026-03-01T11:00:00+00:00") == "ba"
    assert names(store, populated, created_to="2026-03-01T12:00:00+01:00") == "ba"
    assert names(store, populated, created_to="2026-03-01T10:59:59.999999") == "a"
    assert names(store, populated, assessed_from="2019-04-15") == "fdc"
    assert names(store, populated, assessed_to="2019-04-15") == "edba"
    assert names(store, populated, assessed_from="2019-04-01", assessed_to="2019-06-30") == "dc"


def test_filter_by_review_status_and_the_outcome_in_force(store, populated, reviewer):
    a, c = populated["a"].id, populated["c"].id
    assert names(store, populated, outcome="eligible") == names(store, populated, eligible=True)
    store.add_review(a, verdict="confirm", reason="checked", reviewer=reviewer.id)
    store.add_review(
        c, verdict="override", eligible=False, reason="moved away", reviewer=reviewer.id
    )
    assert names(store, populated, review_status="unreviewed") == "fedb"
    assert names(store, populated, review_status="confirmed") == "a"
    assert names(store, populated, review_status="overridden") == "c"
    assert names(store, populated, outcome="eligible") == "fea"
    assert names(store, populated, outcome="not_eligible") == "dcb"
    assert names(store, populated, eligible=True) == "feca"  # the automated outcome
    store.add_review(a, verdict="override", eligible=False, reason="new evidence", reviewer="r2")
    store.add_review(c, verdict="confirm", reason="agreed", reviewer="r3")  # confirms the override
    assert names(store, populated, review_status="confirmed") == ""
    assert names(store, populated, review_status="overridden") == "ca"
    store.add_review(c, verdict="override", eligible=True, reason="appeal upheld", reviewer="r3")
    assert names(store, populated, review_status="confirmed") == "c"
    assert names(store, populated, outcome="eligible") == "fec"
    assert names(store, populated, outcome="eligible", review_status="overridden") == ""
    [listed] = [d for d in store.list_decisions()[0] if d.id == a]
    assert listed.review_status == "overridden" and len(listed.reviews) == 2
    assert listed.summary()["outcome"] == {
        "status": "not_eligible",
        "eligible": False,
        "source": "review",
        "review_id": listed.reviews[-1].id,
    }


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"review_status": "pending"}, "unknown review_status 'pending'; one of: unreviewed"),
        ({"outcome": "maybe"}, "outcome is one of eligible, not_eligible, undetermined"),
        ({"created_from": "yesterday"}, "created_from: not an ISO 8601"),
        ({"assessed_to": "2019-02-30"}, "assessed_to: not an ISO 8601 date"),
        ({"cursor": "not-a-cursor"}, "invalid cursor"),
        ({"cursor": "WzEsMl0"}, "invalid cursor"),  # [1,2]: JSON, but not a cursor
        ({"limit": 0}, "limit must be at least 1"),
    ],
)
def test_bad_listing_arguments_say_what_is_wrong(store, filters, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        store.list_decisions(**filters)


def test_pagination_visits_every_decision_once(db_path, make):
    # Bursts of ten decisions in the same microsecond: the id breaks the tie.
    clock = Clock(step=timedelta(0))
    with Store(db_path, clock=clock) as store:
        decision, facts = make()
        for i in range(120):
            if i % 10 == 0:
                clock.now += timedelta(seconds=1)
            store.save_decision(
                {**decision, "family_ref": f"F-{i:03}"}, facts, submitted_by=f"k{i % 2}"
            )
        pages, cursor = [], None
        while True:
            page, cursor = store.list_decisions(limit=50, cursor=cursor)
            pages.append(page)
            if cursor is None:
                break
        assert [len(p) for p in pages] == [50, 50, 20]
        listed = [d for page in pages for d in page]
        keys = [(d.created_at, d.id) for d in listed]
        assert len(set(keys)) == 120
        assert keys == sorted(keys, reverse=True)
        assert {d.family_ref for d in listed} == {f"F-{i:03}" for i in range(120)}

        # with a filter too, and a page size that divides the total exactly
        pages, cursor = [], None
        while True:
            page, cursor = store.list_decisions(submitted_by="k1", limit=20, cursor=cursor)
            pages.append(page)
            if cursor is None:
                break
        assert [len(p) for p in pages] == [20, 20, 20]
        assert len({d.id for p in pages for d in p}) == 60


def test_pagination_with_the_real_engine_on_many_families(store, make):
    saved = {
        store.save_decision(
            *make(family(f"STK-{i:04}", (date(2019, 3, 31) + timedelta(days=i)).isoformat())),
            submitted_by="k1",
        )[0].id
        for i in range(12)
    }
    first, cursor = store.list_decisions(limit=5)
    second, cursor = store.list_decisions(limit=5, cursor=cursor)
    third, cursor = store.list_decisions(limit=5, cursor=cursor)
    assert cursor is None
    assert [d.id for d in first + second + third] == [
        d.id for d in store.list_decisions(limit=100)[0]
    ]
    assert {d.id for d in first + second + third} == saved


def test_a_store_is_safe_to_share_between_threads(store, make):
    decision, facts = make()
    errors = []

    def work(n):
        try:
            for i in range(10):
                saved, _ = store.save_decision(decision, facts, submitted_by=f"t{n}")
                store.get_decision(saved.id)
                store.audit(actor=f"t{n}", action="decision.read", target=saved.id, status=200)
                store.list_decisions(submitted_by=f"t{n}", limit=i + 1)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.list_decisions(limit=100)[0]) == 40


def test_an_undetermined_decision_is_stored_with_no_outcome(store, make):
    decision, facts = make()
    decision = {**decision, "status": "undetermined", "eligible": None}
    saved, _ = store.save_decision(decision, facts, submitted_by="k1")
    again = store.get_decision(saved.id)
    assert (again.status, again.eligible, again.outcome.eligible) == ("undetermined", None, None)
    assert again.outcome.status == "undetermined"
    assert [d.id for d in store.list_decisions(status="undetermined")[0]] == [saved.id]
    assert [d.id for d in store.list_decisions(outcome="undetermined")[0]] == [saved.id]
    assert store.list_decisions(eligible=False)[0] == []
    with pytest.raises(ValueError, match="status is one of"):
        store.list_decisions(status="maybe")

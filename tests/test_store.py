"""The decision store: migrations, keys, idempotent saves under concurrency, listing filters and
pagination, reviews that never touch the decision, the audit trail, and `tfp keys`."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.evaluate import decide
from tfp_rules.facts import parse_facts
from tfp_rules.ruleset import RulesetLibrary
from tfp_rules.store import (
    MIGRATIONS,
    ROLES,
    ConflictError,
    DecisionRecord,
    NotFoundError,
    Store,
    StoredDecision,
    StoreError,
)

from .conftest import DATA, NATIONAL_YAML

ROOT = Path(__file__).parent.parent
EXAMPLE = json.loads((DATA / "example_facts.json").read_text())
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
TABLES = {
    "schema_version",
    "api_keys",
    "decisions",
    "decision_payloads",
    "reviews",
    "idempotency",
    "audit",
}


class Clock:
    """A clock the test moves: each reading is `step` after the last."""

    def __init__(self, start: str = "2026-11-25T09:00:00+00:00", step: timedelta | None = None):
        self.now = datetime.fromisoformat(start)
        self.step = timedelta(seconds=1) if step is None else step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


@pytest.fixture(scope="module")
def rulesets(tmp_path_factory) -> RulesetLibrary:
    """The national ruleset, a later national version and a local one, for ruleset filters."""
    directory = tmp_path_factory.mktemp("rulesets")
    text = NATIONAL_YAML.read_text()
    (directory / "national").mkdir()
    (directory / "national" / "2015.1.yaml").write_text(text)
    later = text.replace('version: "2015.1"', 'version: "2019.1"').replace(
        "effective_from: 2015-04-01", "effective_from: 2019-04-01"
    )
    assert later != text
    (directory / "national" / "2019.1.yaml").write_text(later)
    (directory / "stockton").mkdir()
    (directory / "stockton" / "2015.1.yaml").write_text(
        text.replace("ruleset: national", "ruleset: stockton", 1)
    )
    return RulesetLibrary.from_directory(directory)


def family(ref: str = "STK-2019-000123", on: str = "2019-03-31", *, eligible: bool = True) -> dict:
    """The facts.md example under another reference and date; stripped bare if not eligible."""
    doc = copy.deepcopy(EXAMPLE)
    doc["family_ref"] = ref
    doc["assessment_date"] = on
    if not eligible:
        doc["household"] = {"events": []}
        doc["judgements"] = []
        for member in doc["members"]:
            member["events"] = []
            member["flags"] = {}
            member.pop("benefits", None)
            member.pop("school", None)
    return doc


@pytest.fixture(scope="module")
def make(rulesets):
    """make(facts, ruleset=None) -> (decision, facts): a real decision from the engine."""

    def make(doc: dict | None = None, ruleset: str | None = "national@2015.1"):
        doc = family() if doc is None else doc
        return decide(rulesets, parse_facts(doc), ruleset), doc

    return make


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "var" / "tfp.sqlite"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_path, clock):
    with Store(db_path, clock=clock) as s:
        yield s


@pytest.fixture
def submitter(store):
    return store.create_key("submitter", "partner system")[0]


@pytest.fixture
def reviewer(store):
    return store.create_key("reviewer", "duty manager")[0]


def raw(path: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(path)


def file_bytes(path: Path) -> bytes:
    """The database and its WAL and shared-memory files: everything SQLite wrote."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


# -- schema and migrations --------------------------------------------------------------------


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


# -- API keys ---------------------------------------------------------------------------------


def test_a_key_authenticates_with_its_token_until_revoked(store):
    key, token = store.create_key("reviewer", "duty manager")
    assert token.startswith(f"tfp_{key.id}_")
    assert len(token) > len(f"tfp_{key.id}_") + 40
    assert (key.role, key.name, key.revoked_at) == ("reviewer", "duty manager", None)
    assert TIMESTAMP.match(key.created_at)
    assert store.authenticate(token) == key
    assert store.list_keys() == [key]

    revoked = store.revoke_key(key.id)
    assert revoked.id == key.id and TIMESTAMP.match(revoked.revoked_at)
    assert store.authenticate(token) is None
    assert store.list_keys() == [revoked]
    assert store.revoke_key(key.id) == revoked  # again: unchanged


def test_tokens_are_never_stored_in_clear(store, db_path):
    tokens = [store.create_key(role, f"{role} key")[1] for role in ROLES]
    stored = file_bytes(db_path)
    for token in tokens:
        assert token.encode() not in stored
        assert token.split("_", 2)[2].encode() not in stored  # nor its secret part
        assert hashlib.sha256(token.encode()).hexdigest().encode() in stored  # the scan sees data


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret
        lambda t: t + "x",
        lambda t: t.replace("tfp_", "xyz_", 1),
        lambda t: "tfp_" + "0" * 16 + t[20:],  # another key id
        lambda t: t.rsplit("_", 1)[0],  # no secret
        lambda t: "tfp_",
        lambda t: "",
    ],
    ids=["wrong-secret", "longer", "prefix", "other-id", "no-secret", "bare-prefix", "empty"],
)
def test_a_wrong_or_malformed_token_authenticates_nobody(store, mangle):
    _, token = store.create_key("admin", "ops")
    assert store.authenticate(mangle(token)) is None


def test_unknown_role_and_missing_name_are_refused(store):
    with pytest.raises(ValueError, match="unknown role 'boss'; one of: submitter, reviewer, "):
        store.create_key("boss", "x")
    with pytest.raises(ValueError, match="needs a name"):
        store.create_key("admin", "  ")
    with pytest.raises(NotFoundError, match="no API key 'nope'"):
        store.revoke_key("nope")
    assert store.list_keys() == []


# -- saving and reading decisions -------------------------------------------------------------


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
    }
    flat = json.dumps(metadata)
    assert "1984-06-02" not in flat and "keyworker-17" not in flat  # a birth date, a worker
    payload = db["decision_payloads"].get(saved.id)
    assert json.loads(payload["facts"]) == facts
    assert json.loads(payload["decision"]) == decision


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
        "submitted_by": "k1",
    }


def test_unknown_decision_and_previous_id(store, make):
    with pytest.raises(NotFoundError, match="no decision 'nope'"):
        store.get_decision("nope")
    with pytest.raises(NotFoundError):
        store.get_facts("nope")
    with pytest.raises(NotFoundError, match="previous_id"):
        store.save_decision(*make(), submitted_by="k1", previous_id="nope")
    assert store.list_decisions() == ([], None)
    first, _ = store.save_decision(*make(), submitted_by="k1")
    second, _ = store.save_decision(*make(), submitted_by="k1", previous_id=first.id)
    assert store.get_decision(second.id).previous_id == first.id


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
    actions = [row["action"] for row in store.list_audit(target=first.id)]
    assert actions == ["decision.replay", "decision.create"]


def test_reusing_a_key_for_another_request_is_a_conflict(store, make, db_path):
    first, _ = store.save_decision(*make(), submitted_by="k1", idempotency_key="r1")
    other = make(family("STK-2019-000999"))
    with pytest.raises(ConflictError, match="'r1' was already used for a different request") as exc:
        store.save_decision(*other, submitted_by="k1", idempotency_key="r1")
    assert exc.value.decision_id == first.id
    assert raw(db_path)["decisions"].count == 1
    assert [r["action"] for r in store.list_audit()] == ["decision.create"]


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


def test_filter_by_review_status_follows_the_latest_review(store, populated, reviewer):
    a, c = populated["a"].id, populated["c"].id
    store.add_review(a, verdict="confirm", reason="checked", reviewer=reviewer.id)
    store.add_review(
        c, verdict="override", eligible=False, reason="moved away", reviewer=reviewer.id
    )
    assert names(store, populated, review_status="unreviewed") == "fedb"
    assert names(store, populated, review_status="confirmed") == "a"
    assert names(store, populated, review_status="overridden") == "c"
    store.add_review(a, verdict="override", eligible=False, reason="new evidence", reviewer="r2")
    store.add_review(c, verdict="confirm", reason="overturned on appeal", reviewer="r3")
    assert names(store, populated, review_status="confirmed") == "c"
    assert names(store, populated, review_status="overridden") == "a"
    [listed] = [d for d in store.list_decisions()[0] if d.id == a]
    assert listed.review_status == "overridden" and len(listed.reviews) == 2


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"review_status": "pending"}, "unknown review_status 'pending'; one of: unreviewed"),
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


# -- reviews ----------------------------------------------------------------------------------


def test_review_status_and_outcome_follow_the_latest_review(store, make, reviewer):
    decision, facts = make()
    saved, _ = store.save_decision(decision, facts, submitted_by="k1")
    confirm = store.add_review(saved.id, verdict="confirm", reason="checked", reviewer=reviewer.id)
    assert (confirm.verdict, confirm.eligible, confirm.reviewer) == ("confirm", None, reviewer.id)
    got = store.get_decision(saved.id)
    assert (got.review_status, got.outcome, got.reviews) == ("confirmed", True, [confirm])

    override = store.add_review(
        saved.id, verdict="override", eligible=False, reason="  family moved away  ", reviewer="r2"
    )
    assert (override.eligible, override.reason) == (False, "family moved away")
    got = store.get_decision(saved.id)
    assert (got.review_status, got.outcome) == ("overridden", False)
    assert got.reviews == [confirm, override]

    # the automated decision is untouched
    assert got.decision == decision and got.eligible is True
    assert {k: v for k, v in vars(got).items() if k != "reviews"} == {
        k: v for k, v in vars(saved).items() if k != "reviews"
    }

    store.add_review(saved.id, verdict="confirm", reason="appeal upheld", reviewer="r3")
    got = store.get_decision(saved.id)
    assert (got.review_status, got.outcome, len(got.reviews)) == ("confirmed", True, 3)


@pytest.mark.parametrize(
    ("review", "message"),
    [
        ({"verdict": "confirm", "eligible": False}, "a confirmation keeps the automated outcome"),
        ({"verdict": "override"}, "an override must give the new outcome: eligible true or false"),
        ({"verdict": "override", "eligible": "no"}, "an override must give the new outcome"),
        ({"verdict": "confirm", "reason": ""}, "a review needs a reason"),
        ({"verdict": "override", "eligible": False, "reason": " \n"}, "a review needs a reason"),
        ({"verdict": "approve"}, "unknown verdict 'approve'; one of: confirm, override"),
    ],
)
def test_review_rules(store, make, review, message):
    saved, _ = store.save_decision(*make(), submitted_by="k1")
    with pytest.raises(ValueError, match=re.escape(message)):
        store.add_review(saved.id, **{"reason": "because", "reviewer": "r1", **review})
    assert store.get_decision(saved.id).reviews == []


def test_reviewing_an_unknown_decision(store):
    with pytest.raises(NotFoundError, match="no decision 'nope'"):
        store.add_review("nope", verdict="confirm", reason="checked", reviewer="r1")


# -- audit ------------------------------------------------------------------------------------


def test_every_write_leaves_an_audit_row(store, make, submitter, reviewer):
    decision, facts = make()
    saved, _ = store.save_decision(decision, facts, submitted_by=submitter.id, idempotency_key="x")
    store.save_decision(decision, facts, submitted_by=submitter.id, idempotency_key="x")
    store.add_review(saved.id, verdict="override", eligible=False, reason="r", reviewer=reviewer.id)
    store.audit(actor=reviewer.id, action="decision.read", target=saved.id, status=200)
    store.audit(actor=None, action="auth.reject", status=401, detail="unknown token")

    rows = store.list_audit(target=saved.id)
    assert [(r["action"], r["actor"], r["status"]) for r in rows] == [
        ("decision.read", reviewer.id, 200),
        ("review.create", reviewer.id, None),
        ("decision.replay", submitter.id, None),
        ("decision.create", submitter.id, None),
    ]
    assert rows[1]["detail"] == "override eligible=false"
    assert rows[3]["detail"] == "national@2015.1 eligible=true"
    assert all(TIMESTAMP.match(r["at"]) for r in rows)
    assert [r["action"] for r in store.list_audit(actor=reviewer.id)] == [
        "decision.read",
        "review.create",
    ]
    newest = store.list_audit(limit=2)
    assert [r["action"] for r in newest] == ["auth.reject", "decision.read"]
    assert newest[0]["detail"] == "unknown token"
    # the audit trail holds no personal data from the facts or the review's reason
    assert "STK-2019-000123" not in json.dumps(store.list_audit(limit=1000))


def test_a_store_is_safe_to_share_between_threads(store, make):
    decision, facts = make()
    errors = []

    def work(n):
        try:
            for i in range(10):
                saved, _ = store.save_decision(decision, facts, submitted_by=f"t{n}")
                store.get_decision(saved.id)
                store.audit(actor=f"t{n}", action="decision.read", target=saved.id)
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


# -- tfp keys ---------------------------------------------------------------------------------


def test_cli_keys_create_list_revoke(tmp_path):
    runner = CliRunner()
    database = str(tmp_path / "keys.sqlite")
    created = runner.invoke(
        main, ["keys", "create", "--role", "reviewer", "--name", "duty", "--database", database]
    )
    assert created.exit_code == 0, created.stderr
    token = created.stdout.strip()
    assert created.stdout == token + "\n"
    assert "it cannot be shown again" in created.stderr
    with Store(database) as store:
        key = store.authenticate(token)
        assert (key.role, key.name) == ("reviewer", "duty")

    listed = runner.invoke(main, ["keys", "list", "--database", database])
    assert listed.exit_code == 0
    [line] = listed.stdout.splitlines()
    assert line.split("\t") == [key.id, "reviewer", "duty", f"created {key.created_at}", "active"]
    assert token not in listed.output
    assert hashlib.sha256(token.encode()).hexdigest() not in listed.output

    revoked = runner.invoke(main, ["keys", "revoke", key.id, "--database", database])
    assert revoked.exit_code == 0, revoked.stderr
    listed = runner.invoke(main, ["keys", "list", "--database", database])
    assert listed.stdout.split("\t")[-1].startswith("revoked 20")
    with Store(database) as store:
        assert store.authenticate(token) is None
        actions = [(r["action"], r["actor"]) for r in store.list_audit()]
    assert actions == [("key.revoke", "cli"), ("key.create", "cli")]


def test_cli_keys_errors(tmp_path):
    runner = CliRunner()
    database = str(tmp_path / "keys.sqlite")
    bad_role = runner.invoke(
        main, ["keys", "create", "--role", "boss", "--name", "x", "--database", database]
    )
    assert bad_role.exit_code == 2
    assert "'boss' is not one of 'submitter', 'reviewer', 'policy_officer', 'admin'" in (
        bad_role.stderr
    )
    unknown = runner.invoke(main, ["keys", "revoke", "nope", "--database", database])
    assert unknown.exit_code == 1
    assert unknown.stderr == "error: no API key 'nope'\n"
    newer = tmp_path / "newer.sqlite"
    Store(newer).close()
    raw(newer).execute("UPDATE schema_version SET version = 99")
    broken = runner.invoke(main, ["keys", "list", "--database", str(newer)])
    assert broken.exit_code == 1 and "newer than this code knows" in broken.stderr


def test_cli_database_defaults_to_env_then_var(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TFP_DATABASE", raising=False)
    args = ["keys", "create", "--role", "admin", "--name", "ops"]
    assert runner.invoke(main, args).exit_code == 0
    assert (tmp_path / "var" / "tfp.sqlite").exists()
    monkeypatch.setenv("TFP_DATABASE", str(tmp_path / "elsewhere.sqlite"))
    assert runner.invoke(main, args).exit_code == 0
    with Store(tmp_path / "elsewhere.sqlite") as store:
        assert [k.name for k in store.list_keys()] == ["ops"]
    with Store(tmp_path / "var" / "tfp.sqlite") as store:
        assert len(store.list_keys()) == 1


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


def test_an_undetermined_decision_is_stored_with_no_outcome(store, make):
    decision, facts = make()
    decision = {**decision, "status": "undetermined", "eligible": None}
    saved, _ = store.save_decision(decision, facts, submitted_by="k1")
    again = store.get_decision(saved.id)
    assert (again.status, again.eligible, again.outcome) == ("undetermined", None, None)
    assert [d.id for d in store.list_decisions(status="undetermined")[0]] == [saved.id]
    assert store.list_decisions(eligible=False)[0] == []
    with pytest.raises(ValueError, match="status is one of"):
        store.list_decisions(status="maybe")

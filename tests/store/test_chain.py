"""The audit chain (`store/chain.py`): a store's chains verify, and an edit, insertion or
removal made behind the store's back is found and the first bad record named; erasure keeps
the chain whole; an old database is chained on migrating; writers never fork a chain; and the
audit trail is read by family."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from tfp_rules.store import CHAINS, ChainError, Store, chain, migrations

from .conftest import Clock, family, raw
from .test_claims import content, library, stored_progress  # noqa: F401 (library: a fixture)


def populate(store: Store, make, library_) -> dict[str, str]:
    """A decision with a review, a progress decision with a review and its claim, reads,
    a withdrawal and a counted rejection: a row in every chain, and the rows that change."""
    decision, facts = make(family("STK-A"))
    saved, _ = store.save_decision(decision, facts, submitted_by="partner")
    store.add_review(saved.id, verdict="confirm", reason="checked the records", reviewer="rev")
    pid = stored_progress(store, library_, "STK-B")
    store.add_progress_review(pid, verdict="confirm", reason="seen the plan", reviewer="rev")
    claim = store.save_claim(content(store, library_, pid, "2019-11-01"), claimed_by="council")
    store.audit(actor="rev", action="decision.read", status=200, target=saved.id)
    for _ in range(2):  # the second bumps the first's count
        store.record_rejection(
            actor="anonymous", status=401, reason="no-key", source="10.0.0.1", target="GET /v1/x"
        )
    store.withdraw_claim(claim.id, reason="moved away", in_error=False, withdrawn_by="admin")
    return {"decision": saved.id, "progress": pid, "claim": claim.id}


def reports(store: Store, *tables: str) -> dict[str, chain.ChainReport]:
    return {r.table: r for r in store.verify_chains(list(tables) or None)}


def broken(store: Store, table: str) -> chain.ChainBreak:
    found = reports(store, table)[table].broken
    assert found is not None, f"{table}: no break found"
    return found


def seq_of(db_path: Path, table: str, where: str, args: list) -> int:
    [[seq]] = raw(db_path).execute(f"SELECT chain_seq FROM {table} WHERE {where}", args).fetchall()
    return seq


@pytest.fixture
def filled(store, make, library) -> dict[str, str]:  # noqa: F811
    return populate(store, make, library)


def test_a_fresh_store_verifies_every_chain(store, filled, db_path):
    got = reports(store)
    assert list(got) == list(CHAINS)
    for table, report in got.items():
        assert report.intact, (table, report.broken)
        assert report.rows == report.ok == report.head_seq > 0, table
        assert report.erased == 0
    assert got["decisions"].rows == 2 and got["reviews"].rows == 1
    # the sequence is 1..n in insertion order, and each row links to the one before
    seqs = [r[0] for r in raw(db_path).execute("SELECT chain_seq FROM audit ORDER BY id")]
    assert seqs == list(range(1, len(seqs) + 1))


def test_only_chained_tables_can_be_named(store):
    with pytest.raises(ChainError, match="no chain for jobs"):
        store.verify_chains(["jobs"])


@pytest.mark.parametrize(
    "edit",
    [
        # sealed: one byte of the ciphertext flipped
        "UPDATE decision_payloads SET facts = substr(facts, 1, length(facts) - 1)"
        " || CASE WHEN substr(facts, -1) = X'00' THEN X'01' ELSE X'00' END",
        # the ciphertext edited as if it were text (it no longer reads as UTF-8)
        "UPDATE decision_payloads SET facts = replace(facts, 'dk-', 'dz-')",
    ],
    ids=["bytes", "as-text"],
)
def test_an_edited_facts_payload_is_named(store, filled, db_path, edit):
    db = raw(db_path)
    db.execute(f"{edit} WHERE decision_id = ?", [filled["decision"]])
    db.conn.commit()
    found = broken(store, "decisions")
    assert (found.kind, found.key) == ("altered", filled["decision"])
    assert found.seq == seq_of(db_path, "decisions", "id = ?", [filled["decision"]])
    assert "content" in found.detail
    assert reports(store, "reviews")["reviews"].intact  # the other chains are untouched


def test_an_edited_field_is_named(store, filled, db_path):
    db = raw(db_path)
    db.execute(
        "UPDATE decisions SET status = 'not_eligible', eligible = 0 WHERE id = ?",
        [filled["decision"]],
    )
    db.conn.commit()
    found = broken(store, "decisions")
    assert (found.kind, found.key) == ("altered", filled["decision"])
    assert "fields" in found.detail


def test_an_edited_audit_detail_is_named(store, filled, db_path):
    db = raw(db_path)
    [[row_id]] = db.execute("SELECT id FROM audit WHERE action = 'review.create'").fetchall()
    db.execute("UPDATE audit SET detail = 'override eligible=false' WHERE id = ?", [row_id])
    db.conn.commit()
    found = broken(store, "audit")
    assert (found.kind, found.key, found.seq) == (
        "altered",
        row_id,
        seq_of(db_path, "audit", "id = ?", [row_id]),
    )
    report = reports(store, "audit")["audit"]
    assert report.ok == found.seq - 1  # every row before it checked OK


def test_a_deleted_middle_audit_row_is_named(store, filled, db_path):
    db = raw(db_path)
    [[row_id, seq]] = db.execute(
        "SELECT id, chain_seq FROM audit WHERE action = 'progress.create'"
    ).fetchall()
    db.execute("DELETE FROM audit WHERE id = ?", [row_id])
    db.conn.commit()
    found = broken(store, "audit")
    assert (found.kind, found.seq) == ("removed", seq)
    [[after]] = db.execute("SELECT min(id) FROM audit WHERE id > ?", [row_id]).fetchall()
    assert found.key == after and f"rows {seq} to {seq}" in found.detail


def test_a_deleted_last_row_is_named(store, filled, db_path):
    db = raw(db_path)
    [[row_id, seq]] = db.execute(
        "SELECT id, chain_seq FROM audit ORDER BY id DESC LIMIT 1"
    ).fetchall()
    db.execute("DELETE FROM audit WHERE id = ?", [row_id])
    db.conn.commit()
    found = broken(store, "audit")
    assert (found.kind, found.seq) == ("removed", seq)


def test_a_forged_row_is_named(store, filled, db_path):
    """Written with raw SQL: without chain values, or with made-up ones after the head."""
    db = raw(db_path)
    db.execute(
        "INSERT INTO audit (at, actor, action, target, status) VALUES"
        " ('2026-11-25T09:00:00.000000Z', 'rev', 'decision.read', ?, 200)",
        [filled["decision"]],
    )
    db.conn.commit()
    forged = db.execute("SELECT max(id) FROM audit").fetchone()[0]
    found = broken(store, "audit")
    assert (found.kind, found.key) == ("inserted", forged)
    [[head]] = db.execute("SELECT max(chain_seq) FROM audit").fetchall()
    db.execute(
        "UPDATE audit SET chain_seq = ?, content_sha256 = ?, chain_sha256 = ? WHERE id = ?",
        [head + 1, "0" * 64, "1" * 64, forged],
    )
    db.conn.commit()
    found = broken(store, "audit")
    assert (found.kind, found.key, found.seq) == ("inserted", forged, head + 1)


def test_a_forged_row_the_chain_skips_is_named(store, filled, db_path):
    """A row slipped in before the first review (the unique index dropped to make room), its
    content hash right: the chain does not pass through it, the next row links past it."""
    db = raw(db_path)
    db.execute("DROP INDEX reviews_chain")
    row = dict(next(db.query("SELECT * FROM reviews")))
    row.update(seq=0, id="forged", reason="made up", chain_sha256="2" * 64)
    row["content_sha256"] = chain.content_sha256(CHAINS["reviews"], {"c0": "made up"})
    db["reviews"].insert(row)
    db.conn.commit()
    found = broken(store, "reviews")
    assert (found.kind, found.key, found.seq) == ("inserted", "forged", 1)


def test_erased_content_with_its_hash_kept_still_verifies(store, filled, db_path):
    db = raw(db_path)
    db.execute("DELETE FROM decision_payloads WHERE decision_id = ?", [filled["decision"]])
    db.execute("UPDATE decisions SET family_ref = NULL WHERE id = ?", [filled["decision"]])
    db.execute("UPDATE reviews SET reason = ''")  # a NOT NULL column: the empty string
    db.execute("UPDATE claims SET family_ref = NULL")
    db.execute("DELETE FROM claim_payloads")
    db.execute("UPDATE audit SET target = NULL, detail = NULL WHERE action = 'decision.read'")
    db.conn.commit()
    got = reports(store)
    assert all(r.intact for r in got.values()), {t: r.broken for t, r in got.items()}
    assert {t: r.erased for t, r in got.items()} == {
        "decisions": 1,
        "reviews": 1,
        "progress": 0,
        "progress_reviews": 0,
        "claims": 1,
        "audit": 1,
    }


def test_partly_erased_content_that_was_edited_is_named(store, filled, db_path):
    db = raw(db_path)
    db.execute("UPDATE decisions SET family_ref = NULL WHERE id = ?", [filled["decision"]])
    db.execute(
        "UPDATE decision_payloads SET decision = '{}' WHERE decision_id = ?", [filled["decision"]]
    )
    db.conn.commit()
    assert broken(store, "decisions").kind == "altered"


def test_an_old_database_is_chained_when_it_migrates(tmp_path, make, library, monkeypatch):  # noqa: F811
    """Rows written by schema 11 (no chain columns) are chained, in order, by migration 12."""
    path = tmp_path / "old.sqlite"
    every = migrations.MIGRATIONS
    with monkeypatch.context() as m:
        m.setattr(migrations, "MIGRATIONS", every[:11])
        for module in ("audit", "decisions", "reviews", "progress", "claims"):
            m.setattr(f"tfp_rules.store.{module}.link", lambda *args: None)
        for module in ("audit", "decisions"):  # chained as inserted: no chain to link into
            m.setattr(f"tfp_rules.store.{module}.link_new", lambda *args: None)
        for module in ("decisions", "progress"):  # the person index is schema 14
            m.setattr(f"tfp_rules.store.{module}.index_persons", lambda *a, **k: None)
        with Store(path, clock=Clock(), keys=None) as old:  # sealing is schema 14
            assert old.schema_version == 11
            populate(old, make, library)
            counts = {t: old.db[t].count for t in CHAINS}
    with Store(path) as current:
        assert current.schema_version == len(migrations.MIGRATIONS)
        got = reports(current)
        assert all(r.intact for r in got.values()), {t: r.broken for t, r in got.items()}
        assert {t: r.ok for t, r in got.items()} == counts
        # new rows carry on from the migrated heads
        current.audit(actor="cli:x", action="audit.list", status=200)
        assert reports(current, "audit")["audit"].ok == counts["audit"] + 1


def test_two_writers_at_once_never_fork_a_chain(db_path, make):
    decision, facts = make(family("STK-T"))
    Store(db_path).close()
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with Store(db_path) as mine:  # its own connection: SQLite's lock, not ours
                for i in range(15):
                    mine.save_decision(decision, facts, submitted_by=f"w{n}")
                    mine.audit(actor=f"w{n}", action="decision.list", status=200, detail=str(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Store(db_path) as store:
        got = reports(store, "decisions", "audit")
    assert got["decisions"].intact and got["decisions"].ok == 30
    assert got["audit"].intact and got["audit"].ok == 60
    seqs = [r[0] for r in raw(db_path).execute("SELECT chain_seq FROM audit ORDER BY chain_seq")]
    assert seqs == list(range(1, 61))


def test_the_unique_index_refuses_a_second_row_at_one_place(store, filled, db_path):
    db = raw(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="chain_seq"):
        db.execute("INSERT INTO audit (at, action, chain_seq) VALUES ('x', 'audit.list', 1)")


def test_the_audit_trail_is_read_by_family(store, make, library):  # noqa: F811
    ids = populate(store, make, library)
    decision, facts = make(family("STK-OTHER"))
    other, _ = store.save_decision(decision, facts, submitted_by="partner")
    store.audit(actor="nosy", action="decision.read", status=200, target=other.id)
    store.audit(
        actor="lister",
        action="decision.list",
        status=200,
        detail=f"filters=family_ref returned=1 ids={ids['decision']}",
    )
    rows, _ = store.list_audit(family_ref="STK-A", limit=200)
    assert rows and {r["target"] for r in rows} <= {ids["decision"], None}
    assert ("rev", "decision.read") in {(r["actor"], r["action"]) for r in rows}
    assert ("lister", "decision.list") in {(r["actor"], r["action"]) for r in rows}
    assert "nosy" not in {r["actor"] for r in rows}
    # B's progress decision and claim: their rows, and none of A's
    rows, _ = store.list_audit(family_ref="STK-B", limit=200)
    targets = {r["target"] for r in rows}
    assert {ids["progress"], ids["claim"]} <= targets and ids["decision"] not in targets
    assert store.list_audit(family_ref="STK-NONE")[0] == []
    # with the other filters and pages, as any other query
    page, cursor = store.list_audit(family_ref="STK-B", limit=1)
    later, _ = store.list_audit(family_ref="STK-B", limit=200, cursor=cursor)
    assert len(page) == 1 and len(later) == len(rows) - 1
    assert (
        store.list_audit(family_ref="STK-B", action="claim.withdraw")[0][0]["target"]
        == ids["claim"]
    )


def test_values_sqlite_would_convert_are_chained_as_stored(store, make, db_path):
    """Rows are hashed from the values in hand as they are inserted, unless SQLite would store
    a value otherwise (an int in a TEXT column): then as read back, and the chain still holds."""
    decision, facts = make(family("STK-N"))
    odd = {**decision, "ruleset": {**decision["ruleset"], "version": 20151}}
    saved, _ = store.save_decision(odd, facts, submitted_by="partner")
    store.save_decision(decision, facts, submitted_by="partner")  # in hand, after it
    store.audit(actor="cli:x", action="audit.list", status=200, key_id=7)  # type: ignore[arg-type]
    [[version]] = (
        raw(db_path)
        .execute("SELECT ruleset_version FROM decisions WHERE id = ?", [saved.id])
        .fetchall()
    )
    [[key_id]] = raw(db_path).execute("SELECT key_id FROM audit ORDER BY id DESC LIMIT 1")
    assert (version, key_id) == ("20151", "7")
    got = reports(store, "decisions", "audit")
    assert all(r.intact for r in got.values()), {t: r.broken for t, r in got.items()}
    assert got["decisions"].ok == 2


@pytest.mark.parametrize(
    ("fields", "content", "reads_back"),
    [
        ({"id": 1, "status": 200, "actor": "a"}, ["t", None], True),
        ({"id": 1, "status": 200, "actor": None}, [None, None], True),
        ({"id": 1, "status": "200", "actor": "a"}, ["t", "d"], False),  # text in INTEGER
        ({"id": 1, "status": 200, "actor": 5}, ["t", "d"], False),  # int in TEXT
        ({"id": 1, "status": True, "actor": "a"}, ["t", "d"], False),  # bool
        ({"id": 1, "status": 200, "actor": "a"}, [1.5, "d"], False),  # float content
    ],
)
def test_what_reads_back_as_it_is(fields, content, reads_back):
    audit = CHAINS["audit"]
    row = {"at": "2026-01-01", "key_id": None, "action": "audit.list", **fields}
    assert chain._reads_back(audit, row, content) is reads_back


def test_content_is_hashed_as_canonical_json_whatever_the_text():
    """The fast encoding of content (orjson, for text and nulls) is byte for byte the
    canonical JSON the chain was defined with, for every code point; anything else, and a
    lone surrogate, goes the standard library's way."""
    from tfp_rules.store.hashing import canonical_json

    points = [*range(0xD800), *range(0xE000, 0x110000)]
    for start in range(0, len(points), 4096):
        text = "".join(map(chr, points[start : start + 4096])) + '"\\'
        values = ["FAM-1", text, None]
        assert chain._content_json(values) == canonical_json(values).encode()
    for odd in ([1.5, "x"], [{"b": 1, "a": 2}], [2**70]):
        assert chain._content_json(odd) == canonical_json(odd).encode()
    with pytest.raises(UnicodeEncodeError):  # as before: such text cannot be stored anyway
        chain._content_json(["\ud800"])

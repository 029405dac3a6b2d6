"""Erasure (Art. 17) and restriction (Art. 18), issue 18 item 3: an erased family's personal
data is gone everywhere and its records answer as tombstones (never a 500); who and why is
recorded without the ref; a restricted family's data is refused to every role but admin,
each refusal audited, and new facts for it are refused. Made through the real API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.privacy.erasure import erase_family, restrict_family, unrestrict_family
from tfp_rules.privacy.subject import export_family
from tfp_rules.store import RestrictionStateError, Store
from tfp_rules.store.sealed import unseal_row

from ..service.pages.conftest import sign_in
from .test_retention import dump
from .test_subject_access import (
    EXAMPLE,
    FAMILY,
    OTHER,
    PROGRESS,
    SAME_PERSON,
    Clock,
    Held,
    make_families,
)
from .test_subject_access import app as app  # the fixture, re-exported


@pytest.fixture
def tokens(app) -> dict[str, str]:
    with Store(app.config["DATABASE"]) as store:
        return {r: store.create_key(r, f"test {r}")[1] for r in ("submitter", "reviewer", "admin")}


@pytest.fixture
def auth(tokens):
    return lambda role="submitter": {"Authorization": f"Bearer {tokens[role]}"}


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def held(client, auth) -> Held:
    return make_families(client, auth)


@pytest.fixture
def store(app, held):
    s = Store(app.config["DATABASE"], clock=Clock())
    yield s
    s.close()


def test_erasure_removes_the_familys_personal_data_everywhere(store, held):
    job = store.create_job("impact", {}, requested_by="cli:test")
    store.start_job(job.id, runner="t", total=2)
    entries = [{"family_ref": FAMILY, "decision_id": held.latest}, {"family_ref": OTHER}]
    store.finish_job(job.id, done=2, result={"changed": 2}, personal={"changed": entries})
    before = {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in
              ("decisions", "reviews", "progress", "progress_reviews", "claims", "audit")}  # fmt: skip
    done = erase_family(store, FAMILY, reason="Art. 17 request 2026-12-01", actor="cli:dpo")
    assert done is not None
    assert done.counts["decisions"] == 2 and done.counts["progress"] == 1
    assert done.counts["claims"] == 1 and done.counts["reviews"] == 1
    assert done.counts["job_entries"] == 1
    text = dump(store)
    for value in (FAMILY, "Checked with the school", "Progress seen at the review meeting",
                  "Sam Keyworker", "CAMHS"):  # fmt: skip
        assert value not in text, value
    assert OTHER in text and SAME_PERSON in text  # other families untouched
    assert store.get_job(job.id).personal == {"changed": [{"family_ref": OTHER}]}
    after = {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in before}
    assert all(after[t] >= before[t] for t in before)  # no chained row deleted
    # subject access afterwards: nothing links to the ref, so nothing is held
    assert not export_family(store, FAMILY, actor="cli:dpo").held
    # who and why, without the ref in clear
    [row] = store.list_audit(action="subject.erase")[0]
    assert row["actor"] == "cli:dpo" and row["target"] == done.id
    assert FAMILY not in json.dumps(row) and held.latest in row["detail"]
    [[reason]] = store.db.execute("SELECT reason FROM erasures").fetchall()
    assert reason == "Art. 17 request 2026-12-01"


def test_a_reason_quoting_the_ref_is_refused_and_nothing_held_is_an_answer(store, held):
    with pytest.raises(ValueError, match="must not quote"):
        erase_family(store, FAMILY, reason=f"asked by {FAMILY}", actor="cli:dpo")
    assert erase_family(store, "STK-NOBODY", reason="asked", actor="cli:dpo") is None
    [row] = store.list_audit(action="subject.erase")[0]
    assert row["status"] == 404 and row["target"] is None


def test_an_erased_decision_answers_with_its_tombstone_never_a_500(
    app, client, auth, tokens, store, held
):
    erase_family(store, FAMILY, reason="Art. 17 request", actor="cli:dpo")
    for role in ("reviewer", "admin"):
        for query in ("", "?format=text", "?explain=failed"):
            r = client.get(f"/v1/decisions/{held.latest}{query}", headers=auth(role))
            assert r.status_code == 200, r.get_data(as_text=True)
            body = r.get_json()
            assert body["tombstone"] is True and body["facts"] is None and body["trace"] is None
            assert body["family_ref"] is None and body["erased"]["cause"] == "erasure"
            assert body["status"] and body["outcome"] and body["ruleset"]["version"]
    review = {"verdict": "confirm", "reason": "again"}
    r = client.post(f"/v1/decisions/{held.latest}/reviews", json=review, headers=auth("reviewer"))
    assert r.status_code == 410 and r.get_json()["type"].endswith("/erased")
    r = client.post(f"/v1/decisions/{held.latest}/facts", json={"events": []}, headers=auth())
    assert r.status_code == 410
    for path in (f"/v1/progress/{held.progress}", f"/v1/claims/{held.claim}"):
        assert client.get(path, headers=auth("reviewer")).status_code == 410, path
    person = app.test_client()
    sign_in(person, tokens["reviewer"])
    page = person.get(f"/decisions/{held.latest}")
    assert page.status_code == 410 and "erased" in page.text


def test_the_cli_erases_and_says_what(app, held):
    database = app.config["DATABASE"]
    runner = CliRunner()
    args = ["subject", "erase", FAMILY, "--reason", "Art. 17", "--database", database]
    dry = runner.invoke(main, [*args, "--dry-run"])
    assert dry.exit_code == 0 and "decisions: would erase 2" in dry.output
    done = runner.invoke(main, args)
    assert done.exit_code == 0 and "decisions: erased 2" in done.output
    again = runner.invoke(main, args)
    assert again.exit_code == 0 and "nothing held" in again.output


def refusals(store: Store) -> list[dict]:
    rows, _ = store.list_audit(limit=200)
    return [
        r
        for r in rows
        if r["detail"]
        and r["detail"].startswith("restricted")
        and r["action"] != "request.rejected"
    ]


def test_a_restricted_familys_data_is_refused_to_all_but_admin(
    app, client, auth, tokens, store, held
):
    restrict_family(store, FAMILY, reason="Art. 18: accuracy contested", actor="cli:dpo")
    with pytest.raises(RestrictionStateError):
        restrict_family(store, FAMILY, reason="again", actor="cli:dpo")
    reads = (
        f"/v1/decisions/{held.latest}",
        f"/v1/progress/{held.progress}",
        f"/v1/claims/{held.claim}",
    )
    for path in reads:
        r = client.get(path, headers=auth("reviewer"))
        assert r.status_code == 403 and r.get_json()["type"].endswith("/restricted"), path
        assert client.get(path, headers=auth("admin")).status_code == 200, path
    assert client.get(f"/v1/decisions/{held.latest}", headers=auth()).status_code == 403
    listed = client.get(f"/v1/decisions?family_ref={FAMILY}", headers=auth("reviewer"))
    assert listed.status_code == 200 and listed.get_json()["items"] == []
    assert len(client.get("/v1/decisions", headers=auth("reviewer")).get_json()["items"]) == 2
    assert len(client.get("/v1/decisions", headers=auth("admin")).get_json()["items"]) == 4
    for role, status in (("reviewer", 403), ("admin", 200)):
        person = app.test_client()
        sign_in(person, tokens[role])
        assert person.get(f"/decisions/{held.latest}").status_code == status, role
        # the work queue and its counts leave the family out for all but admins
        queue = person.get("/decisions?all=1").text
        assert (FAMILY in queue) == (role == "admin"), role
        assert person.get(f"/decisions?family_ref={FAMILY}").text.count(held.latest) == (
            role == "admin"
        ), role
    rows = refusals(store)
    assert len(rows) >= 5 and all(r["status"] == 403 for r in rows)
    assert all(FAMILY not in json.dumps(r) for r in rows)
    [restricted] = store.list_audit(action="subject.restrict")[0]
    assert FAMILY not in json.dumps(restricted)
    unrestrict_family(store, FAMILY, reason="resolved", actor="cli:dpo")
    assert client.get(reads[0], headers=auth("reviewer")).status_code == 200


def test_new_facts_for_a_restricted_family_are_refused_423(client, auth, store, held):
    restrict_family(store, SAME_PERSON, reason="Art. 18", actor="cli:dpo")
    example = json.loads(EXAMPLE.read_text())
    r = client.post("/v1/evaluations", json=example, headers=auth())
    assert r.status_code == 423 and r.get_json()["type"].endswith("/restricted")
    r = client.post(f"/v1/decisions/{held.same_person}/facts", json={"events": []}, headers=auth())
    assert r.status_code == 423
    later = json.loads((PROGRESS / "later.json").read_text())
    restrict_family(store, FAMILY, reason="Art. 18", actor="cli:dpo")
    r = client.post(f"/v1/decisions/{held.latest}/progress", json=later, headers=auth())
    assert r.status_code == 423
    rows = [r for r in refusals(store) if r["status"] == 423]
    assert [r["action"] for r in rows] == ["progress.create", "decision.create", "decision.create"]


def test_restrict_and_unrestrict_from_the_cli(app, held):
    database = app.config["DATABASE"]
    runner = CliRunner()
    args = [FAMILY, "--reason", "Art. 18", "--database", database]
    assert runner.invoke(main, ["subject", "restrict", *args]).exit_code == 0
    assert runner.invoke(main, ["subject", "restrict", *args]).exit_code == 1
    assert runner.invoke(main, ["subject", "unrestrict", *args]).exit_code == 0
    assert runner.invoke(main, ["subject", "unrestrict", *args]).exit_code == 1


def test_an_erased_familys_restriction_loses_its_ref(store, held):
    restrict_family(store, FAMILY, reason="Art. 18", actor="cli:dpo")
    erase_family(store, FAMILY, reason="Art. 17", actor="cli:dpo")
    assert store.restriction_of(FAMILY) is None
    assert FAMILY not in dump(store)


def test_an_old_database_migrates_with_its_reviews(tmp_path, held, app):
    """Reviews written before migration 13 keep their reasons (the table was rebuilt)."""
    with Store(app.config["DATABASE"]) as s:
        rows = s.db.query("SELECT id, reason FROM reviews")
        reasons = [unseal_row(s.keys, "reviews", row)["reason"] for row in rows]
    assert reasons == ["Checked with the school"]
    assert Path(app.config["DATABASE"]).exists()


def test_erasure_and_retention_leave_every_chain_whole(store, held):
    """The contract between erasure and the tamper-evident chain (store/chain.py): erasing
    a family replaces its personal content and keeps each row's content hash, so `tfp audit
    verify` still finds every chain whole, and counts the erased rows."""
    assert all(r.broken is None for r in store.verify_chains())
    erase_family(store, FAMILY, reason="Art. 17 request 2026-12-01", actor="cli:dpo")
    reports = {r.table: r for r in store.verify_chains()}
    assert {t: r.broken for t, r in reports.items() if r.broken} == {}
    assert reports["decisions"].erased == 2 and reports["progress"].erased == 1
    assert reports["claims"].erased == 1 and reports["reviews"].erased == 1
    # and an edit after the erasure is still caught
    store.db.execute(
        "UPDATE decision_payloads SET facts = '{}'"
        " WHERE decision_id = (SELECT decision_id FROM decision_payloads LIMIT 1)"
    )
    broken = [r for r in store.verify_chains() if r.broken]
    assert [r.table for r in broken] == ["decisions"]

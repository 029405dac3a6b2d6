"""The progress check in the API: POST /v1/decisions/{id}/progress, stored beside the entry
decision, read back (JSON and text), listed per entry, reviewed on `qualifies`, audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfp_rules.outcomes.check import progress_after

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "progress"


def fixture(name: str, part: str) -> dict:
    return json.loads((FIXTURES / name / f"{part}.json").read_text())


def entry_decision(client, auth, name: str = "turns_around", role: str = "submitter") -> str:
    made = client.post(
        "/v1/evaluations?ruleset=stockton", json=fixture(name, "entry"), headers=auth(role)
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    return made.get_json()["id"]


def check(client, auth, entry_id: str, later: dict, role: str = "submitter", **headers: str):
    return client.post(
        f"/v1/decisions/{entry_id}/progress", json=later, headers=auth(role, **headers)
    )


def table_count(store, table: str) -> int:
    with store._read() as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_every_fixture_is_answered_as_the_library_answers_it(client, auth, library, name):
    entry_id = entry_decision(client, auth, name)
    response = check(client, auth, entry_id, fixture(name, "later"))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    expected = fixture(name, "expected")
    assert body["status"] == expected["status"]
    assert body["qualifies"] == expected["qualifies"]
    assert {h["id"]: h["status"] for h in body["trace"]["headlines"]} == expected["headlines"]
    assert body["entry_id"] == entry_id
    assert response.headers["Location"] == f"/v1/progress/{body['id']}"
    assert response.headers["X-Ruleset-Id"] == "stockton"
    assert body["review_status"] == "unreviewed"
    assert body["outcome"] == {
        "qualifies": expected["qualifies"],
        "source": "automated",
        "review_id": None,
    }
    # what was stored is what the library decides from the same documents
    direct = progress_after(
        library,
        client.get(f"/v1/decisions/{entry_id}", headers=auth("admin")).get_json(),
        fixture(name, "entry"),
        fixture(name, "later"),
    )
    stored = {k: body[k] for k in direct}
    assert stored == json.loads(json.dumps(direct))


def test_stored_linked_to_the_entry_with_the_merged_facts_apart(client, auth, store):
    entry_id = entry_decision(client, auth)
    first = check(client, auth, entry_id, fixture("turns_around", "later")).get_json()
    again = fixture("turns_around", "later")
    again["assessment_date"] = "2019-11-01"
    second = check(client, auth, entry_id, again).get_json()
    listed = client.get(f"/v1/decisions/{entry_id}/progress", headers=auth())
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [p["id"] for p in items] == [second["id"], first["id"]]  # newest first
    assert "trace" not in items[0] and items[0]["entry_id"] == entry_id
    facts = store.get_progress_facts(first["id"])
    assert facts["family_ref"] == "STK-2019-000777"
    assert facts["assessment_date"] == "2019-10-15"
    # the entry's records are there with the later ones
    assert len(facts["members"]) == len(fixture("turns_around", "entry")["members"])
    # the entry decision is not edited
    entry = client.get(f"/v1/decisions/{entry_id}", headers=auth()).get_json()
    assert entry["superseded_by"] is None and entry["review_status"] == "unreviewed"
    with store._read() as db:
        metadata = db.execute("SELECT * FROM progress WHERE id = ?", [first["id"]]).fetchone()
        columns = [c[1] for c in db.execute("PRAGMA table_info(progress)")]
    assert "facts" not in columns and "decision" not in columns
    assert metadata is not None


def test_text_view(client, auth):
    entry_id = entry_decision(client, auth)
    pid = check(client, auth, entry_id, fixture("turns_around", "later")).get_json()["id"]
    text = client.get(f"/v1/progress/{pid}?format=text", headers=auth())
    assert text.status_code == 200 and text.mimetype == "text/plain"
    assert text.get_data(as_text=True).startswith(
        "Family STK-2019-000777, progress checked on 2019-10-15: SIGNIFICANT AND SUSTAINED"
    )


@pytest.mark.parametrize(
    ("later", "slug"),
    [
        ({"assessment_date": "2019-06-01"}, "too-early"),
        ({"members": [{"ref": "p1", "events": [{"type": "proven_offence"}]}]}, "invalid-facts"),
        ({"assessment_date": "2019-10-15", "members": [{"ref": "new"}]}, "invalid-facts"),
    ],
)
def test_refusals_are_422_and_store_nothing(client, auth, store, later, slug):
    entry_id = entry_decision(client, auth)
    response = check(client, auth, entry_id, later)
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["type"].endswith("/" + slug)
    if slug == "invalid-facts":
        assert body["errors"] and all(e["pointer"].startswith("/") for e in body["errors"])
    assert table_count(store, "progress") == table_count(store, "progress_payloads") == 0


def test_not_eligible_at_entry_by_the_outcome_in_force(client, auth):
    entry_id = entry_decision(client, auth)
    override = {"verdict": "override", "eligible": False, "reason": "moved out of the area"}
    reviewed = client.post(
        f"/v1/decisions/{entry_id}/reviews", json=override, headers=auth("reviewer")
    )
    assert reviewed.status_code == 201
    response = check(client, auth, entry_id, fixture("turns_around", "later"))
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("/not-eligible-at-entry")


def test_no_outcome_plan(client, auth, example):
    national = client.post("/v1/evaluations?ruleset=national", json=example, headers=auth())
    assert national.status_code == 201 and national.get_json()["status"] == "eligible"
    later = {"assessment_date": "2020-01-15"}
    response = check(client, auth, national.get_json()["id"], later)
    assert response.status_code == 422
    assert response.get_json()["type"].endswith("/no-outcome-plan")


def test_other_family_is_409(client, auth, store):
    entry_id = entry_decision(client, auth)
    later = {**fixture("turns_around", "later"), "family_ref": "STK-2019-999999"}
    response = check(client, auth, entry_id, later)
    assert response.status_code == 409
    assert response.get_json()["type"].endswith("/other-family")
    assert table_count(store, "progress") == 0


def test_need_to_know(client, auth):
    entry_id = entry_decision(client, auth)
    pid = check(client, auth, entry_id, fixture("turns_around", "later")).get_json()["id"]
    # another partner cannot see the entry, check progress on it, or read the check
    assert (
        check(
            client, auth, entry_id, fixture("turns_around", "later"), "other_submitter"
        ).status_code
        == 404
    )
    assert client.get(f"/v1/progress/{pid}", headers=auth("other_submitter")).status_code == 404
    assert (
        client.get(
            f"/v1/decisions/{entry_id}/progress", headers=auth("other_submitter")
        ).status_code
        == 404
    )
    assert client.get("/v1/progress/nope", headers=auth("reviewer")).status_code == 404
    # reviewers and admins read every check; policy officers none
    assert client.get(f"/v1/progress/{pid}", headers=auth("reviewer")).status_code == 200
    assert client.get(f"/v1/progress/{pid}", headers=auth("admin")).status_code == 200
    assert client.get(f"/v1/progress/{pid}", headers=auth("policy_officer")).status_code == 403
    assert check(client, auth, entry_id, {}, "reviewer").status_code == 403


def test_idempotency_key_replays_the_first_check(client, auth, store):
    entry_id = entry_decision(client, auth)
    later = fixture("turns_around", "later")
    first = check(client, auth, entry_id, later, **{"Idempotency-Key": "p-1"})
    again = check(client, auth, entry_id, later, **{"Idempotency-Key": "p-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    other = check(
        client,
        auth,
        entry_id,
        {**later, "assessment_date": "2019-11-01"},
        **{"Idempotency-Key": "p-1"},
    )
    assert other.status_code == 409
    assert other.get_json()["type"].endswith("/idempotency-conflict")
    assert table_count(store, "progress") == 1


def test_reviews_of_a_progress_decision(client, auth):
    entry_id = entry_decision(client, auth)
    pid = check(client, auth, entry_id, fixture("turns_around", "later")).get_json()["id"]
    reviews = f"/v1/progress/{pid}/reviews"
    same = client.post(
        reviews,
        json={"verdict": "override", "qualifies": True, "reason": "x"},
        headers=auth("reviewer"),
    )
    assert same.status_code == 409 and same.get_json()["type"].endswith("/already-in-force")
    bad = client.post(
        reviews, json={"verdict": "override", "reason": "x"}, headers=auth("reviewer")
    )
    assert bad.status_code == 422 and bad.get_json()["type"].endswith("/invalid-review")
    bidi = client.post(
        reviews, json={"verdict": "confirm", "reason": "a\u202eb"}, headers=auth("reviewer")
    )
    assert bidi.status_code == 422
    assert (
        client.post(reviews, json={"verdict": "confirm", "reason": "x"}, headers=auth()).status_code
        == 403
    )
    override = {
        "verdict": "override",
        "qualifies": False,
        "reason": "Offence in October not yet on PNC",
    }
    made = client.post(reviews, json=override, headers=auth("reviewer"))
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["qualifies"] is False
    assert made.headers["Location"] == f"/v1/progress/{pid}"
    seen = client.get(f"/v1/progress/{pid}", headers=auth("reviewer")).get_json()
    assert seen["qualifies"] is True  # the automated check is never altered
    assert seen["outcome"] == {
        "qualifies": False,
        "source": "review",
        "review_id": made.get_json()["id"],
    }
    assert seen["review_status"] == "overridden"
    assert seen["reviews"][0]["reason"] == override["reason"]
    # a submitter sees the verdict and outcome, not the reason or reviewer
    mine = client.get(f"/v1/progress/{pid}", headers=auth()).get_json()
    assert "reason" not in mine["reviews"][0] and "reviewer" not in mine["reviews"][0]
    text = client.get(f"/v1/progress/{pid}?format=text", headers=auth()).get_data(as_text=True)
    assert text.startswith("Results claim in force: DOES NOT QUALIFY (by review")
    assert "reason shown to reviewers only" in text and override["reason"] not in text
    listed = client.get(f"/v1/decisions/{entry_id}/progress", headers=auth()).get_json()["items"]
    assert listed[0]["outcome"]["qualifies"] is False


def test_confirming_an_undetermined_check_is_409(client, auth):
    entry_id = entry_decision(client, auth, "police_not_checked_since_entry")
    made = check(client, auth, entry_id, fixture("police_not_checked_since_entry", "later"))
    assert made.get_json()["qualifies"] is None
    response = client.post(
        f"/v1/progress/{made.get_json()['id']}/reviews",
        json={"verdict": "confirm", "reason": "looks right"},
        headers=auth("reviewer"),
    )
    assert response.status_code == 409
    assert response.get_json()["type"].endswith("/nothing-to-confirm")


def test_every_read_and_write_is_audited(client, auth, store):
    entry_id = entry_decision(client, auth)
    pid = check(client, auth, entry_id, fixture("turns_around", "later")).get_json()["id"]
    client.get(f"/v1/progress/{pid}", headers=auth("reviewer"))
    client.get(f"/v1/decisions/{entry_id}/progress", headers=auth("reviewer"))
    client.post(
        f"/v1/progress/{pid}/reviews",
        json={"verdict": "confirm", "reason": "ok"},
        headers=auth("reviewer"),
    )
    client.get(f"/v1/progress/{pid}", headers=auth("other_submitter"))
    rows, _ = store.list_audit(limit=50)
    actions = [(r["action"], r["target"], r["status"]) for r in rows]
    assert ("progress.create", pid, 201) in actions
    assert ("progress.read", pid, 200) in actions
    assert ("progress.list", entry_id, 200) in actions
    assert ("progress_review.create", pid, 201) in actions
    assert ("progress.read", pid, 404) in actions
    created = next(r for r in rows if r["action"] == "progress.create")
    assert f"entry={entry_id}" in created["detail"] and "STK-" not in created["detail"]

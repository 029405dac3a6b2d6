"""Results claims in the API: POST /v1/claims on a qualifying progress decision, one per
family (409 naming the claim in force), preconditions named when missing, listed by period,
read back with evidence that resolves in the stored facts, withdrawn by an admin, audited."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from service import create_app
from tfp_rules.outcomes.claims import financial_year, resolve_pointer
from tfp_rules.store import ClaimExistsError, Store

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "progress"
PRECONDITIONS = {
    "whole_family_assessment": "2019-04-02",
    "action_plan": "2019-04-10",
    "keyworker": "Sam Keyworker",
}


def fixture(name: str, part: str) -> dict:
    return json.loads((FIXTURES / name / f"{part}.json").read_text())


def progress_of(client, auth, name: str = "turns_around", family_ref: str | None = None) -> str:
    """A progress decision on a fixture (as another family, if `family_ref` is given)."""
    entry, later = fixture(name, "entry"), fixture(name, "later")
    if family_ref is not None:
        entry["family_ref"] = family_ref
        later.pop("family_ref", None)
    made = client.post("/v1/evaluations?ruleset=stockton", json=entry, headers=auth())
    assert made.status_code == 201, made.get_data(as_text=True)
    checked = client.post(
        f"/v1/decisions/{made.get_json()['id']}/progress", json=later, headers=auth()
    )
    assert checked.status_code == 201, checked.get_data(as_text=True)
    return checked.get_json()["id"]


def claim(client, auth, progress_id: str, role: str = "reviewer", **body):
    return client.post(
        "/v1/claims",
        json={"progress_id": progress_id, **PRECONDITIONS, **body},
        headers=auth(role),
    )


def slug(response) -> str:
    return response.get_json()["type"].rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("name", "by"), [("turns_around", "progress"), ("jsa_claimant_in_work_13_weeks", "employment")]
)
def test_a_claim_names_its_decisions_amounts_and_evidence(client, auth, store, name, by):
    pid = progress_of(client, auth, name)
    made = claim(client, auth, pid)
    assert made.status_code == 201, made.get_data(as_text=True)
    body = made.get_json()
    assert made.headers["Location"] == f"/v1/claims/{body['id']}"
    assert made.headers["X-Ruleset-Id"] == "stockton"
    assert body["progress_id"] == pid and body["qualifies_by"] == by
    assert body["entry_id"] == store.get_progress(pid).entry_id
    assert body["status"] == "claimed" and body["withdrawal"] is None
    assert body["ruleset"]["id"] == "stockton" and body["ruleset"]["extends"]["id"] == "national"
    assert body["amounts"]["attachment_fee_gbp"]["value"] == 1000
    assert body["amounts"]["results_payment_gbp"]["value"] == 800
    assert "Financial Framework" in body["amounts"]["results_payment_gbp"]["source"]
    assert body["financial_year"] == financial_year(dt.date.fromisoformat(body["claim_date"]))
    assert body["preconditions"] == PRECONDITIONS
    # every pointer names a real record of the merged facts the progress decision was made on
    facts = store.get_progress_facts(pid)
    assert body["evidence"]
    assert len(set(body["evidence"])) == len(body["evidence"])
    for pointer in body["evidence"]:
        assert isinstance(resolve_pointer(facts, pointer), dict), pointer
    if by == "progress":
        assert "/judgements/0" in body["evidence"]  # H6, met by the keyworker's judgement
        assert "/members/1/events/0" in body["evidence"]  # an offence before entry
    else:
        assert set(body["evidence"]) == {"/members/0/benefits/0", "/members/0/employment/0"}
    read = client.get(f"/v1/claims/{body['id']}", headers=auth("reviewer"))
    assert read.status_code == 200 and read.get_json() == body


def test_one_claim_per_family(client, auth):
    pid = progress_of(client, auth)
    first = claim(client, auth, pid).get_json()
    again = claim(client, auth, pid)
    assert again.status_code == 409 and slug(again) == "claim-exists"
    assert again.get_json()["existing_id"] == first["id"]
    # another progress decision for the same family: still the one claim
    other = progress_of(client, auth)
    assert claim(client, auth, other).get_json()["existing_id"] == first["id"]
    # withdrawn (not in error): the family stays claimed
    withdrawn = client.post(
        f"/v1/claims/{first['id']}/withdraw",
        json={"reason": "Family moved away before audit"},
        headers=auth("admin"),
    )
    assert withdrawn.status_code == 200, withdrawn.get_data(as_text=True)
    body = withdrawn.get_json()
    assert body["status"] == "withdrawn"
    assert body["withdrawal"]["reason"] == "Family moved away before audit"
    assert body["withdrawal"]["in_error"] is False and body["withdrawal"]["by"]
    still = claim(client, auth, pid)
    assert still.status_code == 409 and still.get_json()["existing_id"] == first["id"]
    twice = client.post(
        f"/v1/claims/{first['id']}/withdraw", json={"reason": "x"}, headers=auth("admin")
    )
    assert twice.status_code == 409 and slug(twice) == "already-withdrawn"


def test_withdrawn_in_error_frees_the_family(client, auth):
    pid = progress_of(client, auth)
    first = claim(client, auth, pid).get_json()
    response = client.post(
        f"/v1/claims/{first['id']}/withdraw",
        json={"reason": "Claimed on the wrong family", "in_error": True},
        headers=auth("admin"),
    )
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn_in_error"
    second = claim(client, auth, pid)
    assert second.status_code == 201, second.get_data(as_text=True)
    assert second.get_json()["id"] != first["id"]
    # the first is kept, never deleted
    assert client.get(f"/v1/claims/{first['id']}", headers=auth("admin")).status_code == 200


def test_missing_preconditions_are_each_named(client, auth, store):
    pid = progress_of(client, auth)
    response = client.post("/v1/claims", json={"progress_id": pid}, headers=auth("reviewer"))
    assert response.status_code == 422 and slug(response) == "claim-preconditions"
    assert response.get_json()["missing"] == ["whole_family_assessment", "action_plan", "keyworker"]
    blank = claim(client, auth, pid, keyworker="   ", action_plan="2999-01-01")
    assert blank.status_code == 422 and blank.get_json()["missing"] == ["keyworker"]
    assert [e["pointer"] for e in blank.get_json()["errors"]] == ["/action_plan"]
    old = claim(client, auth, pid, whole_family_assessment="1899-12-31")
    assert old.status_code == 422 and old.get_json()["errors"][0]["pointer"] == (
        "/whole_family_assessment"
    )
    assert store.list_claims()[0] == []


@pytest.mark.parametrize(
    "body",
    [
        {"progress_id": "x", "extra": 1},
        {"progress_id": "x", "keyworker": "a\u202eb"},
        {"progress_id": "x", "action_plan": "2019-02-30"},
        {"progress_id": "x", "action_plan": 0},
        {},
    ],
)
def test_invalid_bodies_are_422(client, auth, body):
    response = client.post("/v1/claims", json=body, headers=auth("reviewer"))
    assert response.status_code == 422 and slug(response) == "invalid-claim"


def test_not_qualifying_and_unknown_progress(client, auth):
    undetermined = progress_of(client, auth, "police_not_checked_since_entry")
    response = claim(client, auth, undetermined)
    assert response.status_code == 422 and slug(response) == "not-qualifying"
    not_met = progress_of(client, auth, "improves_on_some_headlines")
    assert slug(claim(client, auth, not_met)) == "not-qualifying"
    assert claim(client, auth, "nope").status_code == 404
    # an override that it does not qualify is the outcome in force
    pid = progress_of(client, auth)
    override = {"verdict": "override", "qualifies": False, "reason": "offence not yet on PNC"}
    assert (
        client.post(f"/v1/progress/{pid}/reviews", json=override, headers=auth("reviewer"))
    ).status_code == 201
    assert slug(claim(client, auth, pid)) == "not-qualifying"


def test_roles(client, auth):
    pid = progress_of(client, auth)
    assert claim(client, auth, pid, role="submitter").status_code == 403
    assert claim(client, auth, pid, role="policy_officer").status_code == 403
    made = claim(client, auth, pid, role="admin")
    assert made.status_code == 201
    cid = made.get_json()["id"]
    assert client.get("/v1/claims", headers=auth("submitter")).status_code == 403
    assert client.get(f"/v1/claims/{cid}", headers=auth("submitter")).status_code == 403
    withdraw = {"reason": "x"}
    assert (
        client.post(f"/v1/claims/{cid}/withdraw", json=withdraw, headers=auth("reviewer"))
    ).status_code == 403
    assert client.get("/v1/claims/nope", headers=auth("reviewer")).status_code == 404


def test_list_filters_and_pages(client, auth, store):
    ids = [
        claim(client, auth, progress_of(client, auth, family_ref=f"STK-2019-00{i}")).get_json()[
            "id"
        ]
        for i in range(3)
    ]
    listed = client.get("/v1/claims?limit=2", headers=auth("reviewer")).get_json()
    assert [c["id"] for c in listed["items"]] == ids[::-1][:2]
    assert "evidence" not in listed["items"][0] and "preconditions" not in listed["items"][0]
    rest = client.get(listed["next"], headers=auth("reviewer")).get_json()
    assert [c["id"] for c in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    mine = client.get("/v1/claims?family_ref=STK-2019-001", headers=auth("reviewer")).get_json()
    assert [c["id"] for c in mine["items"]] == [ids[1]]
    today = client.get(f"/v1/claims/{ids[0]}", headers=auth("reviewer")).get_json()["claim_date"]
    month = today[:7]
    inside = client.get(f"/v1/claims?period={month}..{month}", headers=auth("reviewer"))
    assert len(inside.get_json()["items"]) == 3
    before = client.get("/v1/claims?period=2019-04..2019-06", headers=auth("reviewer"))
    assert before.get_json()["items"] == []
    assert (
        client.get("/v1/claims?status=withdrawn", headers=auth("reviewer")).get_json()["items"]
        == []
    )
    backwards = client.get("/v1/claims?period=2019-06..2019-04", headers=auth("reviewer"))
    assert backwards.status_code == 400
    assert (
        client.get("/v1/claims?period=2019-13..2019-14", headers=auth("reviewer")).status_code
        == 400
    )


def test_every_route_is_audited(client, auth, store):
    pid = progress_of(client, auth)
    cid = claim(client, auth, pid).get_json()["id"]
    claim(client, auth, pid)
    client.get(f"/v1/claims/{cid}", headers=auth("reviewer"))
    client.get("/v1/claims", headers=auth("reviewer"))
    client.get("/v1/claims/nope", headers=auth("reviewer"))
    client.post(f"/v1/claims/{cid}/withdraw", json={"reason": "x"}, headers=auth("admin"))
    rows, _ = store.list_audit(limit=100)
    actions = [(r["action"], r["target"], r["status"]) for r in rows]
    assert ("claim.create", cid, 201) in actions
    assert ("claim.read", cid, 200) in actions
    assert ("claim.read", "nope", 404) in actions
    assert ("claim.withdraw", cid, 200) in actions
    assert any(a == "claim.list" for a, _, _ in actions)
    assert any(a == "request.rejected" and s == 409 for a, _, s in actions)
    made = next(r for r in rows if r["action"] == "claim.create")
    assert f"progress={pid}" in made["detail"] and "STK-" not in made["detail"]
    assert "Sam" not in json.dumps(rows)


def test_two_processes_racing_for_one_family_one_wins(tmp_path, library, monkeypatch):
    """Two writers, each with its own connection, claim one family at once: SQLite's unique
    index lets exactly one in; the other is ClaimExistsError (the API's 409)."""
    from tfp_rules.library import RulesetLibrary

    monkeypatch.setattr(RulesetLibrary, "from_directory", lambda directory=None: library)
    path = tmp_path / "tfp.sqlite"
    app = create_app({"DATABASE": str(path), "TESTING": True})
    setup = Store(path)
    token = setup.create_key("reviewer", "racer")[1]
    client = app.test_client()

    def auth(role: str = "submitter") -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    sub = setup.create_key("submitter", "partner")[1]
    entry = client.post(
        "/v1/evaluations?ruleset=stockton",
        json=fixture("turns_around", "entry"),
        headers={"Authorization": f"Bearer {sub}"},
    ).get_json()["id"]
    pid = client.post(
        f"/v1/decisions/{entry}/progress",
        json=fixture("turns_around", "later"),
        headers={"Authorization": f"Bearer {sub}"},
    ).get_json()["id"]
    body = {"progress_id": pid, **PRECONDITIONS}
    results: list[int] = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        with app.test_client() as c:
            results.append(c.post("/v1/claims", json=body, headers=auth()).status_code)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201] + [409] * 7
    # and in the store itself, straight at the index: two connections, one claim
    content = setup.get_claim(setup.list_claims()[0][0].id).claim
    other = Store(path)
    with pytest.raises(ClaimExistsError):
        other.save_claim(content, claimed_by="cli:test")
    with setup._read() as db:
        assert db.execute("SELECT count(*) FROM claims").fetchone()[0] == 1
    other.close()
    setup.close()


# --------------------------------------------------------------------------- tfp claims


def tfp(app, *args: str):
    from click.testing import CliRunner

    from tfp_rules.cli import main

    return CliRunner().invoke(main, [*args, "--database", app.config["DATABASE"]])


def test_cli_withdraw_then_claim_again(app, client, auth):
    pid = progress_of(client, auth)
    first = claim(client, auth, pid).get_json()["id"]
    done = tfp(app, "claims", "withdraw", first, "--reason", "Duplicate of a paper claim")
    assert done.exit_code == 0, done.output
    assert done.output.split("\t")[:2] == [first, "withdrawn"]
    again = claim(client, auth, pid)
    assert again.status_code == 409 and again.get_json()["existing_id"] == first
    twice = tfp(app, "claims", "withdraw", first, "--reason", "x", "--in-error")
    assert twice.exit_code == 1 and "already withdrawn" in twice.stderr
    assert tfp(app, "claims", "withdraw", "nope", "--reason", "x").exit_code == 1
    assert tfp(app, "claims", "withdraw", first, "--reason", " ").exit_code == 1
    # in error: the family is free again
    second = claim(client, auth, pid).get_json()  # still 409: the first was withdrawn
    assert second["existing_id"] == first
    pid2 = progress_of(client, auth, family_ref="STK-2019-0042")
    made = claim(client, auth, pid2).get_json()["id"]
    freed = tfp(app, "claims", "withdraw", made, "--reason", "Wrong family", "--in-error")
    assert freed.exit_code == 0 and "withdrawn_in_error" in freed.output
    assert claim(client, auth, pid2).status_code == 201


def test_cli_export_lists_the_period_with_amounts(app, client, auth, store):
    ids = [
        claim(client, auth, progress_of(client, auth, family_ref=f"STK-2019-00{i}")).get_json()[
            "id"
        ]
        for i in range(3)
    ]
    store.withdraw_claim(ids[1], reason="x", in_error=False, withdrawn_by="admin")
    month = store.get_claim(ids[0]).claim_date[:7]
    out = tfp(app, "claims", "export", "--period", f"{month}..{month}")
    assert out.exit_code == 0, out.output
    rows = list(__import__("csv").DictReader(out.output.splitlines()))
    assert [r["claim_id"] for r in rows] == [ids[0], ids[2]]  # withdrawn ones are not submitted
    assert rows[0]["attachment_fee_gbp"] == "1000" and rows[0]["results_payment_gbp"] == "800"
    assert rows[0]["family_ref"] == "STK-2019-000" and rows[0]["ruleset"] == "stockton@2015.1"
    assert rows[0]["financial_year"] == financial_year(dt.date.fromisoformat(rows[0]["claim_date"]))
    assert rows[0]["qualifies_by"] == "progress"
    earlier = tfp(app, "claims", "export", "--period", "2019-04..2019-06", "--format", "json")
    assert earlier.exit_code == 0 and json.loads(earlier.output) == []
    as_json = json.loads(
        tfp(app, "claims", "export", "--period", f"{month}..{month}", "--format", "json").output
    )
    assert [r["claim_id"] for r in as_json] == [ids[0], ids[2]]
    assert as_json[0]["results_payment_gbp"] == 800
    bad = tfp(app, "claims", "export", "--period", "2019-06..2019-04")
    assert bad.exit_code == 1
    rows, _ = store.list_audit(action="claim.list")
    assert rows and rows[0]["actor"].startswith("cli:")


def test_cli_sample_is_reproducible_and_its_chains_whole(app, client, auth, store):
    ids = [
        claim(client, auth, progress_of(client, auth, family_ref=f"STK-2019-1{i:02d}")).get_json()[
            "id"
        ]
        for i in range(12)
    ]
    store.withdraw_claim(ids[0], reason="x", in_error=False, withdrawn_by="admin")
    first = tfp(app, "claims", "sample", "--percent", "25", "--seed", "42")
    assert first.exit_code == 0, first.output
    again = tfp(app, "claims", "sample", "--percent", "25", "--seed", "42")
    document = json.loads(first.output)
    assert [c["claim"]["id"] for c in document["sampled"]] == [
        c["claim"]["id"] for c in json.loads(again.output)["sampled"]
    ]
    assert document["population"] == 11 and len(document["sampled"]) == 3
    assert ids[0] not in {c["claim"]["id"] for c in document["sampled"]}
    for chain in document["sampled"]:
        claimed = chain["claim"]
        assert chain["progress"]["id"] == claimed["progress_id"]
        assert chain["entry"]["id"] == claimed["entry_id"]
        assert chain["progress"]["decision"]["qualifies"] is True
        assert chain["entry"]["facts"]["family_ref"] == claimed["family_ref"]
        for pointer in claimed["evidence"]:
            resolve_pointer(chain["progress"]["facts"], pointer)
        actions = {(r["action"], r["target"]) for r in chain["audit"]}
        assert ("claim.create", claimed["id"]) in actions
        assert ("progress.create", claimed["progress_id"]) in actions
        assert ("decision.create", claimed["entry_id"]) in actions
    other = json.loads(tfp(app, "claims", "sample", "--percent", "25", "--seed", "7").output)
    assert len(other["sampled"]) == 3
    rows, _ = store.list_audit(action="claim.sample")
    assert len(rows) == 3 and "seed=42" in rows[-1]["detail"]


def test_a_claim_is_dated_in_england_so_1_april_is_the_new_financial_year():
    """At 23:30 UTC on 31 March 2020 it is 00:30 on 1 April in England (summer time): a
    claim made then is of 2020-21, not 2019-20; in winter England is on UTC."""
    import datetime as dt

    from service.claims import claim_date_at
    from tfp_rules.outcomes.claims import financial_year

    spring = claim_date_at(dt.datetime(2020, 3, 31, 23, 30, tzinfo=dt.UTC))
    assert (spring, financial_year(spring)) == (dt.date(2020, 4, 1), "2020-21")
    assert claim_date_at(dt.datetime(2020, 1, 31, 23, 30, tzinfo=dt.UTC)) == dt.date(2020, 1, 31)

"""The HTTP API through Flask's test client: contract, errors, roles, idempotency, audit."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from service import evaluations
from tfp_rules.library import RulesetLibrary


def post_facts(client, auth, doc, role="submitter", query="", **headers):
    return client.post(
        f"/v1/evaluations{query}",
        data=json.dumps(doc) if not isinstance(doc, (bytes, str)) else doc,
        headers=auth(role, **headers),
        content_type="application/json",
    )


def assert_problem(response, status, slug):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert body["type"].endswith("/" + slug)
    assert "Traceback" not in response.get_data(as_text=True)
    return body


# --------------------------------------------------------------------------- evaluations


def test_post_evaluation_returns_201_with_the_decision(client, auth, example, store):
    r = post_facts(client, auth, example)
    assert r.status_code == 201
    body = r.get_json()
    assert body["eligible"] is True
    assert body["headlines_met"] == ["H1", "H2", "H3", "H4", "H5", "H6"]
    assert body["ruleset"]["id"] == "national"
    assert body["review_status"] == "unreviewed"
    assert body["outcome"] == {
        "status": "eligible",
        "eligible": True,
        "source": "automated",
        "review_id": None,
    }
    assert r.headers["Location"] == f"/v1/decisions/{body['id']}"
    assert r.headers["X-Ruleset-Id"] == "national"
    assert r.headers["X-Ruleset-Version"] == "2015.1"
    assert r.headers["X-Ruleset-Sha256"] == body["ruleset"]["sha256"]
    # the compact trace, as stored; `?trace=full` the whole of it, as the store expands it
    assert body["trace"]["trace_format"] == "compact/1"
    assert store.get_decision(body["id"], trace="compact").decision["trace"] == body["trace"]


def test_trace_full_returns_the_whole_trace_on_post_and_get(client, auth, example, store):
    full = post_facts(client, auth, example, query="?trace=full").get_json()
    assert "trace_format" not in full["trace"]
    stored = store.get_decision(full["id"])
    assert full["trace"] == stored.decision["trace"]
    assert full["trace"]["headlines"][0]["name"]  # names and wording are there
    path = f"/v1/decisions/{full['id']}"
    again = client.get(f"{path}?trace=full", headers=auth("reviewer")).get_json()
    assert again["trace"] == full["trace"]
    small = client.get(path, headers=auth("reviewer")).get_json()
    assert small["trace"]["trace_format"] == "compact/1"
    assert len(json.dumps(small)) * 3 < len(json.dumps(again))
    # the plain English is rendered from the full trace whatever `trace` says
    text = client.get(f"{path}?explain=full", headers=auth("reviewer")).get_data(as_text=True)
    assert text == client.get(
        f"{path}?explain=full&trace=compact", headers=auth("reviewer")
    ).get_data(as_text=True)
    assert "number of proven_offence records" in text


def test_a_bad_trace_parameter_is_400(client, auth, example):
    body = assert_problem(
        post_facts(client, auth, example, query="?trace=short"), 400, "invalid-query"
    )
    assert "trace" in body["detail"]


def test_named_ruleset_version(client, auth, example):
    r = post_facts(client, auth, example, query="?ruleset=national@2015.1")
    assert r.status_code == 201
    assert r.get_json()["ruleset"]["version"] == "2015.1"


def test_unknown_ruleset_version_lists_what_exists(client, auth, example, store):
    body = assert_problem(
        post_facts(client, auth, example, query="?ruleset=national@1999"), 422, "unknown-ruleset"
    )
    assert body["available"] == ["national@2015.1", "stockton@2015.1"]
    assert store.list_decisions()[0] == []


def test_invalid_facts_list_every_problem_and_store_nothing_but_audit(client, auth, example, store):
    example["members"][0]["date_of_birth"] = "2020-01-01"
    example["members"][1]["colour"] = "blue"
    example["assessment_date"] = "2019-02-30"
    body = assert_problem(post_facts(client, auth, example), 422, "invalid-facts")
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"/members/1/colour", "/assessment_date"} <= pointers
    assert store.list_decisions()[0] == []
    rejected = [a for a in store.list_audit()[0] if a["action"] == "request.rejected"]
    assert rejected and rejected[0]["status"] == 422


def test_malformed_json_is_400(client, auth, store):
    body = assert_problem(post_facts(client, auth, b'{"family_ref": '), 400, "malformed-json")
    assert "line 1" in body["detail"]
    assert store.list_decisions()[0] == []


def test_wrong_content_type_is_415(client, auth, example):
    r = client.post(
        "/v1/evaluations", data=json.dumps(example), headers=auth(), content_type="text/plain"
    )
    assert_problem(r, 415, "unsupported-media-type")


def test_oversized_body_is_413(tmp_path, example):
    from service import create_app
    from tfp_rules.store import Store

    app = create_app({"DATABASE": str(tmp_path / "small.sqlite"), "MAX_CONTENT_LENGTH": 2048})
    store = Store(app.config["DATABASE"])
    token = store.create_key("submitter", "s")[1]
    big = copy.deepcopy(example)
    big["members"][0]["events"] *= 40
    r = app.test_client().post(
        "/v1/evaluations",
        data=json.dumps(big),
        headers={"Authorization": f"Bearer {token}"},
        content_type="application/json",
    )
    assert_problem(r, 413, "request-entity-too-large")
    assert store.list_decisions()[0] == []


def test_idempotent_retry_returns_the_same_decision(client, auth, example, store):
    first = post_facts(client, auth, example, **{"Idempotency-Key": "abc-1"})
    again = post_facts(client, auth, example, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(store.list_decisions()[0]) == 1


def test_idempotency_key_with_a_different_body_is_a_conflict(client, auth, example, store):
    post_facts(client, auth, example, **{"Idempotency-Key": "abc-2"})
    example["family_ref"] = "STK-OTHER"
    assert_problem(
        post_facts(client, auth, example, **{"Idempotency-Key": "abc-2"}),
        409,
        "idempotency-conflict",
    )
    assert len(store.list_decisions()[0]) == 1


def test_a_retry_of_the_same_facts_reserialised_replays_the_first_decision(
    client, auth, example, store
):
    first = post_facts(client, auth, json.dumps(example), **{"Idempotency-Key": "jq-1"})
    # what `jq -S .` would send: the same document, keys sorted, another layout
    again = post_facts(
        client, auth, json.dumps(example, sort_keys=True, indent=2), **{"Idempotency-Key": "jq-1"}
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(store.list_decisions()[0]) == 1


def test_the_same_idempotency_key_with_another_ruleset_is_a_conflict(client, auth, example):
    post_facts(client, auth, example, **{"Idempotency-Key": "rs-1"})
    assert_problem(
        post_facts(client, auth, example, query="?ruleset=national", **{"Idempotency-Key": "rs-1"}),
        409,
        "idempotency-conflict",
    )


def test_a_reserialised_facts_update_replays_and_another_update_conflicts(client, auth, example):
    first = post_facts(client, auth, example).get_json()
    url = f"/v1/decisions/{first['id']}/facts"
    update = {"sources_checked": {"dwp": "2019-03-30"}, "members": [{"ref": "p1", "flags": {}}]}
    send = lambda body: client.post(  # noqa: E731
        url,
        data=body,
        headers=auth(**{"Idempotency-Key": "upd-1"}),
        content_type="application/json",
    )
    made = send(json.dumps(update))
    assert made.status_code == 201, made.get_data(as_text=True)
    replayed = send(json.dumps(update, sort_keys=True, indent=1))
    assert replayed.status_code == 201 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.get_json()["id"] == made.get_json()["id"]
    other = {**update, "sources_checked": {"dwp": "2019-03-31"}}
    assert_problem(send(json.dumps(other)), 409, "idempotency-conflict")


def test_idempotency_keys_are_per_submitter(client, auth, example, store):
    a = post_facts(client, auth, example, **{"Idempotency-Key": "same"})
    b = post_facts(client, auth, example, role="other_submitter", **{"Idempotency-Key": "same"})
    assert a.get_json()["id"] != b.get_json()["id"]


def test_bad_idempotency_key(client, auth, example):
    assert_problem(
        post_facts(client, auth, example, **{"Idempotency-Key": "x" * 300}),
        400,
        "bad-idempotency-key",
    )


def test_an_unexpected_failure_is_a_500_problem_without_a_stack_trace(
    client, auth, example, monkeypatch, store
):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(evaluations, "evaluate", explode)
    r = post_facts(client, auth, example)
    body = assert_problem(r, 500, "internal-error")
    assert "secret internals" not in r.get_data(as_text=True)
    assert body["detail"].startswith("incident ")
    assert store.list_decisions()[0] == []


# --------------------------------------------------------------------------- authentication and roles


def test_missing_and_unknown_keys_are_401(client, example, keys, store):
    r = client.post("/v1/evaluations", json=example)
    assert_problem(r, 401, "unauthenticated")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(
        client.get("/v1/decisions", headers={"Authorization": "Bearer tfp_nope_nope"}),
        401,
        "unauthenticated",
    )
    assert_problem(
        client.get("/v1/decisions", headers={"Authorization": "Basic abc"}), 401, "unauthenticated"
    )


def test_revoked_key_is_401(client, store):
    key, token = store.create_key("reviewer", "leaver")
    assert (
        client.get("/v1/decisions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    store.revoke_key(key.id)
    assert_problem(
        client.get("/v1/decisions", headers={"Authorization": f"Bearer {token}"}),
        401,
        "unauthenticated",
    )


def test_decisions_belong_to_the_client_so_a_rotated_key_still_sees_them(client, store, example):
    key, old_token = store.create_key("submitter", "school-mis")
    bearer = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    created = client.post("/v1/evaluations", json=example, headers=bearer(old_token))
    assert created.status_code == 201
    assert created.get_json()["submitted_by"] == key.client_id
    _, _, new_token = store.rotate_key(key.id)
    assert_problem(client.get("/v1/decisions", headers=bearer(old_token)), 401, "unauthenticated")
    location = created.headers["Location"]
    assert client.get(location, headers=bearer(new_token)).status_code == 200
    listed = client.get("/v1/decisions", headers=bearer(new_token)).get_json()["items"]
    assert [d["id"] for d in listed] == [created.get_json()["id"]]
    # a second key of the same client, alongside: the same decisions, the same retries
    _, third = store.create_key("submitter", "school-mis")
    assert client.get(location, headers=bearer(third)).status_code == 200


def test_an_expired_key_is_401(client, store):
    key, token = store.create_key(
        "reviewer", "temp", expires_at=datetime.now(UTC) + timedelta(days=1)
    )
    assert (
        client.get("/v1/decisions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    store.db.execute(
        "UPDATE api_keys SET expires_at = '2000-01-01T00:00:00.000000Z' WHERE id = ?", [key.id]
    )
    body = assert_problem(
        client.get("/v1/decisions", headers={"Authorization": f"Bearer {token}"}),
        401,
        "unauthenticated",
    )
    assert "expired" in body["detail"]


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("reviewer", "post", "/v1/evaluations"),
        ("policy_officer", "post", "/v1/evaluations"),
        ("policy_officer", "get", "/v1/decisions"),
        ("submitter", "post", "/v1/decisions/x/reviews"),
        ("policy_officer", "get", "/v1/decisions/x"),
    ],
)
def test_wrong_role_is_403_and_audited(client, auth, store, role, method, path):
    r = getattr(client, method)(path, headers=auth(role), json={})
    assert_problem(r, 403, "forbidden")
    assert any(a["status"] == 403 for a in store.list_audit()[0])


def test_public_endpoints_need_no_key(client):
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json() == {"status": "ok", "rulesets": ["national@2015.1", "stockton@2015.1"]}
    assert client.get("/v1/openapi.json").get_json()["openapi"].startswith("3.1")


def test_unknown_route_and_method_are_problems(client, auth):
    assert_problem(client.get("/v1/nothing", headers=auth()), 404, "not-found")
    assert_problem(client.delete("/v1/evaluations", headers=auth()), 405, "method-not-allowed")


# --------------------------------------------------------------------------- reading decisions


def test_get_decision_json_and_text(client, auth, example, store):
    created = post_facts(client, auth, example).get_json()
    r = client.get(f"/v1/decisions/{created['id']}", headers=auth("reviewer"))
    assert r.status_code == 200
    assert r.get_json() == created
    assert r.headers["X-Ruleset-Sha256"] == created["ruleset"]["sha256"]
    text = client.get(f"/v1/decisions/{created['id']}?format=text", headers=auth("reviewer"))
    assert text.mimetype == "text/plain"
    assert text.get_data(as_text=True).startswith(
        "Eligible: family STK-2019-000123, assessed on 31 March 2019."
    )
    full = client.get(f"/v1/decisions/{created['id']}?explain=full", headers=auth("reviewer"))
    assert full.get_data(as_text=True).startswith(
        "Family STK-2019-000123, assessed on 2019-03-31: ELIGIBLE"
    )
    reads = [a for a in store.list_audit(target=created["id"])[0] if a["action"] == "decision.read"]
    assert len(reads) == 3


def test_submitters_see_only_their_own_decisions(client, auth, example):
    mine = post_facts(client, auth, example).get_json()
    theirs = post_facts(client, auth, example, role="other_submitter").get_json()
    assert client.get(f"/v1/decisions/{mine['id']}", headers=auth()).status_code == 200
    assert_problem(client.get(f"/v1/decisions/{theirs['id']}", headers=auth()), 404, "not-found")
    listed = client.get("/v1/decisions", headers=auth()).get_json()["items"]
    assert [d["id"] for d in listed] == [mine["id"]]
    everyone = client.get("/v1/decisions", headers=auth("reviewer")).get_json()["items"]
    assert {d["id"] for d in everyone} == {mine["id"], theirs["id"]}


def test_unknown_decision_is_404(client, auth):
    assert_problem(client.get("/v1/decisions/nope", headers=auth("reviewer")), 404, "not-found")


def families(example, n):
    for i in range(n):
        doc = copy.deepcopy(example)
        doc["family_ref"] = f"STK-{i:04d}"
        if i % 2:  # odd families: nothing but the judgement's H6
            for m in doc["members"]:
                m.update(events=[], benefits=[])
                m.pop("school", None)
            doc["household"] = {"events": []}
        yield doc


def test_list_filters_and_pagination(client, auth, example):
    for doc in families(example, 7):
        post_facts(client, auth, doc)
    get = lambda q: client.get(f"/v1/decisions{q}", headers=auth("reviewer")).get_json()  # noqa: E731
    assert len(get("?eligible=true")["items"]) == 4
    assert len(get("?eligible=false")["items"]) == 3
    assert len(get("?headline=H2")["items"]) == 4
    assert len(get("?ruleset=national@2015.1")["items"]) == 7
    assert len(get("?ruleset=national")["items"]) == 7
    assert len(get("?assessed_from=2019-03-31&assessed_to=2019-03-31")["items"]) == 7
    seen, cursor, pages = [], None, 0
    while True:
        page = get(f"?limit=3{'&cursor=' + cursor if cursor else ''}")
        seen += [d["id"] for d in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 7


@pytest.mark.parametrize(
    "query",
    [
        "?eligible=maybe",
        "?limit=0",
        "?limit=500",
        "?headline=H9",
        "?colour=red",
        "?created_from=2019-02-30",
        "?eligible=true&eligible=false",
    ],
)
def test_bad_list_queries_are_400(client, auth, query):
    assert_problem(
        client.get(f"/v1/decisions{query}", headers=auth("reviewer")), 400, "invalid-query"
    )


# --------------------------------------------------------------------------- reviews


def test_confirm_and_override_keep_history_and_never_alter_the_decision(client, auth, example):
    created = post_facts(client, auth, example).get_json()
    url = f"/v1/decisions/{created['id']}/reviews"
    confirm = client.post(
        url,
        json={"verdict": "confirm", "reason": "Checked against the school's letter"},
        headers=auth("reviewer"),
    )
    assert confirm.status_code == 201
    assert confirm.get_json()["verdict"] == "confirm"
    override = client.post(
        url,
        json={"verdict": "override", "eligible": False, "reason": "Family moved out of area"},
        headers=auth("reviewer"),
    )
    assert override.status_code == 201
    after = client.get(f"/v1/decisions/{created['id']}", headers=auth("reviewer")).get_json()
    assert [r["verdict"] for r in after["reviews"]] == ["confirm", "override"]
    assert after["review_status"] == "overridden"
    assert after["outcome"] == {
        "status": "not_eligible",
        "eligible": False,
        "source": "review",
        "review_id": override.get_json()["id"],
    }
    assert after["eligible"] is True  # the automated decision as made
    assert after["trace"] == created["trace"]
    listed = client.get(
        "/v1/decisions?review_status=overridden", headers=auth("reviewer")
    ).get_json()["items"]
    assert [d["id"] for d in listed] == [created["id"]]


def review(client, auth, decision_id, **body):
    return client.post(f"/v1/decisions/{decision_id}/reviews", json=body, headers=auth("reviewer"))


def test_a_confirmation_after_an_override_keeps_the_override_in_force(client, auth, example):
    created = post_facts(client, auth, example).get_json()
    review(client, auth, created["id"], verdict="override", eligible=False, reason="moved away")
    confirm = review(client, auth, created["id"], verdict="confirm", reason="agreed")
    assert confirm.status_code == 201
    after = client.get(f"/v1/decisions/{created['id']}", headers=auth("reviewer")).get_json()
    assert after["outcome"]["status"] == "not_eligible"
    assert (after["outcome"]["source"], after["review_status"]) == ("review", "overridden")
    assert after["outcome"]["review_id"] == confirm.get_json()["id"]
    listed = client.get("/v1/decisions?outcome=not_eligible", headers=auth("reviewer"))
    assert [d["id"] for d in listed.get_json()["items"]] == [created["id"]]
    assert listed.get_json()["items"][0]["outcome"] == after["outcome"]
    assert client.get("/v1/decisions?outcome=eligible", headers=auth()).get_json()["items"] == []


def test_an_override_to_the_outcome_in_force_is_409_and_stores_nothing(
    client, auth, example, store
):
    created = post_facts(client, auth, example).get_json()
    body = assert_problem(
        review(client, auth, created["id"], verdict="override", eligible=True, reason="x"),
        409,  # a conflict with the outcome in force, not a malformed review
        "already-in-force",
    )
    assert "send verdict 'confirm'" in body["detail"]
    assert store.get_decision(created["id"]).reviews == []
    [rejected] = [a for a in store.list_audit()[0] if a["action"] == "request.rejected"]
    assert (rejected["target"], rejected["status"]) == (created["id"], 409)
    assert rejected["detail"] == f"already-in-force (POST /v1/decisions/{created['id']}/reviews)"


def test_confirming_an_undetermined_decision_is_409_until_it_is_overridden(client, auth, example):
    example["sources_checked"] = {"education": "2019-03-30"}
    for m in example["members"]:
        m.update(events=[], benefits=[], flags={})
    example["household"], example["judgements"] = {"events": []}, []
    created = post_facts(client, auth, example).get_json()
    assert created["outcome"]["status"] == "undetermined"
    body = assert_problem(
        review(client, auth, created["id"], verdict="confirm", reason="looks right"),
        409,
        "nothing-to-confirm",
    )
    assert "nothing to confirm" in body["detail"]
    made = review(client, auth, created["id"], verdict="override", eligible=True, reason="seen")
    assert made.status_code == 201
    assert review(client, auth, created["id"], verdict="confirm", reason="ok").status_code == 201


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"verdict": "override", "reason": "x"}, ""),
        ({"verdict": "override", "eligible": False}, "/reason"),
        ({"verdict": "override", "eligible": False, "reason": ""}, "/reason"),
        ({"verdict": "override", "eligible": False, "reason": "   "}, "/reason"),
        ({"verdict": "confirm", "eligible": True, "reason": "x"}, ""),
        ({"verdict": "maybe", "reason": "x"}, "/verdict"),
        ({"verdict": "confirm", "reason": "x", "extra": 1}, "/extra"),
        ({"verdict": "override", "eligible": "no", "reason": "x"}, "/eligible"),
        ({"verdict": "confirm", "reason": "checked\x00"}, "/reason"),
        ({"verdict": "confirm", "reason": "checked \u202egnirts"}, "/reason"),
        ({"verdict": "confirm", "reason": "\x1b[2Jchecked"}, "/reason"),
    ],
)
def test_invalid_reviews_are_422_with_pointers(client, auth, example, body, pointer):
    created = post_facts(client, auth, example).get_json()
    r = client.post(f"/v1/decisions/{created['id']}/reviews", json=body, headers=auth("reviewer"))
    problem = assert_problem(r, 422, "invalid-review")
    assert pointer in {e["pointer"] for e in problem["errors"]}


def test_a_reason_with_a_bidi_override_is_refused_and_nothing_stored(client, auth, example, store):
    created = post_facts(client, auth, example).get_json()
    problem = assert_problem(
        review(client, auth, created["id"], verdict="confirm", reason="ok \u202eevil"),
        422,
        "invalid-review",
    )
    [error] = problem["errors"]
    assert error["pointer"] == "/reason"
    assert "bidirectional control character (U+202E) at position 3" in error["detail"]
    assert "evil" not in json.dumps(problem)  # the message never echoes the text
    assert store.get_decision(created["id"]).reviews == []
    multiline = review(client, auth, created["id"], verdict="confirm", reason="a\n\tb")
    assert multiline.status_code == 201


def test_review_of_unknown_decision_is_404(client, auth):
    r = client.post(
        "/v1/decisions/nope/reviews",
        json={"verdict": "confirm", "reason": "x"},
        headers=auth("reviewer"),
    )
    assert_problem(r, 404, "not-found")


def test_review_malformed_json(client, auth, example):
    created = post_facts(client, auth, example).get_json()
    r = client.post(
        f"/v1/decisions/{created['id']}/reviews",
        data="{",
        headers=auth("reviewer"),
        content_type="application/json",
    )
    assert_problem(r, 400, "malformed-json")


# --------------------------------------------------------------------------- rulesets


def test_rulesets_for_any_role(client, auth, national):
    listed = client.get("/v1/rulesets", headers=auth("submitter")).get_json()["items"]
    published = {
        key: listed[0]["published"][key] for key in ("published_at", "published_by", "tests")
    }
    assert listed == [
        {
            "id": "national",
            "version": "2015.1",
            "effective_from": "2015-04-01",
            "sha256": national.sha256,
            "status": "published",
            "published": {"file": "national/2015.1.yaml", "sha256": national.sha256, **published},
            "description": national.description,
        },
        {
            "id": "stockton",
            "version": "2015.1",
            "effective_from": "2015-04-01",
            "sha256": listed[1]["sha256"],
            "status": "published",
            "published": listed[1]["published"],
            "description": listed[1]["description"],
            "extends": national.identity(),
            "council": "Stockton-on-Tees Borough Council",
        },
    ]
    assert listed[1]["published"]["sha256"] == listed[1]["sha256"]
    detail = client.get("/v1/rulesets/national/2015.1", headers=auth("submitter")).get_json()
    assert detail["parameters"]["persistent_absence_rate"]["value"] == 10
    assert len([i for h in detail["headlines"] for i in h["indicators"]]) == 25
    missing = assert_problem(
        client.get("/v1/rulesets/national/9", headers=auth()), 404, "not-found"
    )
    assert missing["available"] == ["national@2015.1", "stockton@2015.1"]


@pytest.mark.parametrize("role", ["submitter", "reviewer", "policy_officer", "admin"])
def test_every_role_reads_the_whole_ruleset(client, auth, national, role):
    assert client.get("/v1/rulesets", headers=auth(role)).status_code == 200
    detail = client.get("/v1/rulesets/national/2015.1", headers=auth(role)).get_json()
    written = {i["id"]: i for h in national.document["headlines"] for i in h["indicators"]}
    indicators = [i for h in detail["headlines"] for i in h["indicators"]]
    assert len(indicators) == len(written) == 25
    for ind in indicators:
        assert ind["when"] == written[ind["id"]]["when"]
        assert ind["data_sources"] == written[ind["id"]]["data_sources"]
    assert detail["eligibility"] == national.document["eligibility"]  # a section as written
    assert detail["id"] == "national" and detail["sha256"] == national.sha256


def test_a_ruleset_section_this_code_does_not_know_is_served_as_written(
    app, client, auth, national
):
    terms = {"rule": "easter", "overrides": [{"term": "2019-spring", "ends": "2019-04-12"}]}
    extended = dataclasses.replace(national, document={**national.document, "school_terms": terms})
    app.extensions["tfp.library"] = RulesetLibrary([extended])
    detail = client.get("/v1/rulesets/national/2015.1", headers=auth("policy_officer"))
    assert detail.get_json()["school_terms"] == terms


def test_plain_english_shows_the_review_history(client, auth, example):
    created = post_facts(client, auth, example).get_json()
    client.post(
        f"/v1/decisions/{created['id']}/reviews",
        json={"verdict": "override", "eligible": False, "reason": "Family left the area"},
        headers=auth("reviewer"),
    )
    text = client.get(
        f"/v1/decisions/{created['id']}?format=text&explain=full", headers=auth("reviewer")
    ).get_data(as_text=True)
    # the outcome in force comes first, the automated one after it
    first = text.splitlines()[0]
    assert first == (
        "Family STK-2019-000123, assessed on 2019-03-31: "
        "NOT ELIGIBLE (by review; the automated decision was ELIGIBLE)"
    )
    assert "overridden to not eligible by" in text
    assert ": Family left the area" in text


# --------------------------------------------------------------------------- facts arriving later


def test_new_facts_make_a_new_decision_linked_to_the_old_one(client, auth, example, store):
    example["sources_checked"] = {"education": "2019-03-30"}
    for m in example["members"]:
        m.update(events=[], benefits=[], flags={})
    example["household"], example["judgements"] = {"events": []}, []
    first = post_facts(client, auth, example).get_json()
    assert (first["status"], first["eligible"]) == ("undetermined", None)
    assert first["outcome"]["eligible"] is None
    later = {
        "members": [{"ref": "p1", "benefits": [{"type": "JSA", "from": "2018-06-01"}]}],
        "sources_checked": {"dwp": "2019-04-02"},
    }
    r = client.post(f"/v1/decisions/{first['id']}/facts", json=later, headers=auth())
    assert r.status_code == 201
    second = r.get_json()
    assert second["previous_id"] == first["id"]
    assert (second["status"], second["headlines_met"]) == ("eligible", ["H2", "H4"])
    assert store.get_facts(second["id"])["sources_checked"] == {
        "education": "2019-03-30",
        "dwp": "2019-04-02",
    }
    again = client.get(f"/v1/decisions/{first['id']}", headers=auth()).get_json()
    assert again["status"] == "undetermined"  # the old decision is never edited
    listed = client.get("/v1/decisions?status=undetermined", headers=auth()).get_json()["items"]
    assert [d["id"] for d in listed] == [first["id"]]


def test_facts_for_someone_elses_decision_are_404(client, auth, example):
    theirs = post_facts(client, auth, example, role="other_submitter").get_json()
    r = client.post(f"/v1/decisions/{theirs['id']}/facts", json={}, headers=auth())
    assert_problem(r, 404, "not-found")


def test_bad_fact_updates(client, auth, example):
    first = post_facts(client, auth, example).get_json()
    url = f"/v1/decisions/{first['id']}/facts"
    # facts for another family conflict with the decision they are sent to
    body = assert_problem(
        client.post(url, json={"family_ref": "OTHER"}, headers=auth()), 409, "other-family"
    )
    assert "another family" in body["detail"]
    merged_bad = {"members": [{"ref": "c9", "role": "child", "date_of_birth": "2030-01-01"}]}
    body = assert_problem(client.post(url, json=merged_bad, headers=auth()), 422, "invalid-facts")
    assert "merged" in body["detail"]
    assert_problem(
        client.post(url, data="{", headers=auth(), content_type="application/json"),
        400,
        "malformed-json",
    )


# --------------------------------------------------------------------------- the decision chain


def add_facts(client, auth, decision_id, update, **headers):
    return client.post(f"/v1/decisions/{decision_id}/facts", json=update, headers=auth(**headers))


def checked(source: str, on: str = "2019-04-02") -> dict:
    return {"sources_checked": {source: on}}


def test_facts_on_a_superseded_decision_are_409_naming_the_latest(client, auth, example, store):
    first = post_facts(client, auth, example).get_json()
    second = add_facts(client, auth, first["id"], checked("police")).get_json()
    third = add_facts(client, auth, second["id"], checked("dwp")).get_json()
    got = client.get(f"/v1/decisions/{first['id']}", headers=auth()).get_json()
    assert (got["superseded_by"], third["previous_id"], third["superseded_by"]) == (
        second["id"],
        second["id"],
        None,
    )
    body = assert_problem(
        add_facts(client, auth, first["id"], checked("health")), 409, "superseded"
    )
    assert body["latest_id"] == third["id"]
    assert third["id"] in body["detail"]
    assert len(store.list_decisions()[0]) == 3


def test_a_retried_update_replays_instead_of_being_superseded(client, auth, example):
    first = post_facts(client, auth, example).get_json()
    made = add_facts(client, auth, first["id"], checked("police"), **{"Idempotency-Key": "u-1"})
    again = add_facts(client, auth, first["id"], checked("police"), **{"Idempotency-Key": "u-1"})
    assert made.status_code == again.status_code == 201
    assert again.get_json()["id"] == made.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    "update",
    [
        {},
        {"members": [{"ref": "p1"}]},
        {"judgements": []},
        "the first member's first event again",
        "the same check again",
        "nothing, to a document without judgements",
    ],
    ids=[
        "empty",
        "bare-member",
        "empty-list",
        "a-record-already-there",
        "the-same-check",
        "merge-spells-out-an-empty-list",
    ],
)
def test_an_update_that_adds_nothing_is_422_and_stores_nothing(
    client, auth, example, store, update
):
    example["sources_checked"] = {"police": "2019-03-30"}
    if update == "nothing, to a document without judgements":
        del example["judgements"]  # the merge adds "judgements": [], which says nothing new
        update = {}
    first = post_facts(client, auth, example).get_json()
    if update == "the first member's first event again":
        update = {"members": [{"ref": "p1", "events": example["members"][0]["events"][:1]}]}
    elif update == "the same check again":
        update = {"sources_checked": {"police": "2019-03-30"}}
    body = assert_problem(add_facts(client, auth, first["id"], update), 422, "nothing-new")
    assert first["id"] in body["detail"]
    assert [d.id for d in store.list_decisions()[0]] == [first["id"]]
    assert store.get_decision(first["id"]).superseded_by is None


def test_list_by_family_and_only_the_latest_of_each(client, auth, example):
    a1 = post_facts(client, auth, {**example, "family_ref": "A"}).get_json()
    b1 = post_facts(client, auth, {**example, "family_ref": "B"}).get_json()
    a2 = add_facts(client, auth, a1["id"], checked("police")).get_json()
    theirs = post_facts(client, auth, {**example, "family_ref": "B"}, role="other_submitter")
    ids = lambda query, role="submitter": [  # noqa: E731
        d["id"] for d in client.get(f"/v1/decisions{query}", headers=auth(role)).get_json()["items"]
    ]
    assert ids("?family_ref=A") == [a2["id"], a1["id"]]
    assert ids("?latest=true") == [a2["id"], b1["id"]]  # only what this submitter may see
    assert ids("?latest=true", role="reviewer") == [theirs.get_json()["id"], a2["id"]]
    assert ids("?latest=true&family_ref=A") == [a2["id"]]
    assert ids("?latest=false&family_ref=B") == [b1["id"]]
    [item] = client.get("/v1/decisions?family_ref=A&latest=true", headers=auth()).get_json()[
        "items"
    ]
    assert (item["previous_id"], item["superseded_by"]) == (a1["id"], None)


# --------------------------------------------------------------------------- query parameters


def routes(app) -> list[tuple[str, str, object]]:
    """(method, a URL for it, view function) for every route of the API (the web pages take
    forms and links, not the API's contract: tests/service/pages/)."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith(("pages.", "assets.")):
            continue
        url = rule.rule.replace("<decision_id>", "d").replace("<ruleset_id>", "national")
        url = url.replace("<version>", "2015.1").replace("<path:family_ref>", "FIX-001")
        if rule.rule == "/v1/subjects/people":  # its two parameters are required
            url += "?member_ref=p1&date_of_birth=1984-06-02"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url, app.view_functions[rule.endpoint]))
    return found


def test_every_route_declares_the_query_parameters_it_takes(app):
    undeclared = [(m, u) for m, u, view in routes(app) if not hasattr(view, "query_model")]
    assert undeclared == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("?foo=bar", "foo"), ("?limit=1&limit=2", "limit"), ("?format=text&format=json", "format")],
    ids=["unknown", "repeated", "repeated-format"],
)
def test_an_unknown_or_repeated_parameter_is_400_on_every_route(
    app, client, auth, query, parameter
):
    for method, url, view in routes(app):
        if parameter in view.query_model.model_fields and query.count("=") == 1:
            continue
        joined = url + (query.replace("?", "&", 1) if "?" in url else query)
        r = client.open(joined, method=method, headers=auth("admin"), json={})
        body = assert_problem(r, 400, "invalid-query")
        assert [e["parameter"] for e in body["errors"]] == [parameter], (method, url)
        assert parameter in body["detail"]


def test_a_route_that_takes_no_parameters_says_so(client, auth):
    body = assert_problem(
        client.get("/v1/rulesets/national/2015.1?foo=bar", headers=auth()), 400, "invalid-query"
    )
    assert body["detail"] == "foo: unknown parameter: this route takes no parameters"
    body = assert_problem(
        client.get("/v1/decisions/x?fmt=text", headers=auth("reviewer")), 400, "invalid-query"
    )
    assert body["detail"] == "fmt: unknown parameter: this route takes explain, format, trace"


def test_an_unknown_ruleset_is_422_on_every_route_that_takes_one(client, auth, example, store):
    made = post_facts(client, auth, example).get_json()
    for method, url in [
        ("GET", "/v1/decisions?ruleset=nope"),
        ("GET", "/v1/decisions?ruleset=national@1999"),
        ("POST", "/v1/evaluations?ruleset=nope"),
        ("POST", "/v1/evaluations/batch?ruleset=nope"),
        ("POST", f"/v1/decisions/{made['id']}/facts?ruleset=nope"),
    ]:
        r = client.open(
            url, method=method, headers=auth(), json=example if method == "POST" else None
        )
        body = assert_problem(r, 422, "unknown-ruleset")
        assert body["available"] == ["national@2015.1", "stockton@2015.1"], url
    assert [d.id for d in store.list_decisions()[0]] == [made["id"]]


def test_the_list_accepts_a_ruleset_only_stored_decisions_used(client, auth, example, store):
    decision = post_facts(client, auth, example).get_json()
    retired = {k: decision[k] for k in ("family_ref", "assessment_date", "eligible", "status")}
    retired.update(
        headlines_met=[], ruleset={"id": "national", "version": "2014.9", "sha256": "0" * 64}
    )
    old, _ = store.save_decision(retired, example, submitted_by="someone")
    listed = client.get("/v1/decisions?ruleset=national@2014.9", headers=auth("reviewer"))
    assert [d["id"] for d in listed.get_json()["items"]] == [old.id]
    body = assert_problem(
        client.get("/v1/decisions?ruleset=national@2014.8", headers=auth("reviewer")),
        422,
        "unknown-ruleset",
    )
    assert body["available"] == ["national@2014.9", "national@2015.1", "stockton@2015.1"]


def test_explain_chooses_the_plain_english_view(client, auth, example):
    made = post_facts(client, auth, example).get_json()
    url = f"/v1/decisions/{made['id']}"
    full = client.get(f"{url}?explain=full", headers=auth()).get_data(as_text=True)
    failed = client.get(f"{url}?explain=failed", headers=auth())
    assert failed.mimetype == "text/plain"
    assert "H1.proven_offence" in full and "H1.proven_offence" not in failed.get_data(as_text=True)
    got = client.get(f"{url}?format=text&explain=full", headers=auth())
    assert got.get_data(as_text=True) == full
    # the summary is what format=text gives unless explain asks for another view
    summary = client.get(f"{url}?format=text&explain=summary", headers=auth())
    assert summary.get_data(as_text=True).startswith("Eligible: family STK-2019-000123")
    default = client.get(f"{url}?format=text", headers=auth()).get_data(as_text=True)
    assert default == summary.get_data(as_text=True)
    assert client.get(f"{url}?explain=summary", headers=auth()).get_data(as_text=True) == default
    # in JSON too, explain=failed keeps only what was not met; the outcome is whole
    data = client.get(f"{url}?format=json&explain=failed", headers=auth()).get_json()
    ids = {i["id"] for h in data["trace"]["headlines"] for i in h["indicators"]}
    assert "H1.proven_offence" not in ids and "H1.prisoner_due_for_release" in ids
    assert (data["status"], data["headlines_met"]) == (made["status"], made["headlines_met"])
    assert_problem(client.get(f"{url}?explain=everything", headers=auth()), 400, "invalid-query")


# --------------------------------------------------------------------------- the audit trail


def client_of(store, token: str):
    return store.authenticate(token)


def test_every_audit_row_names_its_actor_key_and_outcome(client, auth, keys, store, example):
    admin, reviewer = client_of(store, keys["admin"]), client_of(store, keys["reviewer"])
    made = post_facts(client, auth, example).get_json()
    review(client, auth, made["id"], verdict="override", eligible=False, reason="moved")
    client.delete("/v1/evaluations", headers=auth("admin"))  # 405
    client.get("/v1/nothing", headers=auth("admin"))  # 404, no route
    client.get("/v1/nothing", headers={"Authorization": "Bearer tfp_forged_key"})
    client.get("/v1/decisions")  # 401
    rows = store.list_audit(limit=20)[0]
    assert all(r["actor"] and r["status"] for r in rows)
    seen = [(r["action"], r["actor"], r["key_id"], r["status"], r["target"]) for r in rows]
    submitter = client_of(store, keys["submitter"])
    assert seen[:6] == [
        ("request.rejected", "anonymous", None, 401, "GET /v1/decisions"),
        ("request.rejected", "anonymous", None, 404, "GET /v1/nothing"),
        ("request.rejected", admin.client_id, admin.id, 404, "GET /v1/nothing"),
        ("request.rejected", admin.client_id, admin.id, 405, "DELETE /v1/evaluations"),
        ("review.create", reviewer.client_id, reviewer.id, 201, made["id"]),
        ("decision.create", submitter.client_id, submitter.id, 201, made["id"]),
    ]


def test_the_audit_trail_can_be_read_by_admins_only(client, auth, keys, store, example):
    made = post_facts(client, auth, example).get_json()
    client.get(f"/v1/decisions/{made['id']}", headers=auth("reviewer"))
    for role in ("submitter", "reviewer", "policy_officer"):
        assert_problem(client.get("/v1/audit", headers=auth(role)), 403, "forbidden")
    got = client.get(f"/v1/audit?decision={made['id']}", headers=auth("admin"))
    assert got.status_code == 200
    assert [r["action"] for r in got.get_json()["items"]] == ["decision.read", "decision.create"]
    reviewer = client_of(store, keys["reviewer"])
    by_actor = client.get(
        f"/v1/audit?actor={reviewer.client_id}&action=decision.read", headers=auth("admin")
    ).get_json()["items"]
    assert [(r["target"], r["key_id"]) for r in by_actor] == [(made["id"], reviewer.id)]
    today = datetime.now(UTC).date().isoformat()
    assert client.get(f"/v1/audit?from={today}&to={today}", headers=auth("admin")).get_json()[
        "items"
    ]
    assert client.get("/v1/audit?to=2000-01-01T00:00:00Z", headers=auth("admin")).get_json() == {
        "items": [],
        "next_cursor": None,
    }
    # reading the trail is itself on the trail, with the filters' names but not their values
    [last] = store.list_audit(limit=1)[0]
    admin = client_of(store, keys["admin"])
    assert (last["action"], last["actor"], last["key_id"], last["status"]) == (
        "audit.list",
        admin.client_id,
        admin.id,
        200,
    )
    assert last["detail"] == "to"  # the last read: ?to=...; names only


def test_the_audit_trail_pages(client, auth, store):
    for n in range(5):
        store.audit(actor="a", action="decision.list", status=200, detail=str(n))
    seen, url = [], "/v1/audit?actor=a&limit=2"
    while url:
        page = client.get(url, headers=auth("admin")).get_json()
        seen += [r["detail"] for r in page["items"]]
        url = page.get("next")
    assert seen == ["4", "3", "2", "1", "0"]


@pytest.mark.parametrize(
    "query",
    ["?from=yesterday", "?to=2026-02-30", "?action=decision.peek", "?limit=0", "?cursor=nope"],
)
def test_bad_audit_queries_are_400(client, auth, query):
    assert_problem(client.get(f"/v1/audit{query}", headers=auth("admin")), 400, "invalid-query")


def test_family_references_stay_out_of_the_audit_trail(client, auth, store, example):
    post_facts(client, auth, example)
    client.get(f"/v1/decisions?family_ref={example['family_ref']}", headers=auth("reviewer"))
    client.get("/v1/decisions?family_ref=STK-NOBODY&colour=red", headers=auth("reviewer"))
    assert example["family_ref"] not in json.dumps(store.list_audit(limit=100)[0])
    assert "STK-NOBODY" not in json.dumps(store.list_audit(limit=100)[0])


# --------------------------------------------------------------------------- decisions the facts get right


def test_a_judgement_for_a_member_its_indicator_does_not_apply_to_is_422(
    client, auth, example, store
):
    example["judgements"] = [
        {"indicator": "H1.proven_offence", "member": "p1", "by": "kw-1", "reason": "court letter"}
    ]
    body = assert_problem(post_facts(client, auth, example), 422, "invalid-facts")
    [problem] = body["errors"]
    assert problem["pointer"] == "/judgements/0/member"
    assert "applies to a child, but p1 is an adult" in problem["detail"]
    assert store.list_decisions()[0] == []


def test_one_422_lists_problems_of_every_kind(client, auth, example):
    example["members"][0]["flags"]["colour"] = "red"  # the schema's
    example["members"][1]["date_of_birth"] = "2020-01-01"  # cross-field
    example["judgements"][0]["indicator"] = "H6.nonexistent"  # the ruleset's
    body = assert_problem(post_facts(client, auth, example), 422, "invalid-facts")
    assert {e["pointer"] for e in body["errors"]} == {
        "/members/0/flags/colour",
        "/members/1/date_of_birth",
        "/judgements/0/indicator",
    }


def test_one_source_check_on_a_closed_world_decision_takes_nothing_away(client, auth):
    doc = {
        "family_ref": "CW-1",
        "assessment_date": "2019-03-31",
        "members": [
            {"ref": "p1", "role": "adult", "date_of_birth": "1980-01-01"},
            {"ref": "c1", "role": "child", "date_of_birth": "2010-01-01"},
        ],
    }
    first = post_facts(client, auth, doc).get_json()
    assert first["status"] == "not_eligible"
    r = client.post(
        f"/v1/decisions/{first['id']}/facts",
        json={"sources_checked": {"dwp": "2019-03-30"}},
        headers=auth("submitter"),
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    after = r.get_json()
    assert (after["status"], after["headlines_unknown"]) == ("not_eligible", [])
    assert after["trace"]["sources"]["unchecked"] == []

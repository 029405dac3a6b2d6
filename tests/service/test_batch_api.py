"""POST /v1/evaluations/batch: each family answered and stored on its own, the batch as a
whole refused before anything is stored."""

from __future__ import annotations

import copy
import json

import pytest

from service import create_app, evaluations
from tfp_rules.store import Store

from .test_api import assert_problem
from .test_openapi import errors

BATCH = "/v1/evaluations/batch"


def family(example: dict, ref: str) -> dict:
    doc = copy.deepcopy(example)
    doc["family_ref"] = ref
    return doc


def post_batch(client, auth, body, role="submitter", query="", **headers):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(
        BATCH + query, data=data, headers=auth(role, **headers), content_type="application/json"
    )


def test_each_family_is_decided_stored_and_answered_in_order(client, auth, example, store):
    bad = family(example, "FAM-BAD")
    bad["members"][0]["date_of_birth"] = "2019-02-30"
    families = [family(example, "FAM-A"), bad, family(example, "FAM-B")]
    r = post_batch(client, auth, {"families": families})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert errors("BatchResult", body) == []
    assert (body["families"], body["decided"], body["replayed"], body["failed"]) == (3, 2, 0, 1)
    assert [x["index"] for x in body["results"]] == [0, 1, 2]
    assert [x["status"] for x in body["results"]] == [201, 422, 201]
    problem = body["results"][1]["problem"]
    assert problem["type"].endswith("/invalid-facts")
    assert [e["pointer"] for e in problem["errors"]] == ["/members/0/date_of_birth"]
    stored = {d.family_ref: d for d in store.list_decisions()[0]}
    assert set(stored) == {"FAM-A", "FAM-B"}
    creates = [e for e in store.list_audit()[0] if e["action"] == "decision.create"]
    assert sorted(e["target"] for e in creates) == sorted(d.id for d in stored.values())
    for result, ref in [(body["results"][0], "FAM-A"), (body["results"][2], "FAM-B")]:
        decision = result["decision"]
        assert decision["family_ref"] == ref and decision["id"] == stored[ref].id
        assert result["location"] == f"/v1/decisions/{stored[ref].id}"
        # the decision a single POST makes of the same family
        single = client.post("/v1/evaluations", json=family(example, ref), headers=auth())
        expected = single.get_json()
        for k in ("status", "eligible", "headlines_met", "ruleset", "trace"):
            assert decision[k] == expected[k], k
        assert client.get(result["location"], headers=auth()).status_code == 200


def test_a_ruleset_named_applies_to_every_family(client, auth, example):
    r = post_batch(
        client, auth, {"families": [example, family(example, "F2")]}, query="?ruleset=stockton"
    )
    assert {x["decision"]["ruleset"]["id"] for x in r.get_json()["results"]} == {"stockton"}
    assert r.headers.get("X-Ruleset-Id") is None  # the rules differ per family: see each


@pytest.mark.parametrize(
    ("body", "status", "slug", "pointers"),
    [
        (b'{"families": [', 400, "malformed-json", None),
        (b"[]", 422, "invalid-batch", [""]),
        (b'{"families": {}}', 422, "invalid-batch", ["/families"]),
        (b'{"families": []}', 422, "invalid-batch", ["/families"]),
        (b'{"families": [{}], "ruleset": "x"}', 422, "invalid-batch", ["/ruleset"]),
    ],
    ids=["not-json", "not-an-object", "not-a-list", "empty", "unknown-field"],
)
def test_a_bad_batch_is_one_problem_and_stores_nothing(
    client, auth, store, body, status, slug, pointers
):
    problem = assert_problem(post_batch(client, auth, body), status, slug)
    if pointers is not None:
        assert [e["pointer"] for e in problem["errors"]] == pointers
    assert store.list_decisions()[0] == []


def test_more_families_than_configured_is_refused_whole(tmp_path, example):
    app = create_app(
        {"DATABASE": str(tmp_path / "t.sqlite"), "TESTING": True, "BATCH_MAX_FAMILIES": 2}
    )
    store_path = app.config["DATABASE"]
    with Store(store_path) as store:
        token = store.create_key("submitter", "partner")[1]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    r = client.post(BATCH, json={"families": [example] * 3}, headers=headers)
    problem = assert_problem(r, 422, "invalid-batch")
    assert "at most 2" in problem["errors"][0]["detail"]
    assert client.post(BATCH, json={"families": [example] * 2}, headers=headers).status_code == 200
    with Store(store_path) as store:
        assert len(store.list_decisions()[0]) == 2


@pytest.mark.parametrize("value", ["0", "ten", "1001"])
def test_a_bad_batch_size_setting_stops_start_up(tmp_path, value):
    with pytest.raises(ValueError, match="TFP_BATCH_MAX_FAMILIES"):
        create_app({"DATABASE": str(tmp_path / "t.sqlite"), "BATCH_MAX_FAMILIES": value})


def test_a_family_that_is_not_an_object_or_repeats_a_key_fails_alone(client, auth, example, store):
    repeated = json.dumps(example)[:-1] + ', "family_ref": "AGAIN"}'
    raw = f'{{"families": [7, {repeated}, {json.dumps(example)}]}}'
    results = post_batch(client, auth, raw).get_json()["results"]
    assert [x["status"] for x in results] == [422, 422, 201]
    assert results[0]["problem"]["errors"][0]["pointer"] == ""
    assert results[1]["problem"]["errors"][0] == {
        "pointer": "/family_ref",
        "detail": "duplicate key 'family_ref'",
    }
    assert len(store.list_decisions()[0]) == 1


def test_a_retry_with_the_same_key_replays_what_was_stored(client, auth, example, store):
    families = [family(example, "FAM-A"), family(example, "FAM-B")]
    first = post_batch(client, auth, {"families": families}, **{"Idempotency-Key": "batch-1"})
    again = post_batch(client, auth, {"families": families}, **{"Idempotency-Key": "batch-1"})
    a, b = first.get_json(), again.get_json()
    assert (a["decided"], b["decided"], b["replayed"]) == (2, 0, 2)
    assert [x["decision"]["id"] for x in a["results"]] == [
        x["decision"]["id"] for x in b["results"]
    ]
    assert all(x["replayed"] for x in b["results"])
    assert len(store.list_decisions()[0]) == 2
    # the same key on another batch: the family that changed is a conflict, alone
    changed = [families[0], family(example, "FAM-C")]
    c = post_batch(client, auth, {"families": changed}, **{"Idempotency-Key": "batch-1"})
    assert [x["status"] for x in c.get_json()["results"]] == [201, 409]
    assert len(store.list_decisions()[0]) == 2


def test_a_restricted_family_is_refused_and_the_rest_stored(client, auth, example, store):
    store.restrict_family("FAM-R", restricted_by="admin", reason="objection")
    r = post_batch(client, auth, {"families": [family(example, "FAM-R"), family(example, "F")]})
    results = r.get_json()["results"]
    assert [x["status"] for x in results] == [423, 201]
    assert results[0]["problem"]["type"].endswith("/restricted")
    assert [d.family_ref for d in store.list_decisions()[0]] == ["F"]


def test_an_unexpected_failure_on_one_family_is_its_500_alone(
    client, auth, example, monkeypatch, store
):
    real = evaluations.evaluate

    def explode_on_b(compiled, facts, *args, **kwargs):
        if facts.family_ref == "FAM-B":
            raise RuntimeError("secret internals")
        return real(compiled, facts, *args, **kwargs)

    monkeypatch.setattr(evaluations, "evaluate", explode_on_b)
    r = post_batch(client, auth, {"families": [family(example, "FAM-B"), example]})
    assert r.status_code == 200
    results = r.get_json()["results"]
    assert [x["status"] for x in results] == [500, 201]
    assert results[0]["problem"]["detail"].startswith("incident ")
    assert "secret internals" not in r.get_data(as_text=True)
    assert [d.family_ref for d in store.list_decisions()[0]] == [example["family_ref"]]


@pytest.mark.parametrize(("role", "status"), [("reviewer", 403), ("policy_officer", 403)])
def test_only_submitters_post_batches(client, auth, example, role, status):
    assert_problem(
        post_batch(client, auth, {"families": [example]}, role=role), status, "forbidden"
    )


def test_a_batch_without_a_key_is_401(client, example):
    assert_problem(client.post(BATCH, json={"families": [example]}), 401, "unauthenticated")

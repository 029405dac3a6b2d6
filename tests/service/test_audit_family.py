"""GET /v1/audit?family_ref=REF: who read which family's data, for admins, without the ref
reaching the trail."""

from __future__ import annotations

import copy

from .test_api import assert_problem, client_of, post_facts


def test_the_trail_is_read_by_family(client, auth, keys, store, example):
    ours = post_facts(client, auth, example).get_json()
    other = copy.deepcopy(example)
    other["family_ref"] = "STK-2019-999999"
    theirs = post_facts(client, auth, other).get_json()
    client.get(f"/v1/decisions/{ours['id']}", headers=auth("reviewer"))
    client.get(f"/v1/decisions/{theirs['id']}", headers=auth("policy_officer"))
    client.get(f"/v1/decisions?family_ref={example['family_ref']}", headers=auth("reviewer"))
    ref = example["family_ref"]
    got = client.get(f"/v1/audit?family_ref={ref}", headers=auth("admin"))
    assert got.status_code == 200, got.get_data(as_text=True)
    rows = got.get_json()["items"]
    reviewer = client_of(store, keys["reviewer"]).client_id
    assert [(r["action"], r["actor"]) for r in rows] == [
        ("decision.list", reviewer),
        ("decision.read", reviewer),
        ("decision.create", client_of(store, keys["submitter"]).client_id),
    ]
    assert theirs["id"] not in str(rows)
    [last] = store.list_audit(limit=1)[0]
    assert (last["action"], last["detail"]) == ("audit.list", "family_ref")
    assert ref not in str(store.list_audit(limit=200)[0])  # the ref is in no audit row
    for role in ("submitter", "reviewer", "policy_officer"):
        assert_problem(
            client.get(f"/v1/audit?family_ref={ref}", headers=auth(role)), 403, "forbidden"
        )
    assert_problem(
        client.get("/v1/audit?family_ref=not%20a%20ref", headers=auth("admin")),
        400,
        "invalid-query",
    )

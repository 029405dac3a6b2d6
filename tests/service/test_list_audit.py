"""A list read's audit row says what it returned: the ids of the decisions on the page, in
order, with the filters' names and never their values (issue 14: one row that did not say
what was seen)."""

from __future__ import annotations

import json

from service.decisions import list_detail


def evaluate(client, auth, doc, role="submitter"):
    r = client.post(
        "/v1/evaluations", data=json.dumps(doc), headers=auth(role), content_type="application/json"
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def last_list_read(store) -> dict:
    return store.list_audit(action="decision.list", limit=1)[0][0]


def test_a_list_read_records_the_ids_it_returned_page_by_page(client, auth, example, store):
    made = [evaluate(client, auth, {**example, "family_ref": f"STK-{n}"})["id"] for n in range(3)]
    newest_first = made[::-1]
    page = client.get("/v1/decisions?limit=2", headers=auth("reviewer")).get_json()
    assert [d["id"] for d in page["items"]] == newest_first[:2]
    row = last_list_read(store)
    assert row["detail"] == f"filters=limit returned=2 ids={','.join(newest_first[:2])}"
    client.get(page["next"], headers=auth("reviewer"))
    assert last_list_read(store)["detail"] == f"filters=cursor,limit returned=1 ids={made[0]}"


def test_a_submitters_list_read_names_only_what_it_saw(client, auth, example, store):
    mine = evaluate(client, auth, example)["id"]
    evaluate(client, auth, {**example, "family_ref": "STK-OTHER"}, role="other_submitter")
    client.get("/v1/decisions", headers=auth())
    assert last_list_read(store)["detail"] == f"returned=1 ids={mine}"


def test_an_empty_list_read_says_so_and_holds_no_filter_values(client, auth, example, store):
    evaluate(client, auth, example)
    client.get("/v1/decisions?family_ref=STK-NOBODY&latest=true", headers=auth("reviewer"))
    row = last_list_read(store)
    assert row["detail"] == "filters=family_ref,latest returned=0"
    assert "STK" not in json.dumps(store.list_audit(limit=100)[0])


def test_a_full_page_of_200_is_recorded_whole_and_bounded(client, auth, keys, example, store):
    first = evaluate(client, auth, example)
    owner = store.get_decision(first["id"])
    store.db.execute("PRAGMA synchronous = OFF")  # 200 more, quickly; durability is not tested
    for _ in range(200):
        store.save_decision(owner.decision, example, submitted_by=owner.submitted_by)
    page = client.get("/v1/decisions?limit=200", headers=auth("reviewer")).get_json()
    ids = [d["id"] for d in page["items"]]
    assert len(ids) == 200 and page["next_cursor"]
    detail = last_list_read(store)["detail"]
    assert detail.split(" ids=")[1].split(",") == ids
    assert len(detail) < 7000


def test_the_detail_is_names_count_and_ids():
    assert list_detail([], []) == "returned=0"
    assert list_detail(["outcome", "headline"], ["a1", "b2"]) == (
        "filters=headline,outcome returned=2 ids=a1,b2"
    )

"""Subject access over HTTP (issue 18, item 2): `GET /v1/subjects/families/{family_ref}` and
`GET /v1/subjects/people?member_ref=&date_of_birth=`, admin only, answering the documented
schema, audited with the caller and without the ref; nothing held is a 200."""

from __future__ import annotations

import json

import pytest

from ..privacy.test_subject_access import CHILD_BORN, FAMILY, OTHER, SAME_PERSON, make_families
from .test_openapi import errors


@pytest.fixture
def held(client, auth):
    return make_families(client, auth)


def test_an_admin_gets_the_familys_document(client, auth, keys, store, held):
    r = client.get(f"/v1/subjects/families/{FAMILY}", headers=auth("admin"))
    assert r.status_code == 200, r.get_data(as_text=True)
    doc = r.get_json()
    assert errors("SubjectAccess", doc) == []
    assert doc["held"] is True and doc["about"] == {"kind": "family", "family_ref": FAMILY}
    [family] = doc["families"]
    assert [d["id"] for d in family["decisions"]] == [held.entry, held.latest]
    assert OTHER not in json.dumps(doc) and SAME_PERSON not in json.dumps(doc)
    [row] = store.list_audit(action="subject.export")[0]
    admin = store.authenticate(keys["admin"])
    assert (row["actor"], row["key_id"]) == (admin.client_id, admin.id)
    assert row["target"] == doc["export_id"] and FAMILY not in json.dumps(row)
    assert doc["made_by"] == admin.client_id


def test_an_admin_gets_one_persons_document(client, auth, store, held):
    r = client.get(
        "/v1/subjects/people?member_ref=p1&date_of_birth=1984-06-02", headers=auth("admin")
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    doc = r.get_json()
    assert errors("SubjectAccess", doc) == []
    assert [f["family_ref"] for f in doc["families"]] == [SAME_PERSON, FAMILY]
    assert CHILD_BORN not in r.get_data(as_text=True)
    [row] = store.list_audit(action="subject.export")[0]
    assert "1984-06-02" not in json.dumps(row) and row["detail"].startswith("kind=person")


def test_nothing_held_is_a_200(client, auth, held):
    for url in (
        "/v1/subjects/families/STK-NOBODY",
        "/v1/subjects/people?member_ref=p1&date_of_birth=1984-06-03",  # a wrong date of birth
    ):
        r = client.get(url, headers=auth("admin"))
        assert r.status_code == 200
        assert errors("SubjectAccess", r.get_json()) == []
        assert r.get_json()["held"] is False and r.get_json()["families"] == []


def test_a_family_ref_with_a_slash_is_one_ref(client, auth, example):
    example["family_ref"] = "LA/2019/42"
    assert client.post("/v1/evaluations", json=example, headers=auth()).status_code == 201
    for url in ("/v1/subjects/families/LA/2019/42", "/v1/subjects/families/LA%2F2019%2F42"):
        doc = client.get(url, headers=auth("admin")).get_json()
        assert doc["about"]["family_ref"] == "LA/2019/42" and doc["held"] is True, url


@pytest.mark.parametrize(
    "query",
    [
        "member_ref=p1",  # a member ref alone names no one
        "date_of_birth=1984-06-02",
        "member_ref=p1&date_of_birth=02-06-1984",
        "member_ref=p%201&date_of_birth=1984-06-02",
        "member_ref=p1&date_of_birth=1984-06-02&family_ref=x",
    ],
)
def test_a_person_needs_a_member_ref_and_a_date_of_birth(client, auth, store, query):
    r = client.get(f"/v1/subjects/people?{query}", headers=auth("admin"))
    assert r.status_code == 400 and r.get_json()["type"].endswith("/invalid-query")
    assert store.list_audit(action="subject.export")[0] == []


@pytest.mark.parametrize("role", ["submitter", "reviewer", "policy_officer"])
def test_only_an_admin_may_ask(client, auth, store, held, role):
    for url in (
        f"/v1/subjects/families/{FAMILY}",
        "/v1/subjects/people?member_ref=p1&date_of_birth=1984-06-02",
    ):
        r = client.get(url, headers=auth(role))
        assert r.status_code == 403, url
    assert store.list_audit(action="subject.export")[0] == []
    refused = store.list_audit(action="request.rejected")[0]
    assert len(refused) == 2
    # the refusal is audited, and the family ref in the path is not copied into the trail
    assert all(FAMILY not in json.dumps(row) for row in refused)
    assert refused[-1]["target"] == "GET /v1/subjects/families/{family_ref}"


@pytest.mark.parametrize("ref", ["x" * 65, "STK 1", "STK%00"])
def test_a_ref_the_facts_cannot_hold_is_refused(client, auth, store, ref):
    r = client.get(f"/v1/subjects/families/{ref}", headers=auth("admin"))
    assert r.status_code == 400 and r.get_json()["type"].endswith("/invalid-family-ref")
    assert store.list_audit(action="subject.export")[0] == []

"""What a submitter sees of the reviews of its own decisions: the outcome in force, that the
decision was reviewed, how and when; never a reviewer's free-text reason or who the reviewer
was (issue 14: "Mother told us she moved to Leeds"). Reviewers and admins see everything."""

from __future__ import annotations

import pytest

from .test_openapi import errors

REASON = "Mother told us she moved to Leeds"


@pytest.fixture
def reviewed(client, auth, example):
    """A submitter's decision, overridden and then confirmed by a reviewer, with a key."""
    made = client.post(
        "/v1/evaluations", json=example, headers=auth(**{"Idempotency-Key": "mis-1"})
    ).get_json()
    url = f"/v1/decisions/{made['id']}/reviews"
    override = {"verdict": "override", "eligible": False, "reason": REASON}
    assert client.post(url, json=override, headers=auth("reviewer")).status_code == 201
    confirm = {"verdict": "confirm", "reason": "Checked with the Leeds office"}
    assert client.post(url, json=confirm, headers=auth("reviewer")).status_code == 201
    return made


@pytest.fixture
def reviewer_id(store, keys) -> str:
    return store.authenticate(keys["reviewer"]).client_id


def assert_nothing_of_the_reviewer(text: str, reviewer_id: str) -> None:
    assert "Leeds" not in text
    assert reviewer_id not in text


def test_a_submitter_sees_that_when_and_how_its_decision_was_reviewed_but_not_why_or_by_whom(
    client, auth, reviewed, reviewer_id
):
    r = client.get(f"/v1/decisions/{reviewed['id']}", headers=auth())
    assert r.status_code == 200
    body = r.get_json()
    assert (body["review_status"], body["outcome"]["status"]) == ("overridden", "not_eligible")
    assert body["outcome"]["source"] == "review"
    override, confirm = body["reviews"]
    assert set(override) == {"id", "verdict", "created_at", "eligible"}
    assert (override["verdict"], override["eligible"]) == ("override", False)
    assert set(confirm) == {"id", "verdict", "created_at"}
    assert body["outcome"]["review_id"] == confirm["id"]
    assert_nothing_of_the_reviewer(r.get_data(as_text=True), reviewer_id)
    assert errors("StoredDecision", body) == []


@pytest.mark.parametrize("query", ["?explain=full", "?explain=failed"])
def test_a_submitters_plain_english_view_withholds_the_reasons_too(
    client, auth, reviewed, reviewer_id, query
):
    text = client.get(f"/v1/decisions/{reviewed['id']}{query}", headers=auth()).get_data(
        as_text=True
    )
    assert text.splitlines()[0].endswith(
        "NOT ELIGIBLE (by review; the automated decision was ELIGIBLE)"
    )
    assert "overridden to not eligible by a reviewer: reason shown to reviewers only" in text
    assert "confirmed by a reviewer: reason shown to reviewers only" in text
    assert_nothing_of_the_reviewer(text, reviewer_id)


def test_a_submitters_summary_withholds_the_reasons_too(client, auth, reviewed, reviewer_id):
    text = client.get(f"/v1/decisions/{reviewed['id']}?format=text", headers=auth())
    lines = text.get_data(as_text=True).splitlines()
    assert lines[0].startswith("Not eligible (by review; the automated decision was eligible)")
    assert lines[1].startswith("Overridden to not eligible by a reviewer on ")
    assert lines[1].endswith(": reason shown to reviewers only")
    assert_nothing_of_the_reviewer(text.get_data(as_text=True), reviewer_id)


def test_a_replay_after_a_review_withholds_them_as_a_read_does(
    client, auth, example, reviewed, reviewer_id
):
    again = client.post(
        "/v1/evaluations", json=example, headers=auth(**{"Idempotency-Key": "mis-1"})
    )
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(again.get_json()["reviews"]) == 2
    assert_nothing_of_the_reviewer(again.get_data(as_text=True), reviewer_id)


def test_a_submitters_list_shows_the_outcome_and_nothing_of_the_reviews(
    client, auth, reviewed, reviewer_id
):
    listed = client.get("/v1/decisions", headers=auth())
    [item] = listed.get_json()["items"]
    assert (item["review_status"], item["outcome"]["status"]) == ("overridden", "not_eligible")
    assert_nothing_of_the_reviewer(listed.get_data(as_text=True), reviewer_id)


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewers_and_admins_see_every_reason_and_reviewer(
    client, auth, reviewed, reviewer_id, role
):
    body = client.get(f"/v1/decisions/{reviewed['id']}", headers=auth(role)).get_json()
    assert [(r["reason"], r["reviewer"]) for r in body["reviews"]] == [
        (REASON, reviewer_id),
        ("Checked with the Leeds office", reviewer_id),
    ]
    text = client.get(f"/v1/decisions/{reviewed['id']}?explain=full", headers=auth(role))
    assert f"overridden to not eligible by {reviewer_id}: {REASON}" in text.get_data(as_text=True)
    summary = client.get(f"/v1/decisions/{reviewed['id']}?format=text", headers=auth(role))
    overridden = summary.get_data(as_text=True).splitlines()[1]
    assert overridden.startswith(f"Overridden to not eligible by {reviewer_id} on ")
    assert overridden.endswith(f": {REASON}")
    assert errors("StoredDecision", body) == []


def test_the_schema_lets_a_review_leave_out_only_reason_and_reviewer():
    bare = {"id": "r1", "verdict": "confirm", "created_at": "2026-11-25T09:00:00.000000Z"}
    assert errors("Review", bare) == []
    assert errors("Review", {**bare, "reason": "x", "reviewer": "c1"}) == []
    for member in bare:
        assert errors("Review", {k: v for k, v in bare.items() if k != member}) != []

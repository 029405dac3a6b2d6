"""Headers on answers that carry personal data (issue 14): every route's every answer says
`Cache-Control: no-store` and `X-Content-Type-Options: nosniff`, and has a
Content-Security-Policy: none may load anything for an API answer, and HTML (none exists
yet) gets the strict page policy, so pages added later inherit it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Response

from service.headers import API_POLICY, PAGE_POLICY

PROGRESS = Path(__file__).parent.parent.parent / "fixtures" / "progress" / "turns_around"


def assert_protected(r, policy: str = API_POLICY) -> None:
    assert r.headers["Cache-Control"] == "no-store", r.headers
    assert r.headers["X-Content-Type-Options"] == "nosniff", r.headers
    assert r.headers["Content-Security-Policy"] == policy, r.headers


@pytest.fixture
def decision(client, auth, example) -> str:
    r = client.post("/v1/evaluations", json=example, headers=auth())
    assert_protected(r)
    return r.get_json()["id"]


@pytest.fixture
def progress(client, auth) -> tuple[str, str, dict]:
    """A Stockton entry decision, a progress check on it and the later facts it was made on."""
    entry_facts, later = (
        json.loads((PROGRESS / f"{p}.json").read_text()) for p in ("entry", "later")
    )
    entry = client.post("/v1/evaluations?ruleset=stockton", json=entry_facts, headers=auth())
    checked = client.post(
        f"/v1/decisions/{entry.get_json()['id']}/progress", json=later, headers=auth()
    )
    assert_protected(checked)
    return entry.get_json()["id"], checked.get_json()["id"], later


def test_every_route_answers_with_the_headers(app, client, auth, example, decision, progress):
    entry_id, progress_id, later = progress
    review = {"verdict": "confirm", "reason": "Checked"}
    claim = {
        "progress_id": progress_id,
        "whole_family_assessment": "2019-04-02",
        "action_plan": "2019-04-10",
        "keyworker": "Sam Keyworker",
    }
    update = {"sources_checked": {"dwp": "2019-04-02"}}
    calls = {
        ("GET", "/healthz"): {},
        ("GET", "/v1/openapi.json"): {},
        ("GET", "/v1/rulesets"): {},
        ("GET", "/v1/rulesets/<ruleset_id>/<version>"): {},
        ("GET", "/v1/rulesets/<ruleset_id>/diff"): {},
        ("GET", "/v1/decisions"): {},
        ("GET", "/v1/decisions/<decision_id>"): {},
        ("GET", "/v1/audit"): {},
        ("POST", "/v1/evaluations"): {"json": example},
        ("POST", "/v1/evaluations/batch"): {"json": {"families": [example]}},
        ("POST", "/v1/decisions/<decision_id>/facts"): {"json": update},
        ("POST", "/v1/decisions/<decision_id>/reviews"): {"json": review},
        ("POST", "/v1/decisions/<decision_id>/progress"): {"json": later},
        ("GET", "/v1/decisions/<decision_id>/progress"): {},
        ("GET", "/v1/progress/<progress_id>"): {},
        ("POST", "/v1/progress/<progress_id>/reviews"): {"json": review},
        ("POST", "/v1/claims"): {"json": claim},
        ("GET", "/v1/claims"): {},
        ("GET", "/v1/claims/<claim_id>"): {},
        ("POST", "/v1/claims/<claim_id>/withdraw"): {"json": {"reason": "Checked"}},
        ("POST", "/v1/rulesets/<ruleset_id>/impact"): {"json": {"from": "2015.1", "to": "2017.1"}},
        ("GET", "/v1/jobs/<job_id>"): {},
        ("GET", "/v1/subjects/families/<path:family_ref>"): {},
        ("GET", "/v1/subjects/people"): {
            "query_string": {"member_ref": "p1", "date_of_birth": "1984-06-02"}
        },
    }
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith(("pages.", "assets."))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    # the pages' routes are checked the same way in tests/service/pages/test_page_headers.py
    assert routes == set(calls), "a route was added: give it a call here"
    roles = {
        "POST /v1/evaluations": "submitter",
        "POST /v1/evaluations/batch": "submitter",
        "POST /v1/decisions/<decision_id>/facts": "submitter",
        "POST /v1/decisions/<decision_id>/progress": "submitter",
    }
    claim_id = ""  # made by POST /v1/claims, which comes first
    job_id = ""  # made by POST /v1/rulesets/<ruleset_id>/impact, which comes first
    for (method, rule), kwargs in calls.items():
        entry = entry_id if rule.endswith("/progress") else decision
        path = rule.replace("<decision_id>", entry).replace("<progress_id>", progress_id)
        path = path.replace("<ruleset_id>/<version>", "national/2015.1")
        path = path.replace("<ruleset_id>/diff", "national/diff")
        path = path.replace("<claim_id>", claim_id)
        path = path.replace("<ruleset_id>", "national").replace("<job_id>", job_id)
        path = path.replace("<path:family_ref>", example["family_ref"])
        role = roles.get(f"{method} {rule}", "admin")
        r = client.open(path, method=method, headers=auth(role), **kwargs)
        assert r.status_code < 400, (method, path, r.get_data(as_text=True)[:300])
        assert_protected(r)
        if (method, rule) == ("POST", "/v1/claims"):
            claim_id = r.get_json()["id"]
        if (method, rule) == ("POST", "/v1/rulesets/<ruleset_id>/impact"):
            job_id = r.get_json()["id"]
    # plain English carries personal data too
    r = client.get(f"/v1/decisions/{decision}?format=text", headers=auth("reviewer"))
    assert r.mimetype == "text/plain"
    assert_protected(r)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/decisions", 401),
        ("GET", "/v1/nothing", 404),
        ("DELETE", "/v1/evaluations", 405),
        ("GET", "/healthz?x=1", 400),
    ],
)
def test_problems_carry_the_headers_too(client, method, path, status):
    r = client.open(path, method=method)
    assert r.status_code == status
    assert r.mimetype == "application/problem+json"
    assert_protected(r)


def test_html_gets_the_page_policy(app, auth):
    """No page exists yet: a page added later, by any view, gets the policy, and cannot
    loosen it by setting its own."""

    @app.get("/page-added-later")
    def page():
        response = Response("<!doctype html><title>x</title><p>hello", mimetype="text/html")
        response.headers["Content-Security-Policy"] = "default-src *"
        return response

    r = app.test_client().get("/page-added-later", headers=auth("admin"))
    assert r.mimetype == "text/html"
    assert_protected(r, PAGE_POLICY)
    assert "script-src 'self'" in PAGE_POLICY and "frame-ancestors 'none'" in PAGE_POLICY
    assert "unsafe-inline" not in PAGE_POLICY

"""Headers on answers that carry personal data (issue 14): every route's every answer says
`Cache-Control: no-store` and `X-Content-Type-Options: nosniff`, and has a
Content-Security-Policy: none may load anything for an API answer, and HTML (none exists
yet) gets the strict page policy, so pages added later inherit it."""

from __future__ import annotations

import pytest
from flask import Response

from service.headers import API_POLICY, PAGE_POLICY


def assert_protected(r, policy: str = API_POLICY) -> None:
    assert r.headers["Cache-Control"] == "no-store", r.headers
    assert r.headers["X-Content-Type-Options"] == "nosniff", r.headers
    assert r.headers["Content-Security-Policy"] == policy, r.headers


@pytest.fixture
def decision(client, auth, example) -> str:
    r = client.post("/v1/evaluations", json=example, headers=auth())
    assert_protected(r)
    return r.get_json()["id"]


def test_every_route_answers_with_the_headers(app, client, auth, example, decision):
    review = {"verdict": "confirm", "reason": "Checked"}
    update = {"sources_checked": {"dwp": "2019-04-02"}}
    calls = {
        ("GET", "/healthz"): {},
        ("GET", "/v1/openapi.json"): {},
        ("GET", "/v1/rulesets"): {},
        ("GET", "/v1/rulesets/<ruleset_id>/<version>"): {},
        ("GET", "/v1/decisions"): {},
        ("GET", "/v1/decisions/<decision_id>"): {},
        ("GET", "/v1/audit"): {},
        ("POST", "/v1/evaluations"): {"json": example},
        ("POST", "/v1/decisions/<decision_id>/facts"): {"json": update},
        ("POST", "/v1/decisions/<decision_id>/reviews"): {"json": review},
    }
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(calls), "a route was added: give it a call here"
    roles = {
        "POST /v1/evaluations": "submitter",
        "POST /v1/decisions/<decision_id>/facts": "submitter",
    }
    for (method, rule), kwargs in calls.items():
        path = rule.replace("<decision_id>", decision).replace(
            "<ruleset_id>/<version>", "national/2015.1"
        )
        role = roles.get(f"{method} {rule}", "admin")
        r = client.open(path, method=method, headers=auth(role), **kwargs)
        assert r.status_code < 400, (method, path, r.get_data(as_text=True)[:300])
        assert_protected(r)
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

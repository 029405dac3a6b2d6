"""Every page answers with the page headers (no-store, nosniff, the strict page CSP), as an
HTML page, whoever asks; a form too large is refused with a page, not a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from service.headers import PAGE_POLICY

from ..test_headers import assert_protected

# What each path placeholder of a page route is replaced with; a new placeholder needs a value.
PLACEHOLDERS = {
    "decision_id": "{decision}",
    "ruleset_id": "national",
    "version": "2015.1",
    "job_id": "{job}",
    "progress_id": "{progress}",
}
FIXTURES = Path(__file__).parents[3] / "fixtures"
# Static files: one each.
ASSETS = {"assets.govuk": "govuk-frontend.min.css", "assets.own": "app.css"}


@pytest.fixture
def decision(client, auth, example) -> str:
    return client.post("/v1/evaluations", json=example, headers=auth()).get_json()["id"]


@pytest.fixture
def progress(client, auth) -> str:
    """A progress decision (the stockton ruleset has an outcome plan)."""
    facts = FIXTURES / "progress" / "turns_around"
    entry = json.loads((facts / "entry.json").read_text())
    made = client.post("/v1/evaluations?ruleset=stockton", json=entry, headers=auth())
    later = json.loads((facts / "later.json").read_text())
    path = f"/v1/decisions/{made.get_json()['id']}/progress"
    return client.post(path, json=later, headers=auth()).get_json()["id"]


@pytest.fixture
def job(client, auth) -> str:
    r = client.post(
        "/v1/rulesets/national/impact",
        json={"from": "2015.1", "to": "2017.1"},
        headers=auth("policy_officer"),
    )
    return r.get_json()["id"]


def page_paths(app, decision: str, job: str, progress: str) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("pages.", "assets.")) or "GET" not in rule.methods:
            continue
        path = rule.rule
        if rule.endpoint in ASSETS:
            path = path.replace("<path:name>", ASSETS[rule.endpoint])
        for name in re.findall(r"<(?:\w+:)?(\w+)>", path):
            assert name in PLACEHOLDERS, f"page route {path}: give <{name}> a value here"
            value = PLACEHOLDERS[name].format(decision=decision, job=job, progress=progress)
            path = re.sub(rf"<(?:\w+:)?{name}>", value, path)
        paths.append(path)
    return paths


def test_every_page_answers_with_the_page_headers(app, browser, decision, job, progress):
    admin = browser("admin")
    for path in page_paths(app, decision, job, progress):
        r = admin.get(path)
        assert r.status_code < 400, (path, r.status_code, r.text[:300])
        if r.mimetype == "text/html":
            assert_protected(r, PAGE_POLICY)
        else:  # a stylesheet
            assert r.headers["Cache-Control"] == "no-store"
            assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_every_page_without_a_session_sends_you_to_sign_in(app, client, decision, job, progress):
    for path in page_paths(app, decision, job, progress):
        if path.startswith(("/assets/", "/sign-in")):
            continue
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in"), path
        assert_protected(r, PAGE_POLICY)


def test_every_page_form_refuses_a_post_without_its_csrf_token(
    app, browser, decision, job, progress
):
    admin = browser("admin")
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("pages.") or "POST" not in rule.methods:
            continue
        if rule.endpoint == "pages.sign_in":
            continue  # the sign-in form re-renders itself: tests/service/pages/test_signin.py
        path = rule.rule
        for name in re.findall(r"<(?:\w+:)?(\w+)>", path):
            value = PLACEHOLDERS[name].format(decision=decision, job=job, progress=progress)
            path = re.sub(rf"<(?:\w+:)?{name}>", value, path)
        r = admin.post(path, data={"anything": "x"})
        assert r.status_code == 400, (path, r.status_code)
        assert "Nothing was saved" in r.text
        assert_protected(r, PAGE_POLICY)


def test_a_form_too_large_is_refused_with_a_page(app, browser):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = browser("admin").post("/sign-out", data={"csrf_token": "x" * 2000})
    assert r.status_code == 413
    assert r.mimetype == "text/html" and "<h1" in r.text


def test_a_mistyped_address_gets_a_page_in_a_browser_and_a_problem_in_the_api(client):
    browser_accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = client.get("/decisoins", headers={"Accept": browser_accept})
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "<h1" in page.text and "Check the address" in page.text
    assert_protected(page, PAGE_POLICY)
    for path, accept in (("/decisoins", "*/*"), ("/v1/nothing", browser_accept)):
        r = client.get(path, headers={"Accept": accept})
        assert r.status_code == 404 and r.mimetype == "application/problem+json", path

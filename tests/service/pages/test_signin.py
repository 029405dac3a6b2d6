"""Signing in to the pages: an API key exchanged for a session cookie (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.pages.signin import safe_next
from tfp_rules.store import Store

from .conftest import csrf_token, sign_in


def audit_actions(store: Store) -> list[tuple[str, int]]:
    return [(row["action"], row["status"]) for row in store.list_audit(limit=50)[0]]


def test_a_page_without_a_session_sends_you_to_sign_in(client):
    r = client.get("/decisions?status=eligible")
    assert r.status_code == 302
    assert r.headers["Location"] == "/sign-in?next=/decisions?status%3Deligible"
    page = client.get(r.headers["Location"])
    assert "Sign in with your API key" in page.text
    assert 'type="password"' in page.text and '<label class="govuk-label' in page.text


def test_signing_in_sets_a_protected_cookie_and_returns_to_the_page_asked_for(client, keys, store):
    token = csrf_token(client.get("/sign-in").text)
    r = client.post(
        "/sign-in?next=/rulesets", data={"api_key": keys["reviewer"], "csrf_token": token}
    )
    assert r.status_code == 302 and r.headers["Location"] == "/rulesets"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the next test
    assert keys["reviewer"] not in cookie  # the API key itself never goes into the cookie
    page = client.get("/rulesets")
    assert page.status_code == 200 and "test reviewer" in page.text
    assert ("session.start", 201) in audit_actions(store)


def test_the_cookie_is_secure_over_tls(client, keys):
    token = csrf_token(client.get("/sign-in", base_url="https://localhost").text)
    r = client.post(
        "/sign-in",
        data={"api_key": keys["reviewer"], "csrf_token": token},
        base_url="https://localhost",
    )
    assert "; Secure" in r.headers["Set-Cookie"]


def test_a_wrong_key_is_refused_on_the_form_and_audited(client, store):
    token = csrf_token(client.get("/sign-in").text)
    r = client.post("/sign-in", data={"api_key": "tfp_nope_nope", "csrf_token": token})
    assert r.status_code == 401
    assert "There is a problem" in r.text and 'href="#api_key"' in r.text
    assert "not one this service knows" in r.text
    assert ("request.rejected", 401) in audit_actions(store)
    empty = client.post("/sign-in", data={"api_key": "", "csrf_token": token})
    assert empty.status_code == 400 and "Enter your API key" in empty.text


def test_a_submitter_gets_no_session(client, keys):
    token = csrf_token(client.get("/sign-in").text)
    r = client.post("/sign-in", data={"api_key": keys["submitter"], "csrf_token": token})
    assert r.status_code == 403
    assert "for the API only" in r.text
    assert client.get("/decisions").status_code == 302  # not signed in


def test_sign_in_without_its_csrf_token_is_refused(client, keys):
    r = client.post("/sign-in", data={"api_key": keys["reviewer"]})
    assert r.status_code == 400
    assert client.get("/decisions").status_code == 302  # not signed in


def test_sign_out_ends_the_session_for_good(app, keys, store):
    client = app.test_client()
    sign_in(client, keys["reviewer"])
    cookie = client.get_cookie("tfp_session").value
    page = client.get("/rulesets")
    r = client.post("/sign-out", data={"csrf_token": csrf_token(page.text)})
    assert r.status_code == 302 and r.headers["Location"] == "/sign-in"
    assert "You have signed out" in client.get("/sign-in").text
    # the old cookie, replayed, no longer opens anything
    replay = app.test_client()
    replay.set_cookie("tfp_session", cookie)
    assert replay.get("/rulesets").status_code == 302
    assert ("session.end", 200) in audit_actions(store)


def test_sign_out_without_its_csrf_token_is_refused(browser):
    client = browser("reviewer")
    r = client.post("/sign-out")
    assert r.status_code == 400
    assert "Nothing was saved" in r.text and "<h1" in r.text
    assert client.get("/rulesets").status_code == 200  # still signed in


def test_a_session_ends_after_the_idle_time(app, keys):
    now = [datetime(2026, 12, 2, 9, 0, tzinfo=UTC)]
    store = Store(app.config["DATABASE"], clock=lambda: now[0])
    token = store.start_session(store.authenticate(keys["reviewer"]), lifetime=timedelta(hours=10))
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    now[0] += idle - timedelta(seconds=1)
    assert store.session_key(token, idle=idle)[0] is not None  # used: the idle time restarts
    now[0] += idle - timedelta(seconds=1)
    assert store.session_key(token, idle=idle)[0] is not None
    now[0] += idle
    assert store.session_key(token, idle=idle) == (None, "idle")
    assert store.session_key(token, idle=idle) == (None, "idle")  # and it stays ended


def test_a_session_ends_when_its_key_is_revoked_or_its_time_is_up(app, keys):
    now = [datetime(2026, 12, 2, 9, 0, tzinfo=UTC)]
    store = Store(app.config["DATABASE"], clock=lambda: now[0])
    key = store.authenticate(keys["reviewer"])
    long_idle = timedelta(days=1)
    token = store.start_session(key, lifetime=timedelta(hours=10))
    now[0] += timedelta(hours=10)
    assert store.session_key(token, idle=long_idle) == (None, "expired")
    token = store.start_session(key, lifetime=timedelta(hours=10))
    store.revoke_key(key.id)
    assert store.session_key(token, idle=long_idle) == (None, "key revoked")


def test_an_idle_session_is_told_why_at_sign_in(app, keys):
    client = app.test_client()
    app.config["SESSION_IDLE_MINUTES"] = 0
    sign_in(client, keys["reviewer"])
    r = client.get("/rulesets")
    assert r.status_code == 302
    assert "had not used the service for a while" in client.get(r.headers["Location"]).text


def test_next_never_leaves_the_site():
    assert safe_next("/decisions?x=1") == "/decisions?x=1"
    for target in (
        "https://evil.example/",
        "//evil.example/",
        "/\\evil",
        "/\t/evil.example",  # werkzeug drops the tab: //evil.example
        "/\n/x",
        "/\r/x",
        "/ /x",
        "/\x7f",
        "",
        None,
        "decisions",
        "javascript:alert(1)",
    ):
        assert safe_next(target) is None, target


@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/x", "/%0d/x", "/%5cevil"])
def test_a_crafted_next_lands_on_the_home_page(client, keys, target):
    token = csrf_token(client.get("/sign-in").text)
    r = client.post(
        f"/sign-in?next={target}", data={"api_key": keys["reviewer"], "csrf_token": token}
    )
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_pages_refuse_a_role_they_do_not_serve_with_a_page(browser):
    r = browser("policy_officer").get("/decisions")
    assert r.status_code == 403
    assert r.mimetype == "text/html" and "Not allowed for this role" in r.text


@pytest.mark.parametrize(
    ("role", "landing"), [("reviewer", "/decisions"), ("policy_officer", "/rulesets")]
)
def test_signing_in_lands_on_the_page_for_your_role(client, keys, role, landing):
    token = csrf_token(client.get("/sign-in").text)
    r = client.post("/sign-in", data={"api_key": keys[role], "csrf_token": token})
    home = client.get(r.headers["Location"])
    assert home.status_code == 302 and home.headers["Location"] == landing
    assert client.get(landing).status_code == 200


def test_a_form_sent_after_the_session_ended_goes_back_to_its_page(app, keys, example, auth):
    """A verdict typed while the session went idle: nothing saved, and after signing in the
    person is back on the decision page, not on a POST address that answers 405."""
    client = app.test_client()
    made = client.post("/v1/evaluations", json=example, headers=auth()).get_json()
    sign_in(client, keys["reviewer"])
    page = f"/decisions/{made['id']}"
    token = csrf_token(client.get(page).text)
    app.config["SESSION_IDLE_MINUTES"] = 0
    r = client.post(
        f"{page}/reviews",
        data={"verdict": "confirm", "reason": "Checked", "csrf_token": token},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert r.status_code == 302 and r.headers["Location"] == f"/sign-in?next={page}"
    assert "nothing was saved" in client.get(r.headers["Location"]).text
    app.config["SESSION_IDLE_MINUTES"] = 30
    back = client.post(
        r.headers["Location"],
        data={"api_key": keys["reviewer"], "csrf_token": csrf_token(client.get("/sign-in").text)},
    )
    assert back.headers["Location"] == page
    assert client.get(page).status_code == 200
    decision = client.get(f"/v1/decisions/{made['id']}", headers=auth("reviewer")).get_json()
    assert decision["reviews"] == []

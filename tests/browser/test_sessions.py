"""Signing in and out in the browser: who may, and what is left behind after."""

from __future__ import annotations

import re

from .conftest import Site
from .helpers import expect, screenshot, sign_in


def test_a_submitter_key_is_refused_at_sign_in(new_page, site: Site):
    page = new_page()
    page.goto("/sign-in")
    page.get_by_label("API key").fill(site.keys["submitter"])
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("for the API only")
    assert not any(
        c["name"] == "tfp_session" and "sid" in c["value"] for c in page.context.cookies()
    )
    page.goto("/decisions")  # no session: back to sign-in, no page opens
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    expect(page.get_by_role("heading", name="Work queue")).to_have_count(0)


def test_sign_in_errors_are_shown_on_the_form(new_page):
    page = new_page()
    page.goto("/sign-in")
    screenshot(page, "01-sign-in")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Enter your API key")
    alert.get_by_role("link", name="Enter your API key").click()
    expect(page.get_by_label("API key")).to_be_focused()


def test_after_sign_out_the_back_button_shows_no_data(new_page, site: Site):
    page = new_page()  # a session of its own: signing out ends it
    sign_in(page, site.keys["reviewer"])
    decision = site.decisions["not_eligible"]
    answer = page.goto(f"/decisions/{decision['id']}")
    assert answer is not None and answer.status == 200
    assert answer.headers["cache-control"] == "no-store"
    expect(page.get_by_role("heading", name="Family FIX-021", level=1)).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{site.base_url}/sign-in")
    expect(page.get_by_text("You have signed out.")).to_be_visible()

    page.go_back()  # refetched (no-store), and the session is over: sign-in again
    expect(page).to_have_url(re.compile(r"/sign-in"))
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    assert "FIX-021" not in page.inner_text("main")
    page.goto(f"/decisions/{decision['id']}")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))


def test_a_policy_officer_lands_on_the_rulesets(new_page, site: Site):
    page = new_page()
    sign_in(page, site.keys["policy_officer"])
    expect(page.get_by_role("heading", name="Rulesets", level=1)).to_be_visible()

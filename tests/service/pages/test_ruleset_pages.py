"""The ruleset pages: the versions each role may see, one version in words, and the diff
between two versions, with what a person sees when a version is not there."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from service.pages import rulesets as ruleset_pages


def text(html: str) -> str:
    """What a person reads: the page's words without markup, spaces collapsed."""
    body = re.sub(r"(?s)<head>.*?</head>", "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#39;", "'")


@pytest.mark.parametrize(
    ("role", "sees_drafts"), [("policy_officer", True), ("admin", True), ("reviewer", False)]
)
def test_the_list_shows_every_version_a_role_may_see(browser, role, sees_drafts):
    r = browser(role).get("/rulesets")
    assert r.status_code == 200
    page = text(r.text)
    assert "Rulesets" in page and "Versions" in page
    assert "/rulesets/national/2015.1" in r.text and "/rulesets/stockton/2015.1" in r.text
    assert "1 April 2015" in page and "Published" in page
    assert "48 passed" in page  # what its tests said when it was published
    assert ("/rulesets/national/2017.1" in r.text) is sees_drafts
    assert ("Draft" in page) is sees_drafts


def test_a_version_page_reads_the_rules_in_words(browser):
    r = browser("policy_officer").get("/rulesets/national/2015.1")
    assert r.status_code == 200
    page = text(r.text)
    assert re.search(r"<h1[^>]*>\s*National 2015.1", r.text)
    for heading in ("Headlines", "Family rule", "Parameters"):
        assert re.search(rf"<h2[^>]*>\s*{heading}", r.text), heading
    assert "Crime and anti-social behaviour" in page  # a headline's name
    assert "A child with a proven offence in the last 12 months" in page  # an indicator's
    assert "at least 1 proven offence in the last 12 months" in page  # its condition in words
    assert "at_least" not in page and "offence_window_months:" not in page
    assert "at least 2 of the 6 headline problems" in page
    # a parameter with its value, source and review-by date
    row = re.search(r"(?s)adult age.*?</tr>", r.text).group(0)
    assert "18 years" in row and "Children Act 1989 s105" in row and "31 March 2027" in row
    assert "Review overdue" not in page


def test_a_review_by_date_in_the_past_is_flagged_in_words(browser, monkeypatch):
    monkeypatch.setattr(ruleset_pages, "today", lambda: dt.date(2027, 4, 1))
    page = text(browser("policy_officer").get("/rulesets/national/2015.1").text)
    assert "Review overdue" in page


def test_a_local_version_says_what_it_extends_and_overrides_and_its_outcome_plan(browser):
    r = browser("reviewer").get("/rulesets/stockton/2015.1")
    assert r.status_code == 200
    page = text(r.text)
    assert "Stockton-on-Tees Borough Council" in page
    assert 'href="/rulesets/national/2015.1"' in r.text
    override = re.search(r"(?s)financial difficulty window months.*?</tr>", r.text).group(0)
    assert "12 months" in override and "6 months" in override
    assert "Local" in page and "Outcome plan" in page
    assert "Progress must last 6 months" in page


def test_a_draft_is_not_found_for_a_reviewer(browser):
    assert browser("policy_officer").get("/rulesets/national/2017.1").status_code == 200
    r = browser("reviewer").get("/rulesets/national/2017.1")
    assert r.status_code == 404
    assert "No such ruleset" in r.text and "2017.1" in r.text
    assert "Traceback" not in r.text


def test_an_unknown_version_is_not_found(browser):
    r = browser("policy_officer").get("/rulesets/national/1999.1")
    assert r.status_code == 404 and "No such ruleset" in r.text


def test_the_diff_page_shows_what_a_version_changes_in_words(browser):
    r = browser("policy_officer").get("/rulesets/national/diff?from=2015.1&to=2017.1")
    assert r.status_code == 200
    page = text(r.text)
    assert 'method="get"' in r.text
    assert '<label class="govuk-label govuk-label--s" for="from">From version</label>' in r.text
    assert '<label class="govuk-label govuk-label--s" for="to">To version</label>' in r.text
    assert "Compare" in page
    for section in ("Metadata", "Parameters", "Headlines and indicators"):
        assert re.search(rf"<h2[^>]*>\s*{section}", r.text), section
    assert "Parameter fixed_term_exclusions_min: lowered from 3 to 2 exclusions" in page
    assert "Takes effect from 1 April 2017 instead of 1 April 2015" in page  # dates in words
    assert "Run impact analysis" in page


def test_the_same_version_twice_has_no_differences(browser):
    r = browser("policy_officer").get("/rulesets/national/diff?from=2015.1&to=2015.1")
    assert r.status_code == 200
    assert "No differences" in r.text


def test_the_diff_page_without_versions_is_the_form_with_the_newest_preselected(browser):
    r = browser("policy_officer").get("/rulesets/national/diff")
    assert r.status_code == 200
    assert '<option value="2017.1" selected>' in r.text
    assert "Run impact analysis" not in r.text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("from=1999.1&to=2017.1", 404, "national has no version 1999.1 to compare from"),
        ("from=2015.1&to=", 400, "Select a version to compare with"),
        ("from=../etc&to=2017.1", 400, "is not one"),
        ("to=2017.1", 400, "Select a version to compare from"),
    ],
)
def test_a_bad_version_is_the_form_again_with_an_error(browser, query, status, message):
    r = browser("policy_officer").get(f"/rulesets/national/diff?{query}")
    assert r.status_code == status
    assert "There is a problem" in r.text and message in text(r.text)
    assert "From version" in r.text and "Run impact analysis" not in r.text


def test_a_reviewer_compares_published_versions_only(browser):
    reviewer = browser("reviewer")
    form = reviewer.get("/rulesets/national/diff")
    assert form.status_code == 200 and "2017.1" not in form.text
    r = reviewer.get("/rulesets/national/diff?from=2015.1&to=2017.1")
    assert r.status_code == 404
    assert "national has no version 2017.1" in text(r.text)


def test_an_unknown_ruleset_has_no_diff_page(browser):
    r = browser("policy_officer").get("/rulesets/nowhere/diff")
    assert r.status_code == 404 and "No such ruleset" in r.text


def test_a_submitter_never_gets_a_session_for_these_pages(client, keys):
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    refused = client.post("/sign-in", data={"api_key": keys["submitter"], "csrf_token": token})
    assert refused.status_code == 403
    for path in ("/rulesets", "/rulesets/national/2015.1", "/rulesets/national/diff"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/sign-in"), path

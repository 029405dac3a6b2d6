"""Results claims in the browser: the list with its filters, one claim in words, making a
claim from a progress decision (each refusal said on the form, nothing saved), an admin's
withdrawal, who claimed by name, and the audit rows the API's twins write."""

from __future__ import annotations

import html
import re

import pytest

from ..test_claims_api import PRECONDITIONS, claim, progress_of
from .test_decision_page import text
from .test_review_form import error_summary as summary_html


@pytest.fixture
def reviewer(browser):
    return browser("reviewer")


@pytest.fixture
def make(reviewer, post_form):
    """`make(progress_id, **fields)`: the claim form posted from its page."""

    def post(progress_id: str, **data: str):
        page = f"/progress/{progress_id}/claim"
        return post_form(reviewer, page, page, {**PRECONDITIONS, **data})

    return post


def error_summary(page: str) -> list[str]:
    """The error summary's lines, as a person reads them."""
    return [html.unescape(line) for line in summary_html(page)]


def claims_of(store) -> list:
    return store.list_claims()[0]


def test_a_claim_is_made_from_the_form_and_read_back_in_words(reviewer, make, client, auth, store):
    pid = progress_of(client, auth)
    form = text(reviewer.get(f"/progress/{pid}/claim").text)
    assert "Make a results claim" in form and "Family STK-2019-000777" in form
    assert f"Progress decision {pid}" in form and "Qualifies, by the automated decision" in form
    made = make(pid)
    assert made.status_code == 303
    [saved] = claims_of(store)
    assert made.headers["Location"] == f"/claims/{saved.id}"
    page = text(reviewer.get(made.headers["Location"]).text)
    assert "The claim has been made" in page
    assert "Results claim for family STK-2019-000777" in page
    for words in (
        "Status Claimed",
        "Results payment £800",
        "Attachment fee £1,000",
        "Route Progress: the family made the progress its outcome plan asks for",
        "Whole family assessment 2 April 2019",
        "Family action plan 10 April 2019",
        "Keyworker Sam Keyworker",
        f"Progress decision {pid}",
        f"Entry decision {saved.entry_id}",
        "Record /judgements/0",
        "Claimed by test reviewer",
    ):
        assert words in page, words
    assert re.search(r"Claim date \d{1,2} \w+ \d{4}", page)
    assert re.search(r"Financial year \d{4} to \d{4}", page)
    assert saved.claimed_by not in page  # the client's id appears nowhere
    html = reviewer.get(f"/claims/{saved.id}").text
    assert f'href="/progress/{pid}"' in html and f'href="/decisions/{saved.entry_id}"' in html
    assert "The claim has been made" not in text(html)  # said once
    assert "Withdraw claim" not in html  # a reviewer may not withdraw


@pytest.mark.parametrize(
    ("data", "status", "messages"),
    [
        (
            {"whole_family_assessment": "", "action_plan": "", "keyworker": " "},
            422,
            [
                "Enter the date of the whole family assessment",
                "Enter the date of the family action plan",
                "Enter the name of the family's keyworker",
            ],
        ),
        (
            {"action_plan": "2999-01-01"},
            422,
            ["Date of the family action plan must be today or in the past"],
        ),
        (
            {"whole_family_assessment": "1899-12-31"},
            422,
            ["Date of the whole family assessment must be 1 January 1900 or later"],
        ),
        (
            {"whole_family_assessment": "2019-02-30"},
            400,
            [
                "Date of the whole family assessment must be a real date, written as"
                " YYYY-MM-DD, for example 2019-03-31"
            ],
        ),
        (
            {"action_plan": "10/04/2019"},
            400,
            [
                "Date of the family action plan must be a real date, written as YYYY-MM-DD,"
                " for example 2019-03-31"
            ],
        ),
        (
            {"keyworker": "a\u202eb"},
            422,
            ["The keyworker's name can only hold ordinary text: remove any control characters"],
        ),
    ],
)
def test_a_claim_that_cannot_be_made_is_said_on_the_form_and_nothing_is_saved(
    make, client, auth, store, data, status, messages
):
    pid = progress_of(client, auth)
    r = make(pid, **data)
    assert r.status_code == status
    assert error_summary(r.text) == messages
    assert "Error: Make a results claim" in r.text  # the title says so too
    assert claims_of(store) == []


@pytest.mark.parametrize(
    ("fixture", "state"),
    [
        ("police_not_checked_since_entry", "is undetermined"),
        ("improves_on_some_headlines", "does not qualify"),
    ],
)
def test_a_progress_decision_that_does_not_qualify_is_refused(
    reviewer, make, client, auth, store, fixture, state
):
    pid = progress_of(client, auth, fixture)
    assert "a claim on it will be refused" in text(reviewer.get(f"/progress/{pid}/claim").text)
    r = make(pid)
    assert r.status_code == 422
    assert error_summary(r.text) == [
        f"The outcome in force for this progress decision is that the family {state}: there"
        " is no results claim to make"
    ]
    assert claims_of(store) == []


def test_a_second_claim_for_the_family_is_refused_with_a_link_to_the_first(
    reviewer, make, client, auth, store
):
    pid = progress_of(client, auth)
    first = claim(client, auth, pid).get_json()["id"]
    page = reviewer.get(f"/progress/{pid}/claim").text
    assert f'href="/claims/{first}"' in page and "already has" in text(page)
    r = make(pid)
    assert r.status_code == 409
    assert error_summary(r.text) == [
        "This family already has a results claim: one results claim per family (only a claim"
        " withdrawn in error frees the family)"
    ]
    assert f'<a href="/claims/{first}">' in r.text
    assert [c.id for c in claims_of(store)] == [first]


def test_an_unknown_progress_decision_or_claim_is_a_404_page(reviewer):
    for path in ("/progress/nope/claim", "/claims/nope"):
        r = reviewer.get(path)
        assert r.status_code == 404 and "<h1" in r.text, path


def test_the_list_shows_claims_with_names_filters_and_pages(
    reviewer, client, auth, store, monkeypatch
):
    ids = [
        claim(client, auth, progress_of(client, auth, family_ref=f"STK-2019-00{i}")).get_json()[
            "id"
        ]
        for i in range(3)
    ]
    store.withdraw_claim(ids[0], reason="x", in_error=False, withdrawn_by="admin")
    r = reviewer.get("/claims")
    assert r.status_code == 200
    words = text(r.text)
    assert "Results claims" in words and "Claims Family Claim date Amount Route Status" in words
    assert words.count("test reviewer") == 3  # claimed by: the client's name
    assert "STK-2019-002" in words and "£800 results payment" in words
    assert "Progress Claimed" in words and "Progress Withdrawn" in words
    for c in claims_of(store):
        assert f'href="/claims/{c.id}"' in r.text
        assert c.claimed_by not in r.text
    only = text(reviewer.get("/claims?family_ref=STK-2019-001").text)
    assert "STK-2019-001" in only and "STK-2019-002" not in only
    withdrawn = text(reviewer.get("/claims?status=withdrawn").text)
    assert "STK-2019-000" in withdrawn and "STK-2019-001" not in withdrawn
    month = store.get_claim(ids[0]).claim_date[:7]
    assert "STK-2019-002" in text(reviewer.get(f"/claims?period={month}..{month}").text)
    before = text(reviewer.get("/claims?period=2019-04..2019-06").text)
    assert "No claims match these filters." in before
    # pages: newest first, two at a time
    monkeypatch.setattr("service.pages.claims.PER_PAGE", 2)
    first = reviewer.get("/claims")
    assert "Next page" in text(first.text) and "Previous" not in text(first.text)
    following = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    second = reviewer.get(following)
    assert "STK-2019-000" in text(second.text) and "STK-2019-002" not in text(second.text)
    back = re.search(r'href="([^"]+)" rel="prev"', second.text).group(1).replace("&amp;", "&")
    assert "STK-2019-002" in text(reviewer.get(back).text)
    assert "STK-2019-002" in text(reviewer.get("/claims?cursor=not!a-cursor").text)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "period=2019-04",
            "Claim period must be the first and last month, written as YYYY-MM..YYYY-MM, for"
            " example 2019-04..2019-06",
        ),
        (
            "period=2019-06..2019-04",
            "Claim period must have months from 01 to 12, the first not after the last",
        ),
        ("status=lost", "Choose a status from the list"),
        ("family_ref=" + "x" * 201, "Family reference must be 200 characters or fewer"),
    ],
)
def test_a_bad_filter_is_said_on_the_page(reviewer, client, auth, store, query, message):
    claim(client, auth, progress_of(client, auth))
    r = reviewer.get(f"/claims?{query}")
    assert r.status_code == 400
    assert error_summary(r.text) == [message]
    assert "No claims are shown until the filters are corrected." in text(r.text)
    assert "STK-2019-000777" not in text(r.text)
    rows = [a for a in store.list_audit(limit=200)[0] if a["action"] == "request.rejected"]
    assert rows and rows[0]["status"] == 400


def test_an_admin_withdraws_with_a_reason(browser, post_form, client, auth, store):
    admin = browser("admin")
    pid = progress_of(client, auth)
    cid = claim(client, auth, pid).get_json()["id"]
    page = f"/claims/{cid}"
    form = text(admin.get(page).text)
    assert "Withdraw this claim" in form and "frees the family for a new claim" in form
    blank = post_form(admin, page, f"{page}/withdraw", {"reason": "  "})
    assert blank.status_code == 400
    assert error_summary(blank.text) == ["Enter the reason for the withdrawal"]
    assert store.get_claim(cid).status == "claimed"
    done = post_form(
        admin, page, f"{page}/withdraw", {"reason": "Claimed on the wrong family", "in_error": "y"}
    )
    assert done.status_code == 303 and done.headers["Location"] == page
    after = text(admin.get(page).text)
    assert "The claim has been withdrawn" in after
    assert "Status Withdrawn in error" in after
    assert "Withdrawn in error (the family is free for a new claim) by test admin" in after
    assert "Reason: Claimed on the wrong family" in after
    assert "Withdraw claim" not in after  # a withdrawal is final
    saved = store.get_claim(cid)
    assert (saved.status, saved.withdrawn_reason) == (
        "withdrawn_in_error",
        "Claimed on the wrong family",
    )


def test_a_withdrawal_someone_else_made_first_is_refused(browser, client, auth, store):
    admin = browser("admin")
    cid = claim(client, auth, progress_of(client, auth)).get_json()["id"]
    page = admin.get(f"/claims/{cid}").text
    store.withdraw_claim(cid, reason="first", in_error=False, withdrawn_by="admin")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = admin.post(f"/claims/{cid}/withdraw", data={"reason": "second", "csrf_token": token})
    assert r.status_code == 409
    assert store.get_claim(cid).withdrawn_reason == "first"


def test_a_reviewer_sees_no_withdraw_form_and_may_not_post_one(reviewer, client, auth, store):
    cid = claim(client, auth, progress_of(client, auth)).get_json()["id"]
    page = reviewer.get(f"/claims/{cid}").text
    assert "Withdraw claim" not in page
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = reviewer.post(f"/claims/{cid}/withdraw", data={"reason": "x", "csrf_token": token})
    assert r.status_code == 403
    assert store.get_claim(cid).status == "claimed"


def test_a_form_without_its_csrf_token_is_refused(browser, client, auth, store):
    admin = browser("admin")
    pid = progress_of(client, auth)
    assert admin.post(f"/progress/{pid}/claim", data=PRECONDITIONS).status_code == 400
    assert claims_of(store) == []
    cid = claim(client, auth, pid).get_json()["id"]
    assert admin.post(f"/claims/{cid}/withdraw", data={"reason": "x"}).status_code == 400
    assert store.get_claim(cid).status == "claimed"


def test_a_policy_officer_and_the_menu(browser, client, auth):
    pid = progress_of(client, auth)
    cid = claim(client, auth, pid).get_json()["id"]
    officer = browser("policy_officer")
    for path in ("/claims", f"/claims/{cid}", f"/progress/{pid}/claim"):
        assert officer.get(path).status_code == 403, path
    assert 'href="/claims"' not in officer.get("/rulesets").text
    assert 'href="/claims"' in browser("reviewer").get("/decisions").text


def test_the_pages_are_audited_as_the_api(reviewer, make, client, auth, store):
    pid = progress_of(client, auth)
    reviewer.get(f"/progress/{pid}/claim")
    make(pid)
    [c] = claims_of(store)
    make(pid)  # refused: the family has its claim
    reviewer.get(f"/claims/{c.id}")
    reviewer.get("/claims?status=claimed")
    reviewer.get("/claims/nope")
    rows = store.list_audit(limit=200)[0]
    seen = [(r["action"], r["target"], r["status"], r["detail"]) for r in rows]
    assert ("progress.read", pid, 200, "page") in seen
    assert ("claim.read", c.id, 200, "page") in seen
    assert ("claim.read", "nope", 404, "page") in seen
    assert any(a == "claim.create" and t == c.id and s == 201 for a, t, s, _ in seen)
    assert any(a == "request.rejected" and s == 409 for a, _, s, _ in seen)
    [listed] = [r for r in rows if r["action"] == "claim.list"]
    assert listed["detail"] == f"page filters=status returned=1 ids={c.id}"
    assert "STK-" not in " ".join(r["detail"] or "" for r in rows)

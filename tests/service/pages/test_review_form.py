"""Recording a verdict from the decision page: the API's rules for reviews, each refusal
said against its field with nothing saved, the reviewer named, never by id."""

from __future__ import annotations

import re

import pytest

from .test_decision_page import UNDETERMINED, family, section, text


@pytest.fixture
def decision(client, auth, example) -> str:
    r = client.post("/v1/evaluations", json=example, headers=auth())
    return r.get_json()["id"]


@pytest.fixture
def reviewer(browser):
    return browser("reviewer")


@pytest.fixture
def verdict(reviewer, post_form):
    """`verdict(decision_id, **fields)`: the form posted from the decision's page."""

    def post(decision_id: str, **data: str):
        page = f"/decisions/{decision_id}"
        return post_form(reviewer, page, f"{page}/reviews", data)

    return post


def reviews_of(store, decision_id: str) -> list:
    return store.get_decision(decision_id).reviews


def error_summary(page: str) -> list[str]:
    block = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_a_confirmation_is_recorded_and_shown_with_the_reviewers_name(
    reviewer, verdict, decision, store, keys
):
    r = verdict(decision, verdict="confirm", reason="School records agree")
    assert r.status_code == 303 and r.headers["Location"] == f"/decisions/{decision}"
    page = reviewer.get(r.headers["Location"])
    assert "Your verdict has been recorded" in text(page.text)
    reviews = section(page.text, "Reviews")
    assert "Confirmed Eligible test reviewer" in reviews and "School records agree" in reviews
    assert re.search(r"\d{1,2} \w+ \d{4} at \d\d:\d\d", reviews)
    [saved] = reviews_of(store, decision)
    assert saved.verdict == "confirm" and saved.eligible is None
    assert saved.reviewer not in page.text  # the client's id appears nowhere, audit view included
    assert "Your verdict has been recorded" not in text(reviewer.get(f"/decisions/{decision}").text)


def test_an_override_puts_its_outcome_in_force_and_leaves_the_decision_as_made(
    reviewer, verdict, decision, store, client, auth
):
    r = verdict(decision, verdict="override", outcome="not_eligible", reason="Family moved away")
    assert r.status_code == 303
    page = reviewer.get(f"/decisions/{decision}")
    summary = section(page.text, "Summary")
    assert summary.startswith("Not eligible (by review; the automated decision was eligible)")
    assert "Overridden Not eligible test reviewer" in section(page.text, "Reviews")
    api = client.get(f"/v1/decisions/{decision}", headers=auth()).get_json()
    assert (api["status"], api["eligible"]) == ("eligible", True)  # the automated decision
    assert api["outcome"]["status"] == "not_eligible"
    rows = [a for a in store.list_audit(target=decision)[0] if a["action"] == "review.create"]
    assert [(a["status"], a["detail"]) for a in rows] == [(201, "override eligible=false")]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"verdict": "confirm", "reason": "  "}, "reason", "Enter the reason for your verdict"),
        (
            {"verdict": "override", "reason": "Moved away"},
            "outcome",
            "Select the outcome to put in force when you override it",
        ),
        (
            {"verdict": "confirm", "outcome": "eligible", "reason": "Agree"},
            "outcome",
            "Do not select an outcome when you confirm",
        ),
        ({"reason": "Agree"}, "verdict", "Select your verdict"),
    ],
)
def test_a_verdict_not_well_formed_re_renders_with_its_error(
    verdict, decision, store, data, field, message
):
    r = verdict(decision, **data)
    assert r.status_code == 400
    [error] = error_summary(r.text)
    assert error.startswith(message)
    assert f'href="#{field}"' in r.text and f'id="{field}-error"' in r.text
    assert "Record your verdict" in text(r.text) and "Headlines" in text(r.text)
    assert reviews_of(store, decision) == []


def test_what_was_typed_is_kept_when_the_form_is_refused(verdict, decision):
    r = verdict(decision, verdict="override", reason="Family moved away")
    assert "Family moved away</textarea>" in r.text
    assert 'value="override" checked' in r.text


def test_confirming_an_undetermined_decision_is_a_conflict(client, auth, verdict, store):
    facts = family(UNDETERMINED)
    decision_id = client.post("/v1/evaluations", json=facts, headers=auth()).get_json()["id"]
    r = verdict(decision_id, verdict="confirm", reason="Looks right")
    assert r.status_code == 409
    [error] = error_summary(r.text)
    assert "nothing to confirm" in error and 'href="#verdict"' in r.text
    assert reviews_of(store, decision_id) == []
    r = verdict(decision_id, verdict="override", outcome="eligible", reason="Police report seen")
    assert r.status_code == 303 and len(reviews_of(store, decision_id)) == 1


def test_overriding_to_the_outcome_in_force_is_a_conflict(verdict, decision, store):
    r = verdict(decision, verdict="override", outcome="eligible", reason="Agree")
    assert r.status_code == 409
    assert "already the outcome in force" in error_summary(r.text)[0]
    assert reviews_of(store, decision) == []


def test_a_verdict_without_its_csrf_token_is_refused_and_saves_nothing(reviewer, decision, store):
    r = reviewer.post(
        f"/decisions/{decision}/reviews", data={"verdict": "confirm", "reason": "Agree"}
    )
    assert r.status_code == 400 and "Nothing was saved" in r.text
    assert reviews_of(store, decision) == []


def test_a_policy_officer_may_not_record_a_verdict(browser, post_form, decision, store):
    officer = browser("policy_officer")
    token_page = "/sign-in"  # a page the officer can open, for a valid CSRF token
    r = post_form(
        officer, token_page, f"/decisions/{decision}/reviews", {"verdict": "confirm", "reason": "x"}
    )
    assert r.status_code == 403
    assert reviews_of(store, decision) == []

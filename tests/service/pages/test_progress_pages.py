"""The progress check page: whether the family qualifies for a results claim (in force
first), the outcome plan's outcomes and what decided them, the entry decision, the audit view,
the reviews and the verdict form with the API's rules; the checks listed on the entry
decision's page; audited as the API's reads are, for reviewers only."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .test_decision_page import text
from .test_review_form import error_summary

FIXTURES = Path(__file__).parents[3] / "fixtures" / "progress"
H2 = ("Summary", "Outcomes", "Entry decision", "Reviews", "Record your verdict")


def section(page: str, heading: str) -> str:
    """The words from one of the progress page's h2 to the next."""
    words = text(page)
    start = words.index(heading)
    rest = words[start + len(heading) :]
    nxt = [rest.find(h) for h in H2 if h != heading and rest.find(h) >= 0]
    return (rest[: min(nxt)] if nxt else rest).strip()


def fixture(name: str, part: str) -> dict:
    return json.loads((FIXTURES / name / f"{part}.json").read_text())


@pytest.fixture
def entry(client, auth):
    """`entry(name)`: the id of the entry decision the API made on a progress fixture."""

    def made(name: str = "turns_around") -> str:
        r = client.post(
            "/v1/evaluations?ruleset=stockton", json=fixture(name, "entry"), headers=auth()
        )
        assert r.status_code == 201, r.text
        return r.get_json()["id"]

    return made


@pytest.fixture
def check(client, auth, entry):
    """`check(name, entry_id=None, **later)`: the id of a progress decision the API made on a
    fixture's later facts (after its entry, or after `entry_id`)."""

    def made(name: str = "turns_around", entry_id: str | None = None, **later: str) -> str:
        entry_id = entry_id or entry(name)
        body = {**fixture(name, "later"), **later}
        r = client.post(f"/v1/decisions/{entry_id}/progress", json=body, headers=auth())
        assert r.status_code == 201, r.text
        return r.get_json()["id"]

    return made


@pytest.fixture
def reviewer(browser):
    return browser("reviewer")


@pytest.fixture
def verdict(reviewer, post_form):
    """`verdict(progress_id, **fields)`: the form posted from the progress check's page."""

    def post(progress_id: str, **data: str):
        page = f"/progress/{progress_id}"
        return post_form(reviewer, page, f"{page}/reviews", data)

    return post


def audit_rows(store, target: str, action: str) -> list[tuple[int, str]]:
    return [
        (a["status"], a["detail"])
        for a in store.list_audit(target=target)[0]
        if a["action"] == action
    ]


def test_a_qualifying_check_says_so_first_with_the_facts_against_the_thresholds(
    reviewer, check, store
):
    pid = check("turns_around")
    r = reviewer.get(f"/progress/{pid}")
    assert r.status_code == 200
    words = text(r.text)
    assert "Progress check for family STK-2019-000777" in words
    assert "Checked on 15 October 2019 · entry on 31 March 2019" in words
    assert "progress must last 6 months, so from 30 September 2019" in words
    summary = section(r.text, "Summary")
    assert summary.startswith("Qualifies for a results claim")
    assert "Automated check: significant and sustained progress on every headline" in summary
    assert "Achieved: H1 Crime and anti-social behaviour, by progress" in summary
    # the values against the thresholds, in words
    assert "a fall of 66.7%" in summary and "33% or more counts" in summary
    assert "Professional judgement by keyworker-17" in summary
    assert "Make a results claim" in summary
    assert f'href="/progress/{pid}/claim"' in r.text
    outcomes = section(r.text, "Outcomes")
    for headline in ("H1 Crime and anti-social behaviour Met", "H6 Health problems Met"):
        assert headline in outcomes
    assert "Continuous employment Not met" in outcomes
    assert "13 weeks required for a JSA claimant" in outcomes
    assert "2019-10-15" not in summary + outcomes  # dates as people write them
    # the full audit view is the API's text
    assert "Family STK-2019-000777, progress checked on 2019-10-15: SIGNIFICANT" in r.text
    assert audit_rows(store, pid, "progress.read") == [(200, "page")]


def test_a_check_not_qualifying_says_what_is_not_yet_achieved(reviewer, check):
    pid = check("improves_on_some_headlines")
    r = reviewer.get(f"/progress/{pid}")
    summary = section(r.text, "Summary")
    assert summary.startswith("Does not qualify for a results claim")
    assert "Not yet achieved: H5" in summary
    assert "Achieved: H1 Crime and anti-social behaviour, by progress" in summary
    assert "Make a results claim" not in text(r.text)
    assert f"/progress/{pid}/claim" not in r.text
    assert re.search(r"H5 [\w ,]+ Not met", section(r.text, "Outcomes"))


def test_continuous_employment_is_a_route_of_its_own(reviewer, check):
    r = reviewer.get(f"/progress/{check('jsa_claimant_in_work_13_weeks')}")
    summary = section(r.text, "Summary")
    assert summary.startswith("Qualifies for a results claim")
    assert "an adult moved into continuous employment, which is enough on its own" in summary
    assert "Achieved: Continuous employment, by continuous employment" in summary
    assert "has been in work since 17 July 2019, 13 weeks to 15 October 2019" in summary
    assert "Not yet achieved: H5" in summary


def test_an_undetermined_check_says_what_was_not_checked(reviewer, check):
    r = reviewer.get(f"/progress/{check('police_not_checked_since_entry')}")
    summary = section(r.text, "Summary")
    assert summary.startswith("Cannot be decided yet")
    assert "Not known yet: H1 Crime and anti-social behaviour" in summary
    assert "Not checked since progress became due: police" in summary
    assert "Unknown" in section(r.text, "Outcomes")


def test_the_entry_decision_is_linked_with_its_outcome(reviewer, entry, check):
    entry_id = entry()
    r = reviewer.get(f"/progress/{check(entry_id=entry_id)}")
    assert f'href="/decisions/{entry_id}"' in r.text
    said = section(r.text, "Entry decision")
    assert "the entry decision of 31 March 2019" in said
    assert "H1, H4, H5, H6" in said and "Its outcome in force: Eligible" in said


def test_the_decision_page_lists_its_progress_checks_newest_first(reviewer, entry, check, store):
    entry_id = entry()
    page = reviewer.get(f"/decisions/{entry_id}")
    assert "Progress checks No progress checks yet" in text(page.text)
    first = check(entry_id=entry_id)
    second = check(entry_id=entry_id, assessment_date="2019-11-01")
    page = reviewer.get(f"/decisions/{entry_id}")
    words = text(page.text)
    listed = words[words.index("Progress checks") : words.index("Ruleset Decided with")]
    assert listed.index("1 November 2019") < listed.index("15 October 2019")
    assert listed.count("Qualifies for a results claim Unreviewed") == 2
    links = re.findall(r'href="/progress/(\w+)"', page.text)
    assert links == [second, first]
    assert audit_rows(store, entry_id, "progress.list") == [  # newest first
        (200, f"page returned=2 ids={second},{first}"),
        (200, "page returned=0"),
    ]


def test_a_confirmation_is_recorded_with_the_reviewers_name(reviewer, verdict, check, store):
    pid = check()
    r = verdict(pid, verdict="confirm", reason="Police and housing records agree")
    assert r.status_code == 303 and r.headers["Location"] == f"/progress/{pid}"
    page = reviewer.get(r.headers["Location"])
    assert "Your verdict has been recorded" in text(page.text)
    assert section(page.text, "Summary").startswith(
        "Qualifies for a results claim (confirmed by review)"
    )
    reviews = section(page.text, "Reviews")
    assert "Confirmed Qualifies for a results claim test reviewer" in reviews
    assert "Police and housing records agree" in reviews
    assert re.search(r"\d{1,2} \w+ \d{4} at \d\d:\d\d", reviews)
    [saved] = store.get_progress(pid).reviews
    assert saved.verdict == "confirm" and saved.qualifies is None
    assert saved.reviewer not in page.text  # by name only, audit view included
    assert "test reviewer" in page.text.split("Full audit view", 1)[1]
    assert audit_rows(store, pid, "progress_review.create") == [(201, "confirm")]
    again = reviewer.get(f"/progress/{pid}")
    assert "Your verdict has been recorded" not in text(again.text)


def test_an_override_puts_its_answer_in_force_and_leaves_the_check_as_made(
    reviewer, verdict, check, store, client, auth
):
    pid = check()
    r = verdict(pid, verdict="override", qualifies="no", reason="Offence reported late")
    assert r.status_code == 303
    page = reviewer.get(f"/progress/{pid}")
    assert section(page.text, "Summary").startswith(
        "Does not qualify for a results claim (by review; the automated check said:"
        " qualifies for a results claim)"
    )
    assert "Make a results claim" not in text(page.text)
    assert "Overridden Does not qualify for a results claim test reviewer" in section(
        page.text, "Reviews"
    )
    api = client.get(f"/v1/progress/{pid}", headers=auth("reviewer")).get_json()
    assert api["qualifies"] is True  # the automated check
    assert api["outcome"]["qualifies"] is False and api["review_status"] == "overridden"
    assert audit_rows(store, pid, "progress_review.create") == [(201, "override qualifies=false")]


def test_reviewers_are_named_each_by_their_own_name(browser, post_form, check):
    pid = check()
    page = f"/progress/{pid}"
    admin = browser("admin")
    r = post_form(
        admin,
        page,
        f"{page}/reviews",
        {"verdict": "override", "qualifies": "no", "reason": "Late report"},
    )
    assert r.status_code == 303
    reviewer = browser("reviewer")
    r = post_form(
        reviewer,
        page,
        f"{page}/reviews",
        {"verdict": "override", "qualifies": "yes", "reason": "Report was wrong"},
    )
    assert r.status_code == 303
    reviews = section(reviewer.get(page).text, "Reviews")
    assert "Overridden Does not qualify for a results claim test admin" in reviews
    assert "Overridden Qualifies for a results claim test reviewer" in reviews


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"verdict": "confirm", "reason": "  "}, "reason", "Enter the reason for your verdict"),
        (
            {"verdict": "override", "reason": "Late report"},
            "qualifies",
            "Select whether the family qualifies for a results claim when you override it",
        ),
        (
            {"verdict": "confirm", "qualifies": "yes", "reason": "Agree"},
            "qualifies",
            "Do not select whether the family qualifies when you confirm",
        ),
        (
            {"verdict": "override", "qualifies": "maybe", "reason": "Agree"},
            "qualifies",
            "Select Qualifies or Does not qualify",
        ),
        ({"reason": "Agree"}, "verdict", "Select your verdict"),
    ],
)
def test_a_verdict_not_well_formed_re_renders_with_its_error(
    verdict, check, store, data, field, message
):
    pid = check()
    r = verdict(pid, **data)
    assert r.status_code == 400
    [error] = error_summary(r.text)
    assert error.startswith(message)
    assert f'href="#{field}"' in r.text and f'id="{field}-error"' in r.text
    assert "Record your verdict" in text(r.text) and "Outcomes" in text(r.text)
    assert store.get_progress(pid).reviews == []


def test_confirming_an_undetermined_check_is_a_conflict(verdict, check, store):
    pid = check("police_not_checked_since_entry")
    r = verdict(pid, verdict="confirm", reason="Looks right")
    assert r.status_code == 409
    [error] = error_summary(r.text)
    assert "nothing to confirm" in error and 'href="#verdict"' in r.text
    assert store.get_progress(pid).reviews == []
    r = verdict(pid, verdict="override", qualifies="yes", reason="Police report seen")
    assert r.status_code == 303 and len(store.get_progress(pid).reviews) == 1


def test_overriding_to_the_answer_in_force_is_a_conflict(verdict, check, store):
    pid = check()
    r = verdict(pid, verdict="override", qualifies="yes", reason="Agree")
    assert r.status_code == 409
    [error] = error_summary(r.text)
    assert "already the outcome in force" in error and 'href="#qualifies"' in r.text
    assert store.get_progress(pid).reviews == []


def test_a_verdict_without_its_csrf_token_is_refused_and_saves_nothing(reviewer, check, store):
    pid = check()
    r = reviewer.post(f"/progress/{pid}/reviews", data={"verdict": "confirm", "reason": "Agree"})
    assert r.status_code == 400 and "Nothing was saved" in r.text
    assert store.get_progress(pid).reviews == []


def test_a_policy_officer_may_not_see_or_review_a_check(browser, post_form, check, store):
    pid = check()
    officer = browser("policy_officer")
    assert officer.get(f"/progress/{pid}").status_code == 403
    r = post_form(
        officer, "/sign-in", f"/progress/{pid}/reviews", {"verdict": "confirm", "reason": "x"}
    )
    assert r.status_code == 403
    assert store.get_progress(pid).reviews == []


def test_an_unknown_check_is_the_404_page_and_audited(reviewer, store):
    r = reviewer.get("/progress/nosuchcheck")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert audit_rows(store, "nosuchcheck", "progress.read") == [(404, "page")]


def test_a_family_already_claimed_shows_its_claim_instead(reviewer, check, client, auth, store):
    pid = check()
    made = client.post(
        "/v1/claims",
        json={
            "progress_id": pid,
            "whole_family_assessment": "2019-04-02",
            "action_plan": "2019-04-10",
            "keyworker": "Sam Keyworker",
        },
        headers=auth("reviewer"),
    )
    assert made.status_code == 201, made.text
    claim = made.get_json()
    r = reviewer.get(f"/progress/{pid}")
    summary = section(r.text, "Summary")
    assert "Make a results claim" not in summary
    day = int(claim["claim_date"][8:])
    assert re.search(rf"A claim was made on {day} \w+ \d{{4}}: see the claim", summary)
    assert f'href="/claims/{claim["id"]}"' in r.text
    listed = [a for a in store.list_audit()[0] if a["action"] == "claim.list"]
    assert listed[0]["detail"] == f"page filters=family_ref returned=1 ids={claim['id']}"

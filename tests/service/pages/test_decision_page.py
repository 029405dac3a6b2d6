"""The decision page: the summary first, a card per headline, what would settle an
undetermined outcome, the facts as received, the chain of decisions, the ruleset, the audit
view folded away and the reviews; audited as the API's read is, for reviewers only."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

FAMILIES = Path(__file__).parents[3] / "fixtures" / "families"
NOT_ELIGIBLE = "one_headline_not_eligible.json"
UNDETERMINED = "sources_police_not_checked_undetermined.json"


def text(page: str) -> str:
    """What a person reads: the page without its tags, spaces collapsed."""
    body = page.split('<main class="govuk-main-wrapper"', 1)[1]
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return re.sub(r" ([.,:;])", r"\1", words)


def section(page: str, heading: str) -> str:
    """The words from an h2 to the next h2."""
    words = text(page)
    start = words.index(heading)
    rest = words[start + len(heading) :]
    nxt = [rest.find(h) for h in H2 if h != heading and rest.find(h) >= 0]
    return (rest[: min(nxt)] if nxt else rest).strip()


H2 = (
    "Summary",
    "Headlines",
    "What would settle it",
    "Facts as received",
    "Decision history",
    "Ruleset",
    "Reviews",
    "Record your verdict",
)


@pytest.fixture
def submit(client, auth):
    """`submit(facts)`: the id of the decision the API made on them."""

    def post(facts: dict) -> str:
        r = client.post("/v1/evaluations", json=facts, headers=auth())
        assert r.status_code == 201, r.text
        return r.get_json()["id"]

    return post


def family(name: str) -> dict:
    return json.loads((FAMILIES / name).read_text())


def test_an_eligible_decision_reads_summary_first_then_cards_facts_and_audit(
    browser, submit, example
):
    decision_id = submit(example)
    r = browser("reviewer").get(f"/decisions/{decision_id}")
    assert r.status_code == 200
    words = text(r.text)
    assert "Family STK-2019-000123" in words
    assert f"Assessed on 31 March 2019 · decision {decision_id}" in words
    summary = section(r.text, "Summary")
    assert summary.startswith("Eligible: family STK-2019-000123, assessed on 31 March 2019.")
    assert "c1 missed 42 of 370 school sessions (11.4%) over spring to autumn 2018" in summary
    assert "also professional judgement by keyworker-17: GP letter on file" in summary
    assert "What is missing" not in summary
    headlines = section(r.text, "Headlines")
    assert "H2 Children not attending school regularly Met" in headlines
    assert "A child persistently absent from school National indicator Met Met by c1." in headlines
    assert "10% or more counts" in headlines
    assert "p1 was recorded with parenting responsibility (this part is met)" in headlines
    assert ">=" not in headlines and "persistent_absence_rate" not in headlines
    assert "What would settle it" not in words
    facts = section(r.text, "Facts as received")
    assert "p1 Adult 2 June 1984 (aged 34) with parenting responsibility" in facts
    assert "c1 Spring 2018 120 18 9 9 1 fixed-term" in facts
    assert "c1 Summer 2018 110 14 8 6 None" in facts
    assert "H6: A member with a mental health problem needing support p1 keyworker-17" in facts
    assert "Domestic abuse call-out 24 December 2018 as a victim" in facts
    assert "Household Rent arrears record 15 January 2019 £640" in facts
    assert "p1 Employment and Support Allowance 9 January 2017 continuing" in facts
    assert "keyworker-17 GP letter on file" in facts
    assert '<pre class="app-trace">' in r.text and "<summary" in r.text
    assert "Full audit view" in words and "[x] absence rate" in html.unescape(r.text)
    assert "<details" in r.text and "<details open" not in r.text
    assert "No one has reviewed this decision yet." in section(r.text, "Reviews")


def test_a_not_eligible_decision_says_what_is_missing(browser, submit):
    r = browser("reviewer").get(f"/decisions/{submit(family(NOT_ELIGIBLE))}")
    summary = section(r.text, "Summary")
    assert summary.startswith("Not eligible:")
    assert "What is missing" in summary and "1 more headline needed." in summary
    assert "H3 Children who need help Met" in section(r.text, "Headlines")
    assert "H1 Crime and anti-social behaviour Not met" in section(r.text, "Headlines")


def test_an_undetermined_decision_says_what_would_settle_it(browser, submit):
    r = browser("reviewer").get(f"/decisions/{submit(family(UNDETERMINED))}")
    assert section(r.text, "Summary").startswith("Undetermined:")
    assert "H1 Crime and anti-social behaviour Unknown" in section(r.text, "Headlines")
    settle = section(r.text, "What would settle it")
    assert "Not checked: police and youth justice." in settle
    assert "Checking police could settle the outcome." in settle
    assert "Checking police and youth justice would settle it for certain." in settle
    sources = section(r.text, "Facts as received")
    assert "Police Not checked" in sources and "Education Checked on 30 March 2019" in sources


def test_a_fact_met_only_by_professional_judgement_is_tagged_so(browser, submit):
    r = browser("reviewer").get(f"/decisions/{submit(family('judgement_adds_headline.json'))}")
    summary = section(r.text, "Summary")
    assert "rofessional judgement for p1 by keyworker-22: Referred to talking therapies" in summary
    assert (
        '<strong class="govuk-tag govuk-tag--grey app-origin">Professional judgement</strong>'
        in r.text
    )
    assert "p1: met (by professional judgement)" in section(r.text, "Headlines")


def test_the_ruleset_links_to_its_page(browser, submit, example):
    r = browser("reviewer").get(f"/decisions/{submit(example)}")
    assert 'href="/rulesets/national/2015.1"' in r.text
    assert "Decided with national@2015.1." in section(r.text, "Ruleset")


def test_a_superseded_decision_shows_the_chain_with_what_changed(client, auth, browser, submit):
    first = submit(family(UNDETERMINED))
    r = client.post(
        f"/v1/decisions/{first}/facts",
        json={"sources_checked": {"police": "2019-03-30", "youth_justice": "2019-03-30"}},
        headers=auth(),
    )
    assert r.status_code == 201, r.text
    second = r.get_json()["id"]
    reviewer = browser("reviewer")
    old = reviewer.get(f"/decisions/{first}")
    history = section(old.text, "Decision history")
    assert history.startswith("This decision: Undetermined")
    assert "Outcome in force: Undetermined before, Not eligible now" in history
    assert f'href="/decisions/{second}"' in old.text
    assert "see the decision that supersedes this one" in text(old.text)
    new = reviewer.get(f"/decisions/{second}")
    assert f'href="/decisions/{first}"' in new.text
    assert f"Decision {first}: Undetermined" in section(new.text, "Decision history")


def test_the_page_is_audited_as_the_api_read_is(browser, submit, store, example):
    decision_id = submit(example)
    browser("reviewer").get(f"/decisions/{decision_id}")
    reads = [a for a in store.list_audit(target=decision_id)[0] if a["action"] == "decision.read"]
    assert [(a["status"], a["detail"]) for a in reads] == [(200, "page")]


def test_a_policy_officer_may_not_see_a_decision(browser, submit, store, example):
    decision_id = submit(example)
    r = browser("policy_officer").get(f"/decisions/{decision_id}")
    assert r.status_code == 403 and "Not allowed for this role" in r.text
    assert not [
        a for a in store.list_audit(target=decision_id)[0] if a["action"] == "decision.read"
    ]


def test_an_unknown_decision_is_the_404_page(browser, store):
    r = browser("admin").get("/decisions/nosuchdecision")
    assert r.status_code == 404 and r.mimetype == "text/html"
    assert "No such decision" in r.text
    [read] = [
        a for a in store.list_audit(target="nosuchdecision")[0] if a["action"] == "decision.read"
    ]
    assert (read["status"], read["detail"]) == (404, "page")


def test_an_older_decision_of_a_family_sent_afresh_says_a_newer_one_exists(
    browser, client, auth, example
):
    """Facts sent afresh (not added to the old decision) make a new chain; the old page must
    not look current, and its verdict form says it changes only this decision."""
    old = client.post("/v1/evaluations", json=example, headers=auth()).get_json()
    new = client.post("/v1/evaluations", json=example, headers=auth()).get_json()
    reviewer = browser("reviewer")
    page = reviewer.get(f"/decisions/{old['id']}").text
    assert "A newer decision for family" in page and f"/decisions/{new['id']}" in page
    assert "does not change the newer one" in page
    latest = reviewer.get(f"/decisions/{new['id']}").text
    assert "A newer decision for family" not in latest
    assert "does not change the newer one" not in latest

"""A reviewer's day in the browser: the work queue, a decision, its audit view, a verdict.

Each test works on families no other test changes (conftest.SEED says which), so they pass
in any order on the one shared server.
"""

from __future__ import annotations

import re

from .conftest import Site
from .helpers import choose, expect, screenshot, section_text, sign_in, tab_until

WHEN = re.compile(
    r"\d{1,2} (January|February|March|April|May|June|July|August|September"
    r"|October|November|December) \d{4}(,| at) \d{2}:\d{2}"
)


def queue_rows(page):
    """The rows of the queue's "Decisions" table."""
    return page.get_by_role("table", name="Decisions").locator("tbody tr")


def test_the_reviewer_signs_in_filters_the_queue_and_opens_a_decision(new_page, site: Site):
    page = new_page()
    sign_in(page, site.keys["reviewer"])
    expect(page).to_have_url(f"{site.base_url}/decisions")
    expect(page.get_by_role("heading", name="Work queue", level=1)).to_be_visible()
    expect(page.get_by_text("Rita Reviewer")).to_be_visible()
    screenshot(page, "02-queue")

    choose(page, "Outcome in force", "Eligible")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"/decisions\?.*outcome=eligible"))
    rows = queue_rows(page)
    shown = rows.count()
    assert shown >= 2
    # Each choice counts what the other filters leave: here, the rows shown.
    counted = page.get_by_text(re.compile(r"^\s*Eligible \(\d+\)")).first.inner_text()
    assert counted.strip() == f"Eligible ({shown})", counted
    expect(page.get_by_text(re.compile(rf"\b{shown} decisions?\b")).first).to_be_visible()
    listed = rows.all_inner_texts()
    assert any("FIX-024" in row for row in listed), listed
    assert not any("FIX-021" in row or "FIX-030" in row for row in listed), listed
    assert all(re.search(r"\bEligible\b", row) for row in listed), listed

    page.get_by_role("link", name="FIX-024", exact=True).click()
    expect(page).to_have_url(
        f"{site.base_url}/decisions/{site.decisions['eligible_untouched']['id']}"
    )
    expect(page.get_by_role("heading", name="Family FIX-024", level=1)).to_be_visible()


def test_the_summary_and_the_full_audit_view(signed_in, site: Site):
    page = signed_in("reviewer")
    decision = site.decisions["eligible_untouched"]
    page.goto(f"/decisions/{decision['id']}")
    summary = section_text(page, "Summary")
    assert re.search(r"\bEligible\b", summary), summary
    assert "H5 Domestic violence and abuse" in summary, summary
    assert "p1" in summary and "domestic abuse" in summary, summary  # a fact, in a sentence
    expect(page.get_by_role("heading", name="Headlines", level=2)).to_be_visible()
    screenshot(page, "03-decision-summary")

    trace = page.locator("pre.app-trace")
    expect(trace).to_be_hidden()  # folded until asked for
    page.get_by_text("Full audit view", exact=True).click()
    expect(page.locator("details:has(pre.app-trace)")).to_have_attribute("open", "")
    expect(trace).to_be_visible()
    expect(trace).to_contain_text("Family FIX-024, assessed on 2019-03-31: ELIGIBLE")
    expect(trace).to_contain_text("H5")
    screenshot(page, "04-decision-audit-view", at=page.get_by_text("Full audit view", exact=True))


def test_an_override_with_a_reason_is_recorded_and_shown(signed_in, site: Site):
    page = signed_in("reviewer")
    decision = site.decisions["eligible"]  # FIX-022, eligible by the rules
    page.goto(f"/decisions/{decision['id']}")
    record = page.get_by_role("button", name="Record verdict")

    # Refused first: nothing chosen, nothing written.
    with page.expect_response(lambda r: r.request.method == "POST") as refused:
        record.click()
    assert refused.value.status == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There is a problem")
    expect(alert.get_by_role("link")).not_to_have_count(0)
    screenshot(page, "05-verdict-errors", at=alert)

    page.get_by_role("group", name="Your verdict").get_by_label("Override it").check()
    page.get_by_role("group", name="Outcome to put in force").get_by_label(
        "Not eligible", exact=True
    ).check()
    page.get_by_label("Reason").fill("The school confirmed the absences were authorised")
    record.click()
    expect(page).to_have_url(f"{site.base_url}/decisions/{decision['id']}")
    expect(page.get_by_text("Your verdict has been recorded")).to_be_visible()
    reviews = section_text(page, "Reviews")
    assert "Rita Reviewer" in reviews, reviews
    assert "The school confirmed the absences were authorised" in reviews, reviews
    assert WHEN.search(reviews), reviews
    assert re.search(r"not eligible", reviews, re.I), reviews
    assert site.keys["reviewer"] not in page.content()
    screenshot(page, "06-review-recorded", at=page.get_by_role("heading", name="Reviews"))

    page.goto("/decisions?family_ref=FIX-022")
    listed = queue_rows(page).all_inner_texts()
    assert len(listed) == 1 and "FIX-022" in listed[0], listed
    assert "Overridden" in listed[0] and re.search(r"\bNot eligible\b", listed[0]), listed
    assert site.api("GET", f"/v1/decisions/{decision['id']}", "reviewer")["status"] == "eligible"


def test_the_verdict_form_by_keyboard_alone(signed_in, site: Site):
    page = signed_in("reviewer")
    decision = site.decisions["eligible_keyboard"]
    page.goto(f"/decisions/{decision['id']}")
    page.keyboard.press("Tab")  # the first stop is the skip link
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main-content$"))
    verdict = page.get_by_role("group", name="Your verdict")
    tab_until(page, verdict.get_by_label("Confirm the automated decision"))
    page.keyboard.press("Space")
    expect(verdict.get_by_label("Confirm the automated decision")).to_be_checked()
    tab_until(page, page.get_by_label("Reason"))
    page.keyboard.type("Checked with the keyworker by telephone")
    tab_until(page, page.get_by_role("button", name="Record verdict"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your verdict has been recorded")).to_be_visible()
    reviews = section_text(page, "Reviews")
    assert "Checked with the keyworker by telephone" in reviews and "Rita Reviewer" in reviews
    stored = site.api("GET", f"/v1/decisions/{decision['id']}", "reviewer")
    assert stored["review_status"] == "confirmed"


def test_a_verdict_without_its_csrf_token_is_refused_and_saves_nothing(signed_in, site: Site):
    page = signed_in("reviewer")
    decision = site.decisions["eligible_untouched"]
    path = f"/decisions/{decision['id']}"
    page.goto(path)
    before = section_text(page, "Reviews")

    # The form in the page, its hidden token taken out, submitted by a person.
    removed = page.evaluate(
        """() => { const inputs = document.querySelectorAll(
                'form[action$="/reviews"] input[name="csrf_token"]');
            inputs.forEach(i => i.remove()); return inputs.length; }"""
    )
    assert removed == 1
    page.get_by_role("group", name="Your verdict").get_by_label(
        "Confirm the automated decision"
    ).check()
    page.get_by_label("Reason").fill("Posted without a token")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Record verdict").click()
    assert posted.value.status == 400

    # The same POST from outside the form, with the session's cookie and no token.
    r = page.request.post(
        f"{path}/reviews", form={"verdict": "confirm", "reason": "Also without a token"}
    )
    assert r.status == 400

    page.goto(path)
    assert section_text(page, "Reviews") == before
    assert "without a token" not in page.content()
    stored = site.api("GET", f"/v1/decisions/{decision['id']}", "reviewer")
    assert stored["reviews"] == [] and stored["review_status"] == "unreviewed"


def test_an_undetermined_decision_says_what_would_settle_it(signed_in, site: Site):
    page = signed_in("reviewer")
    page.goto(f"/decisions/{site.decisions['undetermined']['id']}")
    expect(page.get_by_role("heading", name="Family FIX-030", level=1)).to_be_visible()
    summary = section_text(page, "Summary")
    assert re.search(r"undetermined", summary, re.I), summary
    settle = section_text(page, "What would settle it")
    assert re.search(r"police", settle, re.I), settle


def test_a_superseded_decision_links_to_the_one_after_it(signed_in, site: Site):
    page = signed_in("reviewer")
    first, later = site.decisions["superseded"], site.decisions["superseding"]
    page.goto(f"/decisions/{first['id']}")
    history = page.locator(f'a[href="/decisions/{later["id"]}"]')
    expect(history.first).to_be_visible()
    history.first.click()
    expect(page).to_have_url(f"{site.base_url}/decisions/{later['id']}")
    expect(page.get_by_role("heading", name="Family FIX-036", level=1)).to_be_visible()

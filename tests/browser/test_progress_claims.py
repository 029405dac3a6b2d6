"""A reviewer's results work in the browser: read a progress check, confirm it, and make the
results claim it allows, then find the claim in the list (no curl)."""

from __future__ import annotations

import re

from .conftest import Site
from .helpers import expect, screenshot, section_text


def test_confirm_a_progress_check_and_make_its_claim(signed_in, site: Site):
    page = signed_in("reviewer")
    check = site.decisions["progress"]
    entry = site.decisions["progress_entry"]
    page.goto(f"/decisions/{entry['id']}")
    page.get_by_role("link", name=re.compile("See the progress check")).first.click()
    expect(page).to_have_url(f"{site.base_url}/progress/{check['id']}")
    summary = section_text(page, "Summary")
    assert summary.startswith("Qualifies for a results claim"), summary
    screenshot(page, "11-progress-check")

    page.get_by_role("group", name="Your verdict").get_by_label(
        "Confirm the automated decision"
    ).check()
    page.get_by_label("Reason").fill("Attendance confirmed with the school")
    page.get_by_role("button", name="Record verdict").click()
    expect(page.get_by_text("Your verdict has been recorded")).to_be_visible()
    assert "Rita Reviewer" in section_text(page, "Reviews")

    page.get_by_role("button", name="Make a results claim").click()
    expect(page.get_by_role("heading", name="Make a results claim", level=1)).to_be_visible()
    page.get_by_label("Date of the whole family assessment").fill("2019-04-02")
    page.get_by_label("Date of the family action plan").fill("2019-04-10")
    page.get_by_label("Keyworker").fill("Sam Keyworker")
    page.get_by_role("button", name="Make claim").click()
    expect(page.get_by_text("The claim has been made")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("STK-BROWSER-PROGRESS")
    screenshot(page, "12-results-claim")

    page.goto("/claims?family_ref=STK-BROWSER-PROGRESS")
    table = page.get_by_role("table", name="Claims")
    expect(table).to_contain_text("STK-BROWSER-PROGRESS")
    expect(table).to_contain_text("Rita Reviewer")

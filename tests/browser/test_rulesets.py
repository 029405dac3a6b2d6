"""A policy officer in the browser: the rulesets, one version in words, a diff, an impact run."""

from __future__ import annotations

import re

from .conftest import Site
from .helpers import choose, expect, screenshot, wait_until

JOB_URL = re.compile(r"/jobs/[^/?#]+$")


def test_a_policy_officer_reads_the_rulesets_compares_and_runs_an_impact(signed_in, site: Site):
    page = signed_in("policy_officer")
    page.goto("/rulesets")
    expect(page.get_by_role("heading", name="Rulesets", level=1)).to_be_visible()
    versions = page.get_by_role("table", name="Versions")
    expect(versions).to_contain_text("national")
    expect(versions).to_contain_text("Published")
    screenshot(page, "07-rulesets")

    versions.locator('a[href="/rulesets/national/2015.1"]').first.click()
    expect(page).to_have_url(f"{site.base_url}/rulesets/national/2015.1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("2015.1")
    expect(page.get_by_role("heading", name="Headlines", level=2)).to_be_visible()
    expect(page.get_by_role("heading", name="Parameters", level=2)).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("Children not attending school regularly")  # a headline
    # a condition in words, never the engine's comparators
    expect(main).to_contain_text("at least 1 proven offence in the last 12 months")
    parameters = page.get_by_role("table").filter(has_text="persistent absence rate")
    expect(parameters).to_contain_text("10%")  # its value, with its source and review date
    expect(parameters).to_contain_text("DfE persistent absence threshold")
    screenshot(page, "08-ruleset-version")

    page.goto("/rulesets/national/diff")
    choose(page, "From version", "2015.1")
    choose(page, "To version", "2017.1")
    page.get_by_role("button", name="Compare").click()
    expect(page).to_have_url(re.compile(r"/rulesets/national/diff\?.*from=2015\.1.*to=2017\.1"))
    expect(page.get_by_text("No differences")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("lowered from 3 to 2")  # fixed-term exclusions
    assert page.locator("main h2").count() >= 1
    screenshot(page, "09-ruleset-diff")

    page.get_by_role("button", name="Run impact analysis").click()
    expect(page).to_have_url(JOB_URL)
    expect(page.get_by_role("heading", name="Impact analysis", level=1)).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("2015.1")
    expect(main).to_contain_text("2017.1")

    def done() -> bool:
        if re.search(r"\bDone\b", main.inner_text()):
            return True
        assert not re.search(r"\bFailed\b", main.inner_text()), main.inner_text()
        page.get_by_role("link", name="Refresh").click()  # no script: a person reloads
        page.wait_for_load_state()
        return False

    wait_until(done, "the impact job done")
    expect(page.get_by_role("table").first).to_be_visible()
    assert "FIX-0" not in main.inner_text()  # family refs are for reviewers only
    screenshot(page, "10-impact-job")

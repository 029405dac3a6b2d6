"""axe-core on every page, as a person reaches it: no serious or critical violation.

axe is injected with `page.evaluate`, never a script tag, so the pages' Content-Security-
Policy stays in force while it runs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .conftest import Site
from .helpers import check_accessibility, choose, expect, wait_until


def sign_in_page(page, site: Site) -> None:
    page.goto("/sign-in")


def sign_in_errors(page, site: Site) -> None:
    page.goto("/sign-in")
    page.get_by_label("API key").fill("tfp_not_a_key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()


def queue_filtered(page, site: Site) -> None:
    page.goto("/decisions")
    choose(page, "Outcome in force", "Eligible")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("table", name="Decisions")).to_be_visible()


def queue_bad_filter(page, site: Site) -> None:
    page.goto("/decisions?assessed_from=2019-02-30")
    expect(page.get_by_role("alert")).to_be_visible()


def decision(use: str) -> Callable:
    def open_decision(page, site: Site) -> None:
        page.goto(f"/decisions/{site.decisions[use]['id']}")
        page.get_by_text("Full audit view", exact=True).click()  # the folded part too

    return open_decision


def verdict_errors(page, site: Site) -> None:
    page.goto(f"/decisions/{site.decisions['not_eligible']['id']}")
    page.get_by_role("group", name="Your verdict").get_by_label("Override it").check()
    page.get_by_role("button", name="Record verdict").click()
    expect(page.get_by_role("alert")).to_be_visible()


def rulesets(page, site: Site) -> None:
    page.goto("/rulesets")


def version(page, site: Site) -> None:
    page.goto("/rulesets/national/2017.1")


def diff(page, site: Site) -> None:
    page.goto("/rulesets/national/diff?from=2015.1&to=2017.1")


def diff_bad_version(page, site: Site) -> None:
    page.goto("/rulesets/national/diff?from=2015.1&to=1999.9")


def impact_job(page, site: Site) -> None:
    job = site.api(
        "POST", "/v1/rulesets/national/impact", "policy_officer", {"from": "2015.1", "to": "2017.1"}
    )

    def finished() -> bool:
        status = site.api("GET", f"/v1/jobs/{job['id']}", "policy_officer")["status"]
        return status in ("done", "failed")

    wait_until(finished, "the impact job finished")
    page.goto(f"/jobs/{job['id']}")
    expect(page.get_by_role("heading", name="Impact analysis", level=1)).to_be_visible()


def progress_check(page, site: Site) -> None:
    page.goto(f"/progress/{site.decisions['claimed']['id']}")
    page.get_by_text("Full audit view", exact=True).click()


def claim_form_errors(page, site: Site) -> None:
    page.goto(f"/progress/{site.decisions['claimed']['id']}/claim")
    page.get_by_role("button", name="Make claim").click()
    expect(page.get_by_role("alert")).to_be_visible()


def claims(page, site: Site) -> None:
    page.goto("/claims")
    expect(page.get_by_role("table", name="Claims")).to_be_visible()


def claim_page(page, site: Site) -> None:
    page.goto(f"/claims/{site.decisions['claim']['id']}")


def not_found(page, site: Site) -> None:
    answer = page.goto("/decisions/no-such-decision")
    assert answer is not None and answer.status == 404


def forbidden(page, site: Site) -> None:
    answer = page.goto("/decisions")  # a policy officer's key: not for the work queue
    assert answer is not None and answer.status == 403


PAGES = [
    ("sign-in", None, sign_in_page),
    ("sign-in with errors", None, sign_in_errors),
    ("work queue, filtered", "reviewer", queue_filtered),
    ("work queue, bad filter", "reviewer", queue_bad_filter),
    ("decision, eligible", "reviewer", decision("eligible_untouched")),
    ("decision, not eligible", "reviewer", decision("not_eligible")),
    ("decision, undetermined", "reviewer", decision("undetermined")),
    ("decision, superseded", "reviewer", decision("superseded")),
    ("verdict form with errors", "reviewer", verdict_errors),
    ("rulesets", "policy_officer", rulesets),
    ("ruleset version", "policy_officer", version),
    ("ruleset diff", "policy_officer", diff),
    ("ruleset diff, bad version", "policy_officer", diff_bad_version),
    ("impact job", "policy_officer", impact_job),
    ("progress check", "reviewer", progress_check),
    ("claim form with errors", "reviewer", claim_form_errors),
    ("claims", "reviewer", claims),
    ("claim, with the withdraw form", "admin", claim_page),
    ("error page 404", "reviewer", not_found),
    ("error page 403", "policy_officer", forbidden),
]


@pytest.mark.parametrize(("what", "role", "reach"), PAGES, ids=[p[0] for p in PAGES])
def test_no_serious_accessibility_violation(what, role, reach, new_page, signed_in, site):
    page = new_page() if role is None else signed_in(role)
    reach(page, site)
    page.wait_for_load_state()
    check_accessibility(page, what)


def test_the_check_finds_a_violation_under_the_pages_csp(new_page):
    """axe really runs in the page (the CSP does not stop it): a field without a label fails."""
    page = new_page()
    answer = page.goto("/sign-in")
    assert answer is not None and "script-src" in answer.headers["content-security-policy"]
    blocked = page.evaluate(
        """() => { const s = document.createElement('script');
            s.textContent = 'window.inlineRan = true'; document.head.append(s);
            return window.inlineRan === undefined; }"""
    )
    assert blocked, "an inline script ran: the page's CSP is not in force"
    page.evaluate(
        """() => { const input = document.createElement('input');
            input.id = 'unlabelled'; document.querySelector('main').append(input); }"""
    )
    with pytest.raises(AssertionError, match=r"critical label: .*\n\s+#unlabelled"):
        check_accessibility(page, "a broken sign-in page")

"""Impact analysis from the pages: started from the diff page as the API starts it, read
on its job page, with family refs only for those who may read decisions, audited as the
API; one job at a time; a job that failed says why."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path

import pytest

from service import create_app, jobs
from tfp_rules.policy.impact import ChangedFamily, ImpactReport, Version
from tfp_rules.store import Store

from ...published import publish_all
from .test_ruleset_pages import text

ROOT = Path(__file__).parent.parent.parent.parent
FIXTURES = ROOT / "fixtures" / "families"
DIFF = "/rulesets/national/diff?from=2015.1&to=2017.1"
START = "/rulesets/national/impact"
VERSIONS = {"from": "2015.1", "to": "2017.1"}


@pytest.fixture
def stored(client, auth) -> dict[str, str]:
    """Decisions of three families: family ref -> decision id."""
    made = {}
    for name in (
        "h2_fixed_term_exclusions_3_vs_2.json",
        "two_headlines_eligible.json",
        "h3_cpp_ended_11_vs_13_months_ago.json",
    ):
        facts = json.loads((FIXTURES / name).read_text())
        r = client.post("/v1/evaluations?ruleset=national@2015.1", json=facts, headers=auth())
        assert r.status_code == 201, r.get_data(as_text=True)
        made[facts["family_ref"]] = r.get_json()["id"]
    return made


def start(post_form, person, data=VERSIONS):
    """Press "Run impact analysis" on the diff page."""
    return post_form(person, DIFF, START, data)


def finished(app, person, location: str) -> str:
    """The job page once the job has run (the runner's thread joined, as the API tests do)."""
    app.extensions["tfp.jobs"].join(timeout=60)
    r = person.get(location)
    assert r.status_code == 200, r.text[:500]
    return r.text


def test_a_policy_officer_starts_an_analysis_and_reads_its_counts_without_families(
    app, browser, post_form, stored
):
    officer = browser("policy_officer")
    r = start(post_form, officer)
    assert r.status_code == 303
    location = r.headers["Location"]
    assert re.fullmatch(r"/jobs/[0-9a-f-]+", location)
    html = finished(app, officer, location)
    page = text(html)
    assert "Impact analysis" in page
    assert "national@2015.1" in page and "national@2017.1" in page
    assert "Done" in page and "Refresh" not in page
    assert "Outcome moves" in page and "From outcome" in page
    assert re.search(r"Families\s+3\b", page)
    assert "H2.fixed_term_exclusions" in page  # the indicator FIX-004's third exclusion moves
    assert "FIX-" not in html and "/decisions/" not in html  # no family refs for this role
    job_id = location.rsplit("/", 1)[1]
    with Store(app.config["DATABASE"]) as store:
        [run], _ = store.list_audit(action="impact.run")
        reads, _ = store.list_audit(action="job.read")
    assert (run["target"], run["status"]) == (job_id, 202)
    assert "national@2015.1 -> national@2017.1" in run["detail"]
    assert [(row["target"], row["status"]) for row in reads] == [(job_id, 200)]


class TestWithEveryVersionPublished:
    """With 2017.1 published too, a reviewer may compare the two, and sees the families."""

    @pytest.fixture
    def app(self, tmp_path):
        rulesets = publish_all(shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets"))
        return create_app(
            {"DATABASE": str(tmp_path / "tfp.sqlite"), "TESTING": True, "RULESETS": str(rulesets)}
        )

    def test_a_reviewer_may_analyse_published_versions(self, app, browser, post_form, stored):
        reviewer = browser("reviewer")
        r = start(post_form, reviewer)
        assert r.status_code == 303
        page = text(finished(app, reviewer, r.headers["Location"]))
        assert "Done" in page and "Families that change outcome" in page


def _finished_job(store, keys, role: str) -> str:
    """A done job of `role`'s, whose report names one family that changes outcome."""
    key = store.authenticate(keys[role])
    job = store.create_job(
        "impact",
        {"ruleset": "national", "from": "national@2015.1", "to": "national@2017.1"},
        requested_by=key.client_id,
    )
    store.start_job(job.id, runner="test", total=1)
    report = ImpactReport(
        Version("national@2015.1", "a" * 64, "published"),
        Version("national@2017.1", "b" * 64, "draft"),
        families=1,
        evaluated=1,
        statuses={"not_eligible": {"eligible": 1}},
        changed=[ChangedFamily("decision d-1", "FAM-17", "d-1", "not_eligible", "eligible")],
    )
    store.finish_job(
        job.id, done=1, result=report.to_dict(families=False), personal=report.families_dict()
    )
    return job.id


@pytest.mark.parametrize(("role", "sees_families"), [("policy_officer", False), ("reviewer", True)])
def test_family_refs_and_links_to_decisions_only_for_those_who_read_decisions(
    browser, store, keys, role, sees_families
):
    job_id = _finished_job(store, keys, role)
    html = browser(role).get(f"/jobs/{job_id}").text
    row = text(re.search(r"(?s)Outcome moves.*?</table>", html).group(0))
    assert "Not eligible" in row and "Eligible" in row and "1" in row
    assert ("FAM-17" in html) is sees_families
    assert ('href="/decisions/d-1"' in html) is sees_families


def test_a_reviewer_may_not_analyse_a_draft(browser, post_form, stored):
    reviewer = browser("reviewer")
    r = post_form(reviewer, "/rulesets/national/diff", START, VERSIONS)
    assert r.status_code == 404
    assert "There is a problem" in r.text and "national has no version 2017.1" in text(r.text)


def test_an_analysis_without_its_csrf_token_is_refused(browser, app):
    r = browser("policy_officer").post(START, data=VERSIONS)
    assert r.status_code == 400 and "Nothing was saved" in r.text
    with Store(app.config["DATABASE"]) as store:
        assert store.list_audit(action="impact.run")[0] == []


def test_while_one_analysis_runs_another_is_refused_with_a_link_to_it(
    app, browser, post_form, monkeypatch
):
    release = threading.Event()
    monkeypatch.setattr(jobs, "run_job", lambda *args: release.wait(30))
    officer = browser("policy_officer")
    try:
        first = start(post_form, officer)
        assert first.status_code == 303
        running = officer.get(first.headers["Location"])
        assert "Queued" in text(running.text) and "Refresh" in running.text
        again = start(post_form, officer)
        assert again.status_code == 409
        assert "An impact analysis is already running" in text(again.text)
        assert f'href="{first.headers["Location"]}"' in again.text
        assert "Compare" in again.text  # the diff page, to try again from
        other = start(post_form, browser("admin"))
        assert other.status_code == 409
    finally:
        release.set()
        app.extensions["tfp.jobs"].join(timeout=30)


def test_a_failed_job_says_why(app, browser, keys, store):
    officer = browser("policy_officer")
    key = store.authenticate(keys["policy_officer"])
    job = store.create_job(
        "impact",
        {"ruleset": "national", "from": "national@2015.1", "to": "national@2017.1"},
        requested_by=key.client_id,
    )
    store.start_job(job.id, runner="test", total=3)
    store.fail_job(job.id, "RulesetChangedError: national@2017.1 changed on disk")
    page = text(officer.get(f"/jobs/{job.id}").text)
    assert "Failed" in page and "national@2017.1 changed on disk" in page


def test_another_persons_job_or_none_is_not_found(app, browser, post_form, stored):
    officer = browser("policy_officer")
    location = start(post_form, officer).headers["Location"]
    app.extensions["tfp.jobs"].join(timeout=60)
    assert browser("reviewer").get(location).status_code == 404
    assert browser("admin").get(location).status_code == 200
    r = officer.get("/jobs/no-such-job")
    assert r.status_code == 404 and "No such job" in r.text

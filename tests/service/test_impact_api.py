"""Impact analysis through the API: a background job with a status URL, who may start and
read it, what each role sees of the families, and a job whose runner died."""

from __future__ import annotations

import copy
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service import create_app
from tfp_rules.store import Store

from ..published import publish_all

ROOT = Path(__file__).parent.parent.parent
FIXTURES = ROOT / "fixtures" / "families"
BODY = {"from": "2015.1", "to": "2017.1"}
URL = "/v1/rulesets/national/impact"


@pytest.fixture
def stored(client, auth) -> dict[str, str]:
    """Decisions of three families, one of them twice (facts added later): family ref ->
    the id of its latest decision."""
    latest = {}
    for name in (
        "h2_fixed_term_exclusions_3_vs_2.json",
        "two_headlines_eligible.json",
        "h3_cpp_ended_11_vs_13_months_ago.json",
    ):
        facts = json.loads((FIXTURES / name).read_text())
        made = client.post("/v1/evaluations?ruleset=national@2015.1", json=facts, headers=auth())
        assert made.status_code == 201, made.get_data(as_text=True)
        latest[facts["family_ref"]] = made.get_json()["id"]
    first = latest["FIX-004"]
    added = client.post(
        f"/v1/decisions/{first}/facts",
        json={"sources_checked": {"police": "2019-03-30"}},
        headers=auth(),
    )
    assert added.status_code == 201, added.get_data(as_text=True)
    latest["FIX-004"] = added.get_json()["id"]
    return latest


def _finished(app, client, auth, location: str, role: str) -> dict:
    app.extensions["tfp.jobs"].join(timeout=60)
    polled = client.get(location, headers=auth(role))
    assert polled.status_code == 200, polled.get_data(as_text=True)
    return polled.get_json()


class TestWithEveryVersionPublished:
    """On a copy of the rulesets with 2017.1 published too, so a reviewer (who is not shown
    drafts) may compare the two as well."""

    @pytest.fixture
    def app(self, tmp_path):
        rulesets = publish_all(shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets"))
        return create_app(
            {"DATABASE": str(tmp_path / "tfp.sqlite"), "TESTING": True, "RULESETS": str(rulesets)}
        )

    @pytest.mark.parametrize(
        ("role", "sees_families"), [("policy_officer", False), ("reviewer", True), ("admin", True)]
    )
    def test_a_job_is_accepted_polled_to_done_and_shows_families_only_to_readers_of_decisions(
        self, app, client, auth, stored, role, sees_families
    ):
        started = client.post(URL, json=BODY, headers=auth(role))
        assert started.status_code == 202, started.get_data(as_text=True)
        job = started.get_json()
        assert started.headers["Location"] == f"/v1/jobs/{job['id']}"
        assert job["status"] in ("queued", "running", "done")
        assert job["parameters"] == {
            "ruleset": "national",
            "from": "national@2015.1",
            "to": "national@2017.1",
        }

        done = _finished(app, client, auth, started.headers["Location"], role)
        assert done["status"] == "done"
        assert done["progress"] == {"done": 3, "total": 3}  # the superseded decision is history
        assert done["started_at"] <= done["finished_at"]
        report = done["report"]
        assert report["families"] == report["evaluated"] == 3
        assert (
            report["from"]["ref"] == "national@2015.1" and report["to"]["ref"] == "national@2017.1"
        )
        # FIX-004's third fixed-term exclusion: 2017.1 needs only 2 (an indicator moves)
        assert {"id": "H2.fixed_term_exclusions", "from": "not_met", "to": "met"} | {
            "families": 1,
            "subjects": 1,
        } in report["indicators"]
        assert ("changed_families" in report) is sees_families
        assert ("invalid_families" in report) is sees_families
        if sees_families:
            refs = {c["family_ref"]: c["decision_id"] for c in report["changed_families"]}
            assert all(stored[ref] == decision for ref, decision in refs.items())
        else:
            assert "FIX-" not in json.dumps(done)
        with Store(app.config["DATABASE"]) as store:
            [started_row], _ = store.list_audit(action="impact.run")
            reads, _ = store.list_audit(action="job.read")
        assert (started_row["target"], started_row["status"]) == (job["id"], 202)
        assert started_row["detail"] == "national@2015.1 -> national@2017.1"
        assert reads and {r["target"] for r in reads} == {job["id"]}


def test_a_policy_officer_may_compare_drafts_a_reviewer_only_published_versions(app, client, auth):
    officer = client.post(URL, json=BODY, headers=auth("policy_officer"))
    assert officer.status_code == 202
    done = _finished(app, client, auth, officer.headers["Location"], "policy_officer")
    assert done["report"]["to"]["status"] == "draft"
    reviewer = client.post(URL, json=BODY, headers=auth("reviewer"))
    assert reviewer.status_code == 422
    problem = reviewer.get_json()
    assert problem["type"].endswith("/unknown-ruleset")
    assert "national@2017.1" not in problem["available"]


@pytest.mark.parametrize(
    ("url", "body", "role", "status", "slug"),
    [
        (URL, BODY, "submitter", 403, "forbidden"),
        ("/v1/rulesets/nowhere/impact", BODY, "policy_officer", 404, "not-found"),
        (URL, {"from": "2015.1", "to": "1999.1"}, "policy_officer", 422, "unknown-ruleset"),
        (URL, {"from": "2015.1"}, "policy_officer", 422, "invalid-impact"),
        (URL, {**BODY, "extra": 1}, "policy_officer", 422, "invalid-impact"),
        (URL + "?x=1", BODY, "policy_officer", 400, "invalid-query"),
    ],
)
def test_every_refusal_is_a_precise_problem(client, auth, url, body, role, status, slug):
    refused = client.post(url, json=body, headers=auth(role))
    assert refused.status_code == status, refused.get_data(as_text=True)
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"].endswith(f"/{slug}")


def test_only_the_caller_who_started_a_job_or_an_admin_may_read_it(
    app, client, auth, store, stored
):
    started = client.post(URL, json=BODY, headers=auth("policy_officer"))
    location = started.headers["Location"]
    app.extensions["tfp.jobs"].join(timeout=60)
    other_officer = store.create_key("policy_officer", "another officer")[1]
    for headers in (auth("reviewer"), {"Authorization": f"Bearer {other_officer}"}):
        assert client.get(location, headers=headers).status_code == 404
    assert client.get(location, headers=auth("submitter")).status_code == 403
    assert client.get(location, headers=auth("admin")).status_code == 200
    assert client.get("/v1/jobs/nope", headers=auth("admin")).status_code == 404


def test_one_impact_job_at_a_time_per_process(app, client, auth, stored, monkeypatch):
    import threading

    from service import jobs

    release = threading.Event()
    real = jobs.run_job

    def slow(*args):
        release.wait(30)
        real(*args)

    monkeypatch.setattr(jobs, "run_job", slow)
    first = client.post(URL, json=BODY, headers=auth("policy_officer"))
    assert first.status_code == 202
    second = client.post(URL, json=BODY, headers=auth("admin"))
    assert second.status_code == 409
    assert second.get_json()["type"].endswith("/job-running")
    assert int(second.headers["Retry-After"]) >= 1
    release.set()
    done = _finished(app, client, auth, first.headers["Location"], "policy_officer")
    assert done["status"] == "done"
    assert client.post(URL, json=BODY, headers=auth("policy_officer")).status_code == 202


def test_a_job_whose_runner_died_is_reported_failed(app, client, auth, keys, store):
    officer = store.authenticate(keys["policy_officer"])
    ten_minutes_ago = datetime.now(UTC) - timedelta(minutes=10)
    with Store(app.config["DATABASE"], clock=lambda: ten_minutes_ago) as then:
        job = then.create_job(
            "impact",
            {"ruleset": "national", "from": "national@2015.1", "to": "national@2017.1"},
            requested_by=officer.client_id,
        )
        then.start_job(job.id, runner="a process that was killed", total=100)
        then.job_progress(job.id, 40)
    polled = client.get(f"/v1/jobs/{job.id}", headers=auth("policy_officer"))
    body = polled.get_json()
    assert body["status"] == "failed"
    assert body["progress"] == {"done": 40, "total": 100}
    assert "has not reported since" in body["error"] and "start it again" in body["error"]
    assert body["finished_at"] > body["heartbeat_at"]


def test_a_failing_job_says_why(app, client, auth, stored, monkeypatch):
    from service import jobs

    def broken(*args, **kwargs):
        raise RuntimeError("with some family's facts in its message")

    monkeypatch.setattr(jobs, "run_impact", broken)
    started = client.post(URL, json=BODY, headers=auth("admin"))
    done = _finished(app, client, auth, started.headers["Location"], "admin")
    assert done["status"] == "failed"
    assert done["error"].startswith("internal error: incident ")
    assert "facts" not in done["error"]  # an unexpected error's message is not shown


def test_erasing_a_jobs_families_keeps_its_counts(app, client, auth, store, stored):
    started = client.post(URL, json=BODY, headers=auth("admin"))
    before = _finished(app, client, auth, started.headers["Location"], "admin")
    store.clear_job_personal(before["id"])
    after = client.get(started.headers["Location"], headers=auth("admin")).get_json()
    assert "changed_families" not in after["report"] and "families_cleared_at" in after["report"]
    counts = copy.deepcopy(before["report"])
    del counts["changed_families"], counts["invalid_families"]
    assert {k: v for k, v in after["report"].items() if k != "families_cleared_at"} == counts

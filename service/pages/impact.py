"""Impact analysis from the diff page: the form starts the same background job as
`POST /v1/rulesets/{id}/impact` (`service/jobs.py`'s runner and job), and the job's page
reports its progress and, once done, its counts and moves.

Who sees what is the API's: the starter reads their own jobs (an admin, any), family refs
and links to decisions only for roles that may read decisions (`jobs.job_view`), and a
reviewer compares published versions only. Audited as the API: `impact.run`, `job.read`.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, redirect, render_template, url_for

from tfp_rules.policy.impact import RESULT_WORDS, STATUS_WORDS
from tfp_rules.store import NotFoundError
from tfp_rules.summary import human_when

from .. import jobs, rejections
from ..audit import record
from ..auth import actor, requires
from ..db import get_store
from ..problems import Problem
from .blueprint import bp
from .ruleset_diff import CompareForm, ImpactForm, choose, compare_page, versions_of

JOB_STATUS_WORDS = {"queued": "Queued", "running": "Running", "done": "Done", "failed": "Failed"}


def _may_read(requested_by: str) -> bool:
    me = actor()
    return me.role == "admin" or requested_by == me.client_id


def _running() -> dict[str, Any]:
    """The job already running, linked only for someone who may read it."""
    job_id = current_app.extensions["tfp.jobs"].job_id
    try:
        job = get_store().get_job(job_id) if job_id else None
    except NotFoundError:
        job = None
    url = url_for("pages.job", job_id=job.id) if job and _may_read(job.requested_by) else None
    return {"url": url}


@bp.post("/rulesets/<ruleset_id>/impact")
@requires(*jobs.STARTS_IMPACT)
def ruleset_impact(ruleset_id: str) -> Response | tuple[str, int]:
    """Start an impact analysis of the two versions, and go to its job page (303)."""
    versions = versions_of(ruleset_id)
    posted = ImpactForm()
    # errors are shown on the diff page's selects, which the person can change
    form = CompareForm(
        formdata=None, meta={"csrf": False}, data={"from_": posted.from_.data, "to": posted.to.data}
    )
    status, (old, new) = choose([(form.from_, "from"), (form.to, "with")], versions)
    if status != 200:
        rejections.record_rejection(
            Problem(status, "invalid-impact", "The impact request is not valid")
        )
        return compare_page(ruleset_id, form, status=status)
    parameters = {"ruleset": ruleset_id, "from": old.ref, "to": new.ref}
    try:
        job = jobs.launch_impact(parameters)
    except Problem as problem:
        if problem.slug != "job-running":
            raise
        rejections.record_rejection(problem)
        return compare_page(ruleset_id, form, status=409, chosen=(old, new), running=_running())
    record("impact.run", 202, target=job.id, detail=f"page {old.ref} -> {new.ref}")
    return redirect(url_for("pages.job", job_id=job.id), 303)


def _decision_link(decision_id: str | None) -> str | None:
    """The decision page, by its endpoint once it exists, else by its path."""
    if not decision_id:
        return None
    if "pages.decision" in current_app.view_functions:
        return url_for("pages.decision", decision_id=decision_id)
    return f"/decisions/{decision_id}"


def _indicator_names(view: dict[str, Any]) -> dict[str, str]:
    """Indicator id -> name, from both versions compared (the newer's name wins)."""
    library = current_app.extensions["tfp.library"].current()
    names: dict[str, str] = {}
    for ref in (view["parameters"].get("from"), view["parameters"].get("to")):
        rs = library.get(ref) if ref else None
        for h in rs.headlines if rs else ():
            names.update({i.id: i.name for i in h.indicators})
    return names


def _report(report: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
    """The report in words: outcome moves, headline and indicator moves, families."""

    def status(s: str) -> str:
        return STATUS_WORDS.get(s, s).capitalize()

    def result(s: str) -> str:
        return RESULT_WORDS.get(s, s).capitalize()

    rows = report.get("statuses", [])
    return {
        **report,
        "moves": [
            {"from": status(r["from"]), "to": status(r["to"]), "families": r["families"]}
            for r in rows
            if r["from"] != r["to"]
        ],
        "kept": [
            {"status": status(r["from"]), "families": r["families"]}
            for r in rows
            if r["from"] == r["to"]
        ],
        "headline_moves": [
            {**m, "from": result(m["from"]), "to": result(m["to"])}
            for m in report.get("headlines", [])
        ],
        "indicator_moves": [
            {
                **m,
                "name": (names or {}).get(m["id"], m["id"]),
                "from": result(m["from"]),
                "to": result(m["to"]),
            }
            for m in report.get("indicators", [])
        ],
        "changed": [
            {
                **c,
                "from": status(c["from"]),
                "to": status(c["to"]),
                "link": _decision_link(c.get("decision_id")),
            }
            for c in report.get("changed_families", [])
        ],
        "invalid_list": [
            {
                **c,
                "from": status(c["from"]),
                "to": status(c["to"]),
                "link": _decision_link(c.get("decision_id")),
            }
            for c in report.get("invalid_families", [])
        ],
    }


@bp.get("/jobs/<job_id>")
@requires(*jobs.STARTS_IMPACT)
def job(job_id: str) -> str:
    """An impact job's status and progress, and its report once done."""
    me = actor()
    try:
        found = get_store().get_job(job_id)
    except NotFoundError:
        found = None
    if found is None or not _may_read(found.requested_by):
        record("job.read", 404, target=job_id[:200], detail="page")
        raise Problem(404, "not-found", "No such job", f"There is no job {job_id[:80]} of yours.")
    record("job.read", 200, target=found.id, detail="page")
    view = jobs.job_view(found, me.role)
    return render_job(view, me.role in jobs.SEES_FAMILIES)


def render_job(view: dict[str, Any], sees_families: bool) -> str:
    """The job page for `view` (`jobs.job_view`'s dict)."""
    stamps = {
        k: human_when(view[k]) if view.get(k) else ""
        for k in ("created_at", "started_at", "finished_at")
    }
    return render_template(
        "job.html",
        job=view,
        status=JOB_STATUS_WORDS.get(view["status"], view["status"].capitalize()),
        stamps=stamps,
        report=_report(view["report"], _indicator_names(view)) if "report" in view else None,
        sees_families=sees_families,
        cleared=human_when(view["report"]["families_cleared_at"])
        if view.get("report", {}).get("families_cleared_at")
        else "",
    )

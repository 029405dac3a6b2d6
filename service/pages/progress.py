"""The progress check page: whether the family qualifies for a results claim (in force
first), the outcome plan's outcomes and what decided each, the entry decision, the audit
view, the reviews and the verdict form; and the way to a results claim when it qualifies.

It reads what `GET /v1/progress/{id}` reads, audited as that read (`progress.read`, detail
"page"); reviewers and admins see every progress decision and its reviews in full, each
reviewer by name. A verdict goes through `review.record_progress_verdict`, the API's rules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from flask import current_app, redirect, render_template, session, url_for

from tfp_rules.store import NotFoundError, StoredProgress
from tfp_rules.store.records import value_in_force
from tfp_rules.summary import (
    human_date,
    human_when,
    met_facts,
    sentence,
    sentence_start,
    source_names,
)

from ..audit import record
from ..auth import actor, requires
from ..db import get_store
from ..decisions import list_detail
from ..problems import Problem
from ..views import progress_text
from .blueprint import bp
from .decision import (
    OUTCOME_WORDS,
    QUALIFIES_WORDS,
    RECORDED,
    STATUS_WORDS,
    reviewer_name,
    subject_row,
)
from .review import ProgressReviewForm, record_progress_verdict

CLAIMS_LIMIT = 50  # a family has one claim in force; the rest were withdrawn


def visible(progress_id: str) -> StoredProgress:
    """The progress decision (a reviewer's or admin's page: they see every one); an unknown
    id is audited as the API's refused read is, and answered with the 404 page."""
    try:
        return get_store().get_progress(progress_id)
    except NotFoundError:
        record("progress.read", 404, target=progress_id[:200], detail="page")
        raise Problem(
            404,
            "not-found",
            "No such progress decision",
            f"There is no progress decision {progress_id[:80]}.",
        ) from None


@bp.get("/progress/<progress_id>")
@requires("reviewer")
def progress(progress_id: str) -> Any:
    """One progress check, explained, with its reviews and the form for a verdict."""
    return render_progress(visible(progress_id), ProgressReviewForm(formdata=None))


@bp.post("/progress/<progress_id>/reviews")
@requires("reviewer")
def progress_review(progress_id: str) -> Any:
    """Record a verdict: back to the page on success (303), else the page with its errors."""
    p = visible(progress_id)
    form = ProgressReviewForm()
    status = record_progress_verdict(p, form)
    if status is not None:  # as it now stands: another reviewer may have been first
        return render_progress(get_store().get_progress(p.id), form), status
    session[RECORDED] = p.id
    return redirect(url_for("pages.progress", progress_id=p.id), 303)


def render_progress(p: StoredProgress, form: ProgressReviewForm) -> str:
    """The page for `p` (audited as a read of it), with `form` as filled in."""
    record("progress.read", 200, target=p.id, detail="page")
    names = get_store().client_names(r.reviewer for r in p.reviews)
    trace = p.decision["trace"]
    named = dataclasses.replace(
        p,
        reviews=[dataclasses.replace(r, reviewer=reviewer_name(vars(r), names)) for r in p.reviews],
    )
    return render_template(
        "progress.html",
        p=p,
        dates=caption(p),
        summary=summary(p),
        cards=[*(headline_card(h) for h in trace["headlines"]), employment_card(trace)],
        entry=entry_of(p),
        claim=claim_of(p),
        audit=progress_text(named, actor().role),
        reviews=review_rows(p, names),
        form=form,
        recorded=session.pop(RECORDED, None) == p.id,
    )


def caption(p: StoredProgress) -> str:
    """The dates the check turns on, in words."""
    sustain = p.decision["trace"]["sustain"]
    return (
        f"Checked on {human_date(p.assessment_date)} · entry on"
        f" {human_date(p.decision['entry']['assessment_date'])} · progress must last"
        f" {sustain['months']} months, so from {human_date(sustain['from'])}"
    )


# --------------------------------------------------------------------------- the summary


def in_force_line(p: StoredProgress) -> str:
    """Whether the family qualifies, as in force: a review's override before the automated
    result."""
    now = p.outcome
    line = QUALIFIES_WORDS[now.qualifies]
    if now.source == "review" and now.qualifies != p.qualifies:
        automated = QUALIFIES_WORDS[p.qualifies].lower()
        return f"{line} (by review; the automated check said: {automated})"
    if p.reviews:
        return f"{line} (confirmed by review)"
    return line


def summary(p: StoredProgress) -> dict[str, Any]:
    """The outcome in force, the automated check's reason, then each outcome of the plan:
    achieved, by progress or continuous employment (with the facts against the
    thresholds), not yet, or not known."""
    trace = p.decision["trace"]
    lines = [f"Automated check: {trace['decision']['text']}."]
    achieved, not_yet, unknown = [], [], []
    for h in trace["headlines"]:
        title = f"{h['id']} {h['name']}"
        if h["status"] == "met":
            m = next(m for m in h["measures"] if m["status"] == "met")
            achieved.append({"title": title, "route": "Progress", "facts": met_words(m)})
        elif h["status"] == "not_met":
            not_yet.append({"title": title, "facts": missed_words(h)})
        else:
            missing = sorted({s for m in h["measures"] for s in m.get("missing_sources", [])})
            unknown.append(
                {
                    "title": title,
                    "facts": [f"Not checked since progress became due: {source_names(missing)}"],
                }
            )
    employment = trace["employment"]
    if employment["status"] == "met":
        achieved.append(
            {
                "title": "Continuous employment",
                "route": "Continuous employment",
                "facts": [a["explanation"] for a in employment["adults"] if a["status"] == "met"],
            }
        )
    return {
        "in_force": in_force_line(p),
        "lines": lines,
        "achieved": achieved,
        "not_yet": not_yet,
        "unknown": unknown,
    }


def met_words(m: Mapping[str, Any]) -> list[str]:
    """What showed a measure was met: the facts against their thresholds, or the judgement."""
    said = [f"{m['name']}."]
    for j in m.get("judgements", []):
        said.append(f"Professional judgement by {j['by']}: {j['reason']}")
    if m.get("condition"):
        said.append(sentence_start(sentence("household", list(met_facts(m["condition"])))) + ".")
    for s in m.get("subjects", []):
        said.append(sentence_start(sentence(s["subject"], list(met_facts(s["condition"])))) + ".")
    return said


def missed_words(h: Mapping[str, Any]) -> list[str]:
    """Why each measure of a headline not met was missed: the parts that did not hold."""
    said = []
    for m in h["measures"]:
        said.append(f"{m['name']}.")
        parts = [
            f["text"]
            for row in measure_rows(m)
            if row["status"] != "Met"
            for f in row["found"]
            if f["aside"] is None
        ]
        said.extend(sentence_start(t) + "." for t in parts)
        if not parts:
            said.append(basis_words(m) + ".")
    return said


# --------------------------------------------------------------------------- outcome cards


def measure_rows(m: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A measure's result per subject (the household, or each child or adult it applies
    to), in the decision page's words."""
    if m.get("subjects"):
        return [subject_row({**s, "met": s["status"] == "met"}) for s in m["subjects"]]
    return [subject_row({**m, "subject": "household"})]


def basis_words(m: Mapping[str, Any]) -> str:
    """How a measure's result was reached."""
    if m["status"] == "met":
        return "Met by a worker's judgement" if m["basis"] == "judgement" else "Met on the records"
    if m["status"] == "unknown":
        missing = source_names(m.get("missing_sources", []))
        return f"Unknown: records from {missing}, not checked since progress became due, could change this"
    if m["basis"].startswith("no "):  # e.g. no child of compulsory school age
        return f"Not met: {m['basis']} on the check date"
    if m["basis"] == "judgement only":
        return (
            "Not met: only a worker's documented judgement shows this progress, and none was given"
        )
    return "Not met"


def headline_card(h: Mapping[str, Any]) -> dict[str, Any]:
    """A headline of the entry decision: met, not met or unknown, and each of its measures
    (any one shows progress) with what decided it."""
    return {
        "title": f"{h['id']} {h['name']}",
        "status": STATUS_WORDS[h["status"]],
        "hint": "Any one of these measures shows progress." if len(h["measures"]) > 1 else None,
        "rows": [
            {
                "name": m["name"],
                "status": STATUS_WORDS[m["status"]],
                "basis": basis_words(m),
                "judgements": m.get("judgements", []),
                "subjects": measure_rows(m),
            }
            for m in h["measures"]
        ],
    }


def employment_card(trace: Mapping[str, Any]) -> dict[str, Any]:
    """Continuous employment: each adult on an out-of-work benefit at entry, and how long
    they have been in work against the weeks required."""
    employment = trace["employment"]
    rows = [
        {
            "name": adult["member"],
            "status": STATUS_WORDS[adult["status"]],
            "basis": adult["explanation"].rstrip("."),
            "judgements": [],
            "subjects": [],
        }
        for adult in employment["adults"]
    ]
    return {
        "title": "Continuous employment",
        "status": STATUS_WORDS[employment["status"]],
        "hint": "Enough on its own, whatever the headlines."
        if rows
        else "No adult was in the family at entry.",
        "rows": rows,
    }


# --------------------------------------------------------------------------- around it


def entry_of(p: StoredProgress) -> dict[str, Any]:
    """The entry decision the check follows: its link, date, headlines and outcome in force."""
    entry = get_store().get_decision(p.entry_id)
    outcome = OUTCOME_WORDS[entry.outcome.status]
    return {
        "id": entry.id,
        "assessed": human_date(entry.assessment_date),
        "headlines": ", ".join(p.decision["entry"]["headlines"]),
        "outcome": outcome + (" (by review)" if entry.outcome.source == "review" else ""),
    }


def claim_of(p: StoredProgress) -> dict[str, Any] | None:
    """When the outcome in force qualifies: the family's claim, if one was made (the list
    read audited as `claim.list`), else the way to make one."""
    if p.outcome.qualifies is not True:
        return None
    claims = []
    if p.family_ref is not None:
        claims, _ = get_store().list_claims(family_ref=p.family_ref, limit=CLAIMS_LIMIT)
        record(
            "claim.list", 200, detail="page " + list_detail(["family_ref"], [c.id for c in claims])
        )
    holding = [c for c in claims if c.status != "withdrawn_in_error"]
    if holding:
        c = holding[0]
        return {
            "made": human_date(c.claim_date),
            "withdrawn": c.status == "withdrawn",
            "path": _path("pages.claim", f"/claims/{c.id}", claim_id=c.id),
        }
    return {"new": _path("pages.new_claim", f"/progress/{p.id}/claim", progress_id=p.id)}


def _path(endpoint: str, fallback: str, **values: str) -> str:
    """The path of a page, also while that page is being built alongside this one."""
    if endpoint in current_app.view_functions:
        return url_for(endpoint, **values)
    return fallback


def review_rows(p: StoredProgress, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each review, oldest first, with whether the family qualifies in force once it was
    recorded."""
    rows = []
    for i, r in enumerate(p.reviews):
        value = value_in_force(p.qualifies, p.reviews[: i + 1])[0]
        rows.append(
            {
                "verdict": "Overridden" if r.verdict == "override" else "Confirmed",
                "qualifies": QUALIFIES_WORDS[value],
                "by": reviewer_name(vars(r), names),
                "when": human_when(r.created_at),
                "reason": r.reason,
            }
        )
    return rows

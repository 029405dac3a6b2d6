"""The decision page: the summary, a card per headline, what would settle it, the facts as
received, the family's chain of decisions, the audit view, the reviews and the verdict form.

It reads what `GET /v1/decisions/{id}` reads, with the same store calls and audit row
(`decision.read`, detail "page"); reviewers and admins see reviews in full, with each
reviewer's name (never a client id). A verdict goes through `review.record_verdict`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from flask import current_app, redirect, render_template, session, url_for

from tfp_rules.policy.since import rules_since
from tfp_rules.store import DecisionRecord, StoredDecision
from tfp_rules.store.records import status_of, value_in_force
from tfp_rules.summary import (
    fact_words,
    human_date,
    human_when,
    sentence,
    sentence_start,
    source_names,
    summarise,
    threshold_words,
)
from tfp_rules.trace import render_text

from ..audit import record
from ..auth import actor, requires, visible_decision
from ..db import get_store
from ..decisions import list_detail
from ..problems import Problem
from ..views import text_view
from .blueprint import bp
from .facts_tables import facts_tables
from .queue import REVIEW_WORDS
from .review import ReviewForm, record_verdict

RECORDED = "tfp_verdict_recorded"  # in the session: the decision whose page says so, once
STATUS_WORDS = {"met": "Met", "not_met": "Not met", "unknown": "Unknown"}
OUTCOME_WORDS = {
    "eligible": "Eligible",
    "not_eligible": "Not eligible",
    "undetermined": "Undetermined",
}
QUALIFIES_WORDS = {
    True: "Qualifies for a results claim",
    False: "Does not qualify for a results claim",
    None: "Cannot be decided yet",
}
CHAIN_LIMIT = 200  # one page of the family's decisions; a longer chain is followed link by link


def visible(decision_id: str) -> StoredDecision:
    """The decision if this person may see it; a refused read is audited as the API's is."""
    try:
        return visible_decision(decision_id)
    except Problem as problem:
        if problem.status != 403:  # a restricted family's refusal is audited where refused
            record("decision.read", problem.status, target=decision_id, detail="page")
        raise


@bp.get("/decisions/<decision_id>")
@requires("reviewer")
def decision(decision_id: str) -> Any:
    """One decision, explained, with its reviews and the form for a verdict."""
    return render_decision(visible(decision_id), ReviewForm(formdata=None))


@bp.post("/decisions/<decision_id>/reviews")
@requires("reviewer")
def review(decision_id: str) -> Any:
    """Record a verdict: back to the page on success (303), else the page with its errors."""
    d = visible(decision_id)
    form = ReviewForm()
    status = record_verdict(d, form)
    if status is not None:  # as it now stands: another reviewer may have been first
        return render_decision(get_store().get_decision(d.id), form), status
    session[RECORDED] = d.id
    return redirect(url_for("pages.decision", decision_id=d.id), 303)


def render_decision(d: StoredDecision, form: ReviewForm) -> str:
    """The page for `d` (audited as a read of it), with `form` as filled in."""
    record("decision.read", 200, target=d.id, detail="page")
    store = get_store()
    names = store.client_names(r.reviewer for r in d.reviews)
    view = text_view(d, actor().role)
    view["reviews"] = [{**r, "reviewer": reviewer_name(r, names)} for r in view["reviews"]]
    facts = store.get_facts(d.id)
    since = rules_since(d.decision, lambda: facts, current_app.extensions["tfp.library"].current())
    if since:
        view["rules_since"] = since
    trace = d.decision["trace"]
    return render_template(
        "decision.html",
        d=d,
        summary=summarise(view),
        cards=[headline_card(h) for h in trace["headlines"]],
        prospects=trace.get("prospects") if d.status == "undetermined" else None,
        facts=facts_tables(facts, trace),
        chain=chain_of(d),
        newer=newer_for_family(d),
        progress=progress_checks(d),
        ruleset=ruleset_link(d.decision["ruleset"], since),
        audit=render_text(view),
        reviews=review_rows(d, names),
        form=form,
        recorded=session.pop(RECORDED, None) == d.id,
        when=human_when,
        day=human_date,
        sources=source_names,
    )


def newer_for_family(d: StoredDecision) -> DecisionRecord | None:
    """The family's newest decision when it is not this one nor in this one's chain (the
    family's facts were sent afresh, not added to these): this page is then history too."""
    if not d.family_ref or d.superseded_by:
        return None
    items, _ = get_store().list_decisions(family_ref=d.family_ref, latest=True, limit=1)
    return items[0] if items and items[0].id != d.id else None


def reviewer_name(review: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """Who wrote a review, by name; never a client id, even for a client no longer known."""
    return names.get(review.get("reviewer", ""), "a reviewer whose name is not recorded")


def review_rows(d: StoredDecision, names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each review, oldest first, with the outcome in force once it was recorded."""
    rows = []
    for i, r in enumerate(d.reviews):
        value = value_in_force(d.eligible, d.reviews[: i + 1])[0]
        rows.append(
            {
                "verdict": "Overridden" if r.verdict == "override" else "Confirmed",
                "outcome": OUTCOME_WORDS[status_of(value)],
                "by": names.get(r.reviewer, "a reviewer whose name is not recorded"),
                "when": human_when(r.created_at),
                "reason": r.reason,
            }
        )
    return rows


# --------------------------------------------------------------------------- headline cards


def _parts(node: Mapping[str, Any], negated: bool = False) -> Iterator[tuple[Mapping, bool]]:
    """Each comparison of a condition, and whether it counts towards the condition."""
    if "comparator" in node:
        yield node, node["met"] != negated
    elif "not" in node:
        yield from _parts(node["not"], not negated)
    else:
        for child in node["all" if "all" in node else "any"]:
            yield from _parts(child, negated)


def subject_row(result: Mapping[str, Any]) -> dict[str, Any]:
    """One member's (or the household's) result for an indicator, in words."""
    who = "The household" if result["subject"] == "household" else result["subject"]
    # Each part is marked only where it goes against the subject's result: a part not
    # needed for a result met, a part that held for one that was not.
    aside = "not needed" if result["met"] else "this part is met"
    found = [
        {
            "text": sentence_start(
                sentence(result["subject"], [(fact_words(n), threshold_words(n))])
            ),
            "aside": aside if counts != result["met"] else None,
        }
        for n, counts in (_parts(result["condition"]) if result.get("condition") else [])
    ]
    return {
        "who": who,
        "name": "the household" if result["subject"] == "household" else result["subject"],
        "status": STATUS_WORDS[result["status"]],
        "judged": result.get("basis") == "judgement",
        "judgements": result.get("judgements", []),
        "found": found,
        "missing": result.get("missing_sources", []) if result["status"] == "unknown" else [],
    }


def headline_card(h: Mapping[str, Any]) -> dict[str, Any]:
    """A headline's card: its status, and each indicator with whom it was met by and why."""
    return {
        "title": f"{h['id']} {h['name']}",
        "status": STATUS_WORDS[h["status"]],
        "indicators": [
            {
                "name": ind["name"],
                "status": STATUS_WORDS[ind["status"]],
                "origin": f"{str(ind.get('origin', 'national')).capitalize()} indicator",
                "met_by": ["the household" if s == "household" else s for s in ind["met_by"]],
                # met and unknown members first; those it was not met for folded away, so a
                # large family's page is not every member against every indicator
                "shown": [subject_row(s) for s in ind["subjects"] if s["status"] != "not_met"],
                "folded": [subject_row(s) for s in ind["subjects"] if s["status"] == "not_met"],
            }
            for ind in h["indicators"]
        ],
    }


# --------------------------------------------------------------------------- facts as received


def chain_of(d: StoredDecision) -> list[dict[str, Any]]:
    """The family's chain of decisions, oldest first, each with what changed from the one
    before it; `current` marks this one."""
    page, _ = get_store().list_decisions(family_ref=d.family_ref, limit=CHAIN_LIMIT)
    known: dict[str, DecisionRecord] = {r.id: r for r in page}
    known[d.id] = d

    def get(i: str) -> DecisionRecord:
        if i not in known:
            known[i] = get_store().get_decision(i)
        return known[i]

    chain = [d]
    while chain[0].previous_id:
        chain.insert(0, get(chain[0].previous_id))
    while chain[-1].superseded_by:
        chain.append(get(chain[-1].superseded_by))
    return [
        {
            "id": r.id,
            "current": r.id == d.id,
            "assessed": human_date(r.assessment_date),
            "made": human_when(r.created_at),
            "outcome": OUTCOME_WORDS[r.outcome.status],
            "changes": changes(chain[i - 1], r) if i else [],
        }
        for i, r in enumerate(chain)
    ]


def changes(before: DecisionRecord, after: DecisionRecord) -> list[str]:
    """What changed from one decision of a chain to the next, in words."""
    said = []
    if before.outcome.status != after.outcome.status:
        said.append(
            f"Outcome in force: {OUTCOME_WORDS[before.outcome.status]} before,"
            f" {OUTCOME_WORDS[after.outcome.status]} now"
        )
    if before.status != after.status:
        said.append(
            f"Automated result: {OUTCOME_WORDS[before.status]} before,"
            f" {OUTCOME_WORDS[after.status]} now"
        )
    if before.headlines_met != after.headlines_met:
        was, now = (
            ", ".join(before.headlines_met) or "none",
            ", ".join(after.headlines_met) or "none",
        )
        said.append(f"Headlines met: {was} before, {now} now")
    if before.assessment_date != after.assessment_date:
        said.append(
            f"Assessed on {human_date(after.assessment_date)} instead of"
            f" {human_date(before.assessment_date)}"
        )
    if before.ruleset_ref != after.ruleset_ref:
        said.append(f"Ruleset: {before.ruleset_ref} before, {after.ruleset_ref} now")
    return said or ["Facts added; nothing in the outcome changed"]


def progress_checks(d: StoredDecision) -> list[dict[str, Any]]:
    """The progress checks following this entry decision, newest first (one page of them),
    audited as the API's list is (`progress.list`)."""
    checks, _ = get_store().list_progress(d.id, limit=CHAIN_LIMIT)
    record(
        "progress.list", 200, target=d.id, detail="page " + list_detail([], [p.id for p in checks])
    )
    return [
        {
            "id": p.id,
            "checked": human_date(p.assessment_date),
            "qualifies": QUALIFIES_WORDS[p.outcome.qualifies],
            "review": REVIEW_WORDS[p.review_status],
        }
        for p in checks
    ]


def ruleset_link(rs: Mapping[str, Any], since: Mapping[str, Any] | None) -> dict[str, Any]:
    """The rules that made the decision, the path of their page, and what is in force now."""
    if "pages.ruleset_version" in current_app.view_functions:
        path = url_for("pages.ruleset_version", ruleset_id=rs["id"], version=rs["version"])
    else:  # that page is being built alongside this one
        path = f"/rulesets/{rs['id']}/{rs['version']}"
    notes = []
    since = since or {}
    if since.get("made_with_loaded") is False:
        notes.append("These rules are no longer loaded; this page shows the decision as made.")
    if "file_changed" in since:
        notes.append(
            "The file of these rules has changed since; this page shows the decision as made."
        )
    now = since.get("in_force")
    if now:
        if "problems" in now:
            verdict = "and these facts are not valid under it"
        elif now["decides_differently"]:
            verdict = f"and it would decide differently: {OUTCOME_WORDS[now['status']]}"
        else:
            verdict = "and it would decide the same"
        notes.append(
            f"A newer version, {now['ref']}, is now in force for this assessment date,"
            f" {verdict}. This decision stands until a new one is asked for."
        )
    extends = rs.get("extends")
    return {
        "ref": f"{rs['id']}@{rs['version']}",
        "path": path,
        "notes": notes,
        "extends": f"{extends['id']}@{extends['version']}" if extends else None,
    }

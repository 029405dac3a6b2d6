"""Stored decisions: list and read them (audited), and record reviewers' verdicts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict, Field

from tfp_rules.policy.since import rules_since
from tfp_rules.store import StoredDecision
from tfp_rules.summary import render_summary
from tfp_rules.trace import failed_only, render_text

from .audit import record
from .auth import actor, requires, visible_decision, withhold_restricted
from .db import get_store
from .inputs import IsoDate, NoParameters, RulesetSpec, Status, known_ruleset, takes
from .problems import Problem
from .reviewing import ReviewIn, recorded, review_body
from .views import decision_view, page, text_view, with_ruleset_headers

bp = Blueprint("decisions", __name__, url_prefix="/v1")
READERS = ("submitter", "reviewer")


class DecisionQuery(BaseModel):
    """Filters of GET /v1/decisions."""

    model_config = ConfigDict(extra="forbid")

    eligible: bool | None = None
    status: Status | None = None
    headline: Literal["H1", "H2", "H3", "H4", "H5", "H6"] | None = None
    ruleset: RulesetSpec | None = None
    review_status: Literal["unreviewed", "confirmed", "overridden"] | None = None
    outcome: Status | None = None
    family_ref: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    latest: bool = False
    created_from: IsoDate | None = None
    created_to: IsoDate | None = None
    assessed_from: IsoDate | None = None
    assessed_to: IsoDate | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


class DecisionView(BaseModel):
    """How to show one decision: JSON (the whole decision, or with `explain=failed` only what
    was not met) or plain English: the summary for caseworkers by default, the audit view
    of every comparison (`explain=full`) or only what was not met (`explain=failed`). An
    `explain` without a `format` asks for text; `format=json` with `explain=summary` gives
    the whole decision, as `full` does. The JSON's trace is `compact` (the default: as
    stored) unless `trace=full` (or `explain=failed`, which filters the full trace) asks
    for the whole of it; text is always rendered from the full trace."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "text"] | None = None
    explain: Literal["summary", "failed", "full"] | None = None
    trace: Literal["compact", "full"] | None = None

    @property
    def text(self) -> bool:
        return self.format == "text" or (self.format is None and self.explain is not None)


def list_detail(parameters: list[str], decision_ids: list[str]) -> str:
    """The audit detail of a list read: the parameters' names (never their values: a
    family_ref must not outlive its decisions in the log), how many decisions were returned
    and their ids, in the order returned. A page holds at most 200, so this is at most about
    6.7 KB: `filters=family_ref,latest returned=2 ids=<id>,<id>`."""
    parts = [f"filters={','.join(sorted(parameters))}"] if parameters else []
    parts.append(f"returned={len(decision_ids)}")
    if decision_ids:
        parts.append(f"ids={','.join(decision_ids)}")
    return " ".join(parts)


def readable(
    decision_id: str,
    *,
    tombstone: bool = False,
    writing: bool = False,
    action: str = "decision.read",
) -> StoredDecision:
    """The decision if this caller may see it; a refused read is audited as a read (a
    restricted family's refusal is audited where it is refused)."""
    try:
        return visible_decision(decision_id, tombstone=tombstone, writing=writing, action=action)
    except Problem as problem:
        if problem.status not in (403, 423):
            record("decision.read", problem.status, target=decision_id)
        raise


def tombstone_view(d: StoredDecision) -> dict[str, Any]:
    """What is kept of an erased decision: its metadata (no family ref, facts or trace),
    and when and why it was erased."""
    erased = get_store().tombstone_of("decision", d.id)
    return {
        **d.summary(),
        "family_ref": None,
        "tombstone": True,
        "facts": None,
        "trace": None,
        "erased": erased.to_dict() if erased else None,
    }


@bp.get("/decisions")
@requires(*READERS)
@takes(DecisionQuery)
def list_all(query: DecisionQuery):
    me = actor()
    store = get_store()
    # A ruleset the loaded rules or any stored decision knows; else 422 as on POST.
    known_ruleset(
        query.ruleset,
        [*current_app.extensions["tfp.library"].refs(published_only=True), *store.ruleset_refs()],
    )
    filters = query.model_dump(exclude_none=True, exclude={"limit", "cursor"})
    for key in ("created_from", "created_to", "assessed_from", "assessed_to"):
        if key in filters:
            filters[key] = filters[key].isoformat()
    if me.role == "submitter":
        filters["submitted_by"] = me.client_id
    try:
        items, next_cursor = store.list_decisions(**filters, limit=query.limit, cursor=query.cursor)
    except ValueError as exc:
        raise Problem(400, "invalid-query", "Invalid query parameters", str(exc)) from exc
    items = withhold_restricted(items, "decision.list")
    # who saw which decisions: the ids returned, and the filters' names but not their values
    record("decision.list", 200, detail=list_detail(list(request.args), [d.id for d in items]))
    return page([d.summary() for d in items], next_cursor, "decisions.list_all")


@bp.get("/decisions/<decision_id>")
@requires(*READERS)
@takes(DecisionView)
def get_one(decision_id: str, query: DecisionView):
    d = readable(decision_id, tombstone=True)
    record("decision.read", 200, target=d.id)
    if not d.decision:  # erased: its tombstone, as JSON whatever the format asked
        return jsonify(tombstone_view(d))
    role = actor().role  # a submitter does not see reviewers' reasons or who they were
    failed = query.explain == "failed"
    # explained with the rules that made it, saying so if newer rules would decide otherwise
    since = rules_since(
        d.decision,
        lambda: get_store().get_facts(d.id),
        current_app.extensions["tfp.library"].current(),
    )
    extra = {"rules_since": since} if since else {}
    if query.text:
        view = text_view(d, role) | extra
        text = (
            render_summary(view)
            if query.explain in (None, "summary")
            else render_text(view, only_failed=failed)
        )
        response = Response(text, mimetype="text/plain")
    else:
        if not failed and query.trace != "full":
            d = get_store().get_decision(d.id, trace="compact")
        view = decision_view(d, role) | extra
        response = jsonify(failed_only(view) if failed else view)
    return with_ruleset_headers(response, d.decision["ruleset"])


@bp.post("/decisions/<decision_id>/reviews")
@requires("reviewer")
@takes(NoParameters)
def review(decision_id: str, query: NoParameters):
    body = review_body(ReviewIn)
    d = readable(decision_id)
    return recorded(
        lambda: get_store().add_review(
            d.id,
            verdict=body.verdict,
            eligible=body.eligible,
            reason=body.reason,
            reviewer=actor().client_id,
            key_id=actor().id,
        ),
        url_for("decisions.get_one", decision_id=d.id),
        d.decision["ruleset"],
    )

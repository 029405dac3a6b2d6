"""Progress checks: a family's later facts judged against the headlines it had at entry, by
its council's outcome plan, stored beside the entry decision and reviewable like it.

`POST /v1/decisions/{id}/progress` lays the later facts over the entry decision's stored
facts (`progress_after`); the entry's outcome in force (a review override counts) says
whether the family was eligible at entry. Every read is audited; a submitter sees only the
progress decisions it made.
"""

from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict, Field

from tfp_rules.errors import FactsError
from tfp_rules.facts import parse_update
from tfp_rules.merge import merge_facts
from tfp_rules.outcomes.check import progress_after
from tfp_rules.store import NotFoundError, StoredProgress, request_hash_of

from .audit import record
from .auth import actor, erased, refuse_restricted, requires
from .db import get_store
from .decisions import READERS, list_detail, readable
from .evaluations import json_body, lifetime
from .inputs import NoParameters, takes
from .problems import Problem, facts_problem
from .reviewing import ProgressReviewIn, recorded, review_body
from .views import created, page, progress_text, progress_view, with_ruleset_headers

bp = Blueprint("progress", __name__, url_prefix="/v1")


class ProgressQuery(BaseModel):
    """Paging of GET /v1/decisions/{id}/progress."""

    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, Field(max_length=200)] | None = None


class ProgressView(BaseModel):
    """How to show one progress decision: JSON or plain English."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "text"] | None = None


def visible_progress(progress_id: str) -> StoredProgress:
    """The progress decision if this caller may see it (a submitter: its own); a refused
    read is audited as a read."""
    try:
        p = get_store().get_progress(progress_id)
    except NotFoundError:
        p = None
    me = actor()
    if p is None or (me.role == "submitter" and p.submitted_by != me.client_id):
        record("progress.read", 404, target=progress_id)
        raise Problem(
            404,
            "not-found",
            "No such progress decision",
            f"no progress decision {progress_id} visible to you",
        )
    refuse_restricted(p.family_ref, action="progress.read", target=p.id)
    if not p.decision:
        record("progress.read", 410, target=p.id)
        raise erased("progress decision", p.id)
    return p


def _answer(stored: StoredProgress, made: bool) -> Response:
    return created(
        progress_view(stored, actor().role),
        url_for("progress.get_one", progress_id=stored.id),
        stored.decision["ruleset"],
        replayed=not made,
    )


@bp.post("/decisions/<decision_id>/progress")
@requires("submitter")
@takes(NoParameters)
def create(decision_id: str, query: NoParameters):
    """The family's later facts checked for progress since the entry decision `decision_id`."""
    raw, key = json_body()
    entry = readable(decision_id, writing=True, action="progress.create")
    store = get_store()
    update = parse_update(raw)  # not JSON: 400; not an update: 422 with pointers into it
    request_hash = request_hash_of({"progress": update}, None, entry.id)
    if key is not None:
        earlier = store.replay_progress(
            actor().client_id,
            key,
            request_hash,
            key_id=actor().id,
            idempotency_lifetime=lifetime(),
        )
        if earlier is not None:
            return _answer(earlier, made=False)
    facts_before = store.get_facts(entry.id)
    try:
        decision = progress_after(
            current_app.extensions["tfp.library"],
            entry.decision,
            facts_before,
            update,
            eligible_at_entry=entry.outcome.eligible is True,
        )
    except FactsError as exc:
        raise facts_problem(
            exc,
            "The merged family facts are not valid",
            "pointers are into the merged document: the entry facts with these folded in",
        ) from exc
    stored, made = store.save_progress(
        decision,
        merge_facts(facts_before, update),
        entry_id=entry.id,
        submitted_by=actor().client_id,
        key_id=actor().id,
        idempotency_key=key,
        request_hash=request_hash,
        idempotency_lifetime=lifetime(),
    )
    return _answer(stored, made)


@bp.get("/decisions/<decision_id>/progress")
@requires(*READERS)
@takes(ProgressQuery)
def list_for_entry(decision_id: str, query: ProgressQuery):
    """The progress decisions following one entry decision, newest first."""
    entry = readable(decision_id)
    me = actor()
    try:
        items, next_cursor = get_store().list_progress(
            entry.id,
            submitted_by=me.client_id if me.role == "submitter" else None,
            limit=query.limit,
            cursor=query.cursor,
        )
    except ValueError as exc:
        raise Problem(400, "invalid-query", "Invalid query parameters", str(exc)) from exc
    record(
        "progress.list",
        200,
        target=entry.id,
        detail=list_detail(list(request.args), [p.id for p in items]),
    )
    summaries = [p.summary() for p in items]
    return page(summaries, next_cursor, "progress.list_for_entry", decision_id=entry.id)


@bp.get("/progress/<progress_id>")
@requires(*READERS)
@takes(ProgressView)
def get_one(progress_id: str, query: ProgressView):
    p = visible_progress(progress_id)
    record("progress.read", 200, target=p.id)
    role = actor().role
    if query.format == "text":
        response = Response(progress_text(p, role), mimetype="text/plain")
    else:
        response = jsonify(progress_view(p, role))
    return with_ruleset_headers(response, p.decision["ruleset"])


@bp.post("/progress/<progress_id>/reviews")
@requires("reviewer")
@takes(NoParameters)
def review(progress_id: str, query: NoParameters):
    """Confirm or override whether the family qualifies for a results claim."""
    body = review_body(ProgressReviewIn)
    p = visible_progress(progress_id)
    return recorded(
        lambda: get_store().add_progress_review(
            p.id,
            verdict=body.verdict,
            qualifies=body.qualifies,
            reason=body.reason,
            reviewer=actor().client_id,
            key_id=actor().id,
        ),
        url_for("progress.get_one", progress_id=p.id),
        p.decision["ruleset"],
    )

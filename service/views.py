"""JSON shapes the API returns for stored records (one place, so every route agrees).

What a caller sees of a review depends on its role. Reviewers and admins see everything.
A submitter (a partner system) sees the outcome in force, that the decision was reviewed,
how (confirmed, or overridden to which outcome) and when, but not the reviewer's free-text
reason or who the reviewer was: a reason may hold what a family told a caseworker, which
the partner that sent the facts has no need to know.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from tfp_rules.outcomes.explain import render_progress_text
from tfp_rules.store import ProgressReview, Review, StoredDecision, StoredProgress

SEES_REVIEW_DETAIL = ("reviewer", "admin")
# What the plain-English renderer prints in place of what a submitter may not see.
WITHHELD = {"reviewer": "a reviewer", "reason": "reason shown to reviewers only"}


def sees_review_detail(role: str) -> bool:
    """Whether a caller with this role sees reviews' reasons and reviewers."""
    return role in SEES_REVIEW_DETAIL


def review_view(r: Review | ProgressReview, *, detail: bool = True) -> dict[str, Any]:
    """A review; without `detail`, only its verdict, the outcome it put in force and when
    (`eligible` for a decision, `qualifies` for a progress decision)."""
    out: dict[str, Any] = {"id": r.id, "verdict": r.verdict}
    if detail:
        out["reason"] = r.reason
        out["reviewer"] = r.reviewer
    out["created_at"] = r.created_at
    if r.verdict == "override":
        out["qualifies" if isinstance(r, ProgressReview) else "eligible"] = r.value
    return out


def decision_view(d: StoredDecision, role: str) -> dict[str, Any]:
    """A stored decision as a caller with `role` may see it: the engine's decision as made,
    plus its identity and review history."""
    detail = sees_review_detail(role)
    return {
        "id": d.id,
        "created_at": d.created_at,
        "submitted_by": d.submitted_by,
        "previous_id": d.previous_id,
        "superseded_by": d.superseded_by,
        **d.decision,
        "review_status": d.review_status,
        "outcome": d.outcome.to_dict(),
        "reviews": [review_view(r, detail=detail) for r in d.reviews],
    }


def text_view(d: StoredDecision, role: str) -> dict[str, Any]:
    """`decision_view` shaped for `trace.render_text`, which prints every review's reviewer
    and reason: for a caller who may not see them, it prints that they are withheld."""
    view = decision_view(d, role)
    if not sees_review_detail(role):
        view["reviews"] = [{**r, **WITHHELD} for r in view["reviews"]]
    return view


def progress_view(p: StoredProgress, role: str) -> dict[str, Any]:
    """A stored progress decision as a caller with `role` may see it: the decision as made,
    plus its identity, the entry decision it follows and its review history."""
    detail = sees_review_detail(role)
    return {
        "id": p.id,
        "entry_id": p.entry_id,
        "created_at": p.created_at,
        "submitted_by": p.submitted_by,
        **p.decision,
        "review_status": p.review_status,
        "outcome": p.outcome.to_dict(),
        "reviews": [review_view(r, detail=detail) for r in p.reviews],
    }


_QUALIFIES = {True: "QUALIFIES", False: "DOES NOT QUALIFY", None: "UNDETERMINED"}


def progress_text(p: StoredProgress, role: str) -> str:
    """The progress decision in plain English (`render_progress_text`), led by the outcome in
    force when a review changed it and followed by the reviews, withheld as in `text_view`."""
    lines = []
    if p.outcome.source == "review" and p.outcome.qualifies != p.qualifies:
        lines.append(
            f"Results claim in force: {_QUALIFIES[p.outcome.qualifies]} (by review; the"
            f" automated check said {_QUALIFIES[p.qualifies]})"
        )
    body = render_progress_text(p.decision)
    reviews = [review_view(r, detail=sees_review_detail(role)) for r in p.reviews]
    if reviews:
        body += "\nReviews:\n"
        for r in reviews:
            what = r["verdict"] + (
                f" to {_QUALIFIES[r['qualifies']].lower()}" if "qualifies" in r else ""
            )
            body += (
                f"  {r['created_at']} {what} by {r.get('reviewer', WITHHELD['reviewer'])}:"
                f" {r.get('reason', WITHHELD['reason'])}\n"
            )
    return "".join(f"{line}\n" for line in lines) + body


def created(
    view: dict[str, Any], location: str, ruleset: dict[str, str], *, replayed: bool = False
) -> Response:
    """201 with what was stored (or, `replayed`, found again for a retry), its URL and the
    rules that made it."""
    response = jsonify(view)
    response.status_code = 201
    response.headers["Location"] = location
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return with_ruleset_headers(response, ruleset)


def with_ruleset_headers(response: Response, ruleset: dict[str, str]) -> Response:
    """Name the rules that answered on every response that carries a decision."""
    response.headers["X-Ruleset-Id"] = ruleset["id"]
    response.headers["X-Ruleset-Version"] = ruleset["version"]
    response.headers["X-Ruleset-Sha256"] = ruleset["sha256"]
    return response


def page(items: list[Any], next_cursor: str | None, endpoint: str, **path: Any) -> Response:
    """One page of a list: its items, `next_cursor`, and while there is more, `next`: the
    same request (`endpoint` with these path values and the same query) from that cursor."""
    body: dict[str, Any] = {"items": items, "next_cursor": next_cursor}
    if next_cursor:
        body["next"] = url_for(
            endpoint, **path, **{**request.args.to_dict(), "cursor": next_cursor}
        )
    return jsonify(body)

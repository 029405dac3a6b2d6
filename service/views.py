"""JSON shapes the API returns for stored records (one place, so every route agrees).

What a caller sees of a review depends on its role. Reviewers and admins see everything.
A submitter (a partner system) sees the outcome in force, that the decision was reviewed,
how (confirmed, or overridden to which outcome) and when, but not the reviewer's free-text
reason or who the reviewer was: a reason may hold what a family told a caseworker, which
the partner that sent the facts has no need to know.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from tfp_rules.store import Review, StoredDecision

SEES_REVIEW_DETAIL = ("reviewer", "admin")
# What the plain-English renderer prints in place of what a submitter may not see.
WITHHELD = {"reviewer": "a reviewer", "reason": "reason shown to reviewers only"}


def sees_review_detail(role: str) -> bool:
    """Whether a caller with this role sees reviews' reasons and reviewers."""
    return role in SEES_REVIEW_DETAIL


def review_view(r: Review, *, detail: bool = True) -> dict[str, Any]:
    """A review; without `detail`, only its verdict, the outcome it put in force and when."""
    out: dict[str, Any] = {"id": r.id, "verdict": r.verdict}
    if detail:
        out["reason"] = r.reason
        out["reviewer"] = r.reviewer
    out["created_at"] = r.created_at
    if r.verdict == "override":
        out["eligible"] = r.eligible
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


def with_ruleset_headers(response: Response, ruleset: dict[str, str]) -> Response:
    """Name the rules that answered on every response that carries a decision."""
    response.headers["X-Ruleset-Id"] = ruleset["id"]
    response.headers["X-Ruleset-Version"] = ruleset["version"]
    response.headers["X-Ruleset-Sha256"] = ruleset["sha256"]
    return response

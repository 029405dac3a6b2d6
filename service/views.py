"""JSON shapes the API returns for stored records (one place, so every route agrees)."""

from __future__ import annotations

from typing import Any

from flask import Response

from tfp_rules.store import Review, StoredDecision


def review_view(r: Review) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "verdict": r.verdict,
        "reason": r.reason,
        "reviewer": r.reviewer,
        "created_at": r.created_at,
    }
    if r.verdict == "override":
        out["eligible"] = r.eligible
    return out


def decision_view(d: StoredDecision) -> dict[str, Any]:
    """A stored decision: the engine's decision as made, plus its identity and review history."""
    return {
        "id": d.id,
        "created_at": d.created_at,
        "submitted_by": d.submitted_by,
        "previous_id": d.previous_id,
        "superseded_by": d.superseded_by,
        **d.decision,
        "review_status": d.review_status,
        "outcome": d.outcome.to_dict(),
        "reviews": [review_view(r) for r in d.reviews],
    }


def with_ruleset_headers(response: Response, ruleset: dict[str, str]) -> Response:
    """Name the rules that answered on every response that carries a decision."""
    response.headers["X-Ruleset-Id"] = ruleset["id"]
    response.headers["X-Ruleset-Version"] = ruleset["version"]
    response.headers["X-Ruleset-Sha256"] = ruleset["sha256"]
    return response

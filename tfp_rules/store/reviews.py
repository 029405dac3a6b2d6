"""Human reviews of automated decisions: confirm or override, never editing the decision."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlite_utils

from .audit import AuditLog, json_bool
from .errors import NotFoundError
from .records import VERDICTS, Review


def review_from_row(row: dict[str, Any]) -> Review:
    return Review(
        id=row["id"],
        decision_id=row["decision_id"],
        verdict=row["verdict"],
        eligible=None if row["eligible"] is None else bool(row["eligible"]),
        reason=row["reason"],
        reviewer=row["reviewer"],
        created_at=row["created_at"],
    )


def reviews_of(db: sqlite_utils.Database, decision_ids: list[str]) -> dict[str, list[Review]]:
    """Every review of each decision, oldest first (by the order they were written)."""
    reviews: dict[str, list[Review]] = {d: [] for d in decision_ids}
    rows = db.query(
        "SELECT * FROM reviews WHERE decision_id IN (SELECT value FROM json_each(?)) ORDER BY seq",
        [json.dumps(decision_ids)],
    )
    for row in rows:
        reviews[row["decision_id"]].append(review_from_row(row))
    return reviews


class Reviews(AuditLog):
    """The `reviews` table."""

    def add_review(
        self,
        decision_id: str,
        *,
        verdict: str,
        reason: str,
        reviewer: str,
        eligible: bool | None = None,
    ) -> Review:
        """Record a human review: "confirm" the automated outcome, or "override" it with
        `eligible`. The decision itself is never changed."""
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}; one of: {', '.join(VERDICTS)}")
        if verdict == "confirm" and eligible is not None:
            raise ValueError(
                "a confirmation keeps the automated outcome: give no eligible value"
                " (use verdict 'override' to change it)"
            )
        if verdict == "override" and not isinstance(eligible, bool):
            raise ValueError("an override must give the new outcome: eligible true or false")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("a review needs a reason: say why the outcome is confirmed or changed")
        if not reviewer:
            raise ValueError("reviewer is required")
        review = Review(
            id=uuid.uuid4().hex,
            decision_id=decision_id,
            verdict=verdict,
            eligible=eligible,
            reason=reason.strip(),
            reviewer=reviewer,
            created_at=self._now(),
        )
        with self._write() as db:
            if not db["decisions"].count_where("id = ?", [decision_id]):
                raise NotFoundError(f"no decision {decision_id!r}")
            db["reviews"].insert(
                {
                    "id": review.id,
                    "decision_id": decision_id,
                    "verdict": verdict,
                    "eligible": None if eligible is None else int(eligible),
                    "reason": review.reason,
                    "reviewer": reviewer,
                    "created_at": review.created_at,
                }
            )
            self._audit(
                db,
                actor=reviewer,
                action="review.create",
                target=decision_id,
                detail=verdict if eligible is None else f"{verdict} eligible={json_bool(eligible)}",
            )
        return review

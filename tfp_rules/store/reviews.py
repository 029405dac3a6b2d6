"""Human reviews of automated decisions: confirm or override, never editing the decision."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlite_utils

from ..text import check_text
from .audit import AuditLog, json_bool
from .errors import NotFoundError, ReviewRefusedError
from .records import VERDICTS, Review, outcome_in_force, review_refusal


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
        key_id: str | None = None,
    ) -> Review:
        """Record a human review of a decision; the decision itself is never changed.

        "confirm" agrees with the outcome in force and changes nothing (after an override it
        confirms the override); "override" puts `eligible` in force. Refused with
        ReviewRefusedError: a confirmation while no outcome is in force (undetermined, never
        overridden), and an override to the outcome already in force. The check runs inside
        the write transaction, so two reviewers at once cannot both pass a stale check.
        """
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict!r}; one of: {', '.join(VERDICTS)}")
        if verdict == "confirm" and eligible is not None:
            raise ValueError(
                "a confirmation agrees with the outcome in force: give no eligible value"
                " (use verdict 'override' to change it)"
            )
        if verdict == "override" and not isinstance(eligible, bool):
            raise ValueError("an override must give the new outcome: eligible true or false")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("a review needs a reason: say why the outcome is confirmed or changed")
        try:
            check_text(reason, multiline=True)
        except ValueError as exc:
            raise ValueError(f"the reason {exc}") from exc
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
            rows = list(db.query("SELECT eligible FROM decisions WHERE id = ?", [decision_id]))
            if not rows:
                raise NotFoundError(f"no decision {decision_id!r}")
            automated = None if rows[0]["eligible"] is None else bool(rows[0]["eligible"])
            in_force = outcome_in_force(automated, reviews_of(db, [decision_id])[decision_id])
            refused = review_refusal(verdict, eligible, in_force)
            if refused:
                raise ReviewRefusedError(*refused)
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
                key_id=key_id,
                action="review.create",
                status=201,
                target=decision_id,
                detail=verdict if eligible is None else f"{verdict} eligible={json_bool(eligible)}",
            )
        return review

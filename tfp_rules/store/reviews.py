"""Human reviews of automated decisions: confirm or override, never editing the decision.

The same rules serve decisions (`reviews`, the outcome `eligible`) and progress decisions
(`progress_reviews`, the outcome `qualifies`): each is a `ReviewedTable`, and `write_review`
checks and records a review of either inside one write transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..privacy.datakeys import DataKeys
from ..text import check_text
from .audit import AuditLog, json_bool
from .chain import link
from .errors import NotFoundError, ReviewRefusedError
from .records import (
    VERDICTS,
    Outcome,
    ProgressOutcome,
    ProgressReview,
    Review,
    outcome_in_force,
    progress_outcome_in_force,
    review_refusal,
)
from .sealed import seal, unseal_row


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


def progress_review_from_row(row: dict[str, Any]) -> ProgressReview:
    return ProgressReview(
        id=row["id"],
        progress_id=row["progress_id"],
        verdict=row["verdict"],
        qualifies=None if row["qualifies"] is None else bool(row["qualifies"]),
        reason=row["reason"],
        reviewer=row["reviewer"],
        created_at=row["created_at"],
    )


@dataclass(frozen=True)
class ReviewedTable:
    """Where the reviews of one kind of automated decision live, and how to read them."""

    reviews: str  # the reviews table
    subject: str  # the table of what is reviewed
    column: str  # the reviews' column naming it
    field: str  # the outcome, a column of both tables
    noun: str  # for messages
    action: str  # the audit action
    from_row: Callable[[dict[str, Any]], Any]
    in_force: Callable[[bool | None, list[Any]], Outcome | ProgressOutcome]


DECISIONS = ReviewedTable(
    "reviews",
    "decisions",
    "decision_id",
    "eligible",
    "decision",
    "review.create",
    review_from_row,
    outcome_in_force,
)
PROGRESS = ReviewedTable(
    "progress_reviews",
    "progress",
    "progress_id",
    "qualifies",
    "progress decision",
    "progress_review.create",
    progress_review_from_row,
    progress_outcome_in_force,
)


def reviews_of(
    db: sqlite_utils.Database,
    ids: list[str],
    table: ReviewedTable = DECISIONS,
    *,
    keys: DataKeys | None,
) -> dict[str, list[Any]]:
    """Every review of each decision (or progress decision), oldest first (by the order
    they were written), reasons opened."""
    reviews: dict[str, list[Any]] = {d: [] for d in ids}
    rows = db.query(
        f"SELECT * FROM {table.reviews} WHERE {table.column} IN"
        " (SELECT value FROM json_each(?)) ORDER BY seq",
        [json.dumps(ids)],
    )
    for row in rows:
        reviews[row[table.column]].append(table.from_row(unseal_row(keys, table.reviews, row)))
    return reviews


def checked_reason(verdict: str, value: bool | None, reason: str, field: str) -> str:
    """The reason, stripped, if the review is well formed; ValueError naming what is not."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; one of: {', '.join(VERDICTS)}")
    if verdict == "confirm" and value is not None:
        raise ValueError(
            f"a confirmation agrees with the outcome in force: give no {field} value"
            " (use verdict 'override' to change it)"
        )
    if verdict == "override" and not isinstance(value, bool):
        raise ValueError(f"an override must give the new outcome: {field} true or false")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("a review needs a reason: say why the outcome is confirmed or changed")
    try:
        check_text(reason, multiline=True)
    except ValueError as exc:
        raise ValueError(f"the reason {exc}") from exc
    return reason.strip()


class Reviews(AuditLog):
    """The `reviews` table (and, through `write_review`, `progress_reviews`)."""

    def write_review(
        self,
        table: ReviewedTable,
        subject_id: str,
        *,
        verdict: str,
        value: bool | None,
        reason: str,
        reviewer: str,
        key_id: str | None,
    ) -> Any:
        """Check a review against the outcome in force and record it, in one write
        transaction, so two reviewers at once cannot both pass a stale check. Returns the
        review as `table.from_row` makes it."""
        reason = checked_reason(verdict, value, reason, table.field)
        if not reviewer:
            raise ValueError("reviewer is required")
        row = {
            "id": uuid.uuid4().hex,
            table.column: subject_id,
            "verdict": verdict,
            table.field: None if value is None else int(value),
            "reason": reason,
            "reviewer": reviewer,
            "created_at": self._now(),
        }
        with self._write() as db:
            rows = list(
                db.query(f"SELECT {table.field} FROM {table.subject} WHERE id = ?", [subject_id])
            )
            if not rows:
                raise NotFoundError(f"no {table.noun} {subject_id!r}")
            automated = None if rows[0][table.field] is None else bool(rows[0][table.field])
            in_force = table.in_force(
                automated, reviews_of(db, [subject_id], table, keys=self.keys)[subject_id]
            )
            refused = review_refusal(
                verdict, value, in_force, field=table.field, subject=table.noun
            )
            if refused:
                raise ReviewRefusedError(*refused)
            reason_sealed = seal(self.keys, table.reviews, "reason", row["id"], reason)
            db[table.reviews].insert({**row, "reason": reason_sealed})
            link(db, table.reviews, row["id"], self.keys)
            self._audit(
                db,
                actor=reviewer,
                key_id=key_id,
                action=table.action,
                status=201,
                target=subject_id,
                detail=verdict if value is None else f"{verdict} {table.field}={json_bool(value)}",
            )
        return table.from_row(row)

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
        overridden), and an override to the outcome already in force.
        """
        return self.write_review(
            DECISIONS,
            decision_id,
            verdict=verdict,
            value=eligible,
            reason=reason,
            reviewer=reviewer,
            key_id=key_id,
        )

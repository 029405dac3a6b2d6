"""What the store returns: frozen records of keys, reviews and decisions.

Records are plain data read from one consistent snapshot; nothing in them talks to the
database, so they can be compared, cached and handed to views freely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

ROLES = ("submitter", "reviewer", "policy_officer", "admin")
VERDICTS = ("confirm", "override")
REVIEW_STATUSES = ("unreviewed", "confirmed", "overridden")
STATUSES = ("eligible", "not_eligible", "undetermined")
OUTCOME_SOURCES = ("automated", "review")


KEY_STATES = ("active", "revoked", "expired")


@dataclass(frozen=True)
class Client:
    """A partner system or a person using the service; it owns its keys and its decisions."""

    id: str
    name: str  # unique
    role: str
    created_at: str


@dataclass(frozen=True)
class ApiKey:
    """One credential of a client; the secret token itself is never stored, only its sha256.

    `name` and `role` are the client's: a key has no role of its own, so every key of a
    client sees what the client may see. `state` is "active", "revoked" or "expired", as of
    when the key was read (expiry is compared with the store's clock).
    """

    id: str
    client_id: str
    name: str
    role: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    state: str = "active"

    @property
    def active(self) -> bool:
        return self.state == "active"


@dataclass(frozen=True)
class Review:
    """A human's verdict on an automated decision (UK GDPR Article 22)."""

    id: str
    decision_id: str
    verdict: str  # "confirm" | "override"
    eligible: bool | None  # the overriding outcome; None for a confirmation
    reason: str
    reviewer: str  # Client.id
    created_at: str


def status_of(eligible: bool | None) -> str:
    """The status that an outcome (true, false, or none yet) stands for."""
    return "undetermined" if eligible is None else "eligible" if eligible else "not_eligible"


@dataclass(frozen=True)
class Outcome:
    """The outcome in force for a decision: the automated one until a review overrides it.

    `status` and `eligible` say what is in force; `source` says whether the engine or a
    reviewer put it there; `review_id` names the latest review, which put it in force or
    confirmed it (None while unreviewed).
    """

    status: str  # "eligible", "not_eligible" or "undetermined"
    eligible: bool | None
    source: str  # "automated" or "review"
    review_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def outcome_in_force(automated: bool | None, reviews: Sequence[Review]) -> Outcome:
    """The latest override's outcome if there is one, else the automated outcome.

    A confirmation changes nothing: it agrees with whatever is in force, so a confirmation
    after an override confirms the override. (The store's list filters express the same rule
    in SQL; a test keeps the two in step.)
    """
    overrides = [r for r in reviews if r.verdict == "override"]
    eligible = overrides[-1].eligible if overrides else automated
    return Outcome(
        status=status_of(eligible),
        eligible=eligible,
        source="review" if overrides else "automated",
        review_id=reviews[-1].id if reviews else None,
    )


def review_status_of(automated: bool | None, reviews: Sequence[Review]) -> str:
    """ "unreviewed" without reviews; else "confirmed" if the outcome in force is the
    automated one (even if an override put it back), "overridden" if it differs."""
    if not reviews:
        return "unreviewed"
    in_force = outcome_in_force(automated, reviews).eligible
    return "confirmed" if in_force == automated else "overridden"


def review_refusal(
    verdict: str, eligible: bool | None, in_force: Outcome
) -> tuple[str, str] | None:
    """Why a review cannot be recorded against the outcome in force, as (code, message), or
    None if it can. A confirmation needs an outcome to agree with; an override must change
    the outcome in force (agreeing with it is a confirmation)."""
    if verdict == "confirm" and in_force.eligible is None:
        return (
            "nothing-to-confirm",
            "the decision is undetermined and no review has put an outcome in force, so there"
            " is nothing to confirm: override it with eligible true or false, or add the"
            " missing facts",
        )
    if verdict == "override" and eligible == in_force.eligible:
        return (
            "already-in-force",
            f"{in_force.status.replace('_', ' ')} is already the outcome in force"
            f" ({in_force.source}); send verdict 'confirm' to agree with it",
        )
    return None


@dataclass(frozen=True, kw_only=True)
class DecisionRecord:
    """A stored decision's metadata and reviews, without the personal payload.

    `list_decisions` returns these; `get_decision` returns a `StoredDecision`, which adds the
    full decision.
    """

    id: str
    created_at: str
    submitted_by: str
    family_ref: str
    assessment_date: str
    eligible: bool | None  # None: undetermined (sources missing)
    headlines_met: list[str]
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    reviews: list[Review] = field(default_factory=list)  # oldest first
    previous_id: str | None = None  # the decision this one follows, facts added
    superseded_by: str | None = None  # the decision that follows this one
    status: str = "eligible"  # "eligible", "not_eligible" or "undetermined"

    @property
    def review_status(self) -> str:
        """ "unreviewed", "confirmed" or "overridden" (see `review_status_of`)."""
        return review_status_of(self.eligible, self.reviews)

    @property
    def outcome(self) -> Outcome:
        """The outcome in force (see `outcome_in_force`)."""
        return outcome_in_force(self.eligible, self.reviews)

    @property
    def ruleset_ref(self) -> str:
        return f"{self.ruleset_id}@{self.ruleset_version}"

    def summary(self) -> dict[str, Any]:
        """The listing view: metadata only, no facts or trace."""
        return {
            "id": self.id,
            "created_at": self.created_at,
            "family_ref": self.family_ref,
            "assessment_date": self.assessment_date,
            "status": self.status,
            "eligible": self.eligible,
            "headlines_met": list(self.headlines_met),
            "ruleset": {
                "id": self.ruleset_id,
                "version": self.ruleset_version,
                "sha256": self.ruleset_sha256,
            },
            "review_status": self.review_status,
            "outcome": self.outcome.to_dict(),
            "submitted_by": self.submitted_by,
            "previous_id": self.previous_id,
            "superseded_by": self.superseded_by,
        }


@dataclass(frozen=True, kw_only=True)
class StoredDecision(DecisionRecord):
    """A stored decision with the full decision dict (trace included) as `evaluate` returned it."""

    decision: dict[str, Any]

"""What the store returns: frozen records of keys, reviews and decisions.

Records are plain data read from one consistent snapshot; nothing in them talks to the
database, so they can be compared, cached and handed to views freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("submitter", "reviewer", "policy_officer", "admin")
VERDICTS = ("confirm", "override")
REVIEW_STATUSES = ("unreviewed", "confirmed", "overridden")
STATUSES = ("eligible", "not_eligible", "undetermined")

STATUS_OF_VERDICT = {None: "unreviewed", "confirm": "confirmed", "override": "overridden"}


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
    previous_id: str | None = None
    status: str = "eligible"  # "eligible", "not_eligible" or "undetermined"

    @property
    def review_status(self) -> str:
        """ "unreviewed", "confirmed" or "overridden", from the latest review."""
        return STATUS_OF_VERDICT[self.reviews[-1].verdict if self.reviews else None]

    @property
    def outcome(self) -> bool | None:
        """The outcome in force: the latest review's if it is an override, else the automated
        one (a confirmation confirms the automated outcome; None while undetermined)."""
        if self.reviews and self.reviews[-1].verdict == "override":
            return bool(self.reviews[-1].eligible)
        return self.eligible

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
            "submitted_by": self.submitted_by,
        }


@dataclass(frozen=True, kw_only=True)
class StoredDecision(DecisionRecord):
    """A stored decision with the full decision dict (trace included) as `evaluate` returned it."""

    decision: dict[str, Any]

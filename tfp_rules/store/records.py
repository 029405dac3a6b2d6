"""What the store returns: frozen records of keys, reviews and decisions.

Records are plain data read from one consistent snapshot; nothing in them talks to the
database, so they can be compared, cached and handed to views freely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

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

    @property
    def value(self) -> bool | None:
        """The outcome this review puts in force (None for a confirmation)."""
        return self.eligible


@dataclass(frozen=True)
class ProgressReview:
    """A human's verdict on a progress decision: whether the family qualifies for a results
    claim, confirmed or overridden; the progress decision itself is never changed."""

    id: str
    progress_id: str
    verdict: str  # "confirm" | "override"
    qualifies: bool | None  # the overriding outcome; None for a confirmation
    reason: str
    reviewer: str  # Client.id
    created_at: str

    @property
    def value(self) -> bool | None:
        """The outcome this review puts in force (None for a confirmation)."""
        return self.qualifies


class _Reviewed(Protocol):
    id: str
    verdict: str

    @property
    def value(self) -> bool | None: ...


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

    @property
    def value(self) -> bool | None:
        return self.eligible

    @property
    def label(self) -> str:
        return self.status.replace("_", " ")


@dataclass(frozen=True)
class ProgressOutcome:
    """The outcome in force for a progress decision: whether the family qualifies for a
    results claim (None while unknown), the automated answer until a review overrides it."""

    qualifies: bool | None
    source: str  # "automated" or "review"
    review_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def value(self) -> bool | None:
        return self.qualifies

    @property
    def label(self) -> str:
        return {True: "qualifies", False: "does not qualify", None: "undetermined"}[self.qualifies]


def value_in_force(
    automated: bool | None, reviews: Sequence[_Reviewed]
) -> tuple[bool | None, str, str | None]:
    """(value, source, review_id) in force: the latest override's value if there is one, else
    the automated one; the same rule for decisions (eligible) and progress (qualifies).

    A confirmation changes nothing: it agrees with whatever is in force, so a confirmation
    after an override confirms the override. (The store's list filters express the same rule
    in SQL; a test keeps the two in step.)
    """
    overrides = [r for r in reviews if r.verdict == "override"]
    value = overrides[-1].value if overrides else automated
    return value, "review" if overrides else "automated", reviews[-1].id if reviews else None


def outcome_in_force(automated: bool | None, reviews: Sequence[_Reviewed]) -> Outcome:
    """The outcome in force for a decision (see `value_in_force`)."""
    eligible, source, review_id = value_in_force(automated, reviews)
    return Outcome(
        status=status_of(eligible), eligible=eligible, source=source, review_id=review_id
    )


def progress_outcome_in_force(
    automated: bool | None, reviews: Sequence[_Reviewed]
) -> ProgressOutcome:
    """The outcome in force for a progress decision (see `value_in_force`)."""
    qualifies, source, review_id = value_in_force(automated, reviews)
    return ProgressOutcome(qualifies=qualifies, source=source, review_id=review_id)


def review_status_of(automated: bool | None, reviews: Sequence[_Reviewed]) -> str:
    """ "unreviewed" without reviews; else "confirmed" if the outcome in force is the
    automated one (even if an override put it back), "overridden" if it differs."""
    if not reviews:
        return "unreviewed"
    in_force = value_in_force(automated, reviews)[0]
    return "confirmed" if in_force == automated else "overridden"


def review_refusal(
    verdict: str,
    value: bool | None,
    in_force: Outcome | ProgressOutcome,
    *,
    field: str = "eligible",
    subject: str = "decision",
) -> tuple[str, str] | None:
    """Why a review cannot be recorded against the outcome in force, as (code, message), or
    None if it can. A confirmation needs an outcome to agree with; an override must change
    the outcome in force (agreeing with it is a confirmation). `field` names the outcome
    (`eligible` for a decision, `qualifies` for a progress decision)."""
    if verdict == "confirm" and in_force.value is None:
        return (
            "nothing-to-confirm",
            f"the {subject} is undetermined and no review has put an outcome in force, so"
            f" there is nothing to confirm: override it with {field} true or false, or add"
            " the missing facts",
        )
    if verdict == "override" and value == in_force.value:
        return (
            "already-in-force",
            f"{in_force.label} is already the outcome in force"
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
    """A stored decision with the decision dict as `evaluate` returned it: its trace in full,
    unless read with `trace="compact"` (then as stored: `compact.is_compact` tells)."""

    decision: dict[str, Any]


PROGRESS_STATUSES = ("progressed", "not_progressed", "undetermined")


@dataclass(frozen=True, kw_only=True)
class ProgressRecord:
    """A stored progress decision's metadata and reviews, without the personal payload: the
    check of one family's progress since its entry decision (`entry_id`)."""

    id: str
    created_at: str
    submitted_by: str
    entry_id: str
    family_ref: str | None
    assessment_date: str
    status: str  # "progressed", "not_progressed" or "undetermined"
    qualifies: bool | None  # for a results claim; None while unknown
    qualifies_by: str | None  # "progress" or "employment" when it qualifies
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    reviews: list[ProgressReview] = field(default_factory=list)  # oldest first

    @property
    def review_status(self) -> str:
        """ "unreviewed", "confirmed" or "overridden" (see `review_status_of`)."""
        return review_status_of(self.qualifies, self.reviews)

    @property
    def outcome(self) -> ProgressOutcome:
        """Whether the family qualifies, as in force (see `value_in_force`)."""
        return progress_outcome_in_force(self.qualifies, self.reviews)

    def summary(self) -> dict[str, Any]:
        """The listing view: metadata only, no facts or trace."""
        return {
            "id": self.id,
            "entry_id": self.entry_id,
            "created_at": self.created_at,
            "submitted_by": self.submitted_by,
            "family_ref": self.family_ref,
            "assessment_date": self.assessment_date,
            "status": self.status,
            "qualifies": self.qualifies,
            "qualifies_by": self.qualifies_by,
            "ruleset": {
                "id": self.ruleset_id,
                "version": self.ruleset_version,
                "sha256": self.ruleset_sha256,
            },
            "review_status": self.review_status,
            "outcome": self.outcome.to_dict(),
        }


@dataclass(frozen=True, kw_only=True)
class StoredProgress(ProgressRecord):
    """A stored progress decision with the decision dict (trace included) as made."""

    decision: dict[str, Any]


CLAIM_STATUSES = ("claimed", "withdrawn", "withdrawn_in_error")


@dataclass(frozen=True, kw_only=True)
class ClaimRecord:
    """A results claim's metadata: what the council submits, without the evidence or the
    keyworker's name. `status` is "claimed", "withdrawn" or "withdrawn_in_error"; a
    withdrawal names who (`withdrawn_by`), when and why."""

    id: str
    created_at: str
    claimed_by: str  # Client.id, or cli:USER
    progress_id: str
    entry_id: str
    family_ref: str | None
    claim_date: str
    financial_year: str
    qualifies_by: str  # "progress", "employment" or "review"
    attachment_fee_gbp: float | int
    results_payment_gbp: float | int
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    status: str = "claimed"
    withdrawn_at: str | None = None
    withdrawn_by: str | None = None
    withdrawn_reason: str | None = None

    def summary(self) -> dict[str, Any]:
        """The listing view: metadata only."""
        return {
            "id": self.id,
            "created_at": self.created_at,
            "claimed_by": self.claimed_by,
            "progress_id": self.progress_id,
            "entry_id": self.entry_id,
            "family_ref": self.family_ref,
            "claim_date": self.claim_date,
            "financial_year": self.financial_year,
            "qualifies_by": self.qualifies_by,
            "amounts": {
                "attachment_fee_gbp": self.attachment_fee_gbp,
                "results_payment_gbp": self.results_payment_gbp,
            },
            "ruleset": {
                "id": self.ruleset_id,
                "version": self.ruleset_version,
                "sha256": self.ruleset_sha256,
            },
            "status": self.status,
            "withdrawal": None
            if self.withdrawn_at is None
            else {
                "at": self.withdrawn_at,
                "by": self.withdrawn_by,
                "reason": self.withdrawn_reason,
                "in_error": self.status == "withdrawn_in_error",
            },
        }


@dataclass(frozen=True, kw_only=True)
class StoredClaim(ClaimRecord):
    """A results claim with its content as `outcomes.claims.results_claim` made it:
    evidence pointers, amounts with their sources, preconditions."""

    claim: dict[str, Any]

    def view(self) -> dict[str, Any]:
        """The claim as read: its metadata, and its evidence and preconditions."""
        return {
            **self.summary(),
            "ruleset": self.claim.get("ruleset", self.summary()["ruleset"]),
            "amounts": self.claim.get("amounts", {}),
            "outcome": self.claim.get("outcome"),
            "evidence": self.claim.get("evidence", []),
            "preconditions": self.claim.get("preconditions", {}),
        }

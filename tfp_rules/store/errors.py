"""The store's typed exceptions: what a caller can act on, each with what it needs to act."""

from __future__ import annotations

from ..errors import TfpError


class NotFoundError(TfpError):
    """No decision or API key with that id."""


class ConflictError(TfpError):
    """An idempotency key was reused with a different request; `decision_id` is the first one's."""

    def __init__(self, message: str, decision_id: str):
        self.decision_id = decision_id
        super().__init__(message)


class StoreError(TfpError):
    """The database cannot be used: unreadable, locked too long, or newer than this code."""


class RefusedError(TfpError):
    """A well-formed request that what is stored does not allow; nothing was written."""


class ClientRoleError(RefusedError):
    """A key was asked for an existing client under another role (a client has one role)."""


class KeyStateError(RefusedError):
    """The key is revoked or expired, so it cannot be rotated."""


class ReviewRefusedError(RefusedError):
    """A review that the outcome in force does not allow; `code` says which rule:
    "nothing-to-confirm" or "already-in-force"."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


class SupersededError(RefusedError):
    """Facts were added to a decision that already has a successor: a chain of decisions
    cannot fork. `latest_id` is the newest decision of the chain, where facts belong now."""

    def __init__(self, decision_id: str, latest_id: str):
        self.decision_id = decision_id
        self.latest_id = latest_id
        super().__init__(
            f"decision {decision_id} is superseded; the latest decision of its chain is"
            f" {latest_id}: add facts to that one"
        )


class NothingNewError(RefusedError):
    """A facts update that leaves the previous facts as they were; no decision is made."""


class ClaimExistsError(RefusedError):
    """The family already has a results claim in force (claimed, or withdrawn but not in
    error): one results claim per family. `existing_id` names it."""

    def __init__(self, family_ref: str | None, existing_id: str):
        self.existing_id = existing_id
        super().__init__(
            f"family {family_ref} already has results claim {existing_id}: one results claim"
            " per family (only a claim withdrawn in error frees the family)"
        )


class ClaimWithdrawnError(RefusedError):
    """The claim is already withdrawn (`status` says how); a withdrawal is final."""

    def __init__(self, claim_id: str, status: str):
        self.claim_id = claim_id
        self.status = status
        super().__init__(f"claim {claim_id} is already {status.replace('_', ' ')}")

"""The decision store: every automated decision with the facts it was made on, human reviews,
an audit log and hashed API keys, in one SQLite file.

The only part of the core that touches SQLite. One module per table family (`keys` for
clients and their keys, `decisions` with `filters` for listing them and `idempotency` for
the keys that make retries safe, `reviews`, `progress` for progress decisions and their
reviews, `claims` for results claims (one per family), `jobs` for background jobs, `research` for
the register of research extracts, `subjects` for subject access reads, `retention` for tombstones, erasure and retention's purges,
`restrictions` for restricted families (Art. 18), `persons` for the person index,
`rekeying` for re-sealing under a new data key, `audit`, and `chain`, the hash chain over
decisions, reviews, progress, claims and audit rows, and its verification), over one
`connection` (durability,
transactions, `migrations`); `records` are what they return, `errors` what they raise.
`Store` is the one face callers use. Personal data (the facts as received and the decision
with its trace) lives apart from the metadata, so retention can later delete the one and
keep the other, and is sealed at rest with the data keys (`sealed`).
"""

from __future__ import annotations

from .audit import ACTIONS, ANONYMOUS, AuditLog, os_actor
from .chain import BREAKS, CHAINS, ChainBreak, ChainError, ChainReport, Chains
from .claims import Claims
from .connection import BUSY_TIMEOUT_MS
from .decisions import Decisions, StoredFacts
from .errors import (
    ClaimExistsError,
    ClaimWithdrawnError,
    ClientRoleError,
    ConflictError,
    KeyStateError,
    NotFoundError,
    NothingNewError,
    RefusedError,
    ReviewRefusedError,
    StoreError,
    SupersededError,
)
from .hashing import request_hash_of
from .idempotency import IDEMPOTENCY_LIFETIME, MAX_IDEMPOTENCY_LIFETIME, check_lifetime
from .jobs import JOB_KINDS, JOB_STATUSES, STALE_AFTER, JobRecord, Jobs
from .keys import TOKEN_PREFIX
from .migrations import MIGRATIONS
from .progress import ProgressChecks
from .records import (
    CLAIM_STATUSES,
    KEY_STATES,
    REVIEW_STATUSES,
    ROLES,
    STATUSES,
    VERDICTS,
    ApiKey,
    ClaimRecord,
    Client,
    DecisionRecord,
    Outcome,
    ProgressOutcome,
    ProgressRecord,
    ProgressReview,
    Review,
    StoredClaim,
    StoredDecision,
    StoredProgress,
)
from .rekeying import DEFAULT_BATCH, Rekeying, Resealed
from .research import (
    DESTRUCTIONS,
    ExtractRecord,
    ResearchDecision,
    ResearchExtracts,
    ResearchProgress,
)
from .restrictions import RestrictionRecord, Restrictions, RestrictionStateError
from .retention import ERASED, ErasureRecord, FamilyActivity, Retention, Tombstone
from .reviews import Reviews
from .sealed import SEALED, SealedDataError
from .sessions import SESSION_PREFIX, Sessions
from .subjects import FamilyRows, Subjects

__all__ = [
    "ACTIONS",
    "ANONYMOUS",
    "BREAKS",
    "BUSY_TIMEOUT_MS",
    "CHAINS",
    "CLAIM_STATUSES",
    "DEFAULT_BATCH",
    "DESTRUCTIONS",
    "ERASED",
    "IDEMPOTENCY_LIFETIME",
    "JOB_KINDS",
    "JOB_STATUSES",
    "KEY_STATES",
    "MAX_IDEMPOTENCY_LIFETIME",
    "MIGRATIONS",
    "REVIEW_STATUSES",
    "ROLES",
    "SEALED",
    "SESSION_PREFIX",
    "STALE_AFTER",
    "STATUSES",
    "TOKEN_PREFIX",
    "VERDICTS",
    "ApiKey",
    "ChainBreak",
    "ChainError",
    "ChainReport",
    "ClaimExistsError",
    "ClaimRecord",
    "ClaimWithdrawnError",
    "Client",
    "ClientRoleError",
    "ConflictError",
    "DecisionRecord",
    "ErasureRecord",
    "ExtractRecord",
    "FamilyActivity",
    "FamilyRows",
    "JobRecord",
    "KeyStateError",
    "NotFoundError",
    "NothingNewError",
    "Outcome",
    "ProgressOutcome",
    "ProgressRecord",
    "ProgressReview",
    "RefusedError",
    "Rekeying",
    "Resealed",
    "ResearchDecision",
    "ResearchProgress",
    "RestrictionRecord",
    "RestrictionStateError",
    "Review",
    "ReviewRefusedError",
    "SealedDataError",
    "Sessions",
    "Store",
    "StoreError",
    "StoredClaim",
    "StoredDecision",
    "StoredFacts",
    "StoredProgress",
    "Subjects",
    "SupersededError",
    "Tombstone",
    "check_lifetime",
    "os_actor",
    "request_hash_of",
]


class Store(
    Sessions,
    Decisions,
    ProgressChecks,
    Claims,
    Reviews,
    Jobs,
    ResearchExtracts,
    Subjects,
    Retention,
    Restrictions,
    Rekeying,
    Chains,
    AuditLog,
):
    """The decision store over one SQLite file, created and migrated on open.

    Each base class holds one table family; all share one `Connection`, so a method of one
    family can run inside another's transaction. A Store may be shared between threads.
    """

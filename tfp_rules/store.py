"""The decision store: every automated decision with the facts it was made on, human reviews,
an audit log and hashed API keys, in one SQLite file.

The only module of the core that touches SQLite. Personal data (the facts as received and
the decision with its trace) lives in `decision_payloads`, apart from the metadata in
`decisions`, so retention can later delete the one and keep the other.

Durability: WAL with `synchronous=FULL`, so a write is on disk when its method returns.
Every write is one `BEGIN IMMEDIATE` transaction, so concurrent writers (threads with their
own Store, or processes) queue on SQLite's lock (up to `BUSY_TIMEOUT_MS`) instead of failing
halfway. A Store may be shared between threads: one lock serialises its calls.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from .errors import TfpError

ROLES = ("submitter", "reviewer", "policy_officer", "admin")
VERDICTS = ("confirm", "override")
REVIEW_STATUSES = ("unreviewed", "confirmed", "overridden")
BUSY_TIMEOUT_MS = 5000
TOKEN_PREFIX = "tfp_"

_STATUS_OF_VERDICT = {None: "unreviewed", "confirm": "confirmed", "override": "overridden"}


class NotFoundError(TfpError):
    """No decision or API key with that id."""


class ConflictError(TfpError):
    """An idempotency key was reused with a different request; `decision_id` is the first one's."""

    def __init__(self, message: str, decision_id: str):
        self.decision_id = decision_id
        super().__init__(message)


class StoreError(TfpError):
    """The database cannot be used: unreadable, locked too long, or newer than this code."""


@dataclass(frozen=True)
class ApiKey:
    """A caller of the service; the secret token itself is never stored, only its sha256."""

    id: str
    name: str
    role: str
    created_at: str
    revoked_at: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Review:
    """A human's verdict on an automated decision (UK GDPR Article 22)."""

    id: str
    decision_id: str
    verdict: str  # "confirm" | "override"
    eligible: bool | None  # the overriding outcome; None for a confirmation
    reason: str
    reviewer: str  # ApiKey.id
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
        return _STATUS_OF_VERDICT[self.reviews[-1].verdict if self.reviews else None]

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


# -- schema -----------------------------------------------------------------------------------


def _initial_schema(db: sqlite_utils.Database) -> None:
    statements = [
        """CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            token_sha256 TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""",
        # Metadata only; family_ref is a pseudonymous reference, nullable so that erasure can
        # clear it and keep the rest as anonymous statistics.
        """CREATE TABLE decisions (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            submitted_by TEXT NOT NULL,
            family_ref TEXT,
            assessment_date TEXT NOT NULL,
            eligible INTEGER NOT NULL CHECK (eligible IN (0, 1)),
            headlines_met TEXT NOT NULL CHECK (json_valid(headlines_met)),
            ruleset_id TEXT NOT NULL,
            ruleset_version TEXT NOT NULL,
            ruleset_sha256 TEXT NOT NULL,
            previous_id TEXT REFERENCES decisions (id)
        )""",
        "CREATE INDEX decisions_created ON decisions (created_at, id)",
        "CREATE INDEX decisions_ruleset ON decisions (ruleset_id, ruleset_version)",
        "CREATE INDEX decisions_family ON decisions (family_ref)",
        "CREATE INDEX decisions_submitted_by ON decisions (submitted_by)",
        # The personal data: the facts as received and the decision with its trace.
        """CREATE TABLE decision_payloads (
            decision_id TEXT PRIMARY KEY REFERENCES decisions (id) ON DELETE CASCADE,
            facts TEXT NOT NULL,
            decision TEXT NOT NULL
        )""",
        # seq orders reviews by when they were written, whatever the clocks say.
        """CREATE TABLE reviews (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            decision_id TEXT NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
            verdict TEXT NOT NULL CHECK (verdict IN ('confirm', 'override')),
            eligible INTEGER CHECK (
                (verdict = 'confirm' AND eligible IS NULL)
                OR (verdict = 'override' AND eligible IN (0, 1))
            ),
            reason TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX reviews_decision ON reviews (decision_id, seq)",
        """CREATE TABLE idempotency (
            submitted_by TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            decision_id TEXT NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,
            created_at TEXT NOT NULL,
            UNIQUE (submitted_by, key)
        )""",
        # No foreign keys: the audit trail outlives what it mentions.
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT,
            action TEXT NOT NULL,
            target TEXT,
            status INTEGER,
            detail TEXT
        )""",
        "CREATE INDEX audit_target ON audit (target, id)",
        "CREATE INDEX audit_actor ON audit (actor, id)",
    ]
    for sql in statements:
        db.execute(sql)


def _three_valued_outcomes(db: sqlite_utils.Database) -> None:
    """2: a decision may be undetermined: `status` column, `eligible` NULL while undetermined.

    SQLite cannot change a column's constraints in place, so the table is rebuilt
    (foreign keys are off during migrations; see `Store._migrate`).
    """
    columns = (
        "id, created_at, submitted_by, family_ref, assessment_date, eligible, headlines_met, "
        "ruleset_id, ruleset_version, ruleset_sha256, previous_id"
    )
    statements = [
        """CREATE TABLE decisions_v2 (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            submitted_by TEXT NOT NULL,
            family_ref TEXT,
            assessment_date TEXT NOT NULL,
            eligible INTEGER CHECK (eligible IN (0, 1)),
            headlines_met TEXT NOT NULL CHECK (json_valid(headlines_met)),
            ruleset_id TEXT NOT NULL,
            ruleset_version TEXT NOT NULL,
            ruleset_sha256 TEXT NOT NULL,
            previous_id TEXT REFERENCES decisions (id),
            status TEXT NOT NULL CHECK (status IN ('eligible', 'not_eligible', 'undetermined')),
            CHECK ((status = 'undetermined') = (eligible IS NULL))
        )""",
        f"""INSERT INTO decisions_v2 ({columns}, status)
            SELECT {columns}, CASE eligible WHEN 1 THEN 'eligible' ELSE 'not_eligible' END
            FROM decisions""",
        "DROP TABLE decisions",
        "ALTER TABLE decisions_v2 RENAME TO decisions",
        "CREATE INDEX decisions_created ON decisions (created_at, id)",
        "CREATE INDEX decisions_ruleset ON decisions (ruleset_id, ruleset_version)",
        "CREATE INDEX decisions_family ON decisions (family_ref)",
        "CREATE INDEX decisions_submitted_by ON decisions (submitted_by)",
        "CREATE INDEX decisions_status ON decisions (status)",
    ]
    for sql in statements:
        db.execute(sql)


# Applied in order; the version of a database is the number applied. Append, never edit.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _initial_schema,
    _three_valued_outcomes,
)
STATUSES = ("eligible", "not_eligible", "undetermined")


# -- helpers ----------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _json_bool(value: Any) -> str:
    return "true" if value else "false"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_hash_of(facts: dict[str, Any], ruleset: str | None = None) -> str:
    """A stable hash of a request (facts and the ruleset asked for), for idempotency checks."""
    return _sha256(_canonical({"facts": facts, "ruleset": ruleset}))


def _encode_cursor(created_at: str, decision_id: str) -> str:
    raw = json.dumps([created_at, decision_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, decision_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc
    if not (isinstance(created_at, str) and isinstance(decision_id, str)):
        raise ValueError(f"invalid cursor {cursor!r}")
    return created_at, decision_id


def _moment_bound(value: str, name: str, *, upper: bool) -> tuple[str, str]:
    """A created_at bound as (operator, stored-format timestamp).

    A date alone covers that whole day; a time without a zone is taken as UTC.
    """
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            if upper:
                return "<", f"{day + timedelta(days=1)}T00:00:00.000000Z"
            return ">=", f"{day}T00:00:00.000000Z"
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{name}: not an ISO 8601 date or time: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return ("<=" if upper else ">="), _timestamp(moment)


def _day(value: str, name: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise ValueError(f"{name}: not an ISO 8601 date (YYYY-MM-DD): {value!r}") from exc


def _key_from_row(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


def _review_from_row(row: dict[str, Any]) -> Review:
    return Review(
        id=row["id"],
        decision_id=row["decision_id"],
        verdict=row["verdict"],
        eligible=None if row["eligible"] is None else bool(row["eligible"]),
        reason=row["reason"],
        reviewer=row["reviewer"],
        created_at=row["created_at"],
    )


def _record_fields(row: dict[str, Any], reviews: list[Review]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "submitted_by": row["submitted_by"],
        "family_ref": row["family_ref"],
        "assessment_date": row["assessment_date"],
        "eligible": None if row["eligible"] is None else bool(row["eligible"]),
        "status": row["status"],
        "headlines_met": json.loads(row["headlines_met"]),
        "ruleset_id": row["ruleset_id"],
        "ruleset_version": row["ruleset_version"],
        "ruleset_sha256": row["ruleset_sha256"],
        "reviews": reviews,
        "previous_id": row["previous_id"],
    }


# The verdict of a decision's latest review, or NULL if none.
_LATEST_VERDICT = (
    "(SELECT r.verdict FROM reviews r WHERE r.decision_id = d.id ORDER BY r.seq DESC LIMIT 1)"
)


# -- the store --------------------------------------------------------------------------------


class Store:
    """The decision store over one SQLite file, created and migrated on open.

    `clock` (returning an aware datetime) is for tests; every timestamp the store writes is
    ISO 8601 UTC with microseconds, e.g. 2026-11-25T17:40:01.123456Z.
    """

    def __init__(self, path: str | Path, *, clock: Callable[[], datetime] | None = None):
        self.path = Path(path)
        self._clock = clock or _utcnow
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileExistsError):
            # Personal data: readable by the owner only (SQLite gives -wal and -shm the same).
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            # isolation_level=None: the driver opens no transactions of its own; we do,
            # explicitly. check_same_thread=False: the lock above makes sharing threads safe.
            self._conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the decision store: {exc}") from exc
        try:
            self.db = sqlite_utils.Database(self._conn, execute_plugins=False)
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._enable_wal()
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: cannot open the decision store: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise

    def _enable_wal(self) -> None:
        """Switch to WAL, retrying: the switch needs an exclusive lock and SQLite does not wait
        for it, so several processes opening a new file at once would fail."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transactions and migrations ---------------------------------------------------------

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite_utils.Database]:
        """A transaction, or part of the one this thread already has open.

        Database errors become StoreError, except IntegrityError: a broken constraint is a
        bug here (save_decision handles the one expected case itself).
        """
        with self._lock:
            if self._conn.in_transaction:
                yield self.db
                return
            try:
                self._conn.execute(begin)
                try:
                    yield self.db
                    self._conn.execute("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    def _write(self) -> AbstractContextManager[sqlite_utils.Database]:
        """One write transaction. IMMEDIATE takes the write lock up front, so two writers
        never both read and then fail to upgrade to writing."""
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite_utils.Database]:
        """One consistent snapshot for several reads."""
        return self._transaction("BEGIN")

    def _version(self) -> int:
        if not self.db["schema_version"].exists():
            return 0
        row = self._conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return row[0] or 0

    def _migrate(self) -> None:
        known = len(MIGRATIONS)
        version = self._version()
        if version > known:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this code knows "
                f"({known}); upgrade tfp-rules"
            )
        if version == known:
            return
        # Rebuilding a table must not cascade deletes: foreign keys off (outside a
        # transaction, as SQLite requires), then checked before each migration commits.
        self._conn.execute("PRAGMA foreign_keys = OFF")
        try:
            for target in range(version + 1, known + 1):
                with self._write() as db:
                    db.execute(
                        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
                    )
                    current = self._version()  # another process may have migrated meanwhile
                    if current >= target:
                        continue
                    MIGRATIONS[target - 1](db)
                    broken = self._conn.execute("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(
                            f"{self.path}: migration {target} broke foreign keys: {broken[:3]}"
                        )
                    db.execute("DELETE FROM schema_version")
                    db.execute("INSERT INTO schema_version (version) VALUES (?)", [target])
        finally:
            self._conn.execute("PRAGMA foreign_keys = ON")

    @property
    def schema_version(self) -> int:
        with self._read():
            return self._version()

    def _now(self) -> str:
        return _timestamp(self._clock())

    def _audit(
        self,
        db: sqlite_utils.Database,
        *,
        actor: str | None,
        action: str,
        target: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        db["audit"].insert(
            {
                "at": self._now(),
                "actor": actor,
                "action": action,
                "target": target,
                "status": status,
                "detail": detail,
            }
        )

    # -- API keys ----------------------------------------------------------------------------

    def create_key(self, role: str, name: str, *, actor: str | None = None) -> tuple[ApiKey, str]:
        """A new key and its secret token, which is shown this once and never stored."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
        if not name or not name.strip():
            raise ValueError("an API key needs a name saying who or what uses it")
        key_id = secrets.token_hex(8)
        token = f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            id=key_id, name=name.strip(), role=role, created_at=self._now(), revoked_at=None
        )
        with self._write() as db:
            db["api_keys"].insert(
                {
                    "id": key.id,
                    "name": key.name,
                    "role": key.role,
                    "token_sha256": _sha256(token),
                    "created_at": key.created_at,
                    "revoked_at": None,
                }
            )
            self._audit(db, actor=actor, action="key.create", target=key.id, detail=role)
        return key, token

    def authenticate(self, token: str) -> ApiKey | None:
        """The active key this token belongs to, or None (unknown, revoked or malformed)."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
            return None
        key_id, sep, secret = token[len(TOKEN_PREFIX) :].partition("_")
        if not (sep and key_id and secret):
            return None
        with self._read() as db:
            rows = list(db.query("SELECT * FROM api_keys WHERE id = ?", [key_id]))
        if not rows or not hmac.compare_digest(rows[0]["token_sha256"], _sha256(token)):
            return None
        key = _key_from_row(rows[0])
        return key if key.active else None

    def list_keys(self) -> list[ApiKey]:
        """Every key, oldest first, revoked ones included."""
        with self._read() as db:
            rows = list(db.query("SELECT * FROM api_keys ORDER BY created_at, id"))
        return [_key_from_row(row) for row in rows]

    def revoke_key(self, key_id: str, *, actor: str | None = None) -> ApiKey:
        """Revoke a key for good; revoking it again changes nothing."""
        with self._write() as db:
            rows = list(db.query("SELECT * FROM api_keys WHERE id = ?", [key_id]))
            if not rows:
                raise NotFoundError(f"no API key {key_id!r}")
            if rows[0]["revoked_at"] is None:
                rows[0]["revoked_at"] = self._now()
                db.execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ?",
                    [rows[0]["revoked_at"], key_id],
                )
                self._audit(db, actor=actor, action="key.revoke", target=key_id)
        return _key_from_row(rows[0])

    # -- decisions ---------------------------------------------------------------------------

    def save_decision(
        self,
        decision: dict[str, Any],
        facts: dict[str, Any],
        *,
        submitted_by: str,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        previous_id: str | None = None,
    ) -> tuple[StoredDecision, bool]:
        """Store a decision and the facts it was made on; returns (decision, created).

        With an idempotency key (scoped to `submitted_by`), a repeat of the same request
        returns the first decision and created=False; the same key with a different
        `request_hash` raises ConflictError. Without `request_hash`, the hash of the facts
        and the decision's ruleset is used.
        """
        if not submitted_by:
            raise ValueError("submitted_by is required")
        if idempotency_key is not None and not idempotency_key:
            raise ValueError("an idempotency key cannot be empty")
        try:
            ruleset = decision["ruleset"]
            row = {
                "id": uuid.uuid4().hex,
                "created_at": None,
                "submitted_by": submitted_by,
                "family_ref": decision["family_ref"],
                "assessment_date": decision["assessment_date"],
                "eligible": None
                if decision["eligible"] is None
                else int(bool(decision["eligible"])),
                "status": decision.get(
                    "status", "eligible" if decision["eligible"] else "not_eligible"
                ),
                "headlines_met": json.dumps(list(decision["headlines_met"])),
                "ruleset_id": ruleset["id"],
                "ruleset_version": ruleset["version"],
                "ruleset_sha256": ruleset["sha256"],
                "previous_id": previous_id,
            }
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a decision as evaluate returns it: missing {exc}") from exc
        if idempotency_key is not None and request_hash is None:
            request_hash = request_hash_of(facts, f"{ruleset['id']}@{ruleset['version']}")
        payload = {
            "decision_id": row["id"],
            "facts": json.dumps(facts, ensure_ascii=False),
            "decision": json.dumps(decision, ensure_ascii=False),
        }
        try:
            with self._write() as db:
                if idempotency_key is not None:
                    earlier = self._replay(db, submitted_by, idempotency_key, request_hash)
                    if earlier is not None:
                        return earlier, False
                if previous_id is not None and not db["decisions"].count_where(
                    "id = ?", [previous_id]
                ):
                    raise NotFoundError(f"no decision {previous_id!r} (previous_id)")
                row["created_at"] = self._now()
                db["decisions"].insert(row)
                db["decision_payloads"].insert(payload)
                if idempotency_key is not None:
                    db["idempotency"].insert(
                        {
                            "submitted_by": submitted_by,
                            "key": idempotency_key,
                            "request_hash": request_hash,
                            "decision_id": row["id"],
                            "created_at": row["created_at"],
                        }
                    )
                self._audit(
                    db,
                    actor=submitted_by,
                    action="decision.create",
                    target=row["id"],
                    detail=f"{ruleset['id']}@{ruleset['version']} eligible={_json_bool(row['eligible'])}",
                )
        except sqlite3.IntegrityError as exc:
            # Another writer stored the same key between our look-up and insert (cannot
            # happen under BEGIN IMMEDIATE, but the unique index is the real guarantee):
            # everything above was rolled back; the winner's decision is the answer.
            if idempotency_key is None or "idempotency" not in str(exc):
                raise
            with self._write() as db:
                earlier = self._replay(db, submitted_by, idempotency_key, request_hash)
            if earlier is None:
                raise
            return earlier, False
        return self._get(row["id"]), True

    def _replay(
        self, db: sqlite_utils.Database, submitted_by: str, key: str, request_hash: str | None
    ) -> StoredDecision | None:
        rows = list(
            db.query(
                "SELECT request_hash, decision_id FROM idempotency"
                " WHERE submitted_by = ? AND key = ?",
                [submitted_by, key],
            )
        )
        if not rows:
            return None
        decision_id = rows[0]["decision_id"]
        if not hmac.compare_digest(rows[0]["request_hash"], request_hash or ""):
            raise ConflictError(
                f"idempotency key {key!r} was already used for a different request"
                f" (decision {decision_id})",
                decision_id,
            )
        self._audit(db, actor=submitted_by, action="decision.replay", target=decision_id)
        return self._get(decision_id)

    def _reviews_of(self, decision_ids: list[str]) -> dict[str, list[Review]]:
        reviews: dict[str, list[Review]] = {d: [] for d in decision_ids}
        rows = self.db.query(
            "SELECT * FROM reviews WHERE decision_id IN (SELECT value FROM json_each(?))"
            " ORDER BY seq",
            [json.dumps(decision_ids)],
        )
        for row in rows:
            reviews[row["decision_id"]].append(_review_from_row(row))
        return reviews

    def _get(self, decision_id: str) -> StoredDecision:
        with self._read() as db:
            rows = list(
                db.query(
                    "SELECT d.*, p.decision AS payload FROM decisions d"
                    " LEFT JOIN decision_payloads p ON p.decision_id = d.id WHERE d.id = ?",
                    [decision_id],
                )
            )
            if not rows:
                raise NotFoundError(f"no decision {decision_id!r}")
            reviews = self._reviews_of([decision_id])[decision_id]
        row = rows[0]
        # After erasure the payload is gone; the metadata remains.
        decision = json.loads(row["payload"]) if row["payload"] is not None else {}
        return StoredDecision(**_record_fields(row, reviews), decision=decision)

    def get_decision(self, decision_id: str) -> StoredDecision:
        """One decision with its full decision dict and its reviews, oldest first."""
        return self._get(decision_id)

    def get_facts(self, decision_id: str) -> dict[str, Any]:
        """The facts a decision was made on, as received (personal data: subject access)."""
        with self._read() as db:
            rows = list(
                db.query(
                    "SELECT d.id, p.facts FROM decisions d"
                    " LEFT JOIN decision_payloads p ON p.decision_id = d.id WHERE d.id = ?",
                    [decision_id],
                )
            )
        if not rows:
            raise NotFoundError(f"no decision {decision_id!r}")
        return json.loads(rows[0]["facts"]) if rows[0]["facts"] is not None else {}

    def list_decisions(
        self,
        *,
        eligible: bool | None = None,
        status: str | None = None,
        headline: str | None = None,
        ruleset: str | None = None,
        review_status: str | None = None,
        created_from: str | None = None,
        created_to: str | None = None,
        assessed_from: str | None = None,
        assessed_to: str | None = None,
        submitted_by: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[DecisionRecord], str | None]:
        """Decisions newest first, metadata and reviews only; returns (page, next cursor or None).

        `ruleset` is "ID" or "ID@VERSION". Date bounds are inclusive; `created_from/to` take
        a date (the whole day) or an ISO 8601 time (UTC if no zone). `cursor` is the opaque
        string a previous call returned. Bad arguments raise ValueError.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        where: list[str] = []
        args: list[Any] = []
        if eligible is not None:
            where.append("d.eligible = ?")
            args.append(int(eligible))
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"status is one of {', '.join(STATUSES)}, not {status!r}")
            where.append("d.status = ?")
            args.append(status)
        if headline is not None:
            where.append("EXISTS (SELECT 1 FROM json_each(d.headlines_met) h WHERE h.value = ?)")
            args.append(headline)
        if ruleset is not None:
            ruleset_id, _, version = ruleset.partition("@")
            where.append("d.ruleset_id = ?")
            args.append(ruleset_id)
            if version:
                where.append("d.ruleset_version = ?")
                args.append(version)
        if review_status is not None:
            verdict = {v: k for k, v in _STATUS_OF_VERDICT.items()}.get(review_status, "?")
            if verdict == "?":
                raise ValueError(
                    f"unknown review_status {review_status!r}; one of: {', '.join(REVIEW_STATUSES)}"
                )
            where.append(f"{_LATEST_VERDICT} IS ?")
            args.append(verdict)
        for value, name, upper in (
            (created_from, "created_from", False),
            (created_to, "created_to", True),
        ):
            if value is not None:
                op, moment = _moment_bound(value, name, upper=upper)
                where.append(f"d.created_at {op} ?")
                args.append(moment)
        if assessed_from is not None:
            where.append("d.assessment_date >= ?")
            args.append(_day(assessed_from, "assessed_from"))
        if assessed_to is not None:
            where.append("d.assessment_date <= ?")
            args.append(_day(assessed_to, "assessed_to"))
        if submitted_by is not None:
            where.append("d.submitted_by = ?")
            args.append(submitted_by)
        if cursor is not None:
            where.append("(d.created_at, d.id) < (?, ?)")
            args.extend(_decode_cursor(cursor))
        sql = (
            "SELECT d.* FROM decisions d"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY d.created_at DESC, d.id DESC LIMIT ?"
        )
        with self._read() as db:
            rows = list(db.query(sql, [*args, limit + 1]))
            page = rows[:limit]
            reviews = self._reviews_of([row["id"] for row in page])
        records = [DecisionRecord(**_record_fields(row, reviews[row["id"]])) for row in page]
        more = len(rows) > limit
        return records, (_encode_cursor(page[-1]["created_at"], page[-1]["id"]) if more else None)

    # -- reviews -----------------------------------------------------------------------------

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
                detail=verdict
                if eligible is None
                else f"{verdict} eligible={_json_bool(eligible)}",
            )
        return review

    # -- audit -------------------------------------------------------------------------------

    def audit(
        self,
        *,
        actor: str | None,
        action: str,
        target: str | None = None,
        status: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Record who did what to what, in its own transaction. Keep personal data out of
        `detail`: the audit log outlives the decisions it mentions."""
        if not action:
            raise ValueError("action is required")
        with self._write() as db:
            self._audit(db, actor=actor, action=action, target=target, status=status, detail=detail)

    def list_audit(
        self, *, target: str | None = None, actor: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Audit rows, newest first: id, at, actor, action, target, status, detail."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        where, args = [], []
        if target is not None:
            where.append("target = ?")
            args.append(target)
        if actor is not None:
            where.append("actor = ?")
            args.append(actor)
        sql = (
            "SELECT id, at, actor, action, target, status, detail FROM audit"
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY id DESC LIMIT ?"
        )
        with self._read() as db:
            return list(db.query(sql, [*args, limit]))

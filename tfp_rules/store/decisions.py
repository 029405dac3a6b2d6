"""Decisions: stored with the facts they were made on, idempotently; read back and listed.

Personal data (the facts as received and the decision with its trace) lives in
`decision_payloads`, apart from the metadata in `decisions`, so retention can later delete
the one and keep the other.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlite_utils

from ..compact import TraceTemplate, compact, is_compact
from .audit import AuditLog
from .chain import CHAIN_COLUMNS, link, link_new
from .errors import NotFoundError, NothingNewError, SupersededError
from .filters import _NEWEST, COUNTED, counts_query, filter_clauses, where_clauses
from .hashing import canonical_json, request_hash_of
from .idempotency import (
    IDEMPOTENCY_LIFETIME,
    check_lifetime,
    cutoff,
    purge_expired,
    remember,
    replayed_id,
)
from .listing import decision_order, decode_cursor, encode_cursor, page, timestamp
from .payloads import DECISION_PAYLOADS, with_payload
from .persons import index_persons
from .records import (
    DecisionRecord,
    Review,
    StoredDecision,
)
from .reviews import reviews_of
from .sealed import sealed_texts, unseal
from .statements import insert
from .templates import in_form, save_template


def record_fields(row: dict[str, Any], reviews: list[Review]) -> dict[str, Any]:
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
        "superseded_by": row["superseded_by"],
    }


@dataclass(frozen=True, slots=True)
class StoredFacts:
    """The facts a stored decision was made on, as received (JSON text, not parsed: a
    reader that hands them on, e.g. to a worker process, need not decode them)."""

    decision_id: str
    family_ref: str | None
    facts: str


# No newer decision of the same family (as list_decisions' `latest`). A decision whose
# family ref was erased has no payload either, so the join leaves it out.
_LATEST_OF_FAMILY = _NEWEST.format(mine="")
STREAM_PAGE = 500

# The decision that follows d (facts added), by the unique index of migration 4.
_SUCCESSOR = "(SELECT s.id FROM decisions s WHERE s.previous_id = d.id AND s.forked = 0)"
_RECORD = f"d.*, {_SUCCESSOR} AS superseded_by"


def _metadata_row(
    decision: dict[str, Any], submitted_by: str, previous_id: str | None
) -> dict[str, Any]:
    """The `decisions` row of a decision as evaluate returns it (created_at set on insert)."""
    try:
        ruleset = decision["ruleset"]
        eligible = decision["eligible"]
        return {
            "id": uuid.uuid4().hex,
            "created_at": None,
            "submitted_by": submitted_by,
            "family_ref": decision["family_ref"],
            "assessment_date": decision["assessment_date"],
            "eligible": None if eligible is None else int(bool(eligible)),
            "status": decision.get("status", "eligible" if eligible else "not_eligible"),
            "headlines_met": json.dumps(list(decision["headlines_met"])),
            "ruleset_id": ruleset["id"],
            "ruleset_version": ruleset["version"],
            "ruleset_sha256": ruleset["sha256"],
            "previous_id": previous_id,
        }
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a decision as evaluate returns it: missing {exc}") from exc


class Decisions(AuditLog):
    """The `decisions`, `decision_payloads` and `idempotency` tables (the keys' lifetime and
    purge are `idempotency`'s)."""

    def save_decision(
        self,
        decision: dict[str, Any],
        facts: dict[str, Any],
        *,
        submitted_by: str,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        previous_id: str | None = None,
        key_id: str | None = None,
        idempotency_lifetime: timedelta = IDEMPOTENCY_LIFETIME,
        template: TraceTemplate | None = None,
    ) -> tuple[StoredDecision, bool]:
        """Store a decision and the facts it was made on; returns (decision, created).

        With the `template` of the ruleset that made it (`compact.template_for`), the
        decision (with its full trace, or compacted with that template already) is stored
        with its compact trace and the template once, by its hash; without, as given, which
        must then be a full trace. Either way it reads back in full (`get_decision`); the
        decision returned is the one given.

        With an idempotency key (scoped to `submitted_by`), a repeat of the same request
        within `idempotency_lifetime` of its first use returns the first decision and
        created=False; the same key with a different `request_hash` raises ConflictError.
        After the lifetime the key is new again. Without `request_hash`, the hash of the
        facts and the decision's ruleset is used. Every save also purges a bounded batch of
        expired keys (see `idempotency`).

        With `previous_id` the decision follows that one, facts added: SupersededError if it
        already has a successor (a chain cannot fork, even between processes: a unique index
        says so), NothingNewError if `facts` are the previous facts again (compared as
        canonical JSON).

        The audit row names `submitted_by` as its actor, and `key_id`, the key used, if given.
        """
        if not submitted_by:
            raise ValueError("submitted_by is required")
        if idempotency_key is not None and not idempotency_key:
            raise ValueError("an idempotency key cannot be empty")
        row = _metadata_row(decision, submitted_by, previous_id)
        if idempotency_key is not None and request_hash is None:
            request_hash = request_hash_of(facts, f"{row['ruleset_id']}@{row['ruleset_version']}")
        if template is None and is_compact(decision):
            raise ValueError("a decision with a compact trace is stored with its template")
        stored_form = (
            decision if template is None or is_compact(decision) else compact(decision, template)
        )
        texts, sealed = sealed_texts(
            self.keys, "decision_payloads", row["id"], facts=facts, decision=stored_form
        )
        payload = {"decision_id": row["id"], **sealed}
        lifetime = check_lifetime(idempotency_lifetime)
        try:
            with self._write() as db:
                moment = self._clock()  # one reading: the decision's time and the keys' cutoff
                expired_at = cutoff(moment, lifetime)
                if idempotency_key is not None:
                    earlier = self._replay(
                        db, submitted_by, idempotency_key, request_hash, key_id, expired_at
                    )
                    if earlier is not None:
                        return earlier, False
                if previous_id is not None:
                    self._check_follows(db, previous_id, facts)
                purge_expired(db, expired_at)
                row["created_at"] = timestamp(moment)
                if template is not None and is_compact(stored_form):
                    save_template(db, template)
                self._insert(
                    db, row, payload, texts, idempotency_key, request_hash, key_id, expired_at
                )
                index_persons(
                    db, self.keys, family_ref=row["family_ref"], record_id=row["id"], facts=facts
                )
                # what was inserted, not read back (a new decision has no reviews and no
                # successor); made inside the transaction, so a failed commit returns nothing
                fields = record_fields({**row, "superseded_by": None}, [])
                stored = StoredDecision(**fields, decision=decision)
        except sqlite3.IntegrityError as exc:
            # Another writer stored the same key, or a successor of the same decision, between
            # our look-up and insert (cannot happen under BEGIN IMMEDIATE, but the unique
            # indexes are the real guarantee): everything above was rolled back.
            if previous_id is not None and "decisions.previous_id" in str(exc):
                raise SupersededError(previous_id, self.latest_in_chain(previous_id)) from exc
            if idempotency_key is None or "idempotency" not in str(exc):
                raise
            with self._write() as db:
                expired_at = cutoff(self._clock(), lifetime)
                earlier = self._replay(
                    db, submitted_by, idempotency_key, request_hash, key_id, expired_at
                )
            if earlier is None:
                raise
            return earlier, False
        return stored, True

    def _insert(
        self,
        db: sqlite_utils.Database,
        row: dict[str, Any],
        payload: dict[str, Any],
        texts: dict[str, str],
        idempotency_key: str | None,
        request_hash: str | None,
        key_id: str | None,
        expired_at: str,
    ) -> None:
        """The decision's rows and its audit row, inside the caller's write transaction
        (`row["created_at"]` set by the caller; `texts` the payload's JSON before sealing).
        The row is chained as it is inserted, hashed from the values in hand: reading the
        payload back and opening it again cost more than the rest of the insert."""
        content = [row["family_ref"], texts["facts"], texts["decision"]]
        chained = link_new(db, "decisions", row, content)
        values = (
            row if chained is None else {**row, **dict(zip(CHAIN_COLUMNS, chained, strict=True))}
        )
        insert(db.conn, "decisions", values)
        insert(db.conn, "decision_payloads", payload)
        if chained is None:  # values SQLite would convert: hash them as stored
            link(db, "decisions", row["id"], self.keys)
        if idempotency_key is not None:
            remember(
                db,
                submitted_by=row["submitted_by"],
                key=idempotency_key,
                request_hash=request_hash or "",
                decision_id=row["id"],
                created_at=row["created_at"],
                expired_at=expired_at,
            )
        previous = f" previous={row['previous_id']}" if row["previous_id"] else ""
        self._audit(
            db,
            actor=row["submitted_by"],
            key_id=key_id,
            action="decision.create",
            status=201,
            target=row["id"],
            detail=f"{row['ruleset_id']}@{row['ruleset_version']} status={row['status']}{previous}",
        )

    def _check_follows(
        self, db: sqlite_utils.Database, previous_id: str, facts: dict[str, Any]
    ) -> None:
        rows = list(
            db.query(
                "SELECT p.facts FROM decisions d"
                " LEFT JOIN decision_payloads p ON p.decision_id = d.id WHERE d.id = ?",
                [previous_id],
            )
        )
        if not rows:
            raise NotFoundError(f"no decision {previous_id!r} (previous_id)")
        self.require_latest(previous_id)
        before = unseal(self.keys, "decision_payloads", "facts", previous_id, rows[0]["facts"])
        if before is not None and canonical_json(json.loads(before)) == canonical_json(facts):
            raise NothingNewError(
                f"these facts are the facts of decision {previous_id} again, so a new decision"
                " would be the same one: send only records that are new"
            )

    def latest_in_chain(self, decision_id: str) -> str:
        """The newest decision of the chain `decision_id` is in: follow `superseded_by` to the
        end (`decision_id` itself if nothing follows it)."""
        with self._read() as db:
            rows = list(
                db.query(
                    "WITH RECURSIVE chain (id, depth) AS ("
                    " SELECT ?, 0 UNION ALL SELECT s.id, c.depth + 1"
                    " FROM decisions s JOIN chain c ON s.previous_id = c.id AND s.forked = 0"
                    ") SELECT id FROM chain ORDER BY depth DESC LIMIT 1",
                    [decision_id],
                )
            )
        return rows[0]["id"]

    def require_latest(self, decision_id: str) -> None:
        """Raise SupersededError, naming the chain's latest decision, if a decision already
        follows this one: facts belong on the newest decision of a chain."""
        latest = self.latest_in_chain(decision_id)
        if latest != decision_id:
            raise SupersededError(decision_id, latest)

    def replay(
        self,
        submitted_by: str,
        idempotency_key: str,
        request_hash: str,
        *,
        key_id: str | None = None,
        idempotency_lifetime: timedelta = IDEMPOTENCY_LIFETIME,
    ) -> StoredDecision | None:
        """The decision an earlier request with this idempotency key made (audited as a
        replay), or None if the key is new or was first used longer ago than
        `idempotency_lifetime`; ConflictError if that was another request.

        For callers that can answer a retry before doing the work again; `save_decision`
        makes the same check in its own transaction.
        """
        with self._write() as db:
            expired_at = cutoff(self._clock(), idempotency_lifetime)
            return self._replay(db, submitted_by, idempotency_key, request_hash, key_id, expired_at)

    def _replay(
        self,
        db: sqlite_utils.Database,
        submitted_by: str,
        key: str,
        request_hash: str | None,
        key_id: str | None,
        expired_at: str,
    ) -> StoredDecision | None:
        """The live use of this key (audited as a replay) or None; ConflictError if it was
        used for another request. Keys used at or before `expired_at` count as new."""
        decision_id = replayed_id(db, submitted_by, key, request_hash, expired_at)
        if decision_id is None:
            return None
        self._audit(
            db,
            actor=submitted_by,
            key_id=key_id,
            action="decision.replay",
            status=200,
            target=decision_id,
        )
        return self._get(decision_id)

    def _get(self, decision_id: str, trace: str = "full") -> StoredDecision:
        with self._read() as db:
            # After erasure the payload is gone; the metadata remains.
            row, decision = with_payload(
                db, DECISION_PAYLOADS, decision_id, "decision", _RECORD, keys=self.keys
            )
            decision = in_form(db, decision, trace)
            reviews = reviews_of(db, [decision_id], keys=self.keys)[decision_id]
        return StoredDecision(**record_fields(row, reviews), decision=decision)

    def get_decision(self, decision_id: str, *, trace: str = "full") -> StoredDecision:
        """One decision with its decision dict and its reviews, oldest first: its trace in
        full (expanded from the compact trace stored), or with `trace="compact"` as stored
        (compact, or full if it was stored so); ValueError for another `trace`."""
        return self._get(decision_id, trace)

    def get_facts(self, decision_id: str) -> dict[str, Any]:
        """The facts a decision was made on, as received (personal data: subject access)."""
        with self._read() as db:
            return with_payload(db, DECISION_PAYLOADS, decision_id, "facts", keys=self.keys)[1]

    def list_decisions(
        self,
        *,
        eligible: bool | None = None,
        status: str | None = None,
        headline: str | None = None,
        ruleset: str | None = None,
        review_status: str | None = None,
        outcome: str | None = None,
        family_ref: str | None = None,
        latest: bool = False,
        created_from: str | None = None,
        created_to: str | None = None,
        assessed_from: str | None = None,
        assessed_to: str | None = None,
        submitted_by: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[DecisionRecord], str | None]:
        """Decisions newest first, metadata and reviews only; returns (page, next cursor or None).

        `eligible` and `status` filter on the automated outcome, `outcome` ("eligible",
        "not_eligible", "undetermined") on the outcome in force, `review_status` on how the
        two compare. `ruleset` is "ID" or "ID@VERSION". `latest` keeps only the newest
        decision of each family_ref among those `submitted_by` (if given) made. Date bounds
        are inclusive; `created_from/to` take a date (the whole day) or an ISO 8601 time (UTC
        if no zone). `cursor` is the opaque string a previous call returned. Bad arguments
        raise ValueError.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        where, args = where_clauses(
            eligible=eligible,
            status=status,
            headline=headline,
            ruleset=ruleset,
            review_status=review_status,
            outcome=outcome,
            family_ref=family_ref,
            latest=latest,
            created_from=created_from,
            created_to=created_to,
            assessed_from=assessed_from,
            assessed_to=assessed_to,
            submitted_by=submitted_by,
        )
        if cursor is not None:
            where.append("(d.created_at, d.id) < (?, ?)")
            args.extend(decode_cursor(cursor))
        with self._read() as db:
            rows, more = page(
                db,
                f"SELECT {_RECORD} FROM decisions d",
                where,
                args,
                "d.created_at DESC, d.id DESC",
                limit,
            )
            reviews = reviews_of(db, [row["id"] for row in rows], keys=self.keys)
        records = [DecisionRecord(**record_fields(row, reviews[row["id"]])) for row in rows]
        return records, (encode_cursor(rows[-1]["created_at"], rows[-1]["id"]) if more else None)

    def decision_page(
        self, *, sort: str = "-created", offset: int = 0, limit: int = 50, **filters: Any
    ) -> list[DecisionRecord]:
        """Decisions in a named order (`listing.DECISION_ORDERS`), `limit` of them after
        skipping `offset`, metadata and reviews only: a numbered page of a list a person pages
        through (an API caller pages by cursor, `list_decisions`). `filters` are
        `list_decisions`' filters by name; bad arguments raise ValueError."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        if offset < 0:
            raise ValueError(f"offset cannot be negative, not {offset}")
        order = decision_order(sort)
        where, args = filter_clauses(filters)
        with self._read() as db:
            rows, _ = page(
                db, f"SELECT {_RECORD} FROM decisions d", where, args, order, limit, offset
            )
            reviews = reviews_of(db, [row["id"] for row in rows], keys=self.keys)
        return [DecisionRecord(**record_fields(row, reviews[row["id"]])) for row in rows]

    def decision_counts(self, **filters: Any) -> tuple[int, dict[str, dict[str, int]]]:
        """How many decisions `filters` (as `decision_page`'s) leave, and for each filter a
        list can be counted by (outcome, status, headline, review_status, ruleset as
        ID@VERSION), how many each of its values would leave with the other filters as they
        are: (total, {filter: {value: count}}), values with no decision left out. One query,
        one snapshot, so the numbers agree with each other."""
        sql, args = counts_query(filters)
        counts: dict[str, dict[str, int]] = {name: {} for name in COUNTED}
        total = 0
        with self._read() as db:
            for counted, value, n in db.execute(sql, args).fetchall():
                if counted == "total":
                    total = n
                elif n:
                    counts[counted][value] = n
        return total, counts

    def ruleset_refs(self) -> list[str]:
        """Every ruleset ("ID@VERSION") some stored decision was made with, sorted."""
        with self._read() as db:
            rows = db.query(
                "SELECT DISTINCT ruleset_id, ruleset_version FROM decisions"
                " ORDER BY ruleset_id, ruleset_version"
            )
            return [f"{r['ruleset_id']}@{r['ruleset_version']}" for r in rows]

    def count_latest_facts(self) -> int:
        """How many decisions `iter_latest_facts` yields (one per family with facts)."""
        with self._read() as db:
            rows = db.execute(
                "SELECT count(*) FROM decisions d JOIN decision_payloads p"
                f" ON p.decision_id = d.id WHERE {_LATEST_OF_FAMILY}"
            ).fetchone()
        return rows[0]

    def iter_latest_facts(self, *, page_size: int = STREAM_PAGE) -> Iterator[StoredFacts]:
        """The facts of the latest decision of each family (superseded and older decisions
        are history), in decision id order, as a stream: one short read per page of
        `page_size`, so memory stays constant and no transaction is held between pages
        (decisions stored meanwhile with a higher id are included, as they come)."""
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, not {page_size}")
        after = ""
        while True:
            with self._read() as db:
                rows = db.execute(
                    "SELECT d.id, d.family_ref, p.facts FROM decisions d"
                    " JOIN decision_payloads p ON p.decision_id = d.id"
                    f" WHERE d.id > ? AND {_LATEST_OF_FAMILY} ORDER BY d.id LIMIT ?",
                    [after, page_size],
                ).fetchall()
            for decision_id, family_ref, facts in rows:
                text = unseal(self.keys, "decision_payloads", "facts", decision_id, facts)
                yield StoredFacts(decision_id, family_ref, text)
            if len(rows) < page_size:
                return
            after = rows[-1][0]

"""The audit log: who did what to what, when, with which key, and with what outcome.

Every row names its actor (a client id; `anonymous` for a request without a valid key;
`cli:<user>` or `library:<user>` for local use) and its outcome as an HTTP-like status
(the status answered, for a request; 201 when a store action created something, else 200).
No foreign keys and no personal data: the trail outlives the decisions it mentions, so a
row names ids and outcomes, never a family's facts, its reference or a reviewer's reason.

Refusals that anyone can cause without a key (`record_rejection`) are bounded: repeats
within one minute from one address, for one reason, are one row with a count, at most
REJECTION_ROWS_PER_MINUTE such rows a minute, and what a row quotes is cut short. Without
that, 3,741 requests with a 4,000-character path added 36.6 MB in 30 s.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import json
import os
from typing import Any

import sqlite_utils

from .chain import link, link_new
from .connection import Connection
from .listing import moment_bound, page
from .statements import insert

ANONYMOUS = "anonymous"
ACTIONS = (
    "audit.list",
    "audit.verify",
    "claim.create",
    "claim.list",
    "claim.read",
    "claim.sample",
    "claim.withdraw",
    "client.create",
    "data_key.rotate",
    "decision.create",
    "decision.list",
    "decision.read",
    "decision.replay",
    "impact.run",
    "job.read",
    "key.create",
    "key.revoke",
    "key.rotate",
    "progress.create",
    "progress.list",
    "progress.read",
    "progress.replay",
    "progress_review.create",
    "request.rejected",
    "research.destroy",
    "research.export",
    "retention.apply",
    "review.create",
    "session.end",
    "session.start",
    "subject.erase",
    "subject.export",
    "subject.restrict",
    "subject.unrestrict",
)
COLUMNS = ("id", "at", "actor", "key_id", "action", "target", "status", "detail")
REJECTED = "request.rejected"
# A bounded rejection row quotes at most this much of the request and of the reason.
REJECTION_TARGET_CHARS = 120
REJECTION_TEXT_CHARS = 64
# Distinct bounded rejection rows one minute may add; the rest fold into OTHER_SOURCES rows.
REJECTION_ROWS_PER_MINUTE = 100
OTHER_SOURCES = "other addresses"
# The ids of one family's records (its ref three times): what `list_audit(family_ref=...)` finds rows about.
_FAMILY_IDS = (
    "SELECT id FROM decisions WHERE family_ref = ?"
    " UNION ALL SELECT id FROM progress WHERE family_ref = ?"
    " UNION ALL SELECT id FROM claims WHERE family_ref = ?"
)
# List reads name the ids they returned in `detail`: a read of each record listed (the
# family filter below and subject access, `subjects.py`, both count them so).
LIST_READS = ("decision.list", "progress.list", "claim.list")
_LIST_READS = f"({', '.join(repr(a) for a in LIST_READS)})"
_SET_CHAIN = "UPDATE audit SET chain_seq = ?, content_sha256 = ?, chain_sha256 = ? WHERE id = ?"


def os_actor(prefix: str) -> str:
    """An actor for work done on this machine rather than through the API: `prefix:<OS user>`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry, e.g. in a container
        user = f"uid{os.getuid()}"
    return f"{prefix}:{user}"


def json_bool(value: Any) -> str:
    """A flag as audit details spell it."""
    return "true" if value else "false"


def _check(actor: str, action: str, status: int) -> None:
    if not isinstance(actor, str) or not actor:
        raise ValueError("an audit row names its actor")
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; one of: {', '.join(ACTIONS)}")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"an audit row records its outcome as an HTTP status, not {status!r}")


def _like_prefix(text: str) -> str:
    """`text` as a LIKE pattern matching itself followed by anything (ESCAPE '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def rejection_detail(reason: str, source: str, count: int) -> str:
    """A bounded rejection row's detail: why, from which address, how many times that minute."""
    return f"{reason}; from {source}; count {count}"


def rejection_count(detail: str) -> int:
    """The count a bounded rejection row's detail records (see `rejection_detail`)."""
    return int(detail.rpartition("; count ")[2])


def _encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([row_id]).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        [row_id] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc
    if not isinstance(row_id, int) or isinstance(row_id, bool):
        raise ValueError(f"invalid cursor {cursor!r}")
    return row_id


class AuditLog(Connection):
    """Writing and reading the audit log."""

    def _audit(
        self,
        db: sqlite_utils.Database,
        *,
        actor: str,
        action: str,
        status: int,
        target: str | None = None,
        detail: str | None = None,
        key_id: str | None = None,
    ) -> None:
        """One audit row, inside the caller's transaction (it commits or rolls back with it)."""
        _check(actor, action, status)
        row = {
            "at": self._now(),
            "actor": actor,
            "key_id": key_id,
            "action": action,
            "target": target,
            "status": status,
            "detail": detail,
        }
        row["id"] = insert(db.conn, "audit", row)
        # chained from the values in hand (the id is known only once inserted)
        chained = link_new(db, "audit", row, [target, detail])
        if chained is None:  # values SQLite would convert: hash them as stored
            link(db, "audit", row["id"], self.keys)
        else:
            db.execute(_SET_CHAIN, [*chained, row["id"]])

    def audit(
        self,
        *,
        actor: str,
        action: str,
        status: int,
        target: str | None = None,
        detail: str | None = None,
        key_id: str | None = None,
    ) -> None:
        """Record who (`actor`, with `key_id` if a key was used) did what (`action`, one of
        ACTIONS) to what (`target`), with what outcome (`status`), in its own transaction.
        Keep personal data out of `detail`: the log outlives the decisions it mentions."""
        with self._write() as db:
            self._audit(
                db,
                actor=actor,
                action=action,
                status=status,
                target=target,
                detail=detail,
                key_id=key_id,
            )

    def record_rejection(
        self,
        *,
        actor: str,
        status: int,
        reason: str,
        source: str,
        target: str,
        key_id: str | None = None,
    ) -> int:
        """Record a refused request in bounded space; returns the count now on its row.

        Refusals alike in actor, key, source address, status and `reason` (a problem slug,
        or `revoked`/`expired` for such a key) within one UTC minute are one `request.rejected`
        row: `at` is the first of them, `target` the first one's (cut to
        REJECTION_TARGET_CHARS), and `detail` is `"<reason>; from <source>; count <n>"`.
        Past REJECTION_ROWS_PER_MINUTE such rows in a minute, new sources are counted
        together as OTHER_SOURCES. For refusals anyone can cause (no key, a bad key, too many
        requests): the rest are recorded one row each with `audit`.
        """
        _check(actor, REJECTED, status)
        reason = reason[:REJECTION_TEXT_CHARS]
        source = (source or "unknown")[:REJECTION_TEXT_CHARS]
        with self._write() as db:
            now = self._now()
            minute = now[: len("YYYY-MM-DDTHH:MM:")] + "00.000000Z"
            first = list(
                db.query("SELECT id FROM audit WHERE at >= ? ORDER BY at LIMIT 1", [minute])
            )
            since = first[0]["id"] if first else None
            row = self._rejection_row(db, since, actor, key_id, status, reason, source)
            if row is None and since is not None and source != OTHER_SOURCES:
                [[rows]] = db.execute(
                    "SELECT count(*) FROM audit WHERE action = ? AND id >= ? AND detail LIKE ?",
                    [REJECTED, since, "%; from %; count %"],
                ).fetchall()
                if rows >= REJECTION_ROWS_PER_MINUTE:
                    source = OTHER_SOURCES
                    row = self._rejection_row(db, since, actor, key_id, status, reason, source)
            if row is not None:
                count = rejection_count(row["detail"]) + 1
                db.execute(
                    "UPDATE audit SET detail = ? WHERE id = ?",
                    [rejection_detail(reason, source, count), row["id"]],
                )
                return count
            self._audit(
                db,
                actor=actor,
                key_id=key_id,
                action=REJECTED,
                status=status,
                target=target[:REJECTION_TARGET_CHARS],
                detail=rejection_detail(reason, source, 1),
            )
            return 1

    def _rejection_row(
        self,
        db: sqlite_utils.Database,
        since: int | None,
        actor: str,
        key_id: str | None,
        status: int,
        reason: str,
        source: str,
    ) -> dict[str, Any] | None:
        """This minute's bounded row for these refusals, if there is one (rows from `since`
        on are this minute's; the actor index keeps the search to them)."""
        if since is None:
            return None
        rows = list(
            db.query(
                "SELECT id, detail FROM audit WHERE actor = ? AND id >= ? AND action = ?"
                " AND status = ? AND key_id IS ? AND detail LIKE ? ESCAPE '\\'"
                " ORDER BY id LIMIT 1",
                [
                    actor,
                    since,
                    REJECTED,
                    status,
                    key_id,
                    _like_prefix(f"{reason}; from {source}; count "),
                ],
            )
        )
        return rows[0] if rows else None

    def list_audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        family_ref: str | None = None,
        at_from: str | None = None,
        at_to: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Audit rows newest first, as dicts of COLUMNS; returns (page, next cursor or None).

        `family_ref`: rows about that family's records, i.e. who did what to, or read, its
        data: rows whose target is one of its decisions, progress decisions or claims, and
        list reads that returned one of them. (A family whose ref was erased has none.)

        `at_from`/`at_to` take a date (the whole day, UTC) or an ISO 8601 time (UTC if no
        zone), both inclusive. Reading is not itself recorded here: the caller records it,
        naming the reader. Bad arguments raise ValueError.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("actor", actor), ("action", action), ("target", target)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        for value, name, upper in ((at_from, "from", False), (at_to, "to", True)):
            if value is not None:
                op, moment = moment_bound(value, name, upper=upper)
                where.append(f"at {op} ?")
                args.append(moment)
        if family_ref is not None:
            # each side on an index (target; action), so SQLite reads no other family's rows
            where.append(
                f"(target IN ({_FAMILY_IDS}) OR (action IN {_LIST_READS} AND EXISTS ("
                f"SELECT 1 FROM ({_FAMILY_IDS}) f WHERE instr(detail, f.id) > 0)))"
            )
            args.extend([family_ref] * 6)
        if cursor is not None:
            where.append("id < ?")
            args.append(_decode_cursor(cursor))
        with self._read() as db:
            rows, more = page(
                db, f"SELECT {', '.join(COLUMNS)} FROM audit", where, args, "id DESC", limit
            )
        return rows, (_encode_cursor(rows[-1]["id"]) if more else None)

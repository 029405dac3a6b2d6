"""Arguments the listing methods share: opaque keyset cursors, time bounds and sort orders."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlite_utils


def timestamp(moment: datetime) -> str:
    """The store's one time format: ISO 8601 UTC with microseconds, sorting as text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_cursor(created_at: str, decision_id: str) -> str:
    raw = json.dumps([created_at, decision_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, decision_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError(f"invalid cursor {cursor!r}") from exc
    if not (isinstance(created_at, str) and isinstance(decision_id, str)):
        raise ValueError(f"invalid cursor {cursor!r}")
    return created_at, decision_id


def moment_bound(value: str, name: str, *, upper: bool) -> tuple[str, str]:
    """A timestamp bound as (operator, stored-format timestamp).

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
    return ("<=" if upper else ">="), timestamp(moment)


def day(value: str, name: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError as exc:
        raise ValueError(f"{name}: not an ISO 8601 date (YYYY-MM-DD): {value!r}") from exc


# The orders a list of decisions can be shown in, by name: `-` for newest first. Each ends on
# the id, so the order is total and an offset always means the same rows.
DECISION_ORDERS = {
    "-created": "d.created_at DESC, d.id DESC",
    "created": "d.created_at ASC, d.id ASC",
    "-assessed": "d.assessment_date DESC, d.created_at DESC, d.id DESC",
    "assessed": "d.assessment_date ASC, d.created_at ASC, d.id ASC",
}


def decision_order(sort: str) -> str:
    """The ORDER BY of a named sort order (`DECISION_ORDERS`); ValueError for another name."""
    try:
        return DECISION_ORDERS[sort]
    except KeyError:
        raise ValueError(f"sort is one of {', '.join(DECISION_ORDERS)}, not {sort!r}") from None


def page(
    db: sqlite_utils.Database,
    select: str,
    where: list[str],
    args: list[Any],
    order: str,
    limit: int,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], bool]:
    """One page of `select` filtered by `where` (joined with AND) in `order`, after skipping
    `offset` rows, and whether more rows follow it (one extra row is read to know)."""
    sql = select + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order} LIMIT ?"
    params = [*args, limit + 1]
    if offset:
        sql += " OFFSET ?"
        params.append(offset)
    rows = list(db.query(sql, params))
    return rows[:limit], len(rows) > limit

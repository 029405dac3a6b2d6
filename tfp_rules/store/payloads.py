"""Reading a record with its personal data, which lives in a table of its own (so retention
can delete it and keep the metadata): one join, for decisions and progress decisions alike."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from ..privacy.datakeys import DataKeys
from .errors import NotFoundError
from .sealed import unseal


@dataclass(frozen=True)
class PayloadTable:
    """A metadata table, the table holding its records' personal data, and the column there
    that names the record."""

    table: str
    payloads: str
    key: str
    noun: str


DECISION_PAYLOADS = PayloadTable("decisions", "decision_payloads", "decision_id", "decision")
PROGRESS_PAYLOADS = PayloadTable(
    "progress", "progress_payloads", "progress_id", "progress decision"
)

CLAIM_PAYLOADS = PayloadTable("claims", "claim_payloads", "claim_id", "claim")


def with_payload(
    db: sqlite_utils.Database,
    kind: PayloadTable,
    record_id: str,
    member: str,
    select: str = "d.id",
    *,
    keys: DataKeys | None,
) -> tuple[dict[str, Any], Any]:
    """(the metadata row as `select` reads it, with alias `d`; the payload's `member`,
    "facts", "decision" or "claim", opened and parsed, or {} once erased); NotFoundError if
    there is no record."""
    rows = list(
        db.query(
            f"SELECT {select}, p.{member} AS payload FROM {kind.table} d"
            f" LEFT JOIN {kind.payloads} p ON p.{kind.key} = d.id WHERE d.id = ?",
            [record_id],
        )
    )
    if not rows:
        raise NotFoundError(f"no {kind.noun} {record_id!r}")
    row = rows[0]
    text = unseal(keys, kind.payloads, member, record_id, row.pop("payload"))
    return row, json.loads(text) if text is not None else {}

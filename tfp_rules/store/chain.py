"""The audit chain: each record of a chained table carries a hash of its personal content and
a hash linking it to the record before it, so an edit, insertion or removal made outside the
store shows, and erasing personal data does not break the chain.

The contract (schema 12; retention and erasure rely on it):

- Chained tables, each its own chain: `decisions` (with `decision_payloads`), `reviews`,
  `progress` (with `progress_payloads`), `progress_reviews`, `claims` (with
  `claim_payloads`) and `audit`. CHAINS names, for each, its *fields* (non-personal, never
  changed after writing) and its *content* (personal: what erasure may replace).
- Each chained row stores `chain_seq` (1, 2, 3... in insertion order, per table),
  `content_sha256` = sha256 of the canonical JSON list of its content values as written,
  sealed values opened (`sealed.py`: the plain text is hashed, so re-sealing under a new
  data key leaves every hash as it was, and a sealed value that no longer opens is altered), and `chain_sha256` = sha256 of (the previous row's `chain_sha256`, or the table's
  genesis value for the first row) + newline + the canonical JSON of the table name,
  `chain_seq` and fields + newline + `content_sha256`. `chain_heads` holds each chain's last
  (seq, hash), so a removed last row shows too.
- Erasure replaces a row's content with NULL (every content column of the row, or the
  empty string in a NOT NULL column; a deleted payload row reads as NULL) and keeps
  `content_sha256`: verification re-hashes content where it is present (an edit shows) and
  trusts `content_sha256` where all of it was erased (counted `erased`). Content only partly
  erased, with the rest no longer matching, is reported altered. Fields are never changed.
- What changes after writing is outside the chain: a claim's withdrawal (`status`,
  `withdrawn_*`: the withdrawal is chained as its own `claim.withdraw` audit row) and a
  bounded rejection row's count (`; count N` at the end of its detail, a counter by design).
- Rows are linked inside the write transaction that inserts them (`link`, reading the row
  back; or `link_new`, from the values in hand where they read back as they are), with the
  head read under the same BEGIN IMMEDIATE lock, so two writers cannot fork a chain; a unique
  index on `chain_seq` is the guarantee. Migration 12 links the rows already there, once,
  in their insertion (rowid) order.
- `verify` walks each chain and names the first break: `altered` (content or fields
  changed), `inserted` (a row the chain does not pass through: no chain values, skipped by
  the next row, or beyond the recorded head) or `removed` (a gap in the sequence, or rows
  missing after the last one left).

The hashes are not keyed: someone who can write the file and knows this scheme can rebuild a
whole chain. Recording the heads `tfp audit verify` prints somewhere else detects that.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import orjson
import sqlite_utils

from ..privacy.datakeys import DataKeys, sealed_key_id
from .connection import Connection
from .hashing import canonical_json
from .sealed import SEALED_BY_TABLE, SealedDataError, unseal


@dataclass(frozen=True)
class Chain:
    """One chained table: how to read its rows, its fields and its content."""

    table: str
    key: str  # the column `link` finds a row by
    fields: tuple[str, ...]  # columns of the row (alias r), never changed after writing
    content: tuple[str, ...]  # personal columns, of r or of the payload (alias p)
    payload: str | None = None  # "JOIN ..." clause of the payload table, if any
    numbers: tuple[str, ...] = ()  # fields of INTEGER affinity (the rest are TEXT)

    @cached_property
    def sealed(self) -> dict[int, tuple[str, str]]:
        """The content values (by index) stored sealed: each one's (table, column); worked
        out once per chain, not per row read."""
        payloads = self.payload.split()[2] if self.payload else None
        found = {}
        for i, content in enumerate(self.content):
            alias, column = content.split(".")
            table = payloads if alias == "p" else self.table
            if table in SEALED_BY_TABLE and column in SEALED_BY_TABLE[table].columns:
                found[i] = (table, column)
        return found


_RULESET = ("ruleset_id", "ruleset_version", "ruleset_sha256")
CHAINS: dict[str, Chain] = {
    c.table: c
    for c in (
        Chain(
            "decisions",
            "id",
            (
                "id",
                "created_at",
                "submitted_by",
                "assessment_date",
                "eligible",
                "status",
                "headlines_met",
                *_RULESET,
                "previous_id",
            ),
            ("r.family_ref", "p.facts", "p.decision"),
            "LEFT JOIN decision_payloads p ON p.decision_id = r.id",
            ("eligible",),
        ),
        Chain(
            "reviews",
            "id",
            ("id", "decision_id", "verdict", "eligible", "reviewer", "created_at"),
            ("r.reason",),
        ),
        Chain(
            "progress",
            "id",
            (
                "id",
                "created_at",
                "submitted_by",
                "entry_id",
                "assessment_date",
                "status",
                "qualifies",
                "qualifies_by",
                *_RULESET,
            ),
            ("r.family_ref", "p.facts", "p.decision"),
            "LEFT JOIN progress_payloads p ON p.progress_id = r.id",
        ),
        Chain(
            "progress_reviews",
            "id",
            ("id", "progress_id", "verdict", "qualifies", "reviewer", "created_at"),
            ("r.reason",),
        ),
        Chain(
            "claims",
            "id",
            (
                "id",
                "created_at",
                "claimed_by",
                "progress_id",
                "entry_id",
                "claim_date",
                "financial_year",
                "qualifies_by",
                "attachment_fee_gbp",
                "results_payment_gbp",
                *_RULESET,
            ),
            ("r.family_ref", "p.claim"),
            "LEFT JOIN claim_payloads p ON p.claim_id = r.id",
        ),
        Chain(
            "audit",
            "id",
            ("id", "at", "actor", "key_id", "action", "status"),
            ("r.target", "r.detail"),
            numbers=("id", "status"),
        ),
    )
}
CHAIN_COLUMNS = ("chain_seq", "content_sha256", "chain_sha256")
BREAKS = ("altered", "inserted", "removed")
# A bounded rejection row's count grows after writing (audit.record_rejection).
_COUNT = re.compile(r"; count \d+$")


class ChainError(ValueError):
    """A table that has no chain was named."""


def genesis(table: str) -> str:
    """The value the first row of `table`'s chain links from."""
    return hashlib.sha256(f"tfp-rules audit chain 1: {table}".encode()).hexdigest()


def _content_values(chain: Chain, row: dict[str, Any]) -> list[Any]:
    values = [row[f"c{i}"] for i in range(len(chain.content))]
    if chain.table == "audit" and row["action"] == "request.rejected" and values[1]:
        values[1] = _COUNT.sub("; count", values[1])
    return values


def _content_json(values: list[Any]) -> bytes:
    """`canonical_json(values)` as UTF-8. For text and nulls alone (all content but an
    erased or odd value) orjson writes the same bytes twice as fast, the documents' 100 KiB
    of JSON escaped once more (a test compares the two on every code point)."""
    if all(v is None or type(v) is str for v in values):
        with suppress(TypeError):  # a lone surrogate: the standard library's way
            return orjson.dumps(values)
    return canonical_json(values).encode()


def content_sha256(chain: Chain, row: dict[str, Any]) -> str:
    """The sha256 of a row's personal content (as `_select` reads it)."""
    return hashlib.sha256(_content_json(_content_values(chain, row))).hexdigest()


def chain_sha256(chain: Chain, previous: str, seq: int, row: dict[str, Any], content: str) -> str:
    """The hash linking a row (as `_select` reads it) to `previous`."""
    fields = canonical_json([chain.table, seq, [row[f] for f in chain.fields]])
    return hashlib.sha256(f"{previous}\n{fields}\n{content}".encode()).hexdigest()


def opened(chain: Chain, row: dict[str, Any], keys: DataKeys | None) -> dict[str, Any]:
    """`row` (as `_select` reads it) with its sealed content opened (a new dict);
    SealedDataError if a value does not open."""
    sealed = chain.sealed
    if not sealed:
        return row
    row = dict(row)
    for i, (table, column) in sealed.items():
        value = row[f"c{i}"]
        if isinstance(value, bytes) and sealed_key_id(value) is None:  # stored as text
            try:
                value = value.decode()
            except UnicodeDecodeError as exc:
                raise SealedDataError(f"{table}.{column}: not text", altered=True) from exc
        row[f"c{i}"] = unseal(keys, table, column, row["id"], value)
    return row


def _erased(chain: Chain, row: dict[str, Any]) -> bool:
    return all(row[f"c{i}"] in (None, "") for i in range(len(chain.content)))


def _select(chain: Chain) -> str:
    # sealed values are read as bytes, so one an editor turned into broken text still reads
    sealed = chain.sealed
    content = ", ".join(
        f"CAST({c} AS BLOB) AS c{i}" if i in sealed else f"{c} AS c{i}"
        for i, c in enumerate(chain.content)
    )
    fields = ", ".join(f"r.{f}" for f in chain.fields)
    return (
        f"SELECT r.rowid AS row_id, {fields}, {content}, r.chain_seq, r.content_sha256,"
        f" r.chain_sha256 FROM {chain.table} r {chain.payload or ''}"
    )


def _head(db: sqlite_utils.Database, table: str) -> tuple[int, str]:
    found = db.execute(
        "SELECT seq, chain_sha256 FROM chain_heads WHERE name = ?", [table]
    ).fetchone()
    return (found[0], found[1]) if found else (0, genesis(table))


def _set_head(db: sqlite_utils.Database, table: str, seq: int, value: str) -> None:
    db.execute(
        "INSERT INTO chain_heads (name, seq, chain_sha256) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET seq = excluded.seq,"
        " chain_sha256 = excluded.chain_sha256",
        [table, seq, value],
    )


def link(db: sqlite_utils.Database, table: str, key: Any, keys: DataKeys | None) -> None:
    """Chain the row of `table` just inserted (with its payload), inside the caller's write
    transaction: it is read back as stored (and opened), so what is hashed is what verify
    will read."""
    chain = CHAINS[table]
    [row] = db.query(f"{_select(chain)} WHERE r.{chain.key} = ?", [key])
    row = opened(chain, row, keys)
    seq, previous = _head(db, table)
    content = content_sha256(chain, row)
    value = chain_sha256(chain, previous, seq + 1, row, content)
    db.execute(
        f"UPDATE {table} SET chain_seq = ?, content_sha256 = ?, chain_sha256 = ? WHERE rowid = ?",
        [seq + 1, content, value, row["row_id"]],
    )
    _set_head(db, table, seq + 1, value)


def _reads_back(chain: Chain, fields: dict[str, Any], content: list[Any]) -> bool:
    """Whether these values read back from SQLite exactly as they are: None, str in a TEXT
    column (content is TEXT or sealed text), int in an INTEGER one. Anything else (a float,
    a bool, an int bound to a TEXT column) SQLite would convert, so it must be read back."""
    for name in chain.fields:
        value = fields[name]
        wanted = int if name in chain.numbers else str
        if value is not None and type(value) is not wanted:
            return False
    return all(value is None or type(value) is str for value in content)


def link_new(
    db: sqlite_utils.Database, table: str, fields: dict[str, Any], content: list[Any]
) -> tuple[int, str, str] | None:
    """The chain values (`chain_seq`, `content_sha256`, `chain_sha256`) of a row of `table`
    written in the caller's write transaction with these `fields` and plain `content` (in
    CHAINS order, sealed values as their text), the head moved to it; hashed from the
    values in hand rather than read back (and opened), so only when they read back as they
    are (`_reads_back`), else None and the caller uses `link`."""
    chain = CHAINS[table]
    if not _reads_back(chain, fields, content):
        return None
    row = {name: fields[name] for name in chain.fields}
    row.update((f"c{i}", value) for i, value in enumerate(content))
    seq, previous = _head(db, table)
    digest = content_sha256(chain, row)
    value = chain_sha256(chain, previous, seq + 1, row, digest)
    _set_head(db, table, seq + 1, value)
    return seq + 1, digest, value


def link_existing(db: sqlite_utils.Database) -> None:
    """Chain every row already stored, in insertion (rowid) order (migration 12)."""
    for table, chain in CHAINS.items():
        seq, previous = 0, genesis(table)
        updates = []
        for row in db.query(f"{_select(chain)} ORDER BY r.rowid"):
            row = opened(chain, row, None)  # nothing was sealed before schema 14
            seq += 1
            content = content_sha256(chain, row)
            previous = chain_sha256(chain, previous, seq, row, content)
            updates.append((seq, content, previous, row["row_id"]))
        db.conn.executemany(
            f"UPDATE {table} SET chain_seq = ?, content_sha256 = ?, chain_sha256 = ?"
            " WHERE rowid = ?",
            updates,
        )
        if seq:
            _set_head(db, table, seq, previous)


@dataclass(frozen=True)
class ChainBreak:
    """The first record where a chain does not hold: `kind` one of BREAKS, the row's
    `chain_seq` and key (None where it has none), and what was found."""

    kind: str
    seq: int | None
    key: Any
    detail: str


@dataclass
class ChainReport:
    """One chain walked: rows in the table, rows checked OK (up to any break), of which
    `erased` verified by their kept content hash, the break if any, and the head."""

    table: str
    rows: int = 0
    ok: int = 0
    erased: int = 0
    broken: ChainBreak | None = None
    head_seq: int = 0
    head_sha256: str = ""

    @property
    def intact(self) -> bool:
        return self.broken is None


def _pairs(rows: Iterator[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], Any]]:
    """Each row with the next one (None after the last)."""
    current = next(rows, None)
    while current is not None:
        following = next(rows, None)
        yield current, following
        current = following


def verify(db: sqlite_utils.Database, table: str, keys: DataKeys | None) -> ChainReport:
    """Walk one chain, in `chain_seq` order (rows without one last), to its first break
    (sealed content that does not open with `keys` is a break: altered, or its key is not
    in the key file, which the break's detail says)."""
    chain = CHAINS[table]
    head_seq, head = _head(db, table)
    [[total]] = db.execute(f"SELECT count(*) FROM {table}").fetchall()
    report = ChainReport(table, rows=total, head_seq=head_seq, head_sha256=head)
    seq, previous = 0, genesis(table)
    rows = db.query(f"{_select(chain)} ORDER BY r.chain_seq IS NULL, r.chain_seq, r.rowid")
    for row, following in _pairs(iter(rows)):
        found = _check_row(chain, row, following, seq, previous, head_seq, keys)
        if isinstance(found, ChainBreak):
            report.broken = found
            return report
        report.ok += 1
        report.erased += found
        seq, previous = row["chain_seq"], row["chain_sha256"]
    if head_seq > seq:
        report.broken = ChainBreak(
            "removed",
            seq + 1,
            None,
            f"rows {seq + 1} to {head_seq} are gone: the chain's head is row {head_seq}",
        )
    elif head_seq == seq and seq and previous != head:
        report.broken = ChainBreak("altered", seq, None, "the last row is not the head recorded")
    return report


def _check_row(
    chain: Chain,
    row: dict[str, Any],
    following: dict[str, Any] | None,
    seq: int,
    previous: str,
    head_seq: int,
    keys: DataKeys | None,
) -> ChainBreak | bool:
    """The break at this row, or whether it verified by its kept content hash (erased)."""
    key = row[chain.key]
    try:
        row = opened(chain, row, keys)
    except SealedDataError as exc:  # altered, moved, or naming a key the file does not hold
        return ChainBreak("altered", row["chain_seq"], key, f"its sealed content: {exc}")
    if None in (row["chain_seq"], row["content_sha256"], row["chain_sha256"]):
        return ChainBreak("inserted", row["chain_seq"], key, "a row without chain values")
    if row["chain_seq"] > head_seq:  # the store moves the head with every row it links
        return ChainBreak("inserted", row["chain_seq"], key, "a row beyond the chain's head")
    erased = False
    if content_sha256(chain, row) != row["content_sha256"]:
        if not _erased(chain, row):
            return ChainBreak("altered", row["chain_seq"], key, "its content was changed")
        erased = True
    expected = chain_sha256(chain, previous, row["chain_seq"], row, row["content_sha256"])
    if row["chain_seq"] == seq + 1 and expected == row["chain_sha256"]:
        return erased
    if row["chain_seq"] > seq + 1:
        return ChainBreak(
            "removed",
            seq + 1,
            key,
            f"rows {seq + 1} to {row['chain_seq'] - 1} are gone, before this one",
        )
    if following is not None and _follows(chain, following, previous):
        return ChainBreak("inserted", row["chain_seq"], key, "the chain does not pass through it")
    return ChainBreak("altered", row["chain_seq"], key, "its fields or chain values were changed")


def _follows(chain: Chain, row: dict[str, Any], previous: str) -> bool:
    """Whether `row` links straight from `previous` (skipping the row before it)."""
    if None in (row["chain_seq"], row["content_sha256"], row["chain_sha256"]):
        return False
    expected = chain_sha256(chain, previous, row["chain_seq"], row, row["content_sha256"])
    return expected == row["chain_sha256"]


class Chains(Connection):
    """Verifying the chains (`tfp audit verify`'s library twin)."""

    def verify_chains(self, tables: list[str] | None = None) -> list[ChainReport]:
        """Walk each chain (all of CHAINS, or `tables`), in one snapshot; ChainError for a
        table that has none."""
        names = list(CHAINS) if tables is None else list(tables)
        unknown = [t for t in names if t not in CHAINS]
        if unknown:
            raise ChainError(
                f"no chain for {', '.join(unknown)}; chained tables: {', '.join(CHAINS)}"
            )
        with self._read() as db:
            return [verify(db, t, self.keys) for t in names]

"""The personal columns sealed at rest, and sealing and opening their values.

Every value of a column in SEALED is written sealed with the store's current data key
(`privacy.datakeys`), bound to its table, column and record id, and opened as it is read,
so no caller ever sees ciphertext and nothing outside the store knows it exists. A store
opened without data keys (development mode) writes plain text and refuses to open sealed
values, saying which key they need. Metadata (ids, dates, statuses, outcomes, family refs)
stays plain: the store's indexes and filters need it, and it is what tombstones keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..privacy.datakeys import AlteredValueError, DataKeyError, DataKeys, sealed_key_id
from .encoding import encoded
from .errors import StoreError


@dataclass(frozen=True)
class SealedColumns:
    """A table's sealed columns, and the column naming the record they belong to."""

    table: str
    key: str
    columns: tuple[str, ...]


SEALED: tuple[SealedColumns, ...] = (
    SealedColumns("decision_payloads", "decision_id", ("facts", "decision")),
    SealedColumns("progress_payloads", "progress_id", ("facts", "decision")),
    SealedColumns("claim_payloads", "claim_id", ("claim",)),
    SealedColumns("reviews", "id", ("reason",)),
    SealedColumns("progress_reviews", "id", ("reason",)),
    SealedColumns("claims", "id", ("withdrawn_reason",)),
)
SEALED_BY_TABLE = {s.table: s for s in SEALED}


class SealedDataError(StoreError):
    """A sealed value cannot be opened: its key is not loaded, or (`altered`) it does not
    open under its key, because it was altered or moved from another record."""

    def __init__(self, message: str, *, altered: bool = False):
        self.altered = altered
        super().__init__(message)


def context(table: str, column: str, record_id: str) -> str:
    """What a sealed value is bound to (its AEAD associated data)."""
    return f"{table}.{column}/{record_id}"


def seal(keys: DataKeys | None, table: str, column: str, record_id: str, text: str | None) -> Any:
    """The value to store for `text` (unchanged without keys, or when None)."""
    if text is None or keys is None:
        return text
    return keys.seal(text, context(table, column, record_id))


def sealed_payload(
    keys: DataKeys | None, table: str, record_id: str, **documents: Any
) -> dict[str, Any]:
    """A payload row's columns: each JSON document encoded (`encoding.encoded`) and sealed,
    bound to `table`, its column and `record_id`."""
    return sealed_texts(keys, table, record_id, **documents)[1]


def sealed_texts(
    keys: DataKeys | None, table: str, record_id: str, **documents: Any
) -> tuple[dict[str, str], dict[str, Any]]:
    """(each document's JSON text, the payload row's columns as `sealed_payload` makes them):
    the texts are what the audit chain hashes, so a writer need not read them back."""
    texts = {column: encoded(document) for column, document in documents.items()}
    row = {column: seal(keys, table, column, record_id, text) for column, text in texts.items()}
    return texts, row


def unseal(keys: DataKeys | None, table: str, column: str, record_id: str, value: Any) -> Any:
    """The text of a stored value (plain values pass through); SealedDataError if it is sealed
    and cannot be opened."""
    if keys is None:
        key_id = sealed_key_id(value)
        if key_id is not None:
            raise SealedDataError(
                f"{context(table, column, record_id)} is sealed with data key {key_id!r} and"
                " this store was opened without data keys: set TFP_DATA_KEY_FILE"
            )
        return value
    try:
        return keys.open(value, context(table, column, record_id))
    except DataKeyError as exc:
        raise SealedDataError(str(exc), altered=isinstance(exc, AlteredValueError)) from exc


def unseal_row(
    keys: DataKeys | None, table: str, row: dict[str, Any], record_id: str | None = None
) -> dict[str, Any]:
    """`row` (a dict read from `table`, changed in place and returned) with each of the
    table's sealed columns it holds opened; the record id is `row[key]` unless given."""
    sealed = SEALED_BY_TABLE[table]
    rid = record_id if record_id is not None else row[sealed.key]
    for column in sealed.columns:
        if column in row:
            row[column] = unseal(keys, table, column, rid, row[column])
    return row

"""Re-sealing the personal columns under the current data key, in batches, and counting which
key each stored value needs (`tfp keys rotate-data-key`, `tfp keys data-keys`).

A batch is one write transaction: up to `batch_size` rows of one table whose sealed values
are not all under the current key (plain text included, so a database begun in development
mode is sealed the same way), each opened with the key it names and sealed again with the
current one; a facts document's person index rows are re-made with it. A run that stops
part way leaves every row readable, under the old key or the new, and the next run carries
on. Chain hashes are of the plain text, so they hold. When it is done the WAL is
checkpointed and truncated, so old pages are not left in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..privacy.datakeys import PLAIN, sealed_key_id
from .connection import Connection
from .errors import StoreError
from .persons import reindex_record
from .sealed import SEALED, SealedColumns, seal, unseal

DEFAULT_BATCH = 500
_HEADER_BYTES = 262  # MAGIC, the id's length and the longest id: all sealed_key_id reads


@dataclass
class Resealed:
    """What one `reseal` did: values re-sealed per table, and the write transactions."""

    tables: dict[str, int] = field(default_factory=dict)
    batches: int = 0

    @property
    def total(self) -> int:
        return sum(self.tables.values())


def _stale(sealed: SealedColumns) -> str:
    """SQL: some sealed column of the row holds a value (not NULL, not '') that does not
    begin with the current key's prefix (parameters: its length, the prefix)."""
    return " OR ".join(
        f"(typeof({c}) = 'text' AND {c} != '')"
        f" OR (typeof({c}) = 'blob' AND substr({c}, 1, :n) != :prefix)"
        for c in sealed.columns
    )


class Rekeying(Connection):
    """Which data key each sealed value needs, and re-sealing under the current one."""

    def data_key_usage(self) -> dict[str, Counter[str]]:
        """For each sealed table.column and the person index, how many values need each key
        id ('' for plain text; NULL and '' are not counted)."""
        usage: dict[str, Counter[str]] = {}
        with self._read() as db:
            for sealed in SEALED:
                for column in sealed.columns:
                    rows = db.execute(
                        f"SELECT substr({column}, 1, {_HEADER_BYTES}) FROM {sealed.table}"
                        f" WHERE {column} IS NOT NULL AND {column} != ''"
                    )
                    usage[f"{sealed.table}.{column}"] = Counter(
                        sealed_key_id(value) or PLAIN for (value,) in rows
                    )
            rows = db.execute("SELECT key_id, count(*) FROM person_index GROUP BY key_id")
            usage["person_index"] = Counter(dict(rows.fetchall()))
        return usage

    def reseal(
        self,
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Callable[[str, int], None] | None = None,
    ) -> Resealed:
        """Re-seal every value not under the current data key, `batch_size` rows per
        write transaction; `progress(table, rows)` after each batch. StoreError without
        data keys (there is nothing to seal with)."""
        if self.keys is None:
            raise StoreError("re-sealing needs data keys: set TFP_DATA_KEY_FILE")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        done = Resealed()
        for sealed in SEALED:
            done.tables[sealed.table] = 0
            after = 0
            while rows := self._reseal_batch(sealed, after, batch_size):
                after = rows[-1][0]
                done.tables[sealed.table] += len(rows)
                done.batches += 1
                if progress is not None:
                    progress(sealed.table, len(rows))
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return done

    def _reseal_batch(self, sealed: SealedColumns, after: int, limit: int) -> list[Any]:
        """Re-seal up to `limit` stale rows of `sealed.table` after rowid `after`, in one
        write transaction; the rows found (rowid first), none when the table is done."""
        keys = self.keys
        assert keys is not None  # `reseal` checked
        columns = sealed.columns
        select = (
            f"SELECT rowid, {sealed.key}, {', '.join(columns)} FROM {sealed.table}"
            f" WHERE rowid > :after AND ({_stale(sealed)}) ORDER BY rowid LIMIT :limit"
        )
        update = (
            f"UPDATE {sealed.table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE rowid = ?"
        )
        with self._write() as db:
            rows = db.execute(
                select,
                {"after": after, "n": len(keys.prefix), "prefix": keys.prefix, "limit": limit},
            ).fetchall()
            for rowid, record_id, *values in rows:
                texts = {
                    column: unseal(keys, sealed.table, column, record_id, value)
                    for column, value in zip(columns, values, strict=True)
                }
                resealed = [
                    text
                    if text in (None, "")
                    else seal(keys, sealed.table, column, record_id, text)
                    for column, text in texts.items()
                ]
                db.execute(update, [*resealed, rowid])
                if "facts" in texts:
                    reindex_record(db, keys, record_id, texts["facts"])
        return rows

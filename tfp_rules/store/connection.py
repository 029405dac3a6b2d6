"""One SQLite connection, opened durable and migrated: transactions, pragmas and the clock.

Durability: WAL with `synchronous=FULL`, so a write is on disk when its method returns.
Every write is one `BEGIN IMMEDIATE` transaction, taken after the writers' lock file
(`writers.py`), so concurrent writers (threads with their own Store, or processes) queue
and are woken in turn instead of polling SQLite's lock. A connection may be shared
between threads: one lock serialises its calls.

Faults (a full disk, a read-only file, an I/O error) are StoreError and leave nothing behind:
the transaction is rolled back whole, and a transaction a failed rollback left open is rolled
back before the next one begins, so a later write can never be folded into it and lost.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Self

import sqlite_utils

from ..privacy.datakeys import DataKeyError, DataKeys, key_file_from_env
from . import migrations
from .errors import StoreError
from .listing import timestamp
from .writers import WriterLock

BUSY_TIMEOUT_MS = 5000


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Connection:
    """The store's connection to its file, created and migrated on open.

    `clock` (returning an aware datetime) is for tests; every timestamp the store writes is
    ISO 8601 UTC with microseconds, e.g. 2026-11-25T17:40:01.123456Z. `keys` seal the
    personal columns (`sealed`): by default the key file $TFP_DATA_KEY_FILE names, if it
    names one; None stores them as text (development mode: the service and `tfp` refuse it
    unless asked, `privacy.datakeys.data_keys_from_env`).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], datetime] | None = None,
        keys: DataKeys | Literal["env"] | None = "env",
    ):
        self.path = Path(path)
        self._clock = clock or _utcnow
        if keys == "env":
            named = key_file_from_env()
            try:
                keys = DataKeys.load(named) if named is not None else None
            except DataKeyError as exc:
                raise StoreError(str(exc)) from exc
        self.keys: DataKeys | None = keys
        self._writers = WriterLock(Path(f"{self.path}.writers"))
        self._lock = threading.RLock()
        self._depth = 0  # 1 while one of our transactions is open (under the lock)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with suppress(FileExistsError):
                # Personal data: readable by the owner only (SQLite gives -wal and -shm the same).
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except OSError as exc:  # a full disk, a read-only file system, a path through a file
            raise StoreError(f"{self.path}: cannot open the decision store: {exc}") from exc
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
            # Deleted and replaced content is overwritten, not left in free pages: erasure,
            # retention and re-sealing leave no plain text behind in the file.
            self._conn.execute("PRAGMA secure_delete = ON")
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
            self._writers.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transactions and migrations ---------------------------------------------------------

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite_utils.Database]:
        """A transaction, or part of the one this thread already has open.

        Database errors become StoreError, except IntegrityError: a broken constraint is a
        bug here (save_decision handles the one expected case itself). Whatever fails, the
        transaction is rolled back whole (SQLite itself already did, after a full disk).
        """
        with self._lock:
            if self._depth:
                yield self.db
                return
            try:
                self._roll_back_stale()
                self._conn.execute(begin)
                self._depth = 1
                try:
                    yield self.db
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._roll_back()
                    raise
                finally:
                    self._depth = 0
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as exc:
                raise StoreError(f"{self.path}: {exc}") from exc

    def _roll_back(self) -> None:
        """Undo the failed transaction. If the rollback fails too, the error that caused it is
        the one to report; the transaction is left for `_roll_back_stale`."""
        if self._conn.in_transaction:
            with suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    def _roll_back_stale(self) -> None:
        """A transaction none of ours has open can only be one a failed rollback left: writing
        inside it would be acknowledged and never committed. Roll it back first (a
        StoreError if that still fails)."""
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    @contextmanager
    def _write(self) -> Iterator[sqlite_utils.Database]:
        """One write transaction. IMMEDIATE takes the write lock up front, so two writers
        never both read and then fail to upgrade to writing; the writers' lock file is
        taken first, so a writer waiting for another is woken when it is done instead of
        sleeping in SQLite's busy handler (1, 2, 5 ... 100 ms between tries)."""
        with self._lock:
            if self._depth:  # part of the transaction this thread already has open
                yield self.db
                return
            with self._writers.held(), self._transaction("BEGIN IMMEDIATE") as db:
                yield db

    def _read(self) -> AbstractContextManager[sqlite_utils.Database]:
        """One consistent snapshot for several reads."""
        return self._transaction("BEGIN")

    def _version(self) -> int:
        if not self.db["schema_version"].exists():
            return 0
        row = self._conn.execute("SELECT max(version) FROM schema_version").fetchone()
        return row[0] or 0

    def _migrate(self) -> None:
        known = len(migrations.MIGRATIONS)
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
                    migrations.MIGRATIONS[target - 1](db)
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
        return timestamp(self._clock())

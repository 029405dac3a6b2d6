"""The writers' lock: an exclusive `flock` on a file beside the database, held around every
write transaction, so writers in other processes wait in the kernel and are woken the
moment it is free.

Without it a writer that finds SQLite's write lock taken sleeps in SQLite's busy handler
(1, 2, 5, 10 ... 100 ms between tries), however soon the lock is released: under load the
slowest requests were those sleeps, not the disk. SQLite's own lock stays the guarantee;
this one only orders the queue. Where the file cannot be made (a read-only directory) the
store writes without it, as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


class WriterLock:
    """One process's handle on the writers' lock file of one database."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None
        self._opening = threading.Lock()

    def _descriptor(self) -> int | None:
        with self._opening:
            if self._fd is None:
                with suppress(OSError):  # no lock file: SQLite's lock alone, as before
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the block (the caller serialises its own threads)."""
        fd = self._descriptor()
        if fd is None:
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._opening:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

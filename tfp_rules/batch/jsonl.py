"""JSON Lines read lazily: (line number, bytes) for every non-blank line, one at a time,
so a file of a million families never sits in memory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

Line = tuple[int, bytes]


def read_lines(stream: BinaryIO) -> Iterator[Line]:
    """Every non-blank line of `stream` with its 1-based number (blank lines are skipped)."""
    for number, line in enumerate(stream, 1):
        if line.strip():
            yield number, line


def count_lines(path: str) -> int:
    """How many non-blank lines a file holds (one quick pass, for a progress bar's total)."""
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())

"""Reading a file of secrets (a research secret, a data key file) that only its owner may read:
one check, so every secret the product keeps outside the database is refused the same way
when others could read it."""

from __future__ import annotations

import stat
from pathlib import Path

from ..errors import TfpError


def read_private(path: Path, what: str, error: type[TfpError], remedy: str) -> bytes:
    """The bytes of `path`, `what` it holds named in messages; `error` if it cannot be read
    (with `remedy`, how to make one) or if its group or others may read it."""
    try:
        mode = path.stat().st_mode
        content = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc}; {remedy}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise error(
            f"{path}: the {what} is readable by others (mode {stat.S_IMODE(mode):o});"
            f" make it the owner's only: chmod 600 {path}"
        )
    return content

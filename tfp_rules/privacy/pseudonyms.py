"""Pseudonyms for the research extract: keyed hashes (HMAC-SHA256) of references, with a
secret kept outside the database and outside the extract.

The same secret gives the same pseudonym for the same reference in every extract, so the
national evaluation can link records across extracts; another secret gives unrelated ones.
Without the secret a pseudonym cannot be turned back into a reference, nor can a guessed
reference be checked against it (a plain hash of a short reference could be, by trying
them all). Each kind of reference is hashed with its own label, so a family ref and a
member ref that happen to be the same text give different pseudonyms.

The secret's key id is a fingerprint (the first 16 hex digits of the SHA-256 of the
secret under its own label): it names which secret made an extract, in its manifest and
the register, and reveals nothing of it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import TfpError
from .private_files import read_private

SECRET_ENV = "TFP_RESEARCH_SECRET_FILE"
MIN_SECRET_BYTES = 32  # 256 bits, the size of HMAC-SHA256's own output
MAKE_SECRET = (
    "make one with: (umask 077; python3 -c 'import secrets; print(secrets.token_hex(32))'"
    " > /etc/tfp/research.secret), keep it apart from the database and every extract, and"
    f" give it with --secret-file or ${SECRET_ENV}"
)
KINDS = ("family", "member", "decision", "progress", "claim")


class SecretError(TfpError):
    """The research secret is missing, unreadable or too short to be a key."""


@dataclass(frozen=True)
class ResearchSecret:
    """The key research pseudonyms are made with; `key_id` names it, the key stays hidden."""

    key: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        return hashlib.sha256(b"tfp-research-key-id\0" + self.key).hexdigest()[:16]

    def pseudonym(self, kind: str, *parts: str) -> str:
        """The pseudonym of a reference of `kind` (one of KINDS) made of `parts`: 64 hex
        digits of HMAC-SHA256 over the kind and the parts, each ended by a NUL."""
        if kind not in KINDS:
            raise ValueError(f"kind is one of {', '.join(KINDS)}, not {kind!r}")
        message = "".join(f"{p}\0" for p in (kind, *parts)).encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


def secret_path(given: Path | None) -> Path:
    """The secret file: `given`, else $TFP_RESEARCH_SECRET_FILE; SecretError if neither,
    saying how to make one."""
    if given is not None:
        return given
    from_env = os.environ.get(SECRET_ENV)
    if from_env:
        return Path(from_env)
    raise SecretError(f"a research extract needs a secret file and none was given: {MAKE_SECRET}")


def load_secret(path: Path) -> ResearchSecret:
    """The secret in `path` (surrounding whitespace ignored); SecretError if it cannot be
    read, is shorter than MIN_SECRET_BYTES, or is readable by others than its owner."""
    key = read_private(path, "research secret", SecretError, MAKE_SECRET).strip()
    if len(key) < MIN_SECRET_BYTES:
        raise SecretError(
            f"{path}: the research secret has {len(key)} bytes, fewer than {MIN_SECRET_BYTES};"
            f" {MAKE_SECRET}"
        )
    return ResearchSecret(key)

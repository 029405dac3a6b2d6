"""Hashes the store compares: API tokens (only their sha256 is kept) and idempotent requests."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_json(value: Any) -> str:
    """One text for one JSON value, whatever its key order or whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_hash_of(facts: dict[str, Any], ruleset: str | None = None) -> str:
    """A stable hash of a request (facts and the ruleset asked for), for idempotency checks."""
    return sha256_hex(canonical_json({"facts": facts, "ruleset": ruleset}))

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


def request_hash_of(facts: Any, ruleset: str | None = None, previous_id: str | None = None) -> str:
    """A stable hash of a request, for idempotency checks: the parsed body (facts, or a facts
    update) in canonical form, the ruleset asked for and, for an update, the decision it
    updates. The same document re-serialised (keys reordered, other whitespace) hashes the
    same; any other document, ruleset or previous decision does not."""
    request = {"facts": facts, "ruleset": ruleset}
    if previous_id is not None:
        request["previous_id"] = previous_id
    return sha256_hex(canonical_json(request))

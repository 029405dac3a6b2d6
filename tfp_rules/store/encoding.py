"""How the store writes a JSON document (facts, a decision with its trace): orjson, several
times faster than the standard library on a 30 KiB trace, falling back to it for what orjson
refuses (an integer beyond 64 bits), so any document the service took in can be stored.
The text differs from `json.dumps`'s only in whitespace; hashes never read it
(`hashing.canonical_json` is unchanged, so stored chains and request hashes still hold).
Reading stays with the standard library: orjson would turn such an integer into a float."""

from __future__ import annotations

import json
from typing import Any

import orjson


def encoded(value: Any) -> str:
    """`value` as compact JSON text (UTF-8, not ASCII-escaped)."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

"""The person index: which families' stored facts hold a member with a given ref and date of
birth, without reading (or decrypting) every facts document.

Each decision and progress decision adds one row per member of its facts: a blind digest of
(member ref, date of birth) under the current data key (`DataKeys.digest`; a plain hash in
development mode, key id ''), the family and the record. Finding a person computes the
digest under every loaded key, so rows made under older keys are found until
`rotate-data-key` re-makes them. Erasure and retention delete a family's rows with its
facts.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from ..privacy.datakeys import PLAIN, DataKeys, plain_digest


def person_text(member_ref: str, date_of_birth: str) -> str:
    """What a person's digest is made of: the two values that together name them."""
    return f"{member_ref}\0{date_of_birth}"


def persons_in(facts: dict[str, Any]) -> set[str]:
    """The `person_text` of every member of a facts document with a ref and a birth date."""
    members = facts.get("members") if isinstance(facts, dict) else None
    found = set()
    for member in members if isinstance(members, list) else []:
        if isinstance(member, dict):
            ref, born = member.get("ref"), member.get("date_of_birth")
            if isinstance(ref, str) and isinstance(born, str):
                found.add(person_text(ref, born))
    return found


def index_persons(
    db: sqlite_utils.Database,
    keys: DataKeys | None,
    *,
    family_ref: str,
    record_id: str,
    facts: dict[str, Any],
) -> None:
    """Index the members of one record's facts (inside the caller's write transaction)."""
    rows = []
    for text in persons_in(facts):
        key_id, digest = keys.digest(text) if keys is not None else (PLAIN, plain_digest(text))
        rows.append([digest, key_id, family_ref, record_id])
    if rows:
        db.conn.executemany(
            "INSERT OR IGNORE INTO person_index (digest, key_id, family_ref, record_id)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )


def reindex_record(
    db: sqlite_utils.Database, keys: DataKeys | None, record_id: str, facts_text: str | None
) -> None:
    """Re-make one record's rows under the current key (after re-sealing its facts)."""
    found = db.execute(
        "SELECT family_ref FROM person_index WHERE record_id = ? LIMIT 1", [record_id]
    ).fetchone()
    if found is None or facts_text is None:
        return
    db.execute("DELETE FROM person_index WHERE record_id = ?", [record_id])
    index_persons(db, keys, family_ref=found[0], record_id=record_id, facts=json.loads(facts_text))


def families_with(db: sqlite_utils.Database, keys: DataKeys | None, text: str) -> list[str]:
    """The family refs (sorted) with a record indexing this person under any loaded key."""
    digests = list(keys.digests(text)) if keys is not None else [plain_digest(text)]
    rows = db.execute(
        "SELECT DISTINCT family_ref FROM person_index"
        " WHERE digest IN (SELECT value FROM json_each(?)) ORDER BY 1",
        [json.dumps(digests)],
    ).fetchall()
    return [r[0] for r in rows]

"""Trace templates: the static parts of the traces one ruleset version writes
(`tfp_rules.compact`), stored once each, keyed by their content hash, so a stored compact
decision reads back in full even after its ruleset file has left the rulesets directory.

A template holds no personal data (names, thresholds and wording of a ruleset, nothing of
any family), so it is neither sealed nor erased; a decision names its template by hash in
its (sealed) payload.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ..compact import TraceTemplate, expand, template_of
from ..errors import TraceTemplateError

# Content-addressed, so an entry can never go stale: parsed once per process per template.
_PARSED: dict[str, TraceTemplate] = {}
_MOST = 256

TRACE_FORMS = ("full", "compact")


def save_template(db: sqlite_utils.Database, template: TraceTemplate) -> None:
    """Store a template unless it is there already (inside the caller's transaction)."""
    db.execute(
        "INSERT OR IGNORE INTO trace_templates (sha256, template) VALUES (?, ?)",
        [template.sha256, template.to_json()],
    )


def load_template(db: sqlite_utils.Database, sha256: str) -> TraceTemplate:
    """The stored template with this hash; TraceTemplateError if there is none or it does
    not hash to its key."""
    cached = _PARSED.get(sha256)
    if cached is not None:
        return cached
    row = db.execute("SELECT template FROM trace_templates WHERE sha256 = ?", [sha256]).fetchone()
    if row is None:
        raise TraceTemplateError(f"no trace template {sha256} in the store")
    template = TraceTemplate.from_json(row[0])
    if template.sha256 != sha256:
        raise TraceTemplateError(f"trace template {sha256} hashes to {template.sha256}")
    if len(_PARSED) >= _MOST:
        _PARSED.clear()
    _PARSED[sha256] = template
    return template


def in_form(db: sqlite_utils.Database, decision: dict[str, Any], trace: str) -> dict[str, Any]:
    """A stored decision with its trace as asked: "full" expands a compact one (a full one,
    stored before the compact trace, is returned as it is), "compact" leaves it as stored."""
    if trace not in TRACE_FORMS:
        raise ValueError(f"trace must be one of {', '.join(TRACE_FORMS)}, not {trace!r}")
    sha256 = template_of(decision) if decision else None
    if trace == "compact" or sha256 is None:
        return decision
    return expand(decision, load_template(db, sha256))

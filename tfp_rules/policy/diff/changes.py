"""The records a diff is made of: each `Change` with its sentence, and the `RulesetDiff`
that lists them by section, as text for `tfp diff` and as JSON for the API."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ...ruleset import Ruleset

KINDS = ("added", "removed", "changed")
SECTIONS: dict[str, str] = {
    "metadata": "Metadata",
    "parameters": "Parameters",
    "family": "Family and eligibility",
    "headlines": "Headlines and indicators",
    "outcome_plan": "Outcome plan",
}
# what a change is about -> the section it is listed in (conditions and data sources are
# listed with whatever holds them: an indicator, the family rule, an outcome measure)
WHATS: dict[str, str] = {
    "metadata": "metadata",
    "extends": "metadata",
    "parameter": "parameters",
    "override": "parameters",
    "family": "family",
    "eligibility": "family",
    "school_terms": "family",
    "headline": "headlines",
    "indicator": "headlines",
    "condition": "headlines",
    "data_sources": "headlines",
    "outcome_plan": "outcome_plan",
    "outcome_measure": "outcome_plan",
}


@dataclass(frozen=True)
class Change:
    """One difference between two versions, with the sentence that says it.

    `what` is the kind of thing changed (a key of WHATS), `subject` which one (a parameter
    name, headline or indicator id, "family", a metadata field), `field` the part of it
    that changed (None for a thing added or removed whole), `before`/`after` plain JSON
    values (None for what did not exist)."""

    kind: str
    what: str
    subject: str
    field: str | None
    before: Any
    after: Any
    text: str
    section: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown change kind {self.kind!r}")
        if not self.section:
            object.__setattr__(self, "section", WHATS[self.what])

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "kind": self.kind,
            "what": self.what,
            "subject": self.subject,
            "field": self.field,
            "before": _plain(self.before),
            "after": _plain(self.after),
            "text": self.text,
        }


@dataclass(frozen=True)
class RulesetDiff:
    """Every change from `old` to `new`, in section order."""

    old: dict[str, Any]
    new: dict[str, Any]
    changes: tuple[Change, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def counts(self) -> dict[str, int]:
        return {k: sum(1 for c in self.changes if c.kind == k) for k in KINDS}

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `tfp diff --format json` and `GET /v1/rulesets/{id}/diff`."""
        return {
            "from": self.old,
            "to": self.new,
            "changed": self.changed,
            "counts": self.counts(),
            "changes": [c.to_dict() for c in self.changes],
        }

    def text(self) -> str:
        """The changes grouped by section, one sentence a line; "No changes." if none."""
        lines = [f"{_ref(self.old)} -> {_ref(self.new)}"]
        if not self.changes:
            return "\n".join([*lines, "No changes."]) + "\n"
        counts = self.counts()
        n = len(self.changes)
        lines.append(
            f"{n} change{'s' if n != 1 else ''}: "
            + ", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k])
        )
        for section, title in SECTIONS.items():
            listed = [c for c in self.changes if c.section == section]
            if listed:
                lines += ["", title, *(f"  {c.text}" for c in listed)]
        return "\n".join(lines) + "\n"


def identity(rs: Ruleset) -> dict[str, Any]:
    """What names a version in a diff."""
    return {
        "id": rs.id,
        "version": rs.version,
        "sha256": rs.sha256,
        "effective_from": rs.effective_from.isoformat(),
        "extends": rs.extends.ref if rs.extends is not None else None,
    }


def _ref(identity: dict[str, Any]) -> str:
    return f"{identity['id']}@{identity['version']}"


def _plain(value: Any) -> Any:
    """JSON data: tuples as lists, dates as ISO text."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value

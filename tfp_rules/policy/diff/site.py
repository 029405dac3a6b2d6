"""Where a condition sits in a ruleset: the label its sentences start with, and the subject
and section its changes are listed under."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .changes import Change


@dataclass(frozen=True)
class ConditionSite:
    """An indicator's, the family rule's or an outcome measure's condition ("" section:
    the one WHATS gives a condition)."""

    label: str
    subject: str
    section: str = ""

    def changed(self, field: str, before: Any, after: Any, text: str) -> Change:
        return Change(
            "changed", "condition", self.subject, field, before, after, text, self.section
        )

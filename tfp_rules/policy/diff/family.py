"""What changed in the family rule: its name, source, the data it reads and its condition."""

from __future__ import annotations

from collections.abc import Iterator

from ...ruleset import Ruleset
from .changes import Change
from .conditions import condition_changes
from .data_sources import sources_change
from .fields import text_field_changes
from .site import ConditionSite


def family_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """The family rule's changes (none while a file without one is being checked)."""
    a, b = old.family, new.family
    if a is None or b is None:
        return
    if a.name != b.name:
        text = f'Family rule renamed from "{a.name}" to "{b.name}".'
        yield Change("changed", "family", "family", "name", a.name, b.name, text)
    yield from text_field_changes("family", "family", "Family rule", a, b, ("source",))
    yield from sources_change(
        "family", "The family rule", a.data_sources, b.data_sources, section="family"
    )
    site = ConditionSite("Family rule", "family", section="family")
    yield from condition_changes(site, a.when, b.when, old, new)

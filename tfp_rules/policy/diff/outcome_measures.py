"""The outcome plan's measures of progress that came, went or changed, matched by id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ...ruleset import Ruleset
from ..words import condition_text, subject_words
from .changes import Change
from .conditions import condition_changes
from .data_sources import sources_change
from .fields import text_field_changes
from .site import ConditionSite
from .wording import lower_first

if TYPE_CHECKING:
    from ...outcomes.plan import ProgressMeasure


def measure_changes(
    a: Iterable[ProgressMeasure], b: Iterable[ProgressMeasure], old: Ruleset, new: Ruleset
) -> Iterator[Change]:
    """Measures added or changed (in the new order), then removed (in the old order)."""
    before = {m.id: m for m in a}
    after = {m.id: m for m in b}
    for mid, m in after.items():
        if mid not in before:
            yield measure_added(m, new)
        else:
            yield from _kept(before[mid], m, old, new)
    for mid, m in before.items():
        if mid not in after:
            text = f"Outcome measure {mid} removed from {m.headline}."
            summary = {"id": mid, "name": m.name}
            yield Change("removed", "outcome_measure", mid, None, summary, None, text)


def measure_added(m: ProgressMeasure, new: Ruleset) -> Change:
    """A new measure, with what shows progress on it."""
    when = condition_text(m.when, new) if m.when is not None else None
    how = (
        f"progress when: {when}"
        if m.when is not None
        else "progress shown by a worker's documented judgement"
    )
    summary = {"id": m.id, "headline": m.headline, "name": m.name, "when": when}
    text = f"New outcome measure {m.id} for {m.headline}: {lower_first(m.name)}; {how}."
    return Change("added", "outcome_measure", m.id, None, None, summary, text)


def _kept(a: ProgressMeasure, b: ProgressMeasure, old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """What changed in a measure found in both versions."""
    mid = b.id
    label = f"Outcome measure {mid}"
    yield from text_field_changes("outcome_measure", mid, label, a, b, ("name", "source"))
    if a.applies_to != b.applies_to:
        text = (
            f"{label} now applies to {subject_words(b.applies_to)} instead of "
            f"{subject_words(a.applies_to)}."
        )
        yield Change(
            "changed", "outcome_measure", mid, "applies_to", a.applies_to, b.applies_to, text
        )
    yield from sources_change(mid, label, a.data_sources, b.data_sources, section="outcome_plan")
    site = ConditionSite(label, mid, section="outcome_plan")
    yield from condition_changes(site, a.when, b.when, old, new)

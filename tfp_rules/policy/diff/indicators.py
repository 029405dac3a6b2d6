"""The indicators that came, went, moved or changed, matched by id (or, for one that left
and came back under another id, by name after the dot or by condition)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...ruleset import Indicator, Ruleset
from ..words import condition_text, listing, subject_words
from .changes import Change
from .conditions import condition_changes
from .data_sources import sources_change
from .fields import text_field_changes
from .moves import move_change, pair_moved
from .site import ConditionSite
from .wording import lower_first


def indicator_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """Indicators kept, moved or added (in the new order), then removed (in the old)."""
    before = {i.id: i for i in old.indicators}
    after = {i.id: i for i in new.indicators}
    gone = [i for iid, i in before.items() if iid not in after]
    came = [i for iid, i in after.items() if iid not in before]
    moved = pair_moved(gone, came)
    renamed = {b.id: a for a, b in moved}
    for iid, b in after.items():
        if iid in before:
            yield from _kept(before[iid], b, old, new)
        elif iid in renamed:
            yield move_change(renamed[iid], b)
            yield from _kept(renamed[iid], b, old, new)
        else:
            yield _added(b, new)
    paired_old = {a.id for a, _ in moved}
    for a in gone:
        if a.id not in paired_old:
            text = f"Indicator {a.id} removed from {a.headline}."
            yield Change("removed", "indicator", a.id, None, _summary(a, old), None, text)


def _summary(i: Indicator, rs: Ruleset) -> dict[str, Any]:
    return {
        "id": i.id,
        "headline": i.headline,
        "name": i.name,
        "applies_to": i.applies_to,
        "origin": i.origin,
        "source": i.source,
        "data_sources": list(i.data_sources),
        "when": condition_text(i.when, rs),
    }


def _added(i: Indicator, new: Ruleset) -> Change:
    headline = next(h for h in new.headlines if h.id == i.headline)
    local = "local " if i.origin == "local" else ""
    text = (
        f"New {local}indicator {i.id} under {headline.id} ({headline.name}), for "
        f"{subject_words(i.applies_to)}: {lower_first(i.name)}; it counts when: "
        f"{condition_text(i.when, new)} (reads {listing(i.data_sources, 'and')})."
    )
    return Change("added", "indicator", i.id, None, None, _summary(i, new), text)


def _kept(a: Indicator, b: Indicator, old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """What changed in an indicator found in both versions (`b.id` names it)."""
    iid = b.id
    if a.name != b.name:
        text = f'{iid}: renamed from "{a.name}" to "{b.name}".'
        yield Change("changed", "indicator", iid, "name", a.name, b.name, text)
    if a.applies_to != b.applies_to:
        text = (
            f"{iid} now applies to {subject_words(b.applies_to)} instead of "
            f"{subject_words(a.applies_to)}."
        )
        yield Change("changed", "indicator", iid, "applies_to", a.applies_to, b.applies_to, text)
    if a.origin != b.origin:
        text = f"{iid}: origin changed from {a.origin} to {b.origin}."
        yield Change("changed", "indicator", iid, "origin", a.origin, b.origin, text)
    yield from sources_change(iid, iid, a.data_sources, b.data_sources)
    yield from condition_changes(ConditionSite(iid, iid), a.when, b.when, old, new)
    yield from text_field_changes("indicator", iid, iid, a, b, ("source",))

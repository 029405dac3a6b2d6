"""The headlines that came, went or were renamed (their indicators are compared apart)."""

from __future__ import annotations

from collections.abc import Iterator

from ...ruleset import Ruleset
from ..words import listing
from .changes import Change


def headline_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """Headlines added or renamed (in the new order), then removed (in the old order)."""
    before = {h.id: h for h in old.headlines}
    after = {h.id: h for h in new.headlines}
    for hid, h in after.items():
        ids = listing([i.id for i in h.indicators], "and")
        if hid not in before:
            text = f"New headline {hid} ({h.name}), with indicators {ids}."
            yield Change("added", "headline", hid, None, None, {"id": hid, "name": h.name}, text)
        elif before[hid].name != h.name:
            was = before[hid].name
            text = f'Headline {hid} renamed from "{was}" to "{h.name}".'
            yield Change("changed", "headline", hid, "name", was, h.name, text)
    for hid, h in before.items():
        if hid not in after:
            ids = listing([i.id for i in h.indicators], "and")
            text = f"Headline {hid} ({h.name}) removed, with its indicators {ids}."
            yield Change("removed", "headline", hid, None, {"id": hid, "name": h.name}, None, text)

"""Indicators that left under one id and came back under another: renamed, or moved to
another headline."""

from __future__ import annotations

from ...ruleset import Indicator
from .changes import Change


def pair_moved(gone: list[Indicator], came: list[Indicator]) -> list[tuple[Indicator, Indicator]]:
    """Indicators that left under one id and came back under another: the same name after
    the dot (moved to another headline), else the same condition for the same subjects."""
    pairs = []
    left = list(came)
    for a in gone:
        suffix = a.id.partition(".")[2]
        match = next((b for b in left if b.id.partition(".")[2] == suffix), None)
        if match is None:
            match = next(
                (b for b in left if b.when == a.when and b.applies_to == a.applies_to), None
            )
        if match is not None:
            left.remove(match)
            pairs.append((a, match))
    return pairs


def move_change(a: Indicator, b: Indicator) -> Change:
    """ "Indicator A moved from H1 to H2, as B." or "Indicator A is now B."."""
    if a.headline != b.headline:
        text = f"Indicator {a.id} moved from {a.headline} to {b.headline}, as {b.id}."
        changed = "headline"
    else:
        text = f"Indicator {a.id} is now {b.id}."
        changed = "id"
    return Change("changed", "indicator", b.id, changed, a.id, b.id, text)

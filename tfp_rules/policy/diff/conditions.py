"""How a rule's condition changed: comparison by comparison when its shape is the same,
else the old and new conditions in words."""

from __future__ import annotations

from collections.abc import Iterator

from ...conditions import Compare, Condition
from ...ruleset import Ruleset
from ..words import condition_text, measure_name, unit_of
from .changes import Change
from .counting import counted_changes, where_changes
from .pairs import pairs
from .site import ConditionSite
from .thresholds import threshold_changes
from .windows import window_changes


def condition_changes(
    site: ConditionSite,
    a: Condition | None,
    b: Condition | None,
    old: Ruleset,
    new: Ruleset,
) -> Iterator[Change]:
    """The changes from condition `a` (in `old`) to `b` (in `new`); none if they are equal."""
    if a == b:
        return
    if a is None or b is None:
        yield _judgement_change(site, a, b, old, new)
        return
    matched = pairs(a, b)
    if matched is None:
        before, after = condition_text(a, old), condition_text(b, new)
        text = f'{site.label}: condition changed from "{before}" to "{after}".'
        yield site.changed("when", before, after, text)
        return
    several = len(matched) > 1
    for x, y in matched:
        if x != y:
            on = f" on {measure_name(y.measure)}" if several else ""
            yield from comparison_changes(site, x, y, on, new)


def _judgement_change(
    site: ConditionSite, a: Condition | None, b: Condition | None, old: Ruleset, new: Ruleset
) -> Change:
    """A condition that became, or stopped being, a worker's documented judgement."""
    before = condition_text(a, old) if a is not None else None
    after = condition_text(b, new) if b is not None else None
    text = (
        f"{site.label}: now shown by a worker's documented judgement instead of when: {before}."
        if b is None
        else f"{site.label}: now shown when: {after}, instead of by a worker's judgement."
    )
    return site.changed("when", before, after, text)


def comparison_changes(
    site: ConditionSite, x: Compare, y: Compare, on: str, new: Ruleset
) -> Iterator[Change]:
    """The changes between two comparisons of the same shape."""
    yield from threshold_changes(site, x, y, on, unit_of(y.measure, y.operands[0], new))
    yield from window_changes(site, x, y, on)
    yield from counted_changes(site, x, y)
    yield from where_changes(site, x, y)

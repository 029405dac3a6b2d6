"""Two conditions of the same shape, matched comparison by comparison, so a change can be
told as the one threshold or window that moved."""

from __future__ import annotations

from ...conditions import All, Any_, Compare, Condition, Not
from .windows import WINDOWS


def pairs(a: Condition, b: Condition) -> list[tuple[Compare, Compare]] | None:
    """The comparisons of two conditions of the same shape, side by side (None if their
    shapes differ: other connectives, other measures or comparators)."""
    if type(a) is not type(b):
        return None
    if isinstance(a, Compare):
        assert isinstance(b, Compare)
        return [(a, b)] if same_shape(a, b) else None
    if isinstance(a, Not):
        assert isinstance(b, Not)
        return pairs(a.item, b.item)
    assert isinstance(a, All | Any_) and isinstance(b, All | Any_)
    if len(a.items) != len(b.items):
        return None
    out: list[tuple[Compare, Compare]] = []
    for x, y in zip(a.items, b.items, strict=True):
        found = pairs(x, y)
        if found is None:
            return None
        out += found
    return out


def same_shape(x: Compare, y: Compare) -> bool:
    """The same comparator, measure, filters and windows; only values may differ."""
    m, n = x.measure, y.measure
    return (
        x.op == y.op
        and len(x.operands) == len(y.operands)
        and (m.kind, m.field, m.records, m.open) == (n.kind, n.field, n.records, n.open)
        and [k for k, _ in m.where] == [k for k, _ in n.where]
        and all((getattr(m, a) is None) == (getattr(n, a) is None) for a, _, _ in WINDOWS)
    )

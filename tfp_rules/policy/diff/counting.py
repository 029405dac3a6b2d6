"""What a count reads that changed: the kinds of record it counts, and the values its
filters (`where`) accept."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ...conditions import Compare, Measure
from ..words import listing, record_nouns
from .changes import Change
from .site import ConditionSite
from .wording import list_change


def counted_changes(site: ConditionSite, x: Compare, y: Compare) -> Iterator[Change]:
    """The kinds of record `y` counts that `x` did not, or no longer."""
    m, n = x.measure, y.measure
    if m.types == n.types or set(m.types) == set(n.types):
        return
    via = _list_via(m, n, m.records or "event")
    what = _counted(m, n)
    yield site.changed(
        m.records or "event", list(m.types), list(n.types), f"{site.label} {what}{via}."
    )


def where_changes(site: ConditionSite, x: Compare, y: Compare) -> Iterator[Change]:
    """Each filter of `y` that accepts other values than the same filter of `x`."""
    old_where, new_where = dict(x.measure.where), dict(y.measure.where)
    for key, values in new_where.items():
        before = old_where.get(key, ())
        if set(before) == set(values):
            continue
        via = _list_via(x.measure, y.measure, f"where.{key}")
        change = list_change(before, values, "includes")
        text = (
            f"{site.label}: {key.replace('_', ' ')} of {record_nouns(y.measure, plural=True)} "
            f"{change}{via}."
        )
        yield site.changed(f"where.{key}", list(before), list(values), text)


def _counted(a: Measure, b: Measure) -> str:
    """'now also counts X and no longer counts Y'."""

    def nouns(types: Iterable[str]) -> str:
        return listing(
            [
                record_nouns(Measure(a.kind, records=a.records, types=(t,)), plural=True)
                for t in types
            ],
            "and",
        )

    more = [t for t in b.types if t not in a.types]
    fewer = [t for t in a.types if t not in b.types]
    parts = []
    if more:
        parts.append(f"now also counts {nouns(more)}")
    if fewer:
        parts.append(f"no longer counts {nouns(fewer)}")
    return " and ".join(parts)


def _list_via(a: Measure, b: Measure, what: str) -> str:
    """Where a list of values comes from: a parameter, or the condition itself."""
    old = dict(a.list_params).get(what)
    new = dict(b.list_params).get(what)
    if new and new == old:
        return f" (through parameter {new})"
    if new and old:
        return f" (now through parameter {new}, was {old})"
    if new:
        return f" (now through parameter {new})"
    if old:
        return f" (now written in the condition, was parameter {old})"
    return " (written in the condition)"

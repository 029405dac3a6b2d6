"""A comparison's threshold that moved, or now comes from elsewhere: "threshold lowered
from 3 to 2 exclusions (through parameter fixed_term_exclusions_min)"."""

from __future__ import annotations

from collections.abc import Iterator

from ...conditions import Compare, Operand
from ..words import amount, listing
from .changes import Change
from .site import ConditionSite
from .wording import direction, from_to, via


def threshold_changes(
    site: ConditionSite, x: Compare, y: Compare, on: str, unit: str | None
) -> Iterator[Change]:
    """The change of `x`'s values, or of the parameters they come through, in `y`."""
    old_values = [o.value for o in x.operands]
    new_values = [o.value for o in y.operands]
    if old_values == new_values and [o.param for o in x.operands] == [o.param for o in y.operands]:
        return
    before = old_values[0] if len(old_values) == 1 else old_values
    after = new_values[0] if len(new_values) == 1 else new_values
    yield site.changed("threshold", before, after, _sentence(site.label, x, y, on, unit))


def _sentence(label: str, x: Compare, y: Compare, on: str, unit: str | None) -> str:
    old_values = [o.value for o in x.operands]
    new_values = [o.value for o in y.operands]
    if len(x.operands) == 1 and old_values != new_values:
        return (
            f"{label}: threshold{on} {direction(old_values[0], new_values[0])} "
            f"{from_to(old_values[0], new_values[0], unit)}{via(x.operands[0], y.operands[0])}."
        )
    if old_values != new_values:
        return (
            f"{label}: threshold{on} changed from {_range(x, unit)} to "
            f"{_range(y, unit)}{_via_all(x.operands, y.operands)}."
        )
    return f"{label}: threshold{on} still {_range(y, unit)}{_via_all(x.operands, y.operands)}."


def _via_all(a: tuple[Operand, ...], b: tuple[Operand, ...]) -> str:
    """Where several thresholds come from: the parameters they name, or the condition."""
    named = [q.param for q in b if q.param]
    was = [p.param for p in a if p.param]
    if not named and not was:
        return " (written in the condition)"
    if named == was:
        return f" (through parameters {listing(named, 'and')})"
    now = (
        f"now through parameters {listing(named, 'and')}"
        if named
        else "now written in the condition"
    )
    return f" ({now}{', was ' + listing(was, 'and') if was else ''})"


def _range(c: Compare, unit: str | None) -> str:
    """'between 16 and 24 years', 'between 10% and 20%', '1, 2 or 3'."""
    signs = unit in ("percent", "GBP")
    last = len(c.operands) - 1
    shown = [
        amount(o.value, unit if signs or i == last else None) for i, o in enumerate(c.operands)
    ]
    if c.op == "between":
        return f"between {shown[0]} and {shown[1]}"
    return listing(shown)

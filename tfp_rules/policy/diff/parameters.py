"""The parameters that came, went or changed: value, unit, description, source and review
date, each sentence naming the rules that read the parameter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...ruleset import Parameter, Ruleset
from ..words import amount, listing
from .changes import Change
from .fields import text_field_changes
from .uses import parameter_uses
from .wording import direction, from_to, iso, list_change


def parameter_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """Parameters added (in the new order), changed, then removed (in the old order)."""
    old_uses, new_uses = parameter_uses(old), parameter_uses(new)
    a, b = old.parameters, new.parameters
    for name, p in b.items():
        if name not in a:
            shown = amount(p.value, p.unit)
            text = f"New parameter {name}: {shown}{_used(name, new_uses)}: {p.description}"
            yield Change("added", "parameter", name, None, None, _summary(p), text)
        else:
            yield from _parameter_changes(a[name], p, new_uses)
    for name, p in a.items():
        if name not in b:
            used = _used(name, old_uses).replace(" (", ", ").rstrip(")")
            text = f"Parameter {name} removed (it was {amount(p.value, p.unit)}{used})."
            yield Change("removed", "parameter", name, None, _summary(p), None, text)


def _parameter_changes(a: Parameter, b: Parameter, uses: dict[str, list[str]]) -> Iterator[Change]:
    """What changed in one parameter kept across versions."""
    name = b.name
    if a.value != b.value:
        text = f"Parameter {name}: {_value_change(a, b)}{_used(name, uses)}."
        yield Change("changed", "parameter", name, "value", a.value, b.value, text)
    if a.unit != b.unit:
        text = f"Parameter {name}: unit changed from {a.unit or 'none'} to {b.unit or 'none'}."
        yield Change("changed", "parameter", name, "unit", a.unit, b.unit, text)
    yield from text_field_changes(
        "parameter", name, f"Parameter {name}", a, b, ("description", "source")
    )
    if a.review_by != b.review_by:
        text = f"Parameter {name}: {_review_change(a, b)}."
        yield Change("changed", "parameter", name, "review_by", a.review_by, b.review_by, text)


def _value_change(a: Parameter, b: Parameter) -> str:
    """'lowered from 3 to 2 exclusions', 'now also includes X', 'changed from X to Y'."""
    if isinstance(a.value, tuple) and isinstance(b.value, tuple):
        return list_change(a.value, b.value, "includes")
    if isinstance(a.value, tuple) or isinstance(b.value, tuple):
        return f"changed from {amount(a.value, a.unit)} to {amount(b.value, b.unit)}"
    return f"{direction(a.value, b.value)} {from_to(a.value, b.value, b.unit)}"


def _review_change(a: Parameter, b: Parameter) -> str:
    """How the date by which the parameter is to be reviewed changed."""
    if a.review_by is None:
        return f"now to be reviewed by {iso(b.review_by)}"
    if b.review_by is None:
        return f"no longer has a review date (was {iso(a.review_by)})"
    return f"to be reviewed by {iso(b.review_by)} instead of {iso(a.review_by)}"


def _used(name: str, uses: dict[str, list[str]]) -> str:
    """' (used by H2.x and the family rule)', or '' for a parameter nothing reads."""
    who = uses.get(name)
    return f" (used by {listing(who, 'and')})" if who else ""


def _summary(p: Parameter) -> dict[str, Any]:
    return {
        "value": p.value,
        "unit": p.unit,
        "description": p.description,
        "source": p.source,
        "review_by": p.review_by,
    }

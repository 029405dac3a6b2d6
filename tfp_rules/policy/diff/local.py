"""What a local ruleset lays over the national one that changed: the version it extends,
its council, and the parameters it overrides."""

from __future__ import annotations

from collections.abc import Iterator

from ...ruleset import Ruleset
from ..words import amount
from .changes import Change


def extends_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """A ruleset that became, stopped being or moved as a local one; a council renamed."""
    before = old.extends.ref if old.extends is not None else None
    after = new.extends.ref if new.extends is not None else None
    if before != after:
        if before is None:
            text = f"Now a local ruleset, extending {after}."
            kind = "added"
        elif after is None:
            text = f"No longer a local ruleset (it extended {before})."
            kind = "removed"
        else:
            text = f"Now extends {after} instead of {before}."
            kind = "changed"
        yield Change(kind, "extends", "extends", "extends", before, after, text)
    if old.council != new.council and old.council and new.council:
        text = f"Council changed from {old.council} to {new.council}."
        yield Change("changed", "metadata", "council", "council", old.council, new.council, text)


def override_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """A local ruleset's overrides that came or went (a value changed is a parameter
    change)."""
    before, after = set(old.overrides), set(new.overrides)
    for name in new.overrides:
        if name not in before:
            yield _override_added(name, new)
    for name in old.overrides:
        if name not in after:
            yield _override_removed(name, old, new)


def _override_added(name: str, new: Ruleset) -> Change:
    p = new.parameters[name]
    base = new.extends
    national = base.parameters.get(name) if base is not None else None
    of = (
        f" instead of {amount(national.value, national.unit)} in {base.ref}"
        if national is not None and base is not None
        else ""
    )
    text = f"Now overrides {name} locally: {amount(p.value, p.unit)}{of}."
    return Change("added", "override", name, None, None, p.value, text)


def _override_removed(name: str, old: Ruleset, new: Ruleset) -> Change:
    p = new.parameters.get(name)
    now = (
        f": {amount(p.value, p.unit)}, as in {new.extends.ref}"
        if p is not None and new.extends is not None
        else ""
    )
    text = f"No longer overrides {name} locally{now}."
    return Change("removed", "override", name, None, old.parameters[name].value, None, text)

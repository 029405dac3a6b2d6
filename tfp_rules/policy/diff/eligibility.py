"""How many headlines a family must meet to be eligible, and where that number comes from."""

from __future__ import annotations

from collections.abc import Iterator

from ...conditions import Operand
from ...ruleset import Ruleset
from .changes import Change
from .wording import via


def eligibility_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """The number of headlines required, if it or its parameter changed."""
    a, b = old.headlines_required, new.headlines_required
    pa, pb = old.headlines_required_param, new.headlines_required_param
    if a == b and pa == pb:
        return
    through = via(Operand(a, pa), Operand(b, pb), "eligibility rule")
    if a != b:
        text = f"Eligibility: {b} headlines required instead of {a}{through}."
    else:
        text = f"Eligibility: still {b} headlines required{through}."
    yield Change("changed", "eligibility", "headlines_required", "headlines_required", a, b, text)

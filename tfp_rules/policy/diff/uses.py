"""Which rules read each parameter, so a parameter's change can say what it moves."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ...conditions import Compare, Condition, comparisons
from ...ruleset import Ruleset
from .windows import WINDOWS


def parameter_uses(rs: Ruleset) -> dict[str, list[str]]:
    """Which rules read each parameter: indicator ids, outcome measure ids, "the family
    rule", "eligibility", "the outcome plan" (in ruleset order)."""
    uses: dict[str, list[str]] = defaultdict(list)

    def add(name: str | None, who: str) -> None:
        if name and who not in uses[name]:
            uses[name].append(who)

    def walk(c: Condition | None, who: str) -> None:
        for leaf in comparisons(c):
            for name in _params_read(leaf):
                add(name, who)

    if rs.family is not None:
        walk(rs.family.when, "the family rule")
    add(rs.headlines_required_param, "eligibility")
    for indicator in rs.indicators:
        walk(indicator.when, indicator.id)
    if rs.outcome_plan is not None:
        add(rs.outcome_plan.sustain_param, "the outcome plan")
        for m in rs.outcome_plan.measures:
            walk(m.when, m.id)
    return dict(uses)


def _params_read(leaf: Compare) -> Iterator[str | None]:
    """The parameters one comparison names: its operands, windows and lists (None where
    a value is written in the condition)."""
    for o in leaf.operands:
        yield o.param
    for attr, _, _ in WINDOWS:
        window = getattr(leaf.measure, attr)
        yield window.param if window is not None else None
    for _, name in leaf.measure.list_params:
        yield name

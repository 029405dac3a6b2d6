"""The outcome plan that came, went or changed: its name, source, how long progress must
last, and its measures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ...conditions import Operand
from ...ruleset import Ruleset
from ..words import amount
from .changes import Change
from .fields import text_field_changes
from .outcome_measures import measure_added, measure_changes
from .wording import via

if TYPE_CHECKING:
    from ...outcomes.plan import OutcomePlan


def outcome_plan_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """The plan added or removed whole, else what changed in it and its measures."""
    a, b = old.outcome_plan, new.outcome_plan
    if a is None and b is None:
        return
    if a is None or b is None:
        yield from _plan_came_or_went(a, b, new)
        return
    yield from text_field_changes(
        "outcome_plan", "outcome_plan", "Outcome plan", a, b, ("name", "source")
    )
    yield from _sustain_change(a, b)
    yield from measure_changes(a.measures, b.measures, old, new)


def _plan_came_or_went(
    a: OutcomePlan | None, b: OutcomePlan | None, new: Ruleset
) -> Iterator[Change]:
    """A plan added (with each of its measures) or removed."""
    plan = b or a
    assert plan is not None
    kind = "added" if a is None else "removed"
    summary = {"name": plan.name, "headlines": list(plan.headlines)}
    text = (
        f'New outcome plan "{plan.name}", with measures for {", ".join(plan.headlines)}.'
        if a is None
        else f'Outcome plan "{plan.name}" removed.'
    )
    yield Change(
        kind,
        "outcome_plan",
        "outcome_plan",
        None,
        summary if a else None,
        summary if b else None,
        text,
    )
    if b is not None:
        for m in b.measures:
            yield measure_added(m, new)


def _sustain_change(a: OutcomePlan, b: OutcomePlan) -> Iterator[Change]:
    """How long progress must last, if it or its parameter changed."""
    if (a.sustain_months, a.sustain_param) == (b.sustain_months, b.sustain_param):
        return
    through = via(
        Operand(a.sustain_months, a.sustain_param),
        Operand(b.sustain_months, b.sustain_param),
        "outcome plan",
    )
    months = amount(b.sustain_months, "months")
    text = (
        f"Outcome plan: progress must last {months} instead "
        f"of {amount(a.sustain_months, 'months')}{through}."
        if a.sustain_months != b.sustain_months
        else f"Outcome plan: progress must still last {months}{through}."
    )
    yield Change(
        "changed",
        "outcome_plan",
        "outcome_plan",
        "sustain_months",
        a.sustain_months,
        b.sustain_months,
        text,
    )

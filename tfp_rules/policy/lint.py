"""Warnings about a ruleset that loads but may not say what its authors meant: parameters
past their review date, without one, or declared and never used; conditions that can
never be true, or are always true, over every value the facts allow; windows reaching
further back than partners keep records; indicators no test exercises.

None of these stops a decision, so they are warnings (`tfp validate` prints them and
`--strict` fails on them). The checks are pure: the caller gives the date and, for the
last one, which indicators its tests left unexercised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..conditions import (
    NO_LOWER_BOUND,
    Condition,
    Measure,
    Reach,
    comparisons,
    could,
    measures_of,
)
from ..errors import UnknownRulesetError
from ..outcomes.claims import AMOUNTS
from ..ruleset import Ruleset, dotted
from .words import condition_text

if TYPE_CHECKING:
    from ..library import RulesetLibrary

# Parameters that code reads by name rather than a condition (so no condition uses them).
READ_BY_NAME: dict[str, str] = {
    "adult_age": "who is an adult (tfp_rules/intake.py, outcomes/progress.py)",
    "continuous_employment_weeks": "continuous employment (tfp_rules/outcomes/progress.py)",
    "continuous_employment_weeks_jsa": "continuous employment (tfp_rules/outcomes/progress.py)",
    **dict.fromkeys(AMOUNTS, "results claims (tfp_rules/outcomes/claims.py)"),
    "partner_data_kept_months": "this lint, for windows (tfp_rules/policy/lint.py)",
}
KEPT_PARAMETER = "partner_data_kept_months"
MONTHS_PER_TERM = 4  # three school terms make a year
AGE_LIMIT = 200  # dates are bounded to 1900-2100, so no age in a valid document is higher


@dataclass(frozen=True, order=True)
class LintWarning:
    """One thing worth a policy officer's look, located like a RulesetProblem."""

    file: str
    line: int
    field: str
    kind: str  # review | unused | never_true | always_true | window | untested
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(top)'}: warning: {self.message}"

    def to_dict(self) -> dict[str, str | int]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "kind": self.kind,
            "message": self.message,
        }


def lint(
    ruleset: Ruleset,
    *,
    today: dt.date,
    in_force: bool = True,
    untested: Iterable[str] | None = None,
    library: RulesetLibrary | None = None,
) -> list[LintWarning]:
    """Every warning about `ruleset`: review dates only if it is `in_force` (in force today,
    or a draft that may be), untested indicators only if `untested` is given, and with the
    `library` it belongs to, a local version extending a base that is no longer in force."""
    warnings = [
        *(_freshness(ruleset, today) if in_force else ()),
        *_unused(ruleset),
        *_constant_conditions(ruleset),
        *_windows(ruleset),
        *(_base(ruleset, library, today) if library is not None and in_force else ()),
    ]
    for indicator_id in untested or ():
        indicator = ruleset.indicator(indicator_id)
        line, field = (indicator.line, indicator.field) if indicator else (0, "")
        warnings.append(
            LintWarning(
                ruleset.path,
                line,
                field,
                "untested",
                f"{indicator_id}: no test exercises this indicator",
            )
        )
    return sorted(warnings)


def in_force_or_draft(library: RulesetLibrary, ruleset: Ruleset, today: dt.date) -> bool:
    """Whether `ruleset`'s review dates matter today: it is a draft, takes effect later, or
    is the published version in force (a superseded one is history)."""
    if library.status(ruleset.ref) == "draft" or ruleset.effective_from > today:
        return True
    try:
        return library.resolve(ruleset.id, on=today).ref == ruleset.ref
    except UnknownRulesetError:
        return True


def _base(ruleset: Ruleset, library: RulesetLibrary, today: dt.date) -> Iterator[LintWarning]:
    """A council's rules built on national rules that a newer published version replaced."""
    base = ruleset.extends
    if base is None:
        return
    try:
        now = library.resolve(base.id, on=today)
    except UnknownRulesetError:
        return
    if now.ref != base.ref and now.effective_from > base.effective_from:
        yield LintWarning(
            ruleset.path,
            ruleset.lines.get("extends", 0),
            "extends",
            "base",
            f"{ruleset.ref} extends {base.ref}, but {now.ref} is the {base.id} version in force "
            f"today: its families are still decided by {base.ref}'s rules; write a version "
            f"extending {now.ref}",
        )


def _own_parameters(ruleset: Ruleset) -> list[str]:
    """The parameters this file answers for: all of a national one's; a local one's
    overrides and own parameters (the rest are its base's, linted with the base)."""
    if ruleset.extends is None:
        return list(ruleset.parameters)
    base = ruleset.extends.parameters
    return [n for n in ruleset.parameters if n not in base or n in ruleset.overrides]


def _parameter_warning(ruleset: Ruleset, name: str, kind: str, message: str) -> LintWarning:
    return LintWarning(
        ruleset.path,
        ruleset.lines.get(f"parameters.{name}", 0),
        f"parameters.{name}",
        kind,
        message,
    )


def _freshness(ruleset: Ruleset, today: dt.date) -> Iterator[LintWarning]:
    for name in _own_parameters(ruleset):
        p = ruleset.parameters[name]
        if p.review_by is None:
            yield _parameter_warning(
                ruleset, name, "review", f"{name} has no review_by date: when is it next checked?"
            )
        elif p.review_by < today:
            yield _parameter_warning(
                ruleset,
                name,
                "review",
                f"{name} was due for review by {_day(p.review_by)} and is still in force: "
                f"check it against its source ({p.source.strip().rstrip('.')}) and set a new review_by",
            )


def _day(d: dt.date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


def conditions(ruleset: Ruleset) -> Iterator[tuple[str, str, int, Condition]]:
    """Every condition of the ruleset: (what it decides, its field, its line, the condition)."""
    if ruleset.family is not None:
        yield "the family rule", ruleset.family.field, ruleset.family.line, ruleset.family.when
    for indicator in ruleset.indicators:
        yield indicator.id, indicator.field, indicator.line, indicator.when
    if ruleset.outcome_plan is not None:
        for pm in ruleset.outcome_plan.measures:
            if pm.when is not None:
                yield pm.id, pm.field, pm.line, pm.when


def _operands_used(condition: Condition) -> Iterator[str]:
    for leaf in comparisons(condition):
        yield from (o.param for o in leaf.operands if o.param)
        yield from _measure_parameters(leaf.measure)


def _measure_parameters(m: Measure) -> Iterator[str]:
    windows = (
        m.within_months,
        m.due_within_months,
        m.last_terms,
        m.before_entry_months,
        m.after_entry_months,
        m.months,
    )
    yield from (w.param for w in windows if w is not None and w.param)
    yield from (name for _, name in m.list_params)


def used_parameters(ruleset: Ruleset) -> set[str]:
    """Every parameter a condition, the eligibility rule, the outcome plan or code reads."""
    used = {name for *_, condition in conditions(ruleset) for name in _operands_used(condition)}
    if ruleset.headlines_required_param:
        used.add(ruleset.headlines_required_param)
    if ruleset.outcome_plan is not None and ruleset.outcome_plan.sustain_param:
        used.add(ruleset.outcome_plan.sustain_param)
    return used | set(READ_BY_NAME)


def _unused(ruleset: Ruleset) -> Iterator[LintWarning]:
    used = used_parameters(ruleset)
    for name in _own_parameters(ruleset):
        if name not in used:
            yield _parameter_warning(
                ruleset,
                name,
                "unused",
                f"{name} is declared but nothing uses it: remove it, or use it by name",
            )


def every_value(m: Measure) -> Reach:
    """Every value a measure can take over documents the facts schema accepts."""
    if m.kind == "field":
        if m.value_type == "number":  # age: births from 1900, assessments to 2100
            return Reach(lo=0, hi=AGE_LIMIT)
        return Reach(values=frozenset(m.domain))
    if m.kind in ("count", "sum"):
        return Reach(lo=0, hi=None)  # always a value: no records count 0
    if m.kind in ("absence_rate", "attendance_rate"):
        return Reach(lo=0, hi=100, none=True)  # no sessions: no rate
    if m.kind == "reduction_pct":
        return Reach(lo=NO_LOWER_BOUND, hi=100, none=True)
    return Reach(lo=0, hi=None, none=True)  # mean, term_total: none without records


def _constant_conditions(ruleset: Ruleset) -> Iterator[LintWarning]:
    for what, field, line, condition in conditions(ruleset):
        reach = {m.key: every_value(m) for m in measures_of(condition)}
        explained = False
        for leaf in comparisons(condition):
            for want, kind, words in (
                (True, "never_true", "never"),
                (False, "always_true", "always"),
            ):
                if not could(leaf, reach, want):
                    explained = True
                    yield LintWarning(
                        ruleset.path,
                        line,
                        dotted(leaf.path) or field,
                        kind,
                        f"{what}: '{condition_text(leaf)}' is {words} true, whatever the facts",
                    )
        if explained:
            continue
        for want, kind, words in (
            (True, "never_true", "never be met"),
            (False, "always_true", "always be met"),
        ):
            if not could(condition, reach, want):
                yield LintWarning(
                    ruleset.path, line, field, kind, f"{what} can {words}, whatever the facts"
                )


def _windows(ruleset: Ruleset) -> Iterator[LintWarning]:
    kept = ruleset.parameters.get(KEPT_PARAMETER)
    if kept is None or isinstance(kept.value, tuple):
        return
    limit = kept.value
    seen: set[tuple[str, str]] = set()
    for what, field, line, condition in conditions(ruleset):
        for leaf in comparisons(condition):
            m = leaf.measure
            reaches = [
                (m.within_months, 1, "months"),
                (m.before_entry_months, 1, "months before entry"),
                (m.months, 1, "months before entry"),
                (m.last_terms, MONTHS_PER_TERM, "terms"),
            ]
            for window, months_each, unit in reaches:
                if window is None or window.value * months_each <= limit:
                    continue
                if (what, m.key) in seen:
                    continue
                seen.add((what, m.key))
                named = f" ({window.param})" if window.param else ""
                yield LintWarning(
                    ruleset.path,
                    line,
                    dotted(leaf.path) or field,
                    "window",
                    f"{what}: a window of {window.value} {unit}{named} reaches back further "
                    f"than the {limit} months partners keep records ({KEPT_PARAMETER}), so "
                    "older records will not be there to count",
                )

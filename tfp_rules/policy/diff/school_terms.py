"""How school terms are worked out that changed: the rule, its source, and the terms given
dates of their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ...ruleset import Ruleset
from .changes import Change
from .fields import text_field_changes

Dates = dict[str, tuple[dt.date, dt.date]]


def school_term_changes(old: Ruleset, new: Ruleset) -> Iterator[Change]:
    """The term rule and source that changed, then each term's own dates."""
    a, b = old.terms, new.terms
    if a.rule != b.rule:
        text = f"School terms: now follow the {b.rule} rule instead of the {a.rule} rule."
        yield Change("changed", "school_terms", "school_terms", "rule", a.rule, b.rule, text)
    yield from text_field_changes("school_terms", "school_terms", "School terms", a, b, ("source",))
    before = {t: (f, to) for t, f, to in a.dates}
    after = {t: (f, to) for t, f, to in b.dates}
    yield from _dates_given(before, after)
    yield from _dates_dropped(before, after, b.rule)


def _dates_given(before: Dates, after: Dates) -> Iterator[Change]:
    """Terms that now have their own dates, or other dates than before."""
    for term, (first, last) in after.items():
        span = f"{first.isoformat()} to {last.isoformat()}"
        if term not in before:
            text = f"School terms: term {term} now has its own dates, {span}."
            yield Change("added", "school_terms", term, "dates", None, [first, last], text)
        elif before[term] != (first, last):
            was = f"{before[term][0].isoformat()} to {before[term][1].isoformat()}"
            text = f"School terms: term {term} now runs {span} instead of {was}."
            yield Change(
                "changed", "school_terms", term, "dates", list(before[term]), [first, last], text
            )


def _dates_dropped(before: Dates, after: Dates, rule: str) -> Iterator[Change]:
    """Terms that no longer have their own dates, and so follow `rule`."""
    for term, (first, last) in before.items():
        if term not in after:
            text = (
                f"School terms: term {term} no longer has its own dates "
                f"(was {first.isoformat()} to {last.isoformat()}; now the {rule} rule's)."
            )
            yield Change("removed", "school_terms", term, "dates", [first, last], None, text)

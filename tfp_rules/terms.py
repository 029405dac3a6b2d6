"""School terms as data: term labels, the DfE census calendar that follows Easter, and the
dated term boundaries a council may set instead.

A term is named by its label, e.g. "2018-autumn". Labels count three terms a
school year in calendar order (spring, summer, autumn), so "the last three
terms" is plain arithmetic on `term_index`. Which days a term covers comes from
a `TermCalendar`, which every ruleset carries: by default the school census
rule (autumn 1 August-31 December, spring 1 January-Easter Sunday, summer
Easter Monday-31 July), so the spring term's end moves with Easter every year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from dateutil.easter import easter

SEASONS: tuple[str, ...] = ("spring", "summer", "autumn")
"""Seasons in calendar order; `term_index` counts three a year in this order."""
TERM_PATTERN = r"^\d{4}-(spring|summer|autumn)$"
CENSUS = "census"
RULES: tuple[str, ...] = (CENSUS,)
CENSUS_SOURCE = (
    "DfE, School census guide: autumn term 1 August to 31 December, spring term "
    "1 January to Easter Sunday, summer term Easter Monday to 31 July."
)


def term_label(year: int, season: str) -> str:
    """The label of a term, e.g. term_label(2018, "autumn") == "2018-autumn"."""
    if season not in SEASONS:
        raise ValueError(f"unknown season {season!r}; expected one of {SEASONS}")
    return f"{year:04d}-{season}"


def split_label(label: str) -> tuple[int, str]:
    """(year, season) of a label; ValueError if it is not one."""
    year, _, season = label.partition("-")
    if len(year) != 4 or not year.isdigit() or season not in SEASONS:
        raise ValueError(f"not a term label: {label!r} (expected e.g. '2018-autumn')")
    return int(year), season


def term_index(label: str) -> int:
    """A consecutive, sortable term number: year * 3 + (spring 0, summer 1, autumn 2)."""
    year, season = split_label(label)
    return year * 3 + SEASONS.index(season)


def term_label_at(index: int) -> str:
    """The label of the term with this `term_index` (its inverse)."""
    year, offset = divmod(index, 3)
    return term_label(year, SEASONS[offset])


def census_bounds(label: str) -> tuple[dt.date, dt.date]:
    """First and last day of a term under the school census rule (Easter-based)."""
    year, season = split_label(label)
    if season == "autumn":
        return dt.date(year, 8, 1), dt.date(year, 12, 31)
    sunday = easter(year)
    if season == "spring":
        return dt.date(year, 1, 1), sunday
    return sunday + dt.timedelta(days=1), dt.date(year, 7, 31)


@dataclass(frozen=True)
class TermCalendar:
    """The days each school term covers: the census rule, except for terms given dates.

    `dates` holds a council's own term boundaries, (label, first day, last day);
    terms it does not list follow `rule`. Holidays between dated terms belong to
    no term, which changes nothing below: only when terms end matters.
    """

    rule: str = CENSUS
    dates: tuple[tuple[str, dt.date, dt.date], ...] = ()
    source: str = CENSUS_SOURCE
    _by_label: dict[str, tuple[dt.date, dt.date]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown term rule {self.rule!r}; one of {', '.join(RULES)}")
        object.__setattr__(self, "_by_label", {t: (a, b) for t, a, b in self.dates})

    def bounds(self, label: str) -> tuple[dt.date, dt.date]:
        """First and last day of the term `label`."""
        return self._by_label.get(label) or census_bounds(label)

    def last_terms(self, on: dt.date, n: int) -> tuple[str, ...]:
        """Labels of the `n` most recent terms that ended on or before `on`, oldest first.

        A term still running on `on` does not count, unless `on` is its last day.
        """
        return _last_terms(self, on, n)

    def problems(self) -> Iterable[tuple[int, str]]:
        """(index into `dates`, message) for every dated term that cannot be: ending before
        it starts, given twice, or overlapping the term before or after it."""
        seen: set[str] = set()
        for i, (label, first, last) in enumerate(self.dates):
            if label in seen:
                yield i, f"term {label} is given dates twice"
            seen.add(label)
            if last < first:
                yield i, f"term {label} ends ({last}) before it starts ({first})"
                continue
            index = term_index(label)
            before, after = term_label_at(index - 1), term_label_at(index + 1)
            if self.bounds(before)[1] >= first:
                yield i, f"term {label} starts on {first}, before term {before} has ended"
            if self.bounds(after)[0] <= last:
                yield i, f"term {label} ends on {last}, after term {after} has started"


CENSUS_CALENDAR = TermCalendar()


@lru_cache(maxsize=4096)
def _last_terms(calendar: TermCalendar, on: dt.date, n: int) -> tuple[str, ...]:
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    index = term_index(term_label(on.year, "autumn"))
    while calendar.bounds(term_label_at(index))[1] > on:
        index -= 1
    return tuple(term_label_at(i) for i in range(index - n + 1, index + 1))

"""Coarsening for the research extract: dates of birth to age bands, dates to months.

An exact date of birth, with a place, identifies most people; an age band on the assessment
date and a month do not, and they are what the evaluation compares.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

UNKNOWN = "unknown"


@dataclass(frozen=True)
class AgeBand:
    """Ages from `lowest` to `highest` (whole years, inclusive; None: no upper end)."""

    lowest: int
    highest: int | None

    @property
    def label(self) -> str:
        return f"{self.lowest}+" if self.highest is None else f"{self.lowest}-{self.highest}"


# Source: ONS harmonised five- and ten-year bands (GSS harmonised standard "age"), cut where
# the programme's own thresholds fall (docs programme.md): under 5 (unhealthy start, H6),
# compulsory school age 5-15 split at secondary transfer (11), 16-17, 18-24 (NEET is 16-24,
# adulthood 18), then ten-year bands, top-coded at 65 so that the oldest are not singled out.
AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand(0, 4),
    AgeBand(5, 10),
    AgeBand(11, 15),
    AgeBand(16, 17),
    AgeBand(18, 24),
    AgeBand(25, 34),
    AgeBand(35, 44),
    AgeBand(45, 54),
    AgeBand(55, 64),
    AgeBand(65, None),
)
AGE_BAND_LABELS: tuple[str, ...] = tuple(b.label for b in AGE_BANDS)


def age_on(born: dt.date, on: dt.date) -> int:
    """Whole years from `born` to `on` (born 29 February: a year older on 1 March), as
    `facts.Member.age_on` counts them."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(date_of_birth: str | None, on: str, bands: tuple[AgeBand, ...] = AGE_BANDS) -> str:
    """The label of the band the age on `on` falls in (ISO dates); `unknown` if the date of
    birth is missing, not a date, or after `on`."""
    try:
        age = age_on(dt.date.fromisoformat(str(date_of_birth)), dt.date.fromisoformat(on))
    except ValueError:
        return UNKNOWN
    for band in bands:
        if age >= band.lowest and (band.highest is None or age <= band.highest):
            return band.label
    return UNKNOWN


def month(value: str | None) -> str | None:
    """A date or store timestamp as its month, `YYYY-MM` (None stays None); ValueError for
    anything else, so no day can slip through."""
    if value is None:
        return None
    day = dt.date.fromisoformat(value[:10])
    return f"{day.year:04d}-{day.month:02d}"

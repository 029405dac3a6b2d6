"""School terms as data: the census calendar follows Easter, a council's dated terms take
precedence, and "the last N terms" are the last N that ended by the assessment date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfp_rules.terms import (
    CENSUS_CALENDAR,
    SEASONS,
    TermCalendar,
    census_bounds,
    term_index,
    term_label_at,
)

D = dt.date


@pytest.mark.parametrize(
    ("label", "first", "last"),
    [
        ("2018-spring", D(2018, 1, 1), D(2018, 4, 1)),  # Easter Sunday 2018: 1 April
        ("2018-summer", D(2018, 4, 2), D(2018, 7, 31)),
        ("2018-autumn", D(2018, 8, 1), D(2018, 12, 31)),
        ("2019-spring", D(2019, 1, 1), D(2019, 4, 21)),  # Easter Sunday 2019: 21 April
        ("2019-summer", D(2019, 4, 22), D(2019, 7, 31)),
        ("2016-spring", D(2016, 1, 1), D(2016, 3, 27)),
    ],
)
def test_census_terms_follow_easter(label, first, last):
    assert census_bounds(label) == (first, last)
    assert CENSUS_CALENDAR.bounds(label) == (first, last)


@pytest.mark.parametrize(
    ("on", "n", "expected"),
    [
        (D(2019, 3, 31), 3, ("2018-spring", "2018-summer", "2018-autumn")),
        # 2-14 April 2018: spring ended on Easter Sunday (1 April), so it counts
        (D(2018, 4, 2), 3, ("2017-summer", "2017-autumn", "2018-spring")),
        (D(2018, 4, 14), 3, ("2017-summer", "2017-autumn", "2018-spring")),
        # 15-20 April 2019: spring is still running (Easter Sunday is 21 April), so it does not
        (D(2019, 4, 15), 3, ("2018-spring", "2018-summer", "2018-autumn")),
        (D(2019, 4, 20), 3, ("2018-spring", "2018-summer", "2018-autumn")),
        (D(2019, 4, 21), 3, ("2018-summer", "2018-autumn", "2019-spring")),  # its last day
        (D(2019, 7, 31), 1, ("2019-summer",)),
        (D(2019, 8, 1), 1, ("2019-summer",)),
        (D(2019, 1, 1), 1, ("2018-autumn",)),
        (D(2019, 1, 1), 0, ()),
        (D(2019, 3, 31), 6, tuple(f"{y}-{s}" for y in (2017, 2018) for s in SEASONS)),
    ],
)
def test_last_terms_are_those_ended_by_the_date(on, n, expected):
    assert CENSUS_CALENDAR.last_terms(on, n) == expected


def test_last_terms_rejects_negative_n():
    with pytest.raises(ValueError):
        CENSUS_CALENDAR.last_terms(D(2019, 3, 31), -1)


@given(st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)))
def test_census_terms_tile_the_calendar(day):
    recent = CENSUS_CALENDAR.last_terms(day, 3)
    indexes = [term_index(t) for t in recent]
    assert indexes == list(range(indexes[0], indexes[0] + 3))
    latest = recent[-1]
    following = term_label_at(term_index(latest) + 1)
    assert CENSUS_CALENDAR.bounds(latest)[1] <= day < CENSUS_CALENDAR.bounds(following)[1]
    # consecutive terms meet with no gap and no overlap
    assert CENSUS_CALENDAR.bounds(following)[0] == CENSUS_CALENDAR.bounds(latest)[1] + dt.timedelta(
        days=1
    )


def test_a_councils_own_term_dates_take_precedence():
    local = TermCalendar(dates=(("2019-spring", D(2019, 1, 7), D(2019, 4, 5)),))
    assert local.bounds("2019-spring") == (D(2019, 1, 7), D(2019, 4, 5))
    assert local.bounds("2019-summer") == census_bounds("2019-summer")  # not given: census
    # on 10 April 2019 the council's spring term has ended, the census one has not
    assert local.last_terms(D(2019, 4, 10), 1) == ("2019-spring",)
    assert CENSUS_CALENDAR.last_terms(D(2019, 4, 10), 1) == ("2018-autumn",)
    assert list(local.problems()) == []


def test_dated_terms_that_cannot_be_are_named():
    calendar = TermCalendar(
        dates=(
            ("2019-spring", D(2019, 4, 5), D(2019, 1, 7)),  # backwards
            ("2019-summer", D(2019, 4, 10), D(2019, 8, 5)),  # starts before census spring ends
            ("2019-summer", D(2019, 4, 23), D(2019, 7, 20)),  # given twice
        )
    )
    messages = [m for _, m in calendar.problems()]
    assert any("2019-spring ends (2019-01-07) before it starts" in m for m in messages)
    assert any("given dates twice" in m for m in messages)
    assert any("after term 2019-autumn has started" in m for m in messages)


def test_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="unknown term rule"):
        TermCalendar(rule="fixed")

"""Derived measures: window arithmetic, episodes, aggregates and their provenance."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from tfp_rules.conditions import Measure, Operand
from tfp_rules.facts import parse_facts
from tfp_rules.measures import measure, months_before, subjects, window_start

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2019, 3, 31), 12, D(2018, 3, 31)),
        (D(2019, 3, 31), 1, D(2019, 2, 28)),  # clamped to the month's end
        (D(2020, 2, 29), 12, D(2019, 2, 28)),
        (D(2019, 1, 15), 3, D(2018, 10, 15)),
        (D(2019, 3, 31), -12, D(2020, 3, 31)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_last_12_months_end_on_and_include_the_assessment_date():
    assert window_start(D(2019, 3, 31), 12) == D(2018, 4, 1)
    assert window_start(D(2020, 2, 29), 12) == D(2019, 3, 1)


def events_family(example_doc: dict, events: list[dict], household: list[dict] | None = None):
    doc = copy.deepcopy(example_doc)
    doc["members"][0]["events"] = events
    doc["household"] = {"events": household or []}
    doc["judgements"] = []
    facts = parse_facts(doc)
    people = subjects(facts, 18)
    return facts, people[0], people[-1]


def window_count(event_type: str, months: int | None = None, **extra) -> Measure:
    return Measure(
        "count",
        records="event",
        types=(event_type,),
        within_months=Operand(months) if months else None,
        **extra,
    )


def test_count_window_edges_and_evidence(example_doc):
    facts, p1, _ = events_family(
        example_doc,
        [
            {"type": "proven_offence", "date": "2018-03-31"},  # one day outside
            {"type": "proven_offence", "date": "2018-04-01"},  # first day inside
            {"type": "proven_offence", "date": "2019-03-31"},  # the assessment date
        ],
    )
    got = measure(window_count("proven_offence", 12), p1, facts)
    assert got.value == 2
    assert got.evidence == ("/members/0/events/1", "/members/0/events/2")
    assert got.note == "2018-04-01..2019-03-31"
    assert measure(window_count("proven_offence"), p1, facts).value == 3


def test_open_episodes(example_doc):
    facts, p1, _ = events_family(
        example_doc,
        [
            {
                "type": "child_in_need",
                "date": "2018-01-01",
                "ended": "2019-03-30",
            },  # closed yesterday
            {
                "type": "child_in_need",
                "date": "2018-01-01",
                "ended": "2019-03-31",
            },  # ends today: open
            {"type": "child_in_need", "date": "2017-01-01", "ended": None},
            {"type": "child_protection_plan", "date": "2017-01-01", "ended": "2018-04-01"},
            {"type": "child_protection_plan", "date": "2017-01-01", "ended": "2018-03-31"},
        ],
    )
    assert measure(window_count("child_in_need", open=True), p1, facts).evidence == (
        "/members/0/events/1",
        "/members/0/events/2",
    )
    cpp = measure(window_count("child_protection_plan", 12, open=True), p1, facts)
    assert cpp.evidence == ("/members/0/events/3",)
    assert cpp.note == "open during 2018-04-01..2019-03-31"


def test_sum_and_mean_with_where_filters(example_doc):
    facts, p1, household = events_family(
        example_doc,
        [{"type": "problem_debt", "date": "2019-01-01", "amount_gbp": 250.5}],
        household=[
            {"type": "rent_arrears", "date": "2019-01-15", "amount_gbp": 640},
            {"type": "rent_arrears", "date": "2017-01-15", "amount_gbp": 1000},
        ],
    )
    debts = ("rent_arrears", "problem_debt")
    total = Measure(
        "sum", field="amount_gbp", records="event", types=debts, within_months=Operand(12)
    )
    mean = Measure(
        "mean", field="amount_gbp", records="event", types=debts, within_months=Operand(12)
    )
    assert measure(total, household, facts).value == pytest.approx(890.5)
    assert measure(mean, household, facts).value == pytest.approx(445.25)
    assert measure(total, p1, facts).value == pytest.approx(250.5)  # a member sees only its own
    empty = Measure("mean", field="amount_gbp", records="event", types=("eviction_risk",))
    assert measure(empty, household, facts).value is None


def test_where_role_filter(example_doc):
    facts, p1, _ = events_family(
        example_doc,
        [
            {"type": "domestic_abuse", "date": "2019-01-01", "role": "perpetrator"},
            {"type": "domestic_abuse_callout", "date": "2019-01-02", "role": "victim"},
        ],
    )
    m = Measure(
        "count",
        records="event",
        types=("domestic_abuse", "domestic_abuse_callout"),
        within_months=Operand(12),
        where=(("role", ("victim", "at_risk")),),
    )
    assert measure(m, p1, facts).evidence == ("/members/0/events/1",)


def test_absence_rate_and_term_totals(example_facts):
    c1 = subjects(example_facts, 18)[1]
    rate = measure(Measure("absence_rate", last_terms=Operand(3)), c1, example_facts)
    assert rate.value == pytest.approx(42 * 100 / 370)
    assert rate.note == "terms 2018-spring..2018-autumn: 42 of 370 sessions missed"
    two = measure(Measure("absence_rate", last_terms=Operand(2)), c1, example_facts)
    assert two.value == pytest.approx(24 * 100 / 250)
    five = measure(Measure("absence_rate", last_terms=Operand(5)), c1, example_facts)
    assert five.note.endswith("no record for 2017-autumn, 2017-summer")
    exclusions = measure(
        Measure("term_total", field="fixed_term_exclusions", last_terms=Operand(3)),
        c1,
        example_facts,
    )
    assert exclusions.value == 3


def test_no_school_record_means_no_absence_value(example_facts):
    p1 = subjects(example_facts, 18)[0]
    assert measure(Measure("absence_rate", last_terms=Operand(3)), p1, example_facts).value is None
    assert measure(Measure("field", field="school.registered"), p1, example_facts).value is None


def test_child_status_follows_the_adult_age_parameter(example_facts):
    assert [s.is_child for s in subjects(example_facts, 18)[:2]] == [False, True]
    assert [s.is_child for s in subjects(example_facts, 40)[:2]] == [True, True]


def test_one_call_out_on_two_members_counts_once_for_the_household(example_doc):
    doc = copy.deepcopy(example_doc)
    callout = {"type": "domestic_abuse_callout", "date": "2018-12-24"}
    doc["members"][0]["events"] = [{**callout, "role": "victim"}]
    doc["members"][1]["events"] = [{**callout, "role": "witness"}]
    doc["household"] = {"events": [dict(callout)]}
    facts = parse_facts(doc)
    p1, _, household = subjects(facts, 18)
    got = measure(window_count("domestic_abuse_callout", 12), household, facts)
    assert got.value == 1
    assert len(got.evidence) == 3  # every record is still named
    assert "3 records, counted as 1 incident (same incident reference" in got.note
    assert measure(window_count("domestic_abuse_callout", 12), p1, facts).value == 1


def test_incident_references_decide_what_is_one_incident(example_doc):
    doc = copy.deepcopy(example_doc)
    doc["members"][0]["events"] = [
        {"type": "asb_intervention", "date": "2018-07-01", "kind": "warning", "incident": "P-1"},
        {"type": "asb_intervention", "date": "2018-07-01", "kind": "warning", "incident": "P-2"},
    ]
    doc["household"] = {
        "events": [
            {"type": "asb_intervention", "date": "2018-07-03", "kind": "warning", "incident": "P-1"}
        ]
    }
    facts = parse_facts(doc)
    p1, _, household = subjects(facts, 18)
    # the same date and kind, but two references: two incidents; P-1 again on the household: one
    assert measure(window_count("asb_intervention", 12), p1, facts).value == 2
    assert measure(window_count("asb_intervention", 12), household, facts).value == 2


def test_an_amount_reported_twice_is_owed_once(example_doc):
    arrears = {"type": "rent_arrears", "date": "2019-01-15"}
    facts, _, household = events_family(
        example_doc,
        [{**arrears, "amount_gbp": 600}],
        [
            {**arrears, "amount_gbp": 640},
            {"type": "rent_arrears", "date": "2019-02-15", "amount_gbp": 100},
        ],
    )
    total = Measure("sum", records="event", types=("rent_arrears",), field="amount_gbp")
    assert measure(total, household, facts).value == 740  # the larger of the two reports, once


def test_a_zero_month_window_with_open_means_open_on_the_assessment_date(example_doc):
    facts, p1, _ = events_family(
        example_doc,
        [
            {"type": "child_in_need", "date": "2018-06-01", "ended": "2018-12-01"},
            {"type": "child_in_need", "date": "2019-01-01"},
        ],
    )
    open_now = Measure(
        "count", records="event", types=("child_in_need",), open=True, within_months=Operand(0)
    )
    in_window = Measure(
        "count", records="event", types=("child_in_need",), open=True, within_months=Operand(12)
    )
    assert measure(open_now, p1, facts).value == 1
    assert measure(in_window, p1, facts).value == 2


def test_months_before_is_relativedelta_month_arithmetic() -> None:
    """`months_before` replaced dateutil's relativedelta for speed: every day of a leap
    cycle, back and forward by up to 30 months, must give what relativedelta gives."""
    import datetime as dt

    from dateutil.relativedelta import relativedelta

    from tfp_rules.measures import months_after, months_before

    day = dt.date(2015, 1, 1)
    while day < dt.date(2019, 1, 1):
        for months in range(0, 31):
            assert months_before(day, months) == day - relativedelta(months=months)
            assert months_after(day, months) == day + relativedelta(months=months)
        day += dt.timedelta(days=1)

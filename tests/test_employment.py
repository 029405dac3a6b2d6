"""Continuous employment (issue 15, section 4): the boundaries exactly, missing sources in both
directions, the family view, and a day-by-day reference walk that must agree."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from typing import Any

import pytest
from dateutil.rrule import DAILY, rrule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfp_rules.errors import FactsError
from tfp_rules.evaluate import evaluate
from tfp_rules.facts import Member, parse_facts
from tfp_rules.outcomes.employment import (
    EmploymentResult,
    continuous_employment,
    family_continuous_employment,
    family_status,
)

from .strategies import family

D = dt.date
OUT_OF_WORK = ("JSA", "ESA", "IS")  # the national ruleset's out_of_work_benefits
REGIMES = ("intensive_work_search",)  # and its uc_work_search_regimes
ENTRY = D(2019, 3, 10)


def member(benefits: list[dict[str, Any]], employment: list[dict[str, Any]], on: dt.date) -> Member:
    """p1 with these records, validated as a document assessed on `on`."""
    doc = {
        "family_ref": "EMP-1",
        "assessment_date": on.isoformat(),
        "members": [
            {
                "ref": "p1",
                "role": "adult",
                "date_of_birth": "1985-05-05",
                "benefits": benefits,
                "employment": employment,
            }
        ],
    }
    return parse_facts(doc).members[0]


def check(
    benefits: list[dict[str, Any]],
    employment: list[dict[str, Any]],
    on: dt.date,
    *,
    entry: dt.date = ENTRY,
    checked: dt.date | str | None = "on",
    **kw: Any,
) -> EmploymentResult:
    """The check on `on`, both sources checked to `checked` (by default `on`: closed)."""
    when = on if checked == "on" else checked
    args: dict[str, Any] = {
        "pointer": "/members/0",
        "entry_date": entry,
        "check_date": on,
        "weeks_required": 26,
        "weeks_required_jsa": 13,
        "out_of_work_benefits": OUT_OF_WORK,
        "uc_work_search_regimes": REGIMES,
        "employment_checked_on": when,
        "benefits_checked_on": when,
    }
    return continuous_employment(member(benefits, employment, on), **{**args, **kw})


JSA = {"type": "JSA", "from": "2019-03-03", "to": "2019-03-31"}
ESA = {"type": "ESA", "from": "2019-03-03", "to": "2019-03-31"}
WORK = {"from": "2019-04-01"}  # still in work
DAY_91 = D(2019, 6, 30)  # 1 April to 30 June: 91 days, 13 weeks exactly


# ---------------------------------------------------------------------------
# The boundaries
# ---------------------------------------------------------------------------


def test_thirteen_weeks_as_a_jsa_claimant_is_met():
    r = check([JSA], [WORK], DAY_91)
    assert r.status == "met"
    assert (r.counted_from, r.counted_to) == (D(2019, 4, 1), DAY_91)
    assert (r.days_employed, r.weeks_employed, r.extra_days) == (91, 13, 0)
    assert (r.weeks_required, r.jsa_claimant) == (13, True)
    assert r.benefit_at_entry is not None
    assert (r.benefit_at_entry.type, r.benefit_at_entry.from_) == ("JSA", D(2019, 3, 3))
    assert r.evidence == ("/members/0/benefits/0", "/members/0/employment/0")
    assert r.explanation == (
        "p1 was on JSA at entry (from 3 March 2019) and has been in work since 1 April 2019, "
        "13 weeks to 30 June 2019: at least 13 weeks required for a JSA claimant."
    )


def test_thirteen_weeks_on_esa_is_not_met_twenty_six_are_needed():
    r = check([ESA], [WORK], DAY_91)
    assert r.status == "not_met"
    assert (r.weeks_employed, r.weeks_required, r.jsa_claimant) == (13, 26, False)
    assert r.explanation == (
        "p1 was on ESA at entry (from 3 March 2019) and has been in work since 1 April 2019, "
        "13 weeks to 30 June 2019: 26 weeks required (13 only for a JSA claimant)."
    )
    assert check([ESA], [WORK], D(2019, 9, 29)).status == "met"  # 182 days
    assert check([ESA], [WORK], D(2019, 9, 28)).status == "not_met"  # 181


def test_twelve_weeks_six_days_is_not_met():
    r = check([JSA], [WORK], DAY_91 - dt.timedelta(days=1))
    assert r.status == "not_met"
    assert (r.days_employed, r.weeks_employed, r.extra_days) == (90, 12, 6)
    assert "12 weeks 6 days to 29 June 2019: 13 weeks required" in r.explanation


def test_a_gap_breaks_continuity_unless_tolerated():
    # 1 April-15 May and 17 May-30 June: 91 days in all, but 16 May out of work
    spells = [{"from": "2019-04-01", "to": "2019-05-15"}, {"from": "2019-05-17"}]
    r = check([JSA], spells, DAY_91)
    assert r.status == "not_met"
    # two runs of 45 days: the later is reported
    assert (r.counted_from, r.counted_to, r.days_employed) == (D(2019, 5, 17), DAY_91, 45)
    assert r.evidence == ("/members/0/benefits/0", "/members/0/employment/1")
    tolerated = check([JSA], spells, DAY_91, gap_days=1)
    assert tolerated.status == "met"
    assert tolerated.days_employed == 91  # the tolerated day counts
    assert tolerated.evidence[1:] == ("/members/0/employment/0", "/members/0/employment/1")
    # two days out is more than one tolerated
    apart = [{"from": "2019-04-01", "to": "2019-05-15"}, {"from": "2019-05-18"}]
    assert check([JSA], apart, D(2019, 7, 31), gap_days=1).status == "not_met"


@pytest.mark.parametrize(
    "spells",
    [
        [{"from": "2019-04-01", "to": "2019-05-15"}, {"from": "2019-05-16"}],  # adjacent
        [{"from": "2019-04-01", "to": "2019-06-01"}, {"from": "2019-05-01", "to": "2019-06-30"}],
        [{"from": "2019-05-01", "to": "2019-06-30"}, {"from": "2019-04-01", "to": "2019-05-01"}],
    ],
    ids=["adjacent", "overlapping", "out-of-order"],
)
def test_adjacent_and_overlapping_spells_join(spells):
    r = check([JSA], spells, DAY_91)
    assert r.status == "met"
    assert (r.counted_from, r.counted_to, r.days_employed) == (D(2019, 4, 1), DAY_91, 91)
    assert set(r.evidence[1:]) == {"/members/0/employment/0", "/members/0/employment/1"}


def test_an_out_of_work_claim_during_the_period_breaks_the_run():
    claim = {"type": "JSA", "from": "2019-05-16", "to": "2019-05-16"}  # one day back on JSA
    r = check([JSA, claim], [WORK], DAY_91)
    assert r.status == "not_met"
    assert (r.counted_from, r.counted_to) == (D(2019, 5, 17), DAY_91)  # the longer side
    one_side = check([JSA, {**claim, "to": "2019-06-30"}], [WORK], DAY_91)
    assert (one_side.counted_from, one_side.counted_to) == (D(2019, 4, 1), D(2019, 5, 15))
    assert one_side.evidence == (
        "/members/0/benefits/0",
        "/members/0/employment/0",
        "/members/0/benefits/1",
    )
    assert one_side.explanation == (
        "p1 was on JSA at entry (from 3 March 2019) and was in work from 1 April 2019 to "
        "15 May 2019, 6 weeks 3 days, until a claim for JSA from 16 May 2019: 13 weeks "
        "required for a JSA claimant."
    )
    # a tolerated gap does not bridge a claim
    assert check([JSA, claim], [WORK], DAY_91, gap_days=5).status == "not_met"


def test_in_work_universal_credit_does_not_break_the_run():
    in_work_uc = {"type": "UC", "from": "2019-04-01", "conditionality": "working_no_requirements"}
    assert check([JSA, in_work_uc], [WORK], DAY_91).status == "met"
    searching = {"type": "UC", "from": "2019-05-01", "work_search": True}
    assert check([JSA, searching], [WORK], DAY_91).status == "not_met"


def test_employment_before_entry_is_not_counted():
    before = [{"from": "2018-01-01", "to": "2019-03-09"}]
    assert check([JSA], before, DAY_91).status == "not_met"
    # working part-time while claiming: counted from the first day off benefits
    long = check([{**JSA, "to": "2019-04-07"}], [{"from": "2018-06-01"}], D(2019, 7, 7))
    assert (long.counted_from, long.days_employed) == (D(2019, 4, 8), 91)
    assert long.status == "met"


def test_still_claiming_at_the_check_is_not_moved_off_benefits():
    r = check([{**JSA, "to": None}], [WORK], D(2019, 12, 31))
    assert r.status == "not_met"
    assert (r.counted_from, r.days_employed) == (None, 0)
    assert r.explanation == (
        "p1 was on JSA at entry (from 3 March 2019) and has not been in work off out-of-work "
        "benefits since: 13 weeks required for a JSA claimant."
    )


@pytest.mark.parametrize(
    "benefit",
    [
        {"type": "JSA", "from": "2019-01-01", "to": "2019-03-09"},  # ended the day before
        {"type": "JSA", "from": "2019-03-11", "to": "2019-03-31"},  # began the day after
        {"type": "other", "from": "2019-01-01"},
        {"type": "UC", "from": "2019-01-01", "to": "2019-03-31", "work_search": False},
        {"type": "UC", "from": "2019-01-01", "to": "2019-03-31", "conditionality": "light_touch"},
    ],
    ids=["ended-before", "began-after", "other", "uc-no-search", "uc-light-touch"],
)
def test_not_on_an_out_of_work_benefit_at_entry_is_not_met(benefit):
    r = check([benefit], [WORK], D(2019, 12, 31))
    assert r.status == "not_met"
    assert (r.benefit_at_entry, r.weeks_required, r.evidence) == (None, None, ())
    assert r.explanation == (
        "p1 was not on an out-of-work benefit at entry (10 March 2019), so work since then "
        "does not count towards a results claim."
    )


@pytest.mark.parametrize(
    "uc",
    [
        {"type": "UC", "from": "2019-01-01", "to": "2019-03-31", "work_search": True},
        {"type": "UC", "from": "2019-01-01", "to": "2019-03-31", "conditionality": "intensive_work_search"},
    ],
)  # fmt: skip
def test_universal_credit_with_work_search_at_entry_counts(uc):
    r = check([uc], [WORK], D(2019, 9, 29))
    assert (r.status, r.weeks_required) == ("met", 26)
    assert r.explanation.startswith("p1 was on Universal Credit at entry (from 1 January 2019)")


def test_a_jsa_claim_beside_another_at_entry_makes_a_jsa_claimant():
    r = check([ESA, {**JSA, "from": "2019-03-05"}], [WORK], DAY_91)
    assert (r.status, r.jsa_claimant, r.benefit_at_entry.type) == ("met", True, "JSA")
    assert r.evidence[0] == "/members/0/benefits/1"


def test_the_thresholds_are_the_arguments_not_constants():
    assert check([ESA], [WORK], D(2019, 4, 28), weeks_required=4).status == "met"  # 28 days
    assert check([ESA], [WORK], D(2019, 4, 27), weeks_required=4).status == "not_met"
    assert check([JSA], [WORK], D(2019, 4, 7), weeks_required_jsa=1).status == "met"
    narrower = check([JSA], [WORK], DAY_91, out_of_work_benefits=("ESA",))
    assert (narrower.status, narrower.benefit_at_entry) == ("not_met", None)


# ---------------------------------------------------------------------------
# Missing is not false
# ---------------------------------------------------------------------------


def test_benefits_unchecked_for_part_of_the_run_is_unknown():
    """The records show 13 weeks, but a claim from after the last check could break them."""
    r = check([JSA], [WORK], DAY_91, benefits_checked_on=D(2019, 5, 31))
    assert r.status == "unknown"
    assert (r.days_employed, r.unchecked, r.unsettled_by) == (91, ("benefits",), ("benefits",))
    assert r.explanation.endswith(
        ": 13 weeks required for a JSA claimant; not settled yet, as benefit records are "
        "checked only to 31 May 2019."
    )


def test_employment_unchecked_and_too_short_so_far_is_unknown():
    spells = [{"from": "2019-04-01", "to": "2019-05-31"}]
    r = check([JSA], spells, DAY_91, employment_checked_on=D(2019, 5, 31))
    assert (r.status, r.unsettled_by) == ("unknown", ("employment",))
    assert "employment records are checked only to 31 May 2019" in r.explanation
    never = check([JSA], spells, DAY_91, employment_checked_on=None)
    assert never.status == "unknown"
    assert "employment records have not been checked" in never.explanation


def test_missing_source_but_already_met_is_met():
    # employment never checked: more work cannot undo 13 weeks shown
    ended = [{"from": "2019-04-01", "to": "2019-06-30"}]
    r = check([JSA], ended, D(2019, 9, 30), employment_checked_on=None)
    assert (r.status, r.unchecked, r.unsettled_by) == ("met", ("employment",), ())
    assert "not settled" not in r.explanation
    # benefits checked past the end of the 13 weeks: a later claim cannot undo them
    later = check([JSA], [WORK], D(2019, 9, 30), benefits_checked_on=DAY_91)
    assert (later.status, later.unchecked) == ("met", ("benefits",))


def test_missing_source_that_could_not_change_it_is_settled():
    # not on a benefit at entry, and benefits were checked after entry: no work changes that
    r = check([{**JSA, "to": "2019-03-09"}], [], DAY_91, employment_checked_on=None)
    assert (r.status, r.unchecked) == ("not_met", ("employment",))
    # too little time since entry for any record to make 13 weeks
    assert check([JSA], [], D(2019, 6, 1), checked=None).status == "not_met"


def test_a_claim_at_entry_could_still_arrive_while_benefits_were_unchecked_then():
    r = check([], [WORK], DAY_91, benefits_checked_on=D(2019, 3, 1))
    assert (r.status, r.benefit_at_entry, r.unsettled_by) == ("unknown", None, ("benefits",))
    assert r.explanation == (
        "No record shows p1 on an out-of-work benefit at entry (10 March 2019), but one could "
        "still arrive; not settled yet, as benefit records are checked only to 1 March 2019."
    )
    # and a JSA claim still to come would lower an ESA claimant's 26 weeks to 13
    esa = check([ESA], [WORK], DAY_91, benefits_checked_on=D(2019, 3, 1))
    assert esa.status == "unknown"


def test_both_unchecked_name_both():
    r = check([JSA], [{"from": "2019-04-01", "to": "2019-04-30"}], DAY_91, checked=None)
    assert (r.status, r.unsettled_by) == ("unknown", ("employment", "benefits"))


# ---------------------------------------------------------------------------
# Input, output, the family
# ---------------------------------------------------------------------------


def test_a_check_before_entry_is_bad_input_and_thresholds_must_be_sensible():
    with pytest.raises(FactsError) as caught:
        check([JSA], [WORK], DAY_91, check_date=D(2019, 3, 9))
    assert [p.pointer for p in caught.value.problems] == ["/assessment_date"]
    with pytest.raises(ValueError, match="at least 1"):
        check([JSA], [WORK], DAY_91, weeks_required=0)
    with pytest.raises(ValueError, match="gap_days"):
        check([JSA], [WORK], DAY_91, gap_days=-1)


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.mark.parametrize("on", [DAY_91, D(2019, 5, 1)])
@pytest.mark.parametrize("checked", ["on", None, D(2019, 4, 15)])
def test_the_result_is_json_and_its_sentence_is_for_people(on, checked):
    r = check([JSA], [WORK], on, checked=checked)
    data = json.loads(json.dumps(r.to_dict()))
    assert data["status"] == r.status
    assert data["weeks_employed"] == r.weeks_employed
    assert data["benefit_at_entry"] == {
        "type": "JSA",
        "from": "2019-03-03",
        "pointer": "/members/0/benefits/0",
    }
    sentence = r.explanation
    assert not _ISO.search(sentence)
    assert not re.search(r"True|False|None|weeks_required|_", sentence)
    assert sentence.endswith(".") and sentence.count(". ") == 0


def _family(**extra: Any) -> dict[str, Any]:
    return {
        "family_ref": "EMP-F",
        "assessment_date": "2019-09-30",
        "members": [
            {"ref": "c1", "role": "child", "date_of_birth": "2005-01-01",
             "benefits": [JSA], "employment": [WORK]},
            {"ref": "p1", "role": "adult", "date_of_birth": "1985-05-05",
             "benefits": [ESA], "employment": [WORK]},
            {"ref": "p2", "role": "adult", "date_of_birth": "1987-05-05",
             "benefits": [JSA], "employment": [{"from": "2019-04-01", "to": "2019-05-31"}]},
        ],
        **extra,
    }  # fmt: skip


def _thresholds() -> dict[str, Any]:
    return {
        "entry_date": ENTRY,
        "weeks_required": 26,
        "weeks_required_jsa": 13,
        "out_of_work_benefits": OUT_OF_WORK,
        "uc_work_search_regimes": REGIMES,
    }


def test_the_family_view_checks_adults_at_entry_with_dwp_as_the_source():
    results = family_continuous_employment(parse_facts(_family()), **_thresholds())
    assert [(r.member, r.status) for r in results] == [("p1", "met"), ("p2", "not_met")]
    assert results[0].evidence == ("/members/1/benefits/0", "/members/1/employment/0")
    assert family_status(results) == "met"
    # DWP checked only before the run: p1 might yet be broken by a claim, p2 could be met
    open_world = parse_facts(_family(sources_checked={"dwp": "2019-05-31"}))
    results = family_continuous_employment(open_world, **_thresholds())
    assert [r.status for r in results] == ["unknown", "unknown"]
    assert family_status(results) == "unknown"
    # another source checked, DWP not: DWP's records are missing, from entry on
    nothing = parse_facts(_family(sources_checked={"police": "2019-09-30"}))
    assert {r.unchecked for r in family_continuous_employment(nothing, **_thresholds())} == {
        ("employment", "benefits")
    }
    assert family_status([]) == "not_met"


# ---------------------------------------------------------------------------
# Agreement with a day-by-day walk over the calendar
# ---------------------------------------------------------------------------


def _counts(b: dict[str, Any]) -> bool:
    if b["type"] in OUT_OF_WORK:
        return True
    return b["type"] == "UC" and (
        b.get("work_search") is True or b.get("conditionality") in REGIMES
    )


def _covers(record: dict[str, Any], day: dt.date, open_to: dt.date) -> bool:
    return (
        D.fromisoformat(record["from"])
        <= day
        <= D.fromisoformat(record.get("to") or open_to.isoformat())
    )


def reference(
    benefits: list[dict[str, Any]],
    employment: list[dict[str, Any]],
    entry: dt.date,
    on: dt.date,
    weeks: int,
    weeks_jsa: int,
    gap: int,
) -> tuple[str, int]:
    """The closed-world answer, walking every day from entry to the check: the longest
    stretch of days in work on no out-of-work claim, gaps of at most `gap` days bridged."""
    claims = [b for b in benefits if _counts(b)]
    at_entry = [b for b in claims if _covers(b, entry, entry)]
    if not at_entry:
        return "not_met", 0
    need = weeks_jsa if any(b["type"] == "JSA" for b in at_entry) else weeks
    longest, start, last = 0, None, None
    for moment in rrule(DAILY, dtstart=entry, until=on):
        day = moment.date()
        if any(_covers(b, day, on) for b in claims):
            start = None
        elif any(_covers(e, day, on) for e in employment):
            if start is None or (day - last).days - 1 > gap:
                start = day
            last = day
            longest = max(longest, (day - start).days + 1)
    return ("met" if longest >= 7 * need else "not_met"), longest


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    entry = D(2019, 1, 1) + dt.timedelta(days=draw(st.integers(0, 30)))
    on = entry + dt.timedelta(days=draw(st.sampled_from([0, 6, 7, 13, 14, 20, 21, 60, 120])))
    day = st.integers(-40, (on - entry).days).map(lambda n: entry + dt.timedelta(days=n))

    def span(start: dt.date) -> dict[str, Any]:
        out: dict[str, Any] = {"from": start.isoformat()}
        length = draw(st.one_of(st.none(), st.integers(0, 40), st.integers(40, 130)))
        if length is not None:
            out["to"] = min(start + dt.timedelta(days=length), on).isoformat()
        return out

    benefits = []
    for _ in range(draw(st.integers(0, 2))):
        claim = {
            "type": draw(st.sampled_from(["JSA", "ESA", "IS", "UC", "other"])),
            **span(draw(day)),
        }
        if claim["type"] == "UC" and draw(st.booleans()):
            claim["work_search"] = draw(st.booleans())
        if claim["type"] == "UC" and draw(st.booleans()):
            claim["conditionality"] = draw(
                st.sampled_from(["intensive_work_search", "light_touch"])
            )
        benefits.append(claim)
    if draw(st.integers(0, 3)):  # mostly on a claim at entry that ends soon after
        start, ends = draw(st.integers(0, 5)), draw(st.integers(0, 10))
        benefits.append(
            {
                "type": draw(st.sampled_from(["JSA", "ESA"])),
                "from": (entry - dt.timedelta(days=start)).isoformat(),
                "to": min(entry + dt.timedelta(days=ends), on).isoformat(),
            }
        )
    employment = [span(draw(day)) for _ in range(draw(st.integers(0, 4)))]
    weeks = draw(st.integers(1, 8))
    return {
        "benefits": benefits,
        "employment": employment,
        "entry": entry,
        "on": on,
        "weeks": weeks,
        "weeks_jsa": draw(st.integers(1, weeks)),
        "gap": draw(st.sampled_from([0, 0, 1, 3])),
        "checked": [draw(st.one_of(st.none(), day, st.just(on))) for _ in range(2)],
    }  # fmt: skip


PROPERTY = settings(
    max_examples=int(os.environ.get("TFP_EMPLOYMENT_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _run(case: dict[str, Any], benefits=None, employment=None, checked=(None, None)) -> Any:
    return check(
        case["benefits"] if benefits is None else benefits,
        case["employment"] if employment is None else employment,
        case["on"],
        entry=case["entry"],
        weeks_required=case["weeks"],
        weeks_required_jsa=case["weeks_jsa"],
        gap_days=case["gap"],
        employment_checked_on=checked[0],
        benefits_checked_on=checked[1],
    )


def _ref(case: dict[str, Any], benefits=None, employment=None) -> tuple[str, int]:
    return reference(
        case["benefits"] if benefits is None else benefits,
        case["employment"] if employment is None else employment,
        case["entry"],
        case["on"],
        case["weeks"],
        case["weeks_jsa"],
        case["gap"],
    )


@PROPERTY
@given(records())
def test_closed_world_agrees_with_a_walk_over_every_day(case):
    r = _run(case, checked=(case["on"], case["on"]))
    assert (r.status, r.days_employed) == _ref(case)
    assert r.weeks_employed * 7 + r.extra_days == r.days_employed


@PROPERTY
@given(records())
def test_open_world_is_met_only_if_the_worst_records_to_come_leave_it_met(case):
    """Met exactly when a claim on every day after the benefits check still leaves it met;
    not met exactly when work on every day after the employment check (and a JSA claim on
    the entry day, if benefits were unchecked then) would not make it met."""
    entry, on = case["entry"], case["on"]
    employment_on, benefits_on = case["checked"]
    r = _run(case, checked=(employment_on, benefits_on))

    def after(checked: dt.date | None) -> dt.date:
        return entry if checked is None else max(entry, checked + dt.timedelta(days=1))

    worst_claims = list(case["benefits"])
    if after(benefits_on) <= on:
        worst_claims.append({"type": "ESA", "from": after(benefits_on).isoformat()})
    best_work, best_claims = list(case["employment"]), list(case["benefits"])
    if after(employment_on) <= on:
        best_work.append({"from": after(employment_on).isoformat()})
    if benefits_on is None or benefits_on < entry:
        best_claims.append({"type": "JSA", "from": entry.isoformat(), "to": entry.isoformat()})

    worst_met = _ref(case, benefits=worst_claims)[0] == "met"
    best_met = _ref(case, benefits=best_claims, employment=best_work)[0] == "met"
    assert (r.status == "met") == worst_met
    assert (r.status == "not_met") == (not best_met)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family(), st.lists(st.integers(0, 400), min_size=1, max_size=3))
def test_the_eligibility_decision_ignores_employment(compiled, doc, starts):
    """The national ruleset reads no employment: spells change no decision."""
    with_work = copy.deepcopy(doc)
    on = D.fromisoformat(doc["assessment_date"])
    for m in with_work["members"]:
        m["employment"] = [{"from": (on - dt.timedelta(days=n)).isoformat()} for n in starts]
    assert evaluate(compiled, parse_facts(with_work)) == evaluate(compiled, parse_facts(doc))


def test_the_outcome_checks_read_no_file_clock_or_database():
    from .test_architecture import PACKAGE, imports_of

    for path in sorted((PACKAGE / "outcomes").glob("*.py")):
        assert imports_of(path) & {"os", "pathlib", "sqlite3", "io", "time", "requests"} == set()
        assert "today(" not in path.read_text() and ".now(" not in path.read_text(), path

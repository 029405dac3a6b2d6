"""The national eligibility rules written by hand in plain Python: the benchmark's baseline.

This is how a competent developer would write `rulesets/national/2015.1.yaml`
without a rules engine, and it doubles as an independent check of the engine:
it imports only the facts models (`tfp_rules.facts`), never the engine's
measures, conditions, compiler or evaluator.

The national parameter values are HARD-CODED below (the constants block). That
is deliberate here, and it is exactly what the ruleset format exists to avoid:
if a policy officer changes the YAML, this file silently goes stale (the
benchmark's agreement check will then fail loudly).

Semantics, read from the ruleset and the programme documents:

- Every window ends on the assessment date, inclusive. "The last N months" runs
  from the day after the same day-of-month N months earlier (clamped to the
  month's end, so 29 Feb 2020 - 12 months = 28 Feb 2019, window from 1 Mar 2019).
- "Open" episodes: started on or before the assessment date and not ended
  before it (an episode ending on the assessment date is still open that day).
  A Child Protection Plan counts if it was open at any time in the last 12
  months (started by the assessment date, not ended before the window began).
- Custody counts when open and its release is due between the assessment date
  and 12 months after it, inclusive; no release date, no count.
- A member is a child when under 18 on the assessment date, whatever `role` says.
- A household is a family when a member is under 16, or under 19 and in
  full-time education, or expectant; otherwise it is not eligible.
- School: the last three terms that ENDED on or before the assessment date,
  census terms (spring 1 Jan-Easter Sunday, summer Easter Monday-31 Jul,
  autumn 1 Aug-31 Dec). Absence is sum(absent) / sum(possible) over whichever
  of those terms have records, and counts from 10% up; no possible sessions
  means no rate, so not met. Exclusions are totalled over the same terms.
- Closed world: no school record means nothing is known, so neither "not
  registered" nor "alternative provision" can be met on it.
- Household indicators count household records and every member's records; an
  ASB intervention of a tenancy kind (notice seeking possession, ...) in the
  last 12 months meets H1.household_asb.
- Universal Credit counts as out of work with work-search requirements, or in
  the intensive work search regime.
- A professional judgement marks its indicator met for the member it names,
  or for the household when it names none.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from dateutil.easter import easter

from tfp_rules.facts import FamilyFacts

__all__ = ["INDICATORS", "evaluate_plain"]

# --------------------------------------------------------------------------- national parameters
HEADLINES_REQUIRED = 2
ADULT_AGE = 18
OFFENCE_WINDOW_MONTHS = 12
ASB_WINDOW_MONTHS = 12
RELEASE_WINDOW_MONTHS = 12
PERSISTENT_ABSENCE_RATE = 10  # percent
ATTENDANCE_TERMS = 3
FIXED_TERM_EXCLUSIONS_MIN = 3
COMPULSORY_SCHOOL_AGE = (5, 15)
CHILD_PROTECTION_WINDOW_MONTHS = 12
NEET_AGES = (16, 24)
FINANCIAL_DIFFICULTY_WINDOW_MONTHS = 12
YOUNG_PERSON_AGE = 16
DOMESTIC_ABUSE_WINDOW_MONTHS = 12
EARLY_YEARS_AGE = 5
DEPENDENT_CHILD_AGE = 16
DEPENDENT_EDUCATION_AGE = 19
HOUSEHOLD_ASB_KINDS = frozenset(
    {
        "housing_asb_action",
        "tenancy_warning",
        "notice_seeking_possession",
        "demoted_tenancy",
        "possession_order",
    }
)

INDICATORS: tuple[str, ...] = (
    "H1.proven_offence",
    "H1.asb_intervention",
    "H1.household_asb",
    "H1.prisoner_due_for_release",
    "H1.licence_or_supervision",
    "H1.crime_prevention_priority",
    "H2.persistent_absence",
    "H2.fixed_term_exclusions",
    "H2.permanent_exclusion",
    "H2.alternative_provision",
    "H2.not_registered",
    "H3.child_in_need",
    "H3.child_protection_plan",
    "H3.early_help",
    "H4.out_of_work_benefits",
    "H4.neet",
    "H4.leaving_school_no_plan",
    "H4.financial_difficulty",
    "H5.victim_or_at_risk",
    "H5.perpetrator",
    "H5.household_callouts",
    "H6.mental_health",
    "H6.substance_misuse",
    "H6.new_mother",
    "H6.unhealthy_start",
)

_FINANCIAL_EVENTS = frozenset({"rent_arrears", "problem_debt", "eviction_risk"})
_DOMESTIC_ABUSE_EVENTS = frozenset({"domestic_abuse", "domestic_abuse_callout"})
_OUT_OF_WORK_BENEFITS = frozenset({"JSA", "ESA", "IS"})


# --------------------------------------------------------------------------- dates


def _months_back(day: dt.date, months: int) -> dt.date:
    """Same day-of-month `months` earlier (negative: later), clamped to the month's end."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def _since(assessment: dt.date, months: int) -> dt.date:
    """First day of "the last `months` months" ending on the assessment date."""
    return _months_back(assessment, months) + dt.timedelta(days=1)


def _last_terms(assessment: dt.date, n: int) -> set[str]:
    """Labels of the `n` most recent census terms that ended on or before the assessment date."""
    ended = [
        f"{year}-{season}"
        for year in range(assessment.year - n // 3 - 1, assessment.year + 1)
        for season, last in (
            ("spring", easter(year)),
            ("summer", dt.date(year, 7, 31)),
            ("autumn", dt.date(year, 12, 31)),
        )
        if last <= assessment
    ]
    return set(ended[-n:])


def _in(date: dt.date, start: dt.date, end: dt.date) -> bool:
    return start <= date <= end


def _open(start: dt.date, ended: dt.date | None, assessment: dt.date, since: dt.date) -> bool:
    """An episode open at some time from `since` to the assessment date (inclusive)."""
    return start <= assessment and (ended is None or ended >= since)


# --------------------------------------------------------------------------- evaluation


def evaluate_plain(facts: FamilyFacts) -> dict[str, Any]:
    """Eligibility under the national rules: eligible, headlines met, and who met each indicator."""
    ad = facts.assessment_date
    offence_since = _since(ad, OFFENCE_WINDOW_MONTHS)
    asb_since = _since(ad, ASB_WINDOW_MONTHS)
    cpp_since = _since(ad, CHILD_PROTECTION_WINDOW_MONTHS)
    money_since = _since(ad, FINANCIAL_DIFFICULTY_WINDOW_MONTHS)
    da_since = _since(ad, DOMESTIC_ABUSE_WINDOW_MONTHS)
    release_by = _months_back(ad, -RELEASE_WINDOW_MONTHS)
    terms = _last_terms(ad, ATTENDANCE_TERMS)

    met: dict[str, set[str]] = {indicator: set() for indicator in INDICATORS}
    household_money = False
    household_callout = False
    household_asb = False
    family = False

    def hit(indicator: str, ref: str) -> None:
        met[indicator].add(ref)

    for member in facts.members:
        ref = member.ref
        age = member.age_on(ad)
        child = age < ADULT_AGE
        flags = member.flags
        family = family or (
            age < DEPENDENT_CHILD_AGE
            or (age < DEPENDENT_EDUCATION_AGE and flags.full_time_education)
            or flags.expectant
        )

        offence = asb = custody = licence = priority = False
        cin = cpp = early_help = neet = False
        da_victim = da_perpetrator = False
        for e in member.events:
            kind = e.type
            if kind == "proven_offence":
                offence = offence or _in(e.date, offence_since, ad)
            elif kind == "asb_intervention":
                asb = asb or _in(e.date, asb_since, ad)
                if e.kind in HOUSEHOLD_ASB_KINDS and _in(e.date, asb_since, ad):
                    household_asb = True
            elif kind == "custody":
                custody = custody or (
                    _open(e.date, e.ended, ad, ad)
                    and e.release_due is not None
                    and _in(e.release_due, ad, release_by)
                )
            elif kind == "licence_supervision":
                licence = licence or _open(e.date, e.ended, ad, ad)
            elif kind == "crime_prevention_priority":
                priority = priority or _open(e.date, e.ended, ad, ad)
            elif kind == "child_in_need":
                cin = cin or _open(e.date, e.ended, ad, ad)
            elif kind == "child_protection_plan":
                cpp = cpp or _open(e.date, e.ended, ad, cpp_since)
            elif kind == "early_help":
                early_help = early_help or _open(e.date, e.ended, ad, ad)
            elif kind == "neet":
                neet = neet or _open(e.date, e.ended, ad, ad)
            elif kind in _FINANCIAL_EVENTS:
                household_money = household_money or _in(e.date, money_since, ad)
            if kind in _DOMESTIC_ABUSE_EVENTS and _in(e.date, da_since, ad):
                if e.role in ("victim", "at_risk"):
                    da_victim = True
                elif e.role == "perpetrator":
                    da_perpetrator = True
                if kind == "domestic_abuse_callout":
                    household_callout = True

        # H1 Crime and anti-social behaviour
        if child and offence:
            hit("H1.proven_offence", ref)
        if asb:
            hit("H1.asb_intervention", ref)
        if not child and member.parenting_responsibility:
            if custody:
                hit("H1.prisoner_due_for_release", ref)
            if licence:
                hit("H1.licence_or_supervision", ref)
        if priority:
            hit("H1.crime_prevention_priority", ref)

        # H2 School attendance and H3 children who need help
        if child:
            school = member.school
            if school is not None:
                recent = [t for t in school.terms if t.term in terms]
                possible = sum(t.possible_sessions for t in recent)
                absent = sum(t.absent_sessions for t in recent)
                # absent/possible >= 10%, in integers so 12 of 120 is exactly 10%
                if possible and absent * 100 >= PERSISTENT_ABSENCE_RATE * possible:
                    hit("H2.persistent_absence", ref)
                exclusions = sum(t.fixed_term_exclusions for t in recent)
                if exclusions >= FIXED_TERM_EXCLUSIONS_MIN:
                    hit("H2.fixed_term_exclusions", ref)
                if any(t.permanently_excluded for t in recent):
                    hit("H2.permanent_exclusion", ref)
                if school.alternative_provision == "behaviour":
                    hit("H2.alternative_provision", ref)
                lo, hi = COMPULSORY_SCHOOL_AGE
                if lo <= age <= hi and not school.registered and not school.education_otherwise:
                    hit("H2.not_registered", ref)
            if cin:
                hit("H3.child_in_need", ref)
            if cpp:
                hit("H3.child_protection_plan", ref)
            if early_help:
                hit("H3.early_help", ref)

        # H4 Worklessness and financial exclusion
        if not child:
            for b in member.benefits:
                if not _open(b.from_, b.to, ad, ad):
                    continue
                uc_searching = b.work_search is True or b.conditionality == "intensive_work_search"
                if b.type in _OUT_OF_WORK_BENEFITS or (b.type == "UC" and uc_searching):
                    hit("H4.out_of_work_benefits", ref)
                    break
        if neet and NEET_AGES[0] <= age <= NEET_AGES[1]:
            hit("H4.neet", ref)
        if child and flags.leaving_school_no_plan:
            hit("H4.leaving_school_no_plan", ref)

        # H5 Domestic violence and abuse
        if age >= YOUNG_PERSON_AGE:
            if da_victim:
                hit("H5.victim_or_at_risk", ref)
            if da_perpetrator:
                hit("H5.perpetrator", ref)

        # H6 Health
        if flags.mental_health_support:
            hit("H6.mental_health", ref)
        if flags.substance_misuse:
            hit("H6.substance_misuse", ref)
        # Any member, not only adults: a new mother may herself be under 18.
        if (
            flags.new_mother
            and flags.poor_parenting_factors
            and (flags.mental_health_support or flags.substance_misuse)
        ):
            hit("H6.new_mother", ref)
        if (
            child
            and age < EARLY_YEARS_AGE
            and (
                flags.missed_immunisations
                or flags.poor_dental_health
                or flags.missed_development_checks
            )
        ):
            hit("H6.unhealthy_start", ref)

    for e in facts.household.events:
        if e.type in _FINANCIAL_EVENTS and _in(e.date, money_since, ad):
            household_money = True
        elif e.type == "domestic_abuse_callout" and _in(e.date, da_since, ad):
            household_callout = True
        elif (
            e.type == "asb_intervention"
            and e.kind in HOUSEHOLD_ASB_KINDS
            and _in(e.date, asb_since, ad)
        ):
            household_asb = True
    if household_asb:
        hit("H1.household_asb", "household")
    if household_money:
        hit("H4.financial_difficulty", "household")
    if household_callout:
        hit("H5.household_callouts", "household")

    for j in facts.judgements:
        met.setdefault(j.indicator, set()).add(j.member or "household")

    headlines = sorted({indicator.split(".", 1)[0] for indicator, who in met.items() if who})
    return {
        "eligible": family and len(headlines) >= HEADLINES_REQUIRED,
        "headlines_met": headlines,
        "indicators": {indicator: sorted(who) for indicator, who in met.items()},
    }

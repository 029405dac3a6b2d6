"""Random but realistic family facts documents for benchmarking the national ruleset.

`generate(n, seed)` returns `n` facts documents (plain dicts, as a partner system
would POST them) that are valid under `tfp_rules.facts.parse_facts`. The same
`(n, seed)` always gives the same documents.

Each family gets 1-3 adults and 1-4 children, an assessment date in 2017-2020,
and a handful of "planted" problem areas (headlines) whose records are likely,
but not certain, to meet an indicator, on top of background noise: records of
every event type, dated so that many fall just inside or just outside the
12-month windows, open and closed episodes (some ending on the assessment date),
ESA/JSA/IS/UC/other benefits, school terms with absence around the 10%
threshold (including exactly 10%), fixed-term and permanent exclusions,
health and parenting flags, members whose declared role disagrees with their
age, birthdays on the age boundaries (5, 16, 18, 24), household rent arrears,
call-outs, and occasional professional judgements. Roughly 40% of families
come out eligible under the national "2 of 6" rule.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

from tfp_rules.facts import EVENT_TYPES
from tfp_rules.terms import CENSUS_CALENDAR, term_index, term_label_at

__all__ = ["generate", "iter_families"]

_FIRST_DAY = dt.date(2017, 1, 1)
_LAST_DAY = dt.date(2020, 12, 31)

# Dates that stress the calendar arithmetic: around Easter, term ends, month ends, 29 February.
_AWKWARD_DATES = (
    (4, 1),
    (4, 14),
    (4, 15),
    (4, 21),
    (4, 22),
    (7, 31),
    (8, 1),
    (8, 31),
    (9, 1),
    (12, 31),
    (1, 1),
    (2, 28),
    (3, 31),
    (5, 31),
)

_EPISODE_TYPES = (
    "custody",
    "licence_supervision",
    "crime_prevention_priority",
    "child_in_need",
    "child_protection_plan",
    "early_help",
    "neet",
)
# Every event type, in the order of the weights given to rng.choices below.
_ALL_EVENT_TYPES = EVENT_TYPES
_ASB_KINDS = (
    "warning",
    "acceptable_behaviour_contract",
    "injunction",
    "community_protection_notice",
    "criminal_behaviour_order",
    "housing_asb_action",
    "notice_seeking_possession",
)
_DA_ROLES = ("victim", "perpetrator", "at_risk", "witness")
_MEMBER_INDICATORS = (
    "H1.proven_offence",
    "H1.asb_intervention",
    "H1.crime_prevention_priority",
    "H2.persistent_absence",
    "H3.child_in_need",
    "H3.early_help",
    "H4.out_of_work_benefits",
    "H5.victim_or_at_risk",
    "H6.mental_health",
    "H6.substance_misuse",
)
_HOUSEHOLD_INDICATORS = ("H4.financial_difficulty", "H5.household_callouts")
_REASONS = (
    "GP letter on file",
    "Keyworker home visit notes",
    "Information from the school's designated safeguarding lead",
    "Housing officer report",
)


# --------------------------------------------------------------------------- dates


def _shift_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later (negative: earlier), clamped to month end."""
    total = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def _days(day: dt.date, n: int) -> dt.date:
    return day + dt.timedelta(days=n)


def _assessment_date(rng: random.Random) -> dt.date:
    if rng.random() < 0.15:
        year = rng.randint(2017, 2020)
        if year == 2020 and rng.random() < 0.3:
            return dt.date(2020, 2, 29)
        month, day = rng.choice(_AWKWARD_DATES)
        return dt.date(year, month, day)
    return _days(_FIRST_DAY, rng.randint(0, (_LAST_DAY - _FIRST_DAY).days))


class _Clock:
    """Date choices relative to one family's assessment date."""

    def __init__(self, rng: random.Random, ad: dt.date):
        self.rng = rng
        self.ad = ad
        self.window_start = _days(_shift_months(ad, -12), 1)  # first day of "the last 12 months"
        self.release_limit = _shift_months(ad, 12)

    def inside(self) -> dt.date:
        """A date in the last 12 months, sometimes on its very first day."""
        rng = self.rng
        if rng.random() < 0.1:
            return self.window_start if rng.random() < 0.6 else _days(self.window_start, 1)
        return _days(self.ad, -rng.randint(0, (self.ad - self.window_start).days))

    def anywhere(self) -> dt.date:
        """A date up to three years back: inside, just outside, or well outside the window."""
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            return self.inside()
        if r < 0.5:  # on the edge of the window, either side
            return _days(self.window_start, rng.choice((-3, -2, -1, -1, -1, 0, 1)))
        return _days(self.window_start, -rng.randint(1, 750))

    def between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return _days(start, self.rng.randint(0, (end - start).days))

    def episode_end(self, start: dt.date, *, keep_open: float) -> dt.date | None:
        """None (still open), or an end between `start` and the assessment date."""
        rng = self.rng
        if rng.random() < keep_open:
            return None
        r = rng.random()
        if r < 0.08:
            return self.ad  # ended on the assessment date itself
        if r < 0.25:
            edge = _days(self.window_start, rng.choice((-1, 0, 1)))
            return max(start, min(edge, self.ad))
        if r < 0.4:
            return max(start, _days(self.ad, -1))
        return self.between(start, self.ad)

    def birth_for_age(self, age: int, edge: bool = False) -> dt.date:
        """A date of birth giving about `age` years on the assessment date.

        With `edge`, the birthday is within a few days of the assessment date, so
        the member is just `age` or just one year younger.
        """
        rng = self.rng
        year = self.ad.year - age
        last = calendar.monthrange(year, self.ad.month)[1]
        anniversary = dt.date(year, self.ad.month, min(self.ad.day, last))
        born = _days(anniversary, rng.randint(-3, 3) if edge else -rng.randint(0, 364))
        return min(born, self.ad)


# --------------------------------------------------------------------------- records


def _event(
    clock: _Clock,
    kind: str,
    born: dt.date | None,
    *,
    recent: bool = False,
    open_: bool | None = None,
    role: str | None = None,
) -> dict[str, Any]:
    rng = clock.rng
    day = clock.inside() if recent else clock.anywhere()
    if born is not None and day < born:
        day = clock.between(born, clock.ad)
    event: dict[str, Any] = {"type": kind, "date": day.isoformat()}
    if kind in _EPISODE_TYPES:
        if open_ is None:
            ended = clock.episode_end(day, keep_open=0.45)
        else:
            ended = None if open_ else clock.episode_end(day, keep_open=0.0)
        if ended is not None or rng.random() < 0.3:  # senders sometimes say null explicitly
            event["ended"] = ended.isoformat() if ended else None
    if kind == "custody" and rng.random() < 0.9:
        r = rng.random()
        if r < 0.2:  # on the edge of "due for release within 12 months"
            due = _days(clock.release_limit, rng.choice((-1, 0, 1)))
        elif r < 0.3:
            due = clock.ad
        elif r < 0.45:  # overdue (an open custody whose release date has passed)
            due = clock.between(day, clock.ad)
        else:
            due = _days(clock.ad, rng.randint(1, 900))
        event["release_due"] = max(due, day).isoformat()
    if kind in ("domestic_abuse", "domestic_abuse_callout"):
        chosen = role if role is not None else rng.choice((*_DA_ROLES, None))
        if chosen is not None:
            event["role"] = chosen
    if kind == "asb_intervention" and rng.random() < 0.8:
        event["kind"] = rng.choice(_ASB_KINDS)
    if kind in ("rent_arrears", "problem_debt") and rng.random() < 0.85:
        event["amount_gbp"] = round(rng.uniform(50, 4000), 2)
    return event


def _benefit(clock: _Clock, *, current: bool) -> dict[str, Any]:
    rng = clock.rng
    kind = rng.choices(("JSA", "ESA", "IS", "UC", "other"), weights=(2, 3, 1, 4, 2))[0]
    start = _days(clock.ad, -rng.randint(0, 1500))
    benefit: dict[str, Any] = {"type": kind, "from": start.isoformat()}
    if current:
        end = None if rng.random() < 0.85 else clock.ad
    else:
        end = clock.episode_end(start, keep_open=0.0)
    if end is not None or rng.random() < 0.5:
        benefit["to"] = end.isoformat() if end else None
    if kind == "UC" and rng.random() < 0.9:
        benefit["work_search"] = rng.random() < 0.6
    elif kind == "UC":
        benefit["conditionality"] = rng.choice(("intensive_work_search", "light_touch"))
    return benefit


def _school(clock: _Clock, age: int, planted: bool) -> dict[str, Any] | None:
    rng = clock.rng
    if age < 4 or age > 17:
        return None
    if rng.random() < 0.05:
        return None  # nothing known about school
    if rng.random() < (0.25 if planted else 0.03):
        return {"registered": False, "education_otherwise": rng.random() < 0.3, "terms": []}
    school: dict[str, Any] = {"registered": True}
    if rng.random() < (0.2 if planted else 0.03):
        school["alternative_provision"] = rng.choice(("behaviour", "behaviour", "other"))
    # Term records from about two years back up to the term in progress (which starts
    # on or before the assessment date, so it is a valid record, but has not ended), by
    # the census calendar the national ruleset uses.
    current = term_index(CENSUS_CALENDAR.last_terms(clock.ad, 1)[0])
    if CENSUS_CALENDAR.bounds(term_label_at(current + 1))[0] <= clock.ad:
        current += 1
    first = current - rng.randint(2, 6)
    r = rng.random()
    if planted and r < 0.7:
        rate = rng.uniform(10.0, 30.0)
    elif r < 0.9:
        rate = rng.uniform(0.0, 7.0)
    elif r < 0.98:
        rate = rng.uniform(8.0, 12.0)  # around the 10% threshold
    else:
        rate = rng.uniform(12.0, 40.0)
    exact_ten = rng.random() < (0.08 if planted else 0.02)
    exclusions_heavy = rng.random() < (0.35 if planted else 0.04)
    terms = []
    for index in range(first, current + 1):
        if rng.random() < 0.06:
            continue  # a missing term record
        year, season = divmod(index, 3)
        label = f"{year}-{('spring', 'summer', 'autumn')[season]}"
        if rng.random() < 0.03:
            possible = 0  # not on roll that term
        elif exact_ten:
            possible = 120
        else:
            possible = rng.randint(100, 160)
        if exact_ten:
            absent = possible // 10
        else:
            absent = round(possible * max(0.0, rng.gauss(rate, 1.5)) / 100)
        absent = max(0, min(absent, possible))
        term: dict[str, Any] = {
            "term": label,
            "possible_sessions": possible,
            "absent_sessions": absent,
        }
        if rng.random() < 0.9:
            term["unauthorised_sessions"] = rng.randint(0, absent)
        if exclusions_heavy:
            term["fixed_term_exclusions"] = rng.choice((0, 1, 1, 2))
        elif rng.random() < 0.1:
            term["fixed_term_exclusions"] = 1
        if rng.random() < (0.04 if planted else 0.005):
            term["permanently_excluded"] = True
        terms.append(term)
    rng.shuffle(terms)  # senders do not promise any order
    school["terms"] = terms
    return school


# --------------------------------------------------------------------------- people


def _adult(rng: random.Random, clock: _Clock, ref: str, first: bool) -> dict[str, Any]:
    r = rng.random()
    if r < 0.04:
        born = clock.birth_for_age(rng.choice((16, 17)))  # young parent: a child by age
    elif r < 0.1:
        born = clock.birth_for_age(rng.choice((16, 18, 24, 25)), edge=True)
    else:
        born = clock.birth_for_age(rng.randint(19, 58))
    member: dict[str, Any] = {
        "ref": ref,
        "role": "adult",
        "date_of_birth": born.isoformat(),
        "parenting_responsibility": first or rng.random() < 0.6,
        "events": [],
        "flags": {},
    }
    if rng.random() < 0.5:
        member["benefits"] = [_benefit(clock, current=False) for _ in range(rng.randint(1, 2))]
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
        kind = rng.choices(_ALL_EVENT_TYPES, weights=(2, 3, 1, 1, 1, 1, 1, 1, 1, 3, 3, 2, 2, 1))[0]
        member["events"].append(_event(clock, kind, born))
    for flag, p in (
        ("mental_health_support", 0.025),
        ("substance_misuse", 0.015),
        ("new_mother", 0.08),
        ("poor_parenting_factors", 0.08),
    ):
        if rng.random() < p:
            member["flags"][flag] = True
    return member


def _child(rng: random.Random, clock: _Clock, ref: str) -> dict[str, Any]:
    r = rng.random()
    if r < 0.12:
        age = rng.choice((5, 16, 18, 16, 5, 4))
        born = clock.birth_for_age(age, edge=True)
    elif r < 0.16:
        born = clock.birth_for_age(rng.choice((18, 19)))  # declared a child, an adult by age
    else:
        born = clock.birth_for_age(rng.randint(0, 17))
    member: dict[str, Any] = {
        "ref": ref,
        "role": "child",
        "date_of_birth": born.isoformat(),
        "events": [],
        "flags": {},
    }
    for _ in range(rng.choice((0, 0, 0, 0, 0, 1))):
        kind = rng.choices(_ALL_EVENT_TYPES, weights=(3, 3, 1, 1, 2, 3, 3, 3, 1, 2, 2, 0, 0, 0))[0]
        member["events"].append(_event(clock, kind, born))
    for flag, p in (
        ("missed_immunisations", 0.03),
        ("poor_dental_health", 0.03),
        ("missed_development_checks", 0.02),
        ("leaving_school_no_plan", 0.02),
        ("mental_health_support", 0.02),
        ("substance_misuse", 0.01),
    ):
        if rng.random() < p:
            member["flags"][flag] = True
    return member


def _age(born: str, ad: dt.date) -> int:
    b = dt.date.fromisoformat(born)
    return ad.year - b.year - ((ad.month, ad.day) < (b.month, b.day))


# --------------------------------------------------------------------------- planted problems


def _plant(rng: random.Random, clock: _Clock, headline: str, family: dict[str, Any]) -> None:
    """Add records that will probably (not certainly) meet one headline."""
    ad = clock.ad
    adults = [m for m in family["members"] if m["role"] == "adult"]
    children = [m for m in family["members"] if m["role"] == "child"]
    household = family["household"]["events"]

    def born(m: dict[str, Any]) -> dt.date:
        return dt.date.fromisoformat(m["date_of_birth"])

    if headline == "H1":
        r = rng.random()
        if r < 0.35:
            child = rng.choice(children)
            child["events"].append(_event(clock, "proven_offence", born(child), recent=True))
        elif r < 0.6:
            who = rng.choice(family["members"])
            who["events"].append(_event(clock, "asb_intervention", born(who), recent=True))
        elif r < 0.75:
            adult = rng.choice(adults)
            kind = rng.choice(("custody", "licence_supervision"))
            adult["events"].append(_event(clock, kind, born(adult), open_=True))
        else:
            who = rng.choice(family["members"])
            kind = "crime_prevention_priority"
            who["events"].append(_event(clock, kind, born(who), open_=rng.random() < 0.8))
    elif headline == "H2":
        for child in children:
            if 4 <= _age(child["date_of_birth"], ad) <= 17:
                child["school"] = _school(clock, _age(child["date_of_birth"], ad), True)
                return
        # no school-age child: fall back to a flag that is not an H2 indicator
        rng.choice(children)["flags"]["leaving_school_no_plan"] = True
    elif headline == "H3":
        child = rng.choice(children)
        kind = rng.choice(("child_in_need", "child_protection_plan", "early_help"))
        child["events"].append(_event(clock, kind, born(child), open_=rng.random() < 0.75))
    elif headline == "H4":
        r = rng.random()
        if r < 0.55:
            adult = rng.choice(adults)
            adult.setdefault("benefits", []).append(_benefit(clock, current=True))
        elif r < 0.85:
            kind = rng.choice(("rent_arrears", "rent_arrears", "problem_debt", "eviction_risk"))
            household.append(_event(clock, kind, None, recent=rng.random() < 0.85))
        else:
            young = [m for m in family["members"] if 15 <= _age(m["date_of_birth"], ad) <= 25]
            who = rng.choice(young or family["members"])
            who["events"].append(_event(clock, "neet", born(who), open_=rng.random() < 0.85))
    elif headline == "H5":
        r = rng.random()
        if r < 0.4:
            household.append(_event(clock, "domestic_abuse_callout", None, recent=True))
        else:
            who = rng.choice(adults)
            kind = rng.choice(("domestic_abuse", "domestic_abuse_callout"))
            role = rng.choice(("victim", "victim", "at_risk", "perpetrator", "witness"))
            who["events"].append(_event(clock, kind, born(who), recent=True, role=role))
    elif headline == "H6":
        r = rng.random()
        if r < 0.55:
            who = rng.choice(family["members"])
            who["flags"][rng.choice(("mental_health_support", "substance_misuse"))] = True
        elif r < 0.75:
            mother = rng.choice(adults)
            mother["flags"].update(new_mother=True, poor_parenting_factors=rng.random() < 0.8)
            if rng.random() < 0.85:
                mother["flags"]["mental_health_support"] = True
        else:
            child = rng.choice(children)
            flag = rng.choice(
                ("missed_immunisations", "poor_dental_health", "missed_development_checks")
            )
            child["flags"][flag] = True


# Indicators that apply to children or adults only; a judgement names someone they apply to.
_CHILD_ONLY = ("H1.", "H2.", "H3.")
_ADULT_ONLY = ("H4.out_of_work_benefits",)


def _judgement(rng: random.Random, clock: _Clock, family: dict[str, Any]) -> dict[str, Any]:
    judgement: dict[str, Any]
    indicator = rng.choice(_MEMBER_INDICATORS)
    if indicator.startswith(_CHILD_ONLY) and indicator != "H1.asb_intervention":
        fits = [m for m in family["members"] if _age(m["date_of_birth"], clock.ad) < 18]
    elif indicator in _ADULT_ONLY:
        fits = [m for m in family["members"] if _age(m["date_of_birth"], clock.ad) >= 18]
    else:
        fits = family["members"]
    if rng.random() < 0.25 or not fits:
        judgement = {"indicator": rng.choice(_HOUSEHOLD_INDICATORS), "member": None}
    else:
        judgement = {"indicator": indicator, "member": rng.choice(fits)["ref"]}
    judgement["by"] = f"keyworker-{rng.randint(1, 40)}"
    judgement["reason"] = rng.choice(_REASONS)
    if rng.random() < 0.7:
        judgement["date"] = _days(clock.ad, -rng.randint(0, 60)).isoformat()
    return judgement


def _family(
    rng: random.Random, seed: int, i: int, members: tuple[int, int] | None = None
) -> dict[str, Any]:
    ad = _assessment_date(rng)
    clock = _Clock(rng, ad)
    if members is None:  # what `generate` has always given: 1-3 adults, 1-4 children
        adults = [_adult(rng, clock, f"p{k + 1}", k == 0) for k in range(rng.randint(1, 3))]
        children = [_child(rng, clock, f"c{k + 1}") for k in range(rng.randint(1, 4))]
    else:  # a household size first, then 1-3 adults (leaving 1-4 children)
        size = rng.randint(*members)
        n_adults = rng.randint(max(1, size - 4), min(3, size - 1))
        adults = [_adult(rng, clock, f"p{k + 1}", k == 0) for k in range(n_adults)]
        children = [_child(rng, clock, f"c{k + 1}") for k in range(size - n_adults)]
    for child in children:
        age = _age(child["date_of_birth"], ad)
        school = _school(clock, age, False)
        if school is not None:
            child["school"] = school
    family: dict[str, Any] = {
        "family_ref": f"BENCH-{seed}-{i:06d}",
        "assessment_date": ad.isoformat(),
        "members": [*adults, *children],
        "household": {"events": []},
    }
    # Background household records, mostly outside the window or not counting.
    if rng.random() < 0.08:
        kind = rng.choice(("rent_arrears", "problem_debt", "eviction_risk"))
        family["household"]["events"].append(_event(clock, kind, None))
    if rng.random() < 0.05:
        family["household"]["events"].append(_event(clock, "domestic_abuse_callout", None))

    planted = rng.choices((0, 1, 2, 3, 4), weights=(56, 30, 10, 3, 1))[0]
    for headline in rng.sample(("H1", "H2", "H3", "H4", "H5", "H6"), planted):
        _plant(rng, clock, headline, family)

    if rng.random() < 0.08:
        family["judgements"] = [_judgement(rng, clock, family) for _ in range(rng.randint(1, 2))]

    # Drop empty containers some of the time: senders may omit optional fields.
    for member in family["members"]:
        for key in ("events", "flags"):
            if not member[key] and rng.random() < 0.5:
                del member[key]
    if not family["household"]["events"] and rng.random() < 0.5:
        del family["household"]
    return family


def generate(n: int, seed: int) -> list[dict[str, Any]]:
    """`n` family facts documents, deterministic for `seed`."""
    rng = random.Random(seed)
    return [_family(rng, seed, i) for i in range(n)]


def iter_families(n: int, seed: int, members: tuple[int, int] = (3, 6)) -> Iterator[dict[str, Any]]:
    """`n` family facts documents one at a time (any `n` in constant memory), each of
    `members` people (3-6 by default: 1-3 adults and the rest children), with the record
    mixes of `generate`; deterministic for `seed`."""
    if not 2 <= members[0] <= members[1] <= 7:
        raise ValueError(f"members must be a range within 2-7, not {members}")
    rng = random.Random(seed)
    for i in range(n):
        yield _family(rng, seed, i, members)

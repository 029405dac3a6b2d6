"""Continuous employment: an adult who moved off out-of-work benefits into work.

The programme (section 3, outcome 2) pays a results claim when an adult who was on
out-of-work benefits at entry has moved into continuous employment for
`weeks_required` (26), or `weeks_required_jsa` (13) for a JSA claimant, whatever the
other headlines. `continuous_employment` decides that for one member; every reading
below is an argument, not hidden code.

- **On an out-of-work benefit at entry**: a claim open on `entry_date` (from on or
  before it, to on or after it, or still open) whose type is in `out_of_work_benefits`,
  or a Universal Credit claim with work-search requirements (`work_search` true, or a
  `conditionality` in `uc_work_search_regimes`), as the eligibility ruleset reads them.
  A JSA claim open at entry makes the member a JSA claimant (`weeks_required_jsa`),
  even beside another claim; otherwise `weeks_required` applies.
- **Continuous employment**: days in work (any spell covers them; overlapping and
  adjacent spells join) from `entry_date` to `check_date`, on none of which an
  out-of-work benefit was claimed (moved *off* benefits: the claim at entry must have
  ended, and a later claim breaks the run). Work before entry is not counted; a spell
  that began before entry counts from the first day off benefits. A gap of at most
  `gap_days` days (default 0) without work and without an out-of-work claim does not
  break the run, and its days count. An open spell or claim runs to `check_date`.
  `hours_per_week` is not read: the programme sets no minimum hours.
- **Weeks**: a run of `n` days (first and last day included) is `n // 7` whole weeks;
  it is met at `7 * weeks` days. A run that has already ended still counts: the
  outcome was achieved. The result reports the longest run the records show (the
  latest of equals), and the claim that ended it, if one did.
- **Missing is not false, both ways.** `employment_checked_on` and
  `benefits_checked_on` say when the sources that report them were last checked
  (None: not checked). Records dated after that may still arrive: more work can only
  help, but a benefit claim can break a run (or, before entry, make the member a
  claimant). So the check is run twice: with every unchecked day in work and off
  benefits (the best records could do), and with no more work and every unchecked day
  on a benefit (the worst). Met if the worst is met, not met if even the best is not,
  unknown otherwise: an employment source unchecked never undoes a run already shown,
  and a benefits source checked past the end of it does not either. `unsettled_by`
  names the sources whose records could still change an unknown answer.

In the national data DWP reports both benefits and employment (its matches with HMRC's
earnings records), so both dates are normally `sources_checked["dwp"]`;
`family_continuous_employment` reads them so, or the assessment date in the closed
world.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import FactProblem, FactsError
from ..facts import Benefit, FamilyFacts, Member

__all__ = [
    "BenefitAtEntry",
    "EmploymentResult",
    "Status",
    "continuous_employment",
    "family_continuous_employment",
    "family_status",
    "is_out_of_work",
    "source_checked_on",
]

Status = Literal["met", "not_met", "unknown"]
Span = tuple[dt.date, dt.date]  # first and last day, both included

_DAY = dt.timedelta(days=1)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_BENEFIT_NAMES = {"IS": "Income Support", "UC": "Universal Credit"}
_RECORDS = {"employment": "employment", "benefits": "benefit"}


@dataclass(frozen=True)
class BenefitAtEntry:
    """The out-of-work claim open on the entry date that the check relies on."""

    type: str
    from_: dt.date
    pointer: str


@dataclass(frozen=True)
class EmploymentResult:
    """One member's continuous-employment check, with the records and reasoning behind it."""

    member: str
    status: Status
    entry_date: dt.date
    check_date: dt.date
    benefit_at_entry: BenefitAtEntry | None
    counted_from: dt.date | None  # the run of work counted, None if there is none
    counted_to: dt.date | None
    days_employed: int
    weeks_required: int | None  # None: not on an out-of-work benefit at entry (as known)
    jsa_claimant: bool  # why: a JSA claimant needs weeks_required_jsa
    evidence: tuple[str, ...]  # JSON Pointers of the records used
    unchecked: tuple[str, ...]  # "employment", "benefits": not checked up to check_date
    unsettled_by: tuple[str, ...]  # of those, the ones whose records could still change it
    explanation: str

    @property
    def weeks_employed(self) -> int:
        """Whole weeks in the counted run."""
        return self.days_employed // 7

    @property
    def extra_days(self) -> int:
        """Days in the counted run beyond its whole weeks."""
        return self.days_employed % 7

    def to_dict(self) -> dict[str, Any]:
        """As JSON: ISO dates, the benefit at entry by its JSON field names."""
        entry = self.benefit_at_entry

        def iso(d: dt.date | None) -> str | None:
            return None if d is None else d.isoformat()

        return {
            "member": self.member,
            "status": self.status,
            "entry_date": iso(self.entry_date),
            "check_date": iso(self.check_date),
            "benefit_at_entry": None
            if entry is None
            else {"type": entry.type, "from": iso(entry.from_), "pointer": entry.pointer},
            "counted": None
            if self.counted_from is None
            else {"from": iso(self.counted_from), "to": iso(self.counted_to)},
            "days_employed": self.days_employed,
            "weeks_employed": self.weeks_employed,
            "extra_days": self.extra_days,
            "weeks_required": self.weeks_required,
            "jsa_claimant": self.jsa_claimant,
            "evidence": list(self.evidence),
            "unchecked": list(self.unchecked),
            "unsettled_by": list(self.unsettled_by),
            "explanation": self.explanation,
        }


def is_out_of_work(
    benefit: Benefit, out_of_work_benefits: Collection[str], uc_work_search_regimes: Collection[str]
) -> bool:
    """Whether a claim is an out-of-work benefit: its type is listed, or it is Universal
    Credit with work-search requirements (the eligibility ruleset's H4 reading)."""
    if benefit.type in out_of_work_benefits:
        return True
    return benefit.type == "UC" and (
        benefit.work_search is True or benefit.conditionality in uc_work_search_regimes
    )


# ---------------------------------------------------------------------------
# Spans of days
# ---------------------------------------------------------------------------


def _days(span: Span) -> int:
    return (span[1] - span[0]).days + 1


def _union(spans: Iterable[Span]) -> list[Span]:
    """Overlapping and adjacent spans joined, in order."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1] + _DAY:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _minus(spans: list[Span], blocked: list[Span]) -> list[Span]:
    """The days of `spans` on none of `blocked` (both joined and in order)."""
    out: list[Span] = []
    for start, end in spans:
        for b_start, b_end in blocked:
            if b_end < start or b_start > end:
                continue
            if b_start > start:
                out.append((start, b_start - _DAY))
            start = b_end + _DAY
            if start > end:
                break
        if start <= end:
            out.append((start, end))
    return out


def _runs(work: Iterable[Span], blocked: Iterable[Span], gap_days: int) -> list[Span]:
    """Runs of work on no blocked day, joined across gaps of at most `gap_days` days that
    hold no blocked day."""
    stops = _union(blocked)
    runs: list[Span] = []
    for start, end in _minus(_union(work), stops):
        if runs:
            gap = (runs[-1][1] + _DAY, start - _DAY)
            clear = not any(s <= gap[1] and e >= gap[0] for s, e in stops)
            if _days(gap) <= gap_days and clear:
                runs[-1] = (runs[-1][0], end)
                continue
        runs.append((start, end))
    return runs


def _longest(runs: Sequence[Span]) -> Span | None:
    return max(runs, key=lambda r: (_days(r), r[0]), default=None)


# ---------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    span: Span  # clipped to [entry_date, check_date]
    pointer: str
    benefit: Benefit | None = None


def _clip(start: dt.date, end: dt.date | None, entry: dt.date, check: dt.date) -> Span | None:
    first, last = max(start, entry), min(end or check, check)
    return (first, last) if first <= last else None


def _unseen(checked_on: dt.date | None, entry: dt.date, check: dt.date) -> Span | None:
    """The days records not yet received could cover: after the last check, to check_date."""
    first = entry if checked_on is None else max(entry, checked_on + _DAY)
    return (first, check) if first <= check else None


def _requirement(jsa: bool, weeks_required: int, weeks_required_jsa: int) -> int:
    return weeks_required_jsa if jsa else weeks_required


@dataclass(frozen=True)
class _Known:
    """What the records show of one member, and what records still to come could cover."""

    work: list[Span]  # spells in work, clipped to [entry_date, check_date]
    claims: list[Span]  # out-of-work claims, clipped likewise
    on_benefit_at_entry: bool
    need: int  # weeks required by the claim at entry as known
    jsa: bool
    weeks_required: int
    weeks_required_jsa: int
    gap_days: int
    entry_date: dt.date
    work_unseen: Span | None  # days employment records still to come could cover
    claims_unseen: Span | None  # days benefit records still to come could cover
    entry_unseen: bool  # a claim open at entry could still arrive

    def met_if(self, more_work: bool, benefits_best: bool) -> bool:
        """Met in one corner of what records still to come could do: `more_work`, work on
        every unseen day (else no more work); `benefits_best`, no more claims but the claim
        at entry if it is still to come (it must cover the entry day), else a claim on
        every unseen day."""
        work = self.work + ([self.work_unseen] if more_work and self.work_unseen else [])
        # the weeks required either way: a JSA claim at entry still to come could change them
        possible = {self.need} if self.on_benefit_at_entry else set()
        if self.entry_unseen and not self.jsa:
            possible |= {self.weeks_required_jsa, self.weeks_required}
        if benefits_best:
            entry_day = [] if self.on_benefit_at_entry else [(self.entry_date, self.entry_date)]
            blocked, need = self.claims + entry_day, min(possible, default=0)
        else:
            unseen = [self.claims_unseen] if self.claims_unseen else []
            blocked, need = self.claims + unseen, max(possible, default=0)
            if not self.on_benefit_at_entry:
                return False
        run = _longest(_runs(work, blocked, self.gap_days))
        return bool(possible) and run is not None and _days(run) >= 7 * need

    def status(self) -> Status:
        """Met if even the worst records still to come leave it met, not met if even the
        best would not make it met, unknown otherwise."""
        if self.met_if(more_work=False, benefits_best=False):
            return "met"
        return "unknown" if self.met_if(more_work=True, benefits_best=True) else "not_met"

    def unsettled_by(self) -> tuple[str, ...]:
        """The unchecked sources whose records could still change an unknown status: those
        whose best and worst records differ in some corner of the other's."""
        if self.status() != "unknown":
            return ()
        both = (True, False)
        employment = any(self.met_if(True, b) != self.met_if(False, b) for b in both)
        benefits = any(self.met_if(w, True) != self.met_if(w, False) for w in both)
        return tuple(n for n, m in (("employment", employment), ("benefits", benefits)) if m)


def continuous_employment(
    member: Member,
    *,
    pointer: str,
    entry_date: dt.date,
    check_date: dt.date,
    weeks_required: int,
    weeks_required_jsa: int,
    out_of_work_benefits: Collection[str],
    uc_work_search_regimes: Collection[str] = (),
    gap_days: int = 0,
    employment_checked_on: dt.date | None,
    benefits_checked_on: dt.date | None,
) -> EmploymentResult:
    """Whether `member` moved off out-of-work benefits into continuous employment between
    `entry_date` and `check_date` (see the module docstring for every reading).

    `pointer` is the member's JSON Pointer in the facts (e.g. "/members/1"), for the
    evidence. A `check_date` before `entry_date` is bad input (FactsError at
    /assessment_date); a threshold below its least sensible value is a ValueError.
    """
    if weeks_required < 1 or weeks_required_jsa < 1:
        raise ValueError("weeks_required and weeks_required_jsa must be at least 1")
    if gap_days < 0:
        raise ValueError("gap_days must be at least 0")
    if check_date < entry_date:
        raise FactsError(
            [
                FactProblem(
                    "/assessment_date",
                    f"the check date {check_date} is before the entry date {entry_date}",
                )
            ]
        )

    at_entry = [
        (b, f"{pointer}/benefits/{j}")
        for j, b in enumerate(member.benefits)
        if is_out_of_work(b, out_of_work_benefits, uc_work_search_regimes)
        and b.from_ <= entry_date <= (b.to or entry_date)
    ]
    # a JSA claimant if any claim at entry is JSA; else the earliest claim is reported
    at_entry.sort(key=lambda c: (c[0].type != "JSA", c[0].from_, c[1]))
    entry = (
        BenefitAtEntry(at_entry[0][0].type, at_entry[0][0].from_, at_entry[0][1])
        if at_entry
        else None
    )
    jsa = entry is not None and entry.type == "JSA"
    work = [
        _Record(span, f"{pointer}/employment/{j}")
        for j, e in enumerate(member.employment)
        if (span := _clip(e.from_, e.to, entry_date, check_date)) is not None
    ]
    claims = [
        _Record(span, f"{pointer}/benefits/{j}", b)
        for j, b in enumerate(member.benefits)
        if is_out_of_work(b, out_of_work_benefits, uc_work_search_regimes)
        and (span := _clip(b.from_, b.to, entry_date, check_date)) is not None
    ]
    unseen = {
        "employment": _unseen(employment_checked_on, entry_date, check_date),
        "benefits": _unseen(benefits_checked_on, entry_date, check_date),
    }
    known = _Known(
        work=[r.span for r in work],
        claims=[r.span for r in claims],
        on_benefit_at_entry=entry is not None,
        need=_requirement(jsa, weeks_required, weeks_required_jsa),
        jsa=jsa,
        weeks_required=weeks_required,
        weeks_required_jsa=weeks_required_jsa,
        gap_days=gap_days,
        entry_date=entry_date,
        work_unseen=unseen["employment"],
        claims_unseen=unseen["benefits"],
        # a claim open at entry could still arrive only if benefits were unchecked that day
        entry_unseen=benefits_checked_on is None or benefits_checked_on < entry_date,
    )
    status = known.status()
    unchecked = tuple(name for name, span in unseen.items() if span is not None)

    # The run shown is the one the records show; the status also weighs what is to come.
    run = _longest(_runs(known.work, known.claims, gap_days)) if entry is not None else None
    broken_by = None
    if run is not None and run[1] < check_date:
        broken_by = next((r for r in claims if r.span[0] <= run[1] + _DAY <= r.span[1]), None)
    evidence = [entry.pointer] if entry else []
    if run is not None:
        evidence += [r.pointer for r in work if r.span[0] <= run[1] and r.span[1] >= run[0]]
    if broken_by is not None:
        evidence.append(broken_by.pointer)

    result = EmploymentResult(
        member=member.ref,
        status=status,
        entry_date=entry_date,
        check_date=check_date,
        benefit_at_entry=entry,
        counted_from=run[0] if run else None,
        counted_to=run[1] if run else None,
        days_employed=_days(run) if run else 0,
        weeks_required=known.need if entry is not None else None,
        jsa_claimant=jsa,
        evidence=tuple(dict.fromkeys(evidence)),
        unchecked=unchecked,
        unsettled_by=known.unsettled_by(),
        explanation="",
    )
    checked = {"employment": employment_checked_on, "benefits": benefits_checked_on}
    text = _explain(result, weeks_required_jsa, broken_by, checked)
    return dataclasses.replace(result, explanation=text)


# ---------------------------------------------------------------------------
# Words for caseworkers
# ---------------------------------------------------------------------------


def _date(d: dt.date) -> str:
    """A date as people write it: 3 March 2019."""
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _duration(days: int) -> str:
    weeks, rest = divmod(days, 7)
    parts = [f"{weeks} week{'s' * (weeks != 1)}"] if weeks or not rest else []
    if rest:
        parts.append(f"{rest} day{'s' * (rest != 1)}")
    return " ".join(parts)


def _benefit_name(kind: str) -> str:
    return _BENEFIT_NAMES.get(kind, kind)


def _explain(
    r: EmploymentResult,
    weeks_required_jsa: int,
    broken_by: _Record | None,
    checked: dict[str, dt.date | None],
) -> str:
    """One sentence: the claim at entry, the run of work counted, what was required."""
    who = r.member
    if r.benefit_at_entry is None:
        text = (
            f"{who} was not on an out-of-work benefit at entry ({_date(r.entry_date)}), "
            "so work since then does not count towards a results claim"
        )
        if r.status == "unknown":
            text = (
                f"No record shows {who} on an out-of-work benefit at entry "
                f"({_date(r.entry_date)}), but one could still arrive"
            )
    else:
        entry = r.benefit_at_entry
        text = f"{who} was on {_benefit_name(entry.type)} at entry (from {_date(entry.from_)})"
        if r.counted_from is None or r.counted_to is None:
            text += " and has not been in work off out-of-work benefits since"
        elif r.counted_to == r.check_date:
            text += (
                f" and has been in work since {_date(r.counted_from)}, "
                f"{_duration(r.days_employed)} to {_date(r.check_date)}"
            )
        else:
            text += (
                f" and was in work from {_date(r.counted_from)} to {_date(r.counted_to)}, "
                f"{_duration(r.days_employed)}"
            )
            if broken_by is not None and broken_by.benefit is not None:
                claim = broken_by.benefit
                text += f", until a claim for {_benefit_name(claim.type)} from {_date(claim.from_)}"
        weeks = r.weeks_required
        if r.jsa_claimant:
            needed = f"{weeks} weeks required for a JSA claimant"
        else:
            needed = f"{weeks} weeks required ({weeks_required_jsa} only for a JSA claimant)"
        text += f": at least {needed}" if r.status == "met" else f": {needed}"
    if r.status == "unknown":
        text += "; not settled yet, as " + " and ".join(
            f"{_RECORDS[name]} records are checked only to {_date(on)}"
            if on is not None
            else f"{_RECORDS[name]} records have not been checked"
            for name, on in checked.items()
            if name in r.unsettled_by
        )
    return text + "."


# ---------------------------------------------------------------------------
# A family
# ---------------------------------------------------------------------------


def source_checked_on(facts: FamilyFacts, source: str) -> dt.date | None:
    """When `source` was last checked for these facts: the assessment date in the closed
    world (no `sources_checked`), None if it is not listed."""
    if facts.sources_checked is None:
        return facts.assessment_date
    return facts.sources_checked.get(source)  # type: ignore[call-overload]


def family_continuous_employment(
    facts: FamilyFacts,
    *,
    entry_date: dt.date,
    weeks_required: int,
    weeks_required_jsa: int,
    out_of_work_benefits: Collection[str],
    uc_work_search_regimes: Collection[str] = (),
    gap_days: int = 0,
    adult_age: int = 18,
    employment_source: str = "dwp",
    benefits_source: str = "dwp",
) -> list[EmploymentResult]:
    """The check for every member who was an adult (`adult_age`) on the entry date, on the
    facts' assessment date, with each source's check date read from `sources_checked`."""
    return [
        continuous_employment(
            member,
            pointer=f"/members/{i}",
            entry_date=entry_date,
            check_date=facts.assessment_date,
            weeks_required=weeks_required,
            weeks_required_jsa=weeks_required_jsa,
            out_of_work_benefits=out_of_work_benefits,
            uc_work_search_regimes=uc_work_search_regimes,
            gap_days=gap_days,
            employment_checked_on=source_checked_on(facts, employment_source),
            benefits_checked_on=source_checked_on(facts, benefits_source),
        )
        for i, member in enumerate(facts.members)
        if member.date_of_birth <= entry_date and not member.is_child_on(entry_date, adult_age)
    ]


def family_status(results: Iterable[EmploymentResult]) -> Status:
    """The family's answer: one adult met is enough (it satisfies a results claim on its
    own); else unknown if any adult is unknown; else not met."""
    statuses = {r.status for r in results}
    if "met" in statuses:
        return "met"
    return "unknown" if "unknown" in statuses else "not_met"

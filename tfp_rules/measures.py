"""Compute a ruleset's measures (ages, counts in windows, absence rates) from family facts.

These are the derived facts the rules engine matches on. Each value keeps its
provenance: the JSON Pointers of the records that produced it and the window
used, so the trace can show exactly what decided an indicator.

Events count as incidents: records with the same `incident` reference, or
without one the same type, date and kind, are one incident (partners often
report the same call-out on every member, or twice), and the note says so.

`FamilyMeasures.reach` is the other half of "missing is not false": the values
a measure could still take if records from unchecked sources arrived.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from calendar import monthrange
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import NO_LOWER_BOUND, Measure, Reach
from .facts import AMOUNT_EVENT_TYPES, MAX_EXCLUSIONS, MAX_SESSIONS, FamilyFacts, Member
from .terms import CENSUS_CALENDAR, TermCalendar

# The most a term record can add to a term total (the facts' validation limits).
_TERM_FIELD_MAX = {
    "possible_sessions": MAX_SESSIONS,
    "absent_sessions": MAX_SESSIONS,
    "unauthorised_sessions": MAX_SESSIONS,
    "fixed_term_exclusions": MAX_EXCLUSIONS,
    "permanently_excluded": 1,
}


@dataclass(frozen=True)
class Subject:
    """Who an indicator is tested on: one member, or the household as a whole."""

    kind: str  # "member" or "household"
    ref: str
    pointer: str
    member: Member | None = None
    is_child: bool = False

    @property
    def group(self) -> str:
        """Which measures a ruleset computes for it: "household", "child" or "adult"."""
        if self.kind == "household":
            return "household"
        return "child" if self.is_child else "adult"

    def applies(self, applies_to: str) -> bool:
        if applies_to == "household":
            return self.kind == "household"
        if self.kind != "member":
            return False
        if applies_to == "any_member":
            return True
        return self.is_child == (applies_to == "child")


@dataclass(frozen=True)
class Measured:
    """A measure's value on one subject, with the records and window behind it.

    `note` says the window in a few words for the audit view; `parts` says it as data
    (window dates, terms, sessions, incidents) for words that must not parse the note.
    """

    value: Any
    evidence: tuple[str, ...] = ()
    note: str = ""
    parts: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)


def subjects(facts: FamilyFacts, adult_age: int) -> list[Subject]:
    """Every member (child or adult by age on the assessment date), then the household."""
    out = [
        Subject(
            "member",
            m.ref,
            f"/members/{i}",
            m,
            m.is_child_on(facts.assessment_date, adult_age),
        )
        for i, m in enumerate(facts.members)
    ]
    out.append(Subject("household", "household", "/household"))
    return out


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day-of-month `months` earlier, clamped to the month's last day (what
    `day - relativedelta(months=months)` gives, in a tenth of its time; a test holds
    the two together)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return dt.date(year, month, min(day.day, monthrange(year, month)[1]))


def window_start(assessment: dt.date, months: int) -> dt.date:
    """First day of "the last N months" ending on (and including) the assessment date."""
    return months_before(assessment, months) + dt.timedelta(days=1)


def months_after(day: dt.date, months: int) -> dt.date:
    return months_before(day, -months)


def measure(
    m: Measure, subject: Subject, facts: FamilyFacts, calendar: TermCalendar = CENSUS_CALENDAR
) -> Measured:
    """The value of one measure on one subject (see `FamilyMeasures` to measure many)."""
    return FamilyMeasures(facts, calendar).measure(m, subject)


class FamilyMeasures:
    """Measures one family: indexes its records by type once, and each window once."""

    def __init__(
        self,
        facts: FamilyFacts,
        calendar: TermCalendar = CENSUS_CALENDAR,
        entry: dt.date | None = None,
    ):
        self.facts = facts
        self.calendar = calendar
        self.assessment = facts.assessment_date
        self.entry = entry  # a progress check's entry date: windows about it need it
        self._records: dict[tuple[str, str], dict[str, list[tuple[str, Any]]]] = {}
        self._windows: dict[str, tuple[dt.date | None, dt.date, dt.date | None, str]] = {}
        self._window_parts: dict[str, dict[str, Any]] = {}

    def measure(self, m: Measure, subject: Subject) -> Measured:
        if m.kind == "field":
            return _field(m.field or "", subject, self.assessment)
        if m.kind == "attendance_rate":
            absence = self.measure(_as_absence(m), subject)
            value = None if absence.value is None else round(100 - absence.value, 6)
            return Measured(value, absence.evidence, absence.note, absence.parts)
        if m.kind in ("absence_rate", "term_total"):
            if subject.member is None:
                return self._household_terms(m)
            return _terms(m, subject, self.assessment, self.calendar)
        if m.kind == "reduction_pct":
            return self._reduction(m, subject)
        return self._select(m, subject)

    def reach(self, m: Measure, subject: Subject, measured: Measured) -> Reach:
        """What `m` could be on `subject` once records from unchecked sources arrive.

        `measured` is its value now. Records are only added: counts and sums can
        grow, flags can be set but not cleared, a school record can arrive if
        there is none, and terms of the window can be reported if they are not.
        """
        numeric = m.value_type == "number"
        value = measured.value
        if m.source_free:
            return Reach.exact(value, numeric)
        if m.kind == "field":
            if m.field and m.field.startswith("flags."):
                return Reach(values=frozenset({True}) if value else frozenset({False, True}))
            if subject.member is not None and subject.member.school is None:
                return Reach(values=frozenset(m.domain))
            return Reach.exact(value, numeric)
        if m.kind == "attendance_rate":
            absent = self.reach(_as_absence(m), subject, self.measure(_as_absence(m), subject))
            return Reach(
                lo=None if absent.hi is None else round(100 - absent.hi, 6),
                hi=None if absent.lo is None else round(100 - absent.lo, 6),
                none=absent.none,
            )
        if m.kind in ("absence_rate", "term_total"):
            if subject.member is None:
                return self._household_terms_reach(m, value)
            return _terms_reach(m, subject, self.assessment, self.calendar, value)
        if m.kind == "reduction_pct":
            # more incidents may arrive for either period: any fall up to 100%, or any rise
            return Reach(lo=NO_LOWER_BOUND, hi=100)
        if m.kind == "count":
            return Reach(lo=value, hi=None)
        if m.records == "benefit" or not AMOUNT_EVENT_TYPES & set(m.types):
            return Reach.exact(value, numeric)  # no amounts can arrive to add or average
        if m.kind == "sum":
            return Reach(lo=value, hi=None)
        return Reach(lo=0, hi=None, none=value is None)  # mean: any amount may arrive

    def _by_type(self, records: str, subject: Subject) -> dict[str, list[tuple[str, Any]]]:
        """A subject's events (or benefits) grouped by type, each with its JSON Pointer."""
        key = (records, subject.ref)
        index = self._records.get(key)
        if index is None:
            index = {}
            for pointer, record in _candidate_records(records, subject, self.facts):
                index.setdefault(record.type, []).append((pointer, record))
            self._records[key] = index
        return index

    def _window(self, m: Measure) -> tuple[dt.date | None, dt.date, dt.date | None, str]:
        """(window start, end, release due-by date, a description) for a record selection."""
        cached = self._windows.get(m.key)
        if cached is None and (m.before_entry_months or m.after_entry_months):
            start, end = self._about_entry(m)
            cached = self._windows[m.key] = (start, end, None, f"{start}..{end}")
        if cached is None:
            ad = self.assessment
            months = int(m.within_months.value) if m.within_months else 0
            start = window_start(ad, months) if months else None  # 0 (with open): open now
            due_by = (
                months_after(ad, int(m.due_within_months.value)) if m.due_within_months else None
            )
            text = f"{start.isoformat()}..{ad.isoformat()}" if start else f"up to {ad.isoformat()}"
            if m.open:
                text = f"open during {text}" if start else f"open on {ad.isoformat()}"
            if due_by is not None:
                text += f", release due by {due_by.isoformat()}"
            cached = self._windows[m.key] = (start, ad, due_by, text)
        return cached

    def _window_data(self, m: Measure) -> dict[str, Any]:
        """The window of a record selection as data: its first and last day (ISO dates; no
        first day when only what is open on the last counts) and any release due-by date."""
        cached = self._window_parts.get(m.key)
        if cached is None:
            start, end, due_by, _ = self._window(m)
            cached = {"from": start.isoformat() if start else None, "to": end.isoformat()}
            if due_by is not None:
                cached["release_due_by"] = due_by.isoformat()
            self._window_parts[m.key] = cached
        return cached

    def _about_entry(self, m: Measure) -> tuple[dt.date, dt.date]:
        """The first and last day of a window about the entry date."""
        assert self.entry is not None, "a window about entry needs the entry date"
        if m.before_entry_months is not None:
            return window_start(self.entry, int(m.before_entry_months.value)), self.entry
        assert m.after_entry_months is not None
        return self.entry + dt.timedelta(days=1), months_after(
            self.entry, int(m.after_entry_months.value)
        )

    def _reduction(self, m: Measure, subject: Subject) -> Measured:
        """How many per cent fewer incidents the N months after entry had than the N before."""
        assert m.months is not None
        n = m.months
        before = self._select(
            dataclasses.replace(m, kind="count", months=None, before_entry_months=n), subject
        )
        after = self._select(
            dataclasses.replace(m, kind="count", months=None, after_entry_months=n), subject
        )
        b, a = before.value, after.value
        note = f"{b} in {before.note}, {a} in {after.note}"
        parts = {
            "before": {"count": b, "window": before.parts["window"]},
            "after": {"count": a, "window": after.parts["window"]},
        }
        return Measured(reduction_pct(b, a), before.evidence + after.evidence, note, parts)

    def _household_terms(self, m: Measure) -> Measured:
        """A term measure over every member's school records together (an outcome plan's
        family-wide attendance)."""
        total = possible = absent = 0
        evidence: list[str] = []
        for i, member in enumerate(self.facts.members):
            _, found = _window_terms(m, member, self.assessment, self.calendar)  # [] unschooled
            evidence += [f"/members/{i}/school/terms/{j}" for j, _ in found]
            for _, term in found:
                possible += term.possible_sessions
                absent += term.absent_sessions
                if m.kind == "term_total":
                    total += int(getattr(term, m.field or ""))
        assert m.last_terms is not None
        span = f"the family's last {m.last_terms.value} terms"
        labels = self.calendar.last_terms(self.assessment, int(m.last_terms.value))
        parts: dict[str, Any] = {"terms": list(labels), "members": "all"}
        if m.kind == "term_total":
            return Measured(total, tuple(evidence), span, parts)
        parts["sessions"] = {"missed": absent, "possible": possible}
        if possible == 0:
            return Measured(None, tuple(evidence), f"{span}: no possible sessions recorded", parts)
        rate = round(absent * 100 / possible, 6)
        note = f"{span}: {absent} of {possible} sessions missed"
        return Measured(rate, tuple(evidence), note, parts)

    def _household_terms_reach(self, m: Measure, value: Any) -> Reach:
        """While school records may still arrive: a total may grow, a rate be anything."""
        if m.kind == "term_total":
            return Reach(lo=value, hi=None)
        return Reach(lo=0, hi=100, none=True)

    def _select(self, m: Measure, subject: Subject) -> Measured:
        """count/sum/mean over events or benefits selected by type, window, open and where."""
        start, assessment, due_by, window = self._window(m)
        benefit = m.records == "benefit"
        index = self._by_type(m.records or "event", subject)
        picked: list[tuple[str, Any]] = []
        for kind in m.types:
            for pointer, record in index.get(kind, ()):
                began = record.from_ if benefit else record.date
                ended = record.to if benefit else record.ended
                if m.open:
                    # open at the assessment date, or (with a window) at any time within it
                    if began > assessment or (ended is not None and ended < (start or assessment)):
                        continue
                elif start is not None and not (start <= began <= assessment):
                    continue
                if due_by is not None and (
                    record.release_due is None or not (assessment <= record.release_due <= due_by)
                ):
                    continue
                if any(getattr(record, key) not in values for key, values in m.where):
                    continue
                picked.append((pointer, record))
        if not picked:  # most selections on most subjects: nothing to group or add up
            parts = {"window": dict(self._window_data(m))}
            if m.kind == "mean":
                return Measured(None, (), f"{window}: no records", parts)
            return Measured(0, (), window, parts)  # a count, or a sum of nothing
        if len(m.types) > 1:
            picked.sort(key=lambda item: _pointer_order(item[0]))
        evidence = tuple(p for p, _ in picked)
        groups = _incidents(picked) if not benefit else [[r] for _, r in picked]
        parts: dict[str, Any] = {"window": dict(self._window_data(m))}
        if len(groups) < len(picked):
            parts["incidents"] = {"records": len(picked), "counted": len(groups)}
            window += (
                f"; {len(picked)} records, counted as {len(groups)} "
                f"incident{'s' if len(groups) != 1 else ''} (same incident reference, "
                "or same type, date and kind)"
            )
        if m.kind == "count":
            return Measured(len(groups), evidence, window, parts)
        # an incident reported twice is one amount owed: the largest its records give
        amounts = []
        for group in groups:
            found = [a for a in (getattr(r, m.field or "") for r in group) if a is not None]
            if found:
                amounts.append(max(found))
        if m.kind == "sum":
            return Measured(round(sum(amounts), 6), evidence, window, parts)
        if not amounts:
            return Measured(None, evidence, f"{window}: no records", parts)
        return Measured(round(sum(amounts) / len(amounts), 6), evidence, window, parts)


def _as_absence(m: Measure) -> Measure:
    """The absence rate an attendance rate is 100 less."""
    return dataclasses.replace(m, kind="absence_rate")


def reduction_pct(before: int, after: int) -> float | int:
    """How many per cent fewer `after` is than `before`. None before: 100 if none after (no
    problem then or since), else 0 (no fall)."""
    if before:
        return round((before - after) * 100 / before, 6)
    return 100 if after == 0 else 0


def _incidents(picked: list[tuple[str, Any]]) -> list[list[Any]]:
    """Events grouped into incidents: by `incident` reference, else by type, date and kind."""
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for _, record in picked:
        key = (
            ("ref", record.incident)
            if record.incident
            else ("same", record.type, record.date, record.kind)
        )
        groups.setdefault(key, []).append(record)
    return list(groups.values())


def _pointer_order(pointer: str) -> tuple:
    """Document order of record pointers (household first, then members, by index)."""
    return tuple(int(part) if part.isdigit() else part for part in pointer.split("/"))


def _field(name: str, subject: Subject, assessment: dt.date) -> Measured:
    member = subject.member
    assert member is not None  # the ruleset loader refuses member fields on the household
    base = subject.pointer
    if name == "age":
        return Measured(member.age_on(assessment), (f"{base}/date_of_birth",))
    if name == "role":
        return Measured(member.role, (f"{base}/role",))
    if name == "parenting_responsibility":
        return Measured(member.parenting_responsibility, (f"{base}/parenting_responsibility",))
    if name.startswith("flags."):
        flag = name.removeprefix("flags.")
        return Measured(getattr(member.flags, flag), (f"{base}/flags/{flag}",))
    # school.*: no school record means nothing is known about it
    attr = name.removeprefix("school.")
    if member.school is None:
        return Measured(None, (), "no school record", {"school_record": False})
    return Measured(getattr(member.school, attr), (f"{base}/school/{attr}",))


def _window_terms(
    m: Measure, member: Member, assessment: dt.date, calendar: TermCalendar
) -> tuple[tuple[str, ...], list[tuple[int, Any]]]:
    """The labels of the measure's last N terms, and the member's records of them."""
    assert m.last_terms is not None
    labels = calendar.last_terms(assessment, int(m.last_terms.value))
    if member.school is None:
        return labels, []
    wanted = set(labels)
    return labels, [(i, t) for i, t in enumerate(member.school.terms) if t.term in wanted]


def _terms_reach(
    m: Measure, subject: Subject, assessment: dt.date, calendar: TermCalendar, value: Any
) -> Reach:
    """Terms of the window not yet reported may arrive, with anything validation allows."""
    assert subject.member is not None
    labels, found = _window_terms(m, subject.member, assessment, calendar)
    missing = len(labels) - len(found)
    if not missing:
        return Reach.exact(value, True)
    if m.kind == "term_total":
        return Reach(lo=value, hi=value + missing * _TERM_FIELD_MAX[m.field or ""])
    possible = sum(t.possible_sessions for _, t in found)
    absent = sum(t.absent_sessions for _, t in found)
    if possible == 0:
        return Reach(lo=0, hi=100, none=True)
    extra = missing * MAX_SESSIONS
    return Reach(
        lo=round(absent * 100 / (possible + extra), 6),
        hi=round((absent + extra) * 100 / (possible + extra), 6),
    )


def _terms(m: Measure, subject: Subject, assessment: dt.date, calendar: TermCalendar) -> Measured:
    member = subject.member
    assert member is not None and m.last_terms is not None
    labels, found = _window_terms(m, member, assessment, calendar)
    span = f"terms {labels[0]}..{labels[-1]}" if len(labels) > 1 else f"term {labels[0]}"
    parts: dict[str, Any] = {"terms": list(labels)}
    if member.school is None:
        parts["school_record"] = False
        value = None if m.kind == "absence_rate" else 0
        return Measured(value, (), f"{span}: no school record", parts)
    wanted = set(labels)
    evidence = tuple(f"{subject.pointer}/school/terms/{i}" for i, _ in found)
    missing = sorted(wanted - {t.term for _, t in found})
    gap = f"; no record for {', '.join(missing)}" if missing else ""
    if missing:
        parts["terms_missing"] = missing
    if m.kind == "term_total":
        total = sum(int(getattr(t, m.field or "")) for _, t in found)
        return Measured(total, evidence, f"{span}{gap}", parts)
    possible = sum(t.possible_sessions for _, t in found)
    absent = sum(t.absent_sessions for _, t in found)
    parts["sessions"] = {"missed": absent, "possible": possible}
    if possible == 0:
        return Measured(None, evidence, f"{span}: no possible sessions recorded{gap}", parts)
    # Rounded to 6 places so that e.g. 12/120 compares as exactly 10.0.
    rate = round(absent * 100 / possible, 6)
    return Measured(rate, evidence, f"{span}: {absent} of {possible} sessions missed{gap}", parts)


def _candidate_records(records: str, subject: Subject, facts: FamilyFacts):
    """Records visible to a subject: its own; for the household, its own and every member's."""
    if subject.kind == "member":
        members = [(subject.pointer, subject.member)]
    else:
        members = [(f"/members/{i}", m) for i, m in enumerate(facts.members)]
        if records == "event":
            for j, event in enumerate(facts.household.events):
                yield f"/household/events/{j}", event
    for base, member in members:
        assert member is not None
        items = member.benefits if records == "benefit" else member.events
        for j, record in enumerate(items):
            yield f"{base}/{records}s/{j}", record

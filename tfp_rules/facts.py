"""Family facts: the dated records partner systems send, as strict pydantic models.

Senders give dated records, never pre-judged flags such as "offended in the last
12 months": the ruleset decides what counts. This module only decides whether a
document is well formed and internally possible, and reports every problem it
finds by JSON Pointer (RFC 6901) in one `FactsError`.

Dicts and JSON text go through the same path (normalise, `json.dumps`, then
`model_validate_json` in strict mode), so a Python caller cannot slip past a
rule that a JSON caller meets: "12" is not an integer and "true" is not a
boolean either way. Dates are ISO "YYYY-MM-DD" strings in JSON.

Regenerate the published schema with `python -m tfp_rules.facts`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import FactProblem, FactsError, MalformedJSONError

__all__ = [
    "AMOUNT_EVENT_TYPES",
    "EVENT_TYPES",
    "FLAG_NAMES",
    "ROLE_EVENT_TYPES",
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "TERM_CALENDAR",
    "TERM_SEASONS",
    "Benefit",
    "Event",
    "EventType",
    "FamilyFacts",
    "Flags",
    "Household",
    "Judgement",
    "Member",
    "School",
    "Term",
    "check_facts",
    "facts_json_schema",
    "parse_facts",
    "term_bounds",
    "term_containing",
    "term_index",
    "term_label",
    "term_label_at",
    "terms_ending_by",
    "write_schema",
]

# Size caps: a document beyond these is rejected with a pointer to the list, not
# processed. They are far above any real family, so they only stop abuse.
MAX_MEMBERS = 50
MAX_EVENTS = 2000  # per member, and for the household
MAX_BENEFITS = 200  # per member
MAX_TERMS = 60  # per member: twenty school years
MAX_JUDGEMENTS = 500
MAX_SESSIONS = 1000  # per term; a real term has at most ~160 (two a day)
MAX_EXCLUSIONS = 100  # fixed-term exclusions per term
MAX_AMOUNT_GBP = 10_000_000
_MAX_DEPTH = 32  # nesting the normaliser follows; the model itself is 6 deep

SCHEMA_ID = "https://tfp-rules.example/schemas/family-facts.schema.json"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "family-facts.schema.json"

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)

# ---------------------------------------------------------------------------
# School terms
# ---------------------------------------------------------------------------

TERM_SEASONS: tuple[str, ...] = ("spring", "summer", "autumn")
"""Seasons in calendar order; `Term.index` counts three per year in this order."""

TERM_CALENDAR: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "spring": ((1, 1), (4, 14)),
    "summer": ((4, 15), (8, 31)),
    "autumn": ((9, 1), (12, 31)),
}
"""The school-term calendar used to date attendance: (month, day) of first and last day.

A fixed calendar, not any school's real term dates: spring = 1 Jan .. 14 Apr,
summer = 15 Apr .. 31 Aug, autumn = 1 Sep .. 31 Dec. The terms tile the year,
so every date is in exactly one term and "the last three terms" is unambiguous.
"""

_TERM_PATTERN = r"^\d{4}-(spring|summer|autumn)$"


def term_label(year: int, season: str) -> str:
    """The label of a term, e.g. term_label(2018, "autumn") == "2018-autumn"."""
    if season not in TERM_CALENDAR:
        raise ValueError(f"unknown season {season!r}; expected one of {TERM_SEASONS}")
    return f"{year:04d}-{season}"


def _split_label(label: str) -> tuple[int, str]:
    year, _, season = label.partition("-")
    if len(year) != 4 or not year.isdigit() or season not in TERM_CALENDAR:
        raise ValueError(f"not a term label: {label!r} (expected e.g. '2018-autumn')")
    return int(year), season


def term_index(label: str) -> int:
    """A consecutive, sortable term number: year * 3 + (spring 0, summer 1, autumn 2)."""
    year, season = _split_label(label)
    return year * 3 + TERM_SEASONS.index(season)


def term_label_at(index: int) -> str:
    """The label of the term with this `term_index` (its inverse)."""
    year, offset = divmod(index, 3)
    return term_label(year, TERM_SEASONS[offset])


def term_bounds(label: str) -> tuple[dt.date, dt.date]:
    """First and last day of a term under `TERM_CALENDAR`."""
    year, season = _split_label(label)
    (m1, d1), (m2, d2) = TERM_CALENDAR[season]
    return dt.date(year, m1, d1), dt.date(year, m2, d2)


def term_containing(d: dt.date) -> tuple[int, str]:
    """The (year, season) of the term that contains date `d`."""
    for season in TERM_SEASONS:
        (m1, d1), (m2, d2) = TERM_CALENDAR[season]
        if (m1, d1) <= (d.month, d.day) <= (m2, d2):
            return d.year, season
    raise AssertionError("TERM_CALENDAR does not cover the whole year")  # pragma: no cover


def terms_ending_by(d: dt.date, n: int) -> list[str]:
    """Labels of the `n` most recent terms that ended on or before `d`, oldest first.

    The term in progress on `d` does not count unless `d` is its last day.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    year, season = term_containing(d)
    current = term_label(year, season)
    last = term_index(current) if d == term_bounds(current)[1] else term_index(current) - 1
    return [term_label_at(i) for i in range(last - n + 1, last + 1)]


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

EventType = Literal[
    "proven_offence",
    "asb_intervention",
    "custody",
    "licence_supervision",
    "crime_prevention_priority",
    "child_in_need",
    "child_protection_plan",
    "early_help",
    "neet",
    "domestic_abuse",
    "domestic_abuse_callout",
    "rent_arrears",
    "problem_debt",
    "eviction_risk",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)

Source = Literal[
    "education",
    "police",
    "youth_justice",
    "probation",
    "social_care",
    "dwp",
    "housing",
    "health",
]
SOURCES: tuple[str, ...] = get_args(Source)
"""The partner data sources a family's facts can come from; rulesets name them per indicator."""

ROLE_EVENT_TYPES = frozenset({"domestic_abuse", "domestic_abuse_callout"})
"""Event types that may carry a `role` (victim, perpetrator, ...)."""
AMOUNT_EVENT_TYPES = frozenset({"rent_arrears", "problem_debt"})
"""Event types that may carry an `amount_gbp`."""


class Event(BaseModel):
    """One dated record about a person or household; an episode if it has an end."""

    model_config = _STRICT

    type: EventType
    date: dt.date = Field(description="When it happened, or when the episode started.")
    ended: dt.date | None = Field(
        default=None, description="When the episode ended; null or absent = still open."
    )
    role: Literal["victim", "perpetrator", "at_risk", "witness"] | None = Field(
        default=None, description="Domestic abuse events only: the person's part in it."
    )
    kind: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Sub-kind, e.g. 'injunction' for an asb_intervention.",
    )
    amount_gbp: float | None = Field(
        default=None,
        ge=0,
        le=MAX_AMOUNT_GBP,
        allow_inf_nan=False,
        description="rent_arrears and problem_debt only: the amount owed in pounds.",
    )
    release_due: dt.date | None = Field(
        default=None,
        description="Custody only: expected release date (may be after the assessment date).",
    )


class Benefit(BaseModel):
    """One benefit claim, from its start to its end (null = still claiming)."""

    # populate_by_name lets Python build Benefit(from_=...); parse_facts still
    # demands the JSON name "from" (it validates by alias only).
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    type: Literal["JSA", "ESA", "IS", "UC", "other"]
    from_: dt.date = Field(alias="from")
    to: dt.date | None = None
    work_search: bool | None = Field(
        default=None, description="UC only: whether the claim has work-search requirements."
    )


class Term(BaseModel):
    """Attendance for one school term (see TERM_CALENDAR for the term dates)."""

    model_config = _STRICT

    term: str = Field(pattern=_TERM_PATTERN, description="e.g. '2018-autumn'.")
    possible_sessions: int = Field(ge=0, le=MAX_SESSIONS)
    absent_sessions: int = Field(ge=0, le=MAX_SESSIONS, description="Authorised + unauthorised.")
    unauthorised_sessions: int = Field(default=0, ge=0, le=MAX_SESSIONS)
    fixed_term_exclusions: int = Field(default=0, ge=0, le=MAX_EXCLUSIONS)
    permanently_excluded: bool = False

    @field_validator("term")
    @classmethod
    def _real_year(cls, value: str) -> str:
        if value.startswith("0000"):
            raise ValueError("year 0000 is not a calendar year")
        return value

    @property
    def year(self) -> int:
        return _split_label(self.term)[0]

    @property
    def season(self) -> str:
        return _split_label(self.term)[1]

    @property
    def starts(self) -> dt.date:
        return term_bounds(self.term)[0]

    @property
    def ends(self) -> dt.date:
        return term_bounds(self.term)[1]

    @property
    def index(self) -> int:
        return term_index(self.term)


class School(BaseModel):
    """A child's school registration and attendance record."""

    model_config = _STRICT

    registered: bool
    terms: list[Term] = Field(default=[], max_length=MAX_TERMS)
    alternative_provision: Literal["behaviour", "other"] | None = Field(
        default=None, description="Why the child is in alternative provision, if they are."
    )
    education_otherwise: bool = Field(
        default=False,
        description="Receiving suitable education otherwise, e.g. elective home education.",
    )


class Flags(BaseModel):
    """Yes/no facts that services record without dates (health and parenting)."""

    model_config = _STRICT

    mental_health_support: bool = False
    substance_misuse: bool = False
    new_mother: bool = False
    poor_parenting_factors: bool = False
    missed_immunisations: bool = False
    poor_dental_health: bool = False
    missed_development_checks: bool = False
    leaving_school_no_plan: bool = False


FLAG_NAMES: tuple[str, ...] = tuple(Flags.model_fields)


class Member(BaseModel):
    """One person in the family; their age, not `role`, decides whether they are a child."""

    model_config = _STRICT

    ref: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    role: Literal["adult", "child"] = Field(
        description="As the sender declares it; not trusted for eligibility."
    )
    date_of_birth: dt.date
    parenting_responsibility: bool = False
    benefits: list[Benefit] = Field(default=[], max_length=MAX_BENEFITS)
    events: list[Event] = Field(default=[], max_length=MAX_EVENTS)
    school: School | None = None
    flags: Flags = Flags()

    def age_on(self, d: dt.date) -> int:
        """Age in whole years on date `d`.

        Someone born on 29 February turns a year older on 1 March in a non-leap
        year (the reading usually taken in England and Wales).
        """
        born = self.date_of_birth
        if d < born:
            raise ValueError(f"{d} is before member {self.ref!r} was born")
        return d.year - born.year - ((d.month, d.day) < (born.month, born.day))

    def is_child_on(self, d: dt.date, adult_age: int = 18) -> bool:
        """Whether the member is under `adult_age` on `d` (an adult from that birthday on)."""
        return self.age_on(d) < adult_age


class Household(BaseModel):
    """Records about the household as a whole (e.g. rent arrears, call-outs)."""

    model_config = _STRICT

    events: list[Event] = Field(default=[], max_length=MAX_EVENTS)


class Judgement(BaseModel):
    """A worker's documented professional judgement that an indicator is met."""

    model_config = _STRICT

    indicator: str = Field(
        max_length=128,
        pattern=r"^H[1-6]\.[a-z][a-z0-9_]*$",
        description="Headline and indicator id, e.g. 'H6.mental_health'.",
    )
    member: str | None = Field(default=None, description="Member ref; null = the household.")
    by: str = Field(min_length=1, max_length=128, description="Who made the judgement.")
    reason: str = Field(min_length=1, max_length=2000, description="The evidence relied on.")
    date: dt.date | None = None


class FamilyFacts(BaseModel):
    """Everything partner systems know about one family, as of the assessment date."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="Family facts")

    family_ref: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:/-]+$")
    assessment_date: dt.date = Field(
        description="The date the facts describe; every time window ends on it."
    )
    members: list[Member] = Field(min_length=1, max_length=MAX_MEMBERS)
    household: Household = Household()
    judgements: list[Judgement] = Field(default=[], max_length=MAX_JUDGEMENTS)
    sources_checked: dict[Source, dt.date] | None = Field(
        default=None,
        description=(
            "The data sources consulted for this family, each with the date it was checked. "
            "Absent: every source counts as checked (closed world). Present: an indicator "
            "whose data source is not listed is unknown, not 'not met'."
        ),
    )


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def _escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _pointer(*tokens: str | int) -> str:
    return "".join("/" + _escape(t) for t in tokens)


class _PairsDict(dict):
    """A dict from json.loads that remembers keys the text gave more than once."""

    duplicates: list[str]


def _object_pairs(pairs: list[tuple[str, Any]]) -> _PairsDict:
    result = _PairsDict()
    result.duplicates = []
    for key, value in pairs:
        if key in result:
            result.duplicates.append(key)
        result[key] = value
    return result


def _normalise(value: Any, pointer: str, problems: list[FactProblem], depth: int = 0) -> Any:
    """Copy `value` as plain JSON data, reporting anything JSON could not say.

    Python `date` objects become ISO strings, as they would be in JSON text.
    """
    if depth > _MAX_DEPTH:
        problems.append(FactProblem(pointer, "nested too deeply"))
        return None
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key in getattr(value, "duplicates", ()):
            problems.append(FactProblem(f"{pointer}/{_escape(key)}", f"duplicate key {key!r}"))
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(FactProblem(pointer, f"object key {key!r} is not a string"))
                continue
            out[key] = _normalise(item, f"{pointer}/{_escape(key)}", problems, depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [
            _normalise(item, f"{pointer}/{i}", problems, depth + 1) for i, item in enumerate(value)
        ]
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(FactProblem(pointer, "not valid Unicode (an unpaired surrogate)"))
            return None
        return value
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(FactProblem(pointer, "expected a finite number"))
            return None
        return value
    if isinstance(value, dt.datetime):
        problems.append(FactProblem(pointer, "expected a date YYYY-MM-DD, not a date-time"))
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    problems.append(FactProblem(pointer, f"not a JSON value ({type(value).__name__})"))
    return None


def _load_text(data: str | bytes | bytearray) -> Any:
    """Parse JSON text; bytes must be UTF-8 (RFC 8259), not UTF-16 or -32."""
    try:
        text = data if isinstance(data, str) else bytes(data).decode("utf-8")
        return json.loads(text, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as exc:
        message = f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    except RecursionError:
        message = "malformed JSON: nested too deeply"
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        message = f"malformed JSON: {exc}"
    raise MalformedJSONError([FactProblem("", message)])


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _message(err: dict[str, Any]) -> str:
    """A plain sentence for one pydantic error, without echoing the offending value."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    loc = err["loc"]
    field = loc[-1] if loc else None
    match kind:
        case "extra_forbidden":
            return f"unknown field {field!r}"
        case "missing":
            return f"missing required field {field!r}"
        case "model_type" | "model_attributes_type" | "dict_type":
            return "expected a JSON object"
        case "list_type":
            return "expected an array"
        case "string_type":
            return "expected a string"
        case "bool_type":
            return "expected true or false"
        case "int_type" | "int_parsing" | "int_from_float":
            return "expected an integer"
        case "float_type" | "float_parsing":
            return "expected a number"
        case "finite_number":
            return "expected a finite number"
        case "date_type" | "date_from_datetime_inexact" | "date_from_datetime_parsing":
            return "expected a date YYYY-MM-DD"
        case "date_parsing":
            detail = ctx.get("error")
            return f"expected a date YYYY-MM-DD ({detail})" if detail else "expected a date"
        case "literal_error":
            return f"expected {ctx['expected']}"
        case "string_pattern_mismatch":
            return f"must match the pattern {ctx['pattern']}"
        case "string_too_short":
            n = ctx["min_length"]
            return "must not be empty" if n == 1 else f"must be at least {n} characters"
        case "string_too_long":
            return f"must be at most {_plural(ctx['max_length'], 'character')}"
        case "too_short":
            return f"must have at least {_plural(ctx['min_length'], 'item')}"
        case "too_long":
            limit = _plural(ctx["max_length"], "item")
            actual = ctx.get("actual_length")
            return f"must have at most {limit}" + (f" (got {actual})" if actual else "")
        case "greater_than_equal":
            return f"must be at least {ctx['ge']}"
        case "less_than_equal":
            return f"must be at most {ctx['le']}"
        case "value_error":
            return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"])


def _validation_problems(exc: ValidationError) -> list[FactProblem]:
    return [
        # pydantic marks a bad mapping key with a "[key]" step; the pointer names the member
        FactProblem(_pointer(*(t for t in err["loc"] if t != "[key]")), _message(err))
        for err in exc.errors(include_url=False, include_input=False)
    ]


def parse_facts(data: str | bytes | dict[str, Any]) -> FamilyFacts:
    """Validate a facts document (JSON text or a dict) and return the model.

    Raises FactsError listing every problem: first structural ones (types,
    unknown fields, sizes); only if there are none, the cross-field checks of
    `check_facts`.
    """
    if isinstance(data, str | bytes | bytearray):
        loaded = _load_text(data)
    elif isinstance(data, dict):
        loaded = data
    else:
        raise TypeError(f"parse_facts takes JSON text or a dict, not {type(data).__name__}")

    problems: list[FactProblem] = []
    plain = _normalise(loaded, "", problems)
    if problems:
        raise FactsError(problems)
    try:
        # by_name=False: the JSON field is "from"; "from_" is only for Python callers.
        facts = FamilyFacts.model_validate_json(json.dumps(plain), by_alias=True, by_name=False)
    except ValidationError as exc:
        raise FactsError(_validation_problems(exc)) from None

    problems = check_facts(facts)
    if problems:
        raise FactsError(problems)
    return facts


# ---------------------------------------------------------------------------
# Cross-field checks
# ---------------------------------------------------------------------------


def _check_end(
    pointer: str, start: dt.date, end: dt.date | None, on: dt.date, problems: list[FactProblem]
) -> None:
    """An episode's end: not before its start, and not after the assessment date."""
    if end is None:
        return
    if end < start:
        problems.append(FactProblem(pointer, "ends before its start date"))
    if end > on:
        problems.append(FactProblem(pointer, f"end date is after the assessment date {on}"))


def _check_events(events: list[Event], base: str, on: dt.date, problems: list[FactProblem]) -> None:
    for j, event in enumerate(events):
        at = f"{base}/events/{j}"
        if event.date > on:
            problems.append(FactProblem(f"{at}/date", f"dated after the assessment date {on}"))
        _check_end(f"{at}/ended", event.date, event.ended, on, problems)
        if event.role is not None and event.type not in ROLE_EVENT_TYPES:
            problems.append(
                FactProblem(
                    f"{at}/role",
                    "role applies only to domestic_abuse and domestic_abuse_callout events",
                )
            )
        if event.release_due is not None:
            if event.type != "custody":
                problems.append(
                    FactProblem(f"{at}/release_due", "release_due applies only to custody events")
                )
            elif event.release_due < event.date:
                problems.append(
                    FactProblem(f"{at}/release_due", "release due before the custody began")
                )
        if event.amount_gbp is not None and event.type not in AMOUNT_EVENT_TYPES:
            problems.append(
                FactProblem(
                    f"{at}/amount_gbp",
                    "amount_gbp applies only to rent_arrears and problem_debt events",
                )
            )


def _check_benefits(member: Member, base: str, on: dt.date, problems: list[FactProblem]) -> None:
    for j, benefit in enumerate(member.benefits):
        at = f"{base}/benefits/{j}"
        if benefit.from_ > on:
            problems.append(FactProblem(f"{at}/from", f"starts after the assessment date {on}"))
        _check_end(f"{at}/to", benefit.from_, benefit.to, on, problems)
        if benefit.work_search is not None and benefit.type != "UC":
            problems.append(
                FactProblem(f"{at}/work_search", "work_search applies only to UC benefits")
            )


def _check_school(school: School, base: str, on: dt.date, problems: list[FactProblem]) -> None:
    seen: set[str] = set()
    for k, term in enumerate(school.terms):
        at = f"{base}/school/terms/{k}"
        if term.term in seen:
            problems.append(FactProblem(f"{at}/term", f"duplicate term {term.term}"))
        seen.add(term.term)
        if term.starts > on:
            problems.append(
                FactProblem(f"{at}/term", f"term {term.term} starts after the assessment date {on}")
            )
        if term.absent_sessions > term.possible_sessions:
            problems.append(
                FactProblem(f"{at}/absent_sessions", "absent sessions exceed possible sessions")
            )
        if term.unauthorised_sessions > term.absent_sessions:
            problems.append(
                FactProblem(
                    f"{at}/unauthorised_sessions", "unauthorised sessions exceed absent sessions"
                )
            )


def check_facts(facts: FamilyFacts) -> list[FactProblem]:
    """The cross-field checks alone: dates that cannot be, duplicates, misplaced fields.

    Returns every problem found (empty if none), each located by JSON Pointer.
    """
    on = facts.assessment_date
    problems: list[FactProblem] = []
    first_index: dict[str, int] = {}
    for i, member in enumerate(facts.members):
        base = f"/members/{i}"
        if member.ref in first_index:
            first = f"/members/{first_index[member.ref]}"
            problems.append(
                FactProblem(
                    f"{base}/ref", f"duplicate member ref {member.ref!r} (first at {first})"
                )
            )
        else:
            first_index[member.ref] = i
        if member.date_of_birth > on:
            problems.append(
                FactProblem(f"{base}/date_of_birth", f"born after the assessment date {on}")
            )
        _check_events(member.events, base, on, problems)
        _check_benefits(member, base, on, problems)
        if member.school is not None:
            _check_school(member.school, base, on, problems)

    _check_events(facts.household.events, "/household", on, problems)

    for k, judgement in enumerate(facts.judgements):
        at = f"/judgements/{k}"
        if judgement.member is not None and judgement.member not in first_index:
            problems.append(FactProblem(f"{at}/member", f"no member with ref {judgement.member!r}"))
        if judgement.date is not None and judgement.date > on:
            problems.append(FactProblem(f"{at}/date", f"dated after the assessment date {on}"))
    return problems


# ---------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------


def facts_json_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of a family facts document."""
    schema = FamilyFacts.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    return schema


def _schema_text() -> str:
    return json.dumps(facts_json_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    """Write `facts_json_schema()` to `path` (the committed schema file by default)."""
    path.write_text(_schema_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"wrote {write_schema()}")

"""Family facts: the dated records partner systems send, as strict pydantic models.

Senders give dated records, never pre-judged flags such as "offended in the last
12 months": the ruleset decides what counts. This module only decides whether a
document is well formed and internally possible, and reports every problem it
finds by JSON Pointer (RFC 6901) in one `FactsError`.

Dicts and JSON text go through the same path (normalise, `json.dumps`, then
`model_validate_json` in strict mode), so a Python caller cannot slip past a
rule that a JSON caller meets: "12" is not an integer and "true" is not a
boolean either way. Dates are ISO "YYYY-MM-DD" strings in JSON.

Problems come back in one answer: the schema's (types, unknown fields, sizes)
and the cross-field checks (dates that cannot be, duplicates, misplaced
fields) together, the cross-field checks reading the raw document so that a
wrong type elsewhere does not hide them. Checks that need a ruleset (its term
dates, its indicators) are in `intake`.

Regenerate the published schema with `python -m tfp_rules.facts`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import FactProblem, FactsError, MalformedJSONError, suggest
from .terms import TERM_PATTERN, split_label, term_index
from .text import LINE_PATTERN, TEXT_PATTERN, check_text

__all__ = [
    "AMOUNT_EVENT_TYPES",
    "BENEFIT_TYPES",
    "EVENT_TYPES",
    "FLAG_NAMES",
    "ROLE_EVENT_TYPES",
    "SCHEMA_ID",
    "SCHEMA_PATH",
    "SOURCES",
    "UC_REGIMES",
    "Benefit",
    "Employment",
    "Event",
    "EventType",
    "FactsUpdate",
    "FamilyFacts",
    "Flags",
    "Household",
    "Judgement",
    "Member",
    "School",
    "Term",
    "as_date",
    "check_facts",
    "document_problems",
    "facts_json_schema",
    "load_document",
    "objects",
    "parse_facts",
    "parse_json",
    "parse_update",
    "validate_document",
    "write_schema",
]

# Size caps: a document beyond these is rejected with a pointer to the list, not
# processed. They are far above any real family (3-6 members with tens of records each),
# so they only stop abuse; MAX_RECORDS bounds the work of one document (about 60 ms to
# validate and decide at the cap, against 0.7 s for a 1 MiB document without it).
MAX_MEMBERS = 30
MAX_EVENTS = 500  # per member, and for the household
MAX_BENEFITS = 100  # per member
MAX_EMPLOYMENT = 100  # per member: a job a fortnight for four years, far above any real record
MAX_TERMS = 60  # per member: twenty school years
MAX_JUDGEMENTS = 200
MAX_RECORDS = 2000  # events, benefits, employment, terms and judgements in one document
MAX_SESSIONS = 1000  # per term; a real term has at most ~160 (two a day)
MAX_EXCLUSIONS = 100  # fixed-term exclusions per term
MAX_AMOUNT_GBP = 10_000_000
MAX_HOURS_PER_WEEK = 168  # every hour of the week
_MAX_DEPTH = 32  # nesting the normaliser follows; the model itself is 6 deep

SCHEMA_ID = "https://tfp-rules.example/schemas/family-facts.schema.json"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "family-facts.schema.json"

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)

# Every date in a document lies in these years: wide enough for anyone alive and any
# release date, narrow enough that window arithmetic can never leave the calendar.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)
YEAR = r"(19[0-9]{2}|20[0-9]{2}|2100)"
# The bounds as JSON Schema can say them too (a date has no minimum there, but a pattern).
Day = Annotated[
    dt.date,
    Field(ge=EARLIEST, le=LATEST, json_schema_extra={"pattern": f"^{YEAR}-"}),
]
RESERVED_REFS = frozenset({"household"})
"""Member refs that name something else in a decision (the household as a subject)."""

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

BenefitType = Literal["JSA", "ESA", "IS", "UC", "other"]
BENEFIT_TYPES: tuple[str, ...] = get_args(BenefitType)

UcRegime = Literal[
    "intensive_work_search",
    "light_touch",
    "work_preparation",
    "work_focused_interview",
    "no_work_requirements",
    "working_no_requirements",
]
UC_REGIMES: tuple[str, ...] = get_args(UcRegime)
"""Universal Credit conditionality regimes (DWP labour market regimes), as DWP matches give them."""

_REF = r"^[A-Za-z0-9_.:/-]{1,64}$"
_MEMBER_REF = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _only_on(field: str, kinds: list[str]) -> dict[str, Any]:
    """JSON Schema for "`field` only on records of these types" (the cross-field check)."""
    return {
        "if": {"not": {"properties": {"type": {"enum": kinds}}}},
        "then": {"properties": {field: {"type": "null"}}},
    }


class Event(BaseModel):
    """One dated record about a person or household; an episode if it has an end."""

    model_config = ConfigDict(
        **_STRICT,
        json_schema_extra={
            "allOf": [
                _only_on("role", sorted(ROLE_EVENT_TYPES)),
                _only_on("amount_gbp", sorted(AMOUNT_EVENT_TYPES)),
                _only_on("release_due", ["custody"]),
            ]
        },
    )

    type: EventType
    date: Day = Field(description="When it happened, or when the episode started.")
    ended: Day | None = Field(
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
    release_due: Day | None = Field(
        default=None,
        description="Custody only: expected release date (may be after the assessment date).",
    )
    incident: str | None = Field(
        default=None,
        pattern=_REF,
        description=(
            "The sender's reference for the incident. Records with the same reference are one "
            "incident wherever they appear in the document (on several members, or sent by "
            "several partners) and count once."
        ),
    )


class Benefit(BaseModel):
    """One benefit claim, from its start to its end (null = still claiming)."""

    # populate_by_name lets Python build Benefit(from_=...); parse_facts still
    # demands the JSON name "from" (it validates by alias only).
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        populate_by_name=True,
        json_schema_extra={
            "allOf": [_only_on("work_search", ["UC"]), _only_on("conditionality", ["UC"])]
        },
    )

    type: BenefitType
    from_: Day = Field(alias="from")
    to: Day | None = None
    work_search: bool | None = Field(
        default=None, description="UC only: whether the claim has work-search requirements."
    )
    conditionality: UcRegime | None = Field(
        default=None,
        description="UC only: the claimant's conditionality regime, when DWP gives it.",
    )


class Employment(BaseModel):
    """One spell in work, from its start to its end (null = still in work), as DWP reports it."""

    # Named like Benefit's fields ("from", "to") so that a spell reads like a claim.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    from_: Day = Field(alias="from", description="The first day in work.")
    to: Day | None = Field(
        default=None, description="The last day in work; null or absent = still in work."
    )
    hours_per_week: float | None = Field(
        default=None,
        ge=0,
        le=MAX_HOURS_PER_WEEK,
        allow_inf_nan=False,
        description="Usual hours a week, when the source gives them.",
    )


class Term(BaseModel):
    """Attendance for one school term; which days the term covers is the ruleset's calendar."""

    model_config = _STRICT

    term: str = Field(
        pattern=TERM_PATTERN,
        description="e.g. '2018-autumn'.",
        json_schema_extra={"pattern": f"^{YEAR}-(spring|summer|autumn)$"},
    )
    possible_sessions: int = Field(ge=0, le=MAX_SESSIONS)
    absent_sessions: int = Field(ge=0, le=MAX_SESSIONS, description="Authorised + unauthorised.")
    unauthorised_sessions: int = Field(default=0, ge=0, le=MAX_SESSIONS)
    fixed_term_exclusions: int = Field(default=0, ge=0, le=MAX_EXCLUSIONS)
    permanently_excluded: bool = False

    @field_validator("term")
    @classmethod
    def _real_year(cls, value: str) -> str:
        year = int(value[:4])
        if not EARLIEST.year <= year <= LATEST.year:
            raise ValueError(f"the year must be from {EARLIEST.year} to {LATEST.year}")
        return value

    @property
    def year(self) -> int:
        return split_label(self.term)[0]

    @property
    def season(self) -> str:
        return split_label(self.term)[1]

    @property
    def index(self) -> int:
        return term_index(self.term)


def _not_reserved(value: str) -> str:
    if value in RESERVED_REFS:
        raise ValueError(f"'{value}' names the household itself; give the member another ref")
    return value


MemberRef = Annotated[
    str,
    Field(pattern=_MEMBER_REF.pattern, json_schema_extra={"not": {"enum": sorted(RESERVED_REFS)}}),
    AfterValidator(_not_reserved),
]
FamilyRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:/-]+$")]
Role = Literal["adult", "child"]
Provision = Literal["behaviour", "other"]
SourcesChecked = dict[Source, Day]


class School(BaseModel):
    """A child's school registration and attendance record."""

    model_config = _STRICT

    registered: bool
    terms: list[Term] = Field(default=[], max_length=MAX_TERMS)
    alternative_provision: Provision | None = Field(
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
    expectant: bool = Field(
        default=False, description="Expecting a baby (an expectant parent makes a family)."
    )
    full_time_education: bool = Field(
        default=False,
        description="In full-time (non-advanced) education or training, e.g. a 17-year-old at college.",
    )


FLAG_NAMES: tuple[str, ...] = tuple(Flags.model_fields)


class Member(BaseModel):
    """One person in the family; their age, not `role`, decides whether they are a child."""

    model_config = _STRICT

    ref: MemberRef
    role: Role = Field(description="As the sender declares it; not trusted for eligibility.")
    date_of_birth: Day
    parenting_responsibility: bool = False
    benefits: list[Benefit] = Field(default=[], max_length=MAX_BENEFITS)
    employment: list[Employment] = Field(default=[], max_length=MAX_EMPLOYMENT)
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
    by: str = Field(
        min_length=1,
        max_length=128,
        description="Who made the judgement.",
        json_schema_extra={"pattern": LINE_PATTERN},  # what _plain_name checks, published
    )
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="The evidence relied on.",
        json_schema_extra={"pattern": TEXT_PATTERN},
    )
    date: Day | None = None

    @field_validator("by")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return check_text(value)

    @field_validator("reason")
    @classmethod
    def _plain_reason(cls, value: str) -> str:
        return check_text(value, multiline=True)


class FamilyFacts(BaseModel):
    """Everything partner systems know about one family, as of the assessment date."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="Family facts")

    family_ref: FamilyRef
    assessment_date: Day = Field(
        description="The date the facts describe; every time window ends on it."
    )
    members: list[Member] = Field(min_length=1, max_length=MAX_MEMBERS)
    household: Household = Household()
    judgements: list[Judgement] = Field(default=[], max_length=MAX_JUDGEMENTS)
    sources_checked: SourcesChecked | None = Field(
        default=None,
        description=(
            "The data sources consulted for this family, each with the date it was checked. "
            "Absent: every source counts as checked (closed world). Present: an indicator "
            "whose data source is not listed is unknown, not 'not met'."
        ),
    )


# ---------------------------------------------------------------------------
# Updates: newly arrived facts for a family already decided
# ---------------------------------------------------------------------------
#
# The same fields and rules as a whole document, every one optional but a member's
# ref, so an update is checked before it is merged (merge.merge_facts) and the merged
# document is checked again in full.


class SchoolUpdate(BaseModel):
    """Any fields of a school record; a term replaces the earlier return for its label."""

    model_config = _STRICT

    registered: bool | None = None
    terms: list[Term] = Field(default=[], max_length=MAX_TERMS)
    alternative_provision: Provision | None = None
    education_otherwise: bool | None = None


class MemberUpdate(BaseModel):
    """New facts about a member, matched by ref (an unknown ref is a new member)."""

    model_config = _STRICT

    ref: MemberRef
    role: Role | None = None
    date_of_birth: Day | None = None
    parenting_responsibility: bool | None = None
    benefits: list[Benefit] | None = Field(default=None, max_length=MAX_BENEFITS)
    employment: list[Employment] | None = Field(default=None, max_length=MAX_EMPLOYMENT)
    events: list[Event] | None = Field(default=None, max_length=MAX_EVENTS)
    school: SchoolUpdate | None = None
    flags: Flags | None = None


class FactsUpdate(BaseModel):
    """Newly arrived facts for a family; see `merge.merge_facts` for how they fold in. A field
    left out, or null, changes nothing."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="Facts update")

    family_ref: FamilyRef | None = Field(default=None, description="If given, the same family's.")
    assessment_date: Day | None = None
    members: list[MemberUpdate] | None = Field(default=None, max_length=MAX_MEMBERS)
    household: Household | None = None
    judgements: list[Judgement] | None = Field(default=None, max_length=MAX_JUDGEMENTS)
    sources_checked: SourcesChecked | None = None


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


# Where a value sits, built as (parent, token) pairs and spelt as a JSON Pointer only when a
# problem needs it: most documents have none, and spelling every pointer was most of the
# cost of normalising one.


def _spell(at: Any) -> str:
    """A location as its JSON Pointer."""
    tokens = []
    while not isinstance(at, str):
        at, token = at
        tokens.append(token)
    return at + "".join("/" + _escape(t) for t in reversed(tokens))


def _normalise(value: Any, at: Any, problems: list[FactProblem], depth: int = 0) -> Any:
    """Copy `value` as plain JSON data, reporting anything JSON could not say; `at` is its
    JSON Pointer, or a location `_spell` makes one of.

    Python `date` objects become ISO strings, as they would be in JSON text.
    """
    if depth > _MAX_DEPTH:
        problems.append(FactProblem(_spell(at), "nested too deeply"))
        return None
    if type(value) is str and value.isascii():  # the commonest value, and surely valid
        return value
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key in getattr(value, "duplicates", ()):
            problems.append(FactProblem(f"{_spell(at)}/{_escape(key)}", f"duplicate key {key!r}"))
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(FactProblem(_spell(at), f"object key {key!r} is not a string"))
                continue
            out[key] = _normalise(item, (at, key), problems, depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_normalise(item, (at, i), problems, depth + 1) for i, item in enumerate(value)]
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(FactProblem(_spell(at), "not valid Unicode (an unpaired surrogate)"))
            return None
        return value
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(FactProblem(_spell(at), "expected a finite number"))
            return None
        # JSON has one kind of number: 120.0 is the integer 120, as JSON Schema reads it
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, dt.datetime):
        problems.append(FactProblem(_spell(at), "expected a date YYYY-MM-DD, not a date-time"))
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    problems.append(FactProblem(_spell(at), f"not a JSON value ({type(value).__name__})"))
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


def parse_json(data: str | bytes | bytearray) -> Any:
    """JSON text as parsed values whose objects remember keys given twice, so handing a part
    of it (one family of a batch) to `load_document` still reports them, pointed at within
    that part. MalformedJSONError for text that is not JSON."""
    return _load_text(data)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _model_at(loc: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    """The model that holds the field `loc` points to (for naming the fields it allows)."""
    model: type[BaseModel] | None = root
    for step in loc[:-1]:
        if model is None:
            return None
        if isinstance(step, int):
            continue
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        if step not in fields:
            return None
        model = _inner_model(fields[step].annotation)
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as `list[Event]` or `School | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, Union, types.UnionType):
        for arg in get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _allowed(expected: str) -> list[str]:
    """The quoted choices of a pydantic literal_error's `expected`, e.g. "'a', 'b' or 'c'"."""
    return re.findall(r"'([^']*)'", expected)


def _message(err: dict[str, Any], root: type[BaseModel]) -> str:
    """A plain sentence for one pydantic error, without echoing the offending value.

    Where a close valid name exists it is suggested: the suggestion is a valid
    name, never the value that was sent.
    """
    kind = err["type"]
    ctx = err.get("ctx") or {}
    loc = err["loc"]
    field = loc[-1] if loc else None
    match kind:
        case "extra_forbidden":
            model = _model_at(loc, root)
            names = [f.alias or n for n, f in model.model_fields.items()] if model else []
            return f"unknown field {field!r}{suggest(field, names)}"
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
            sent = loc[-2] if loc and loc[-1] == "[key]" and len(loc) > 1 else err.get("input")
            hint = suggest(sent, _allowed(ctx["expected"])) if isinstance(sent, str) else ""
            return f"expected {ctx['expected']}{hint}"
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


def _validation_problems(
    exc: ValidationError, root: type[BaseModel] = FamilyFacts
) -> list[FactProblem]:
    return [
        # pydantic marks a bad mapping key with a "[key]" step; the pointer names the member
        FactProblem(_pointer(*(t for t in err["loc"] if t != "[key]")), _message(err, root))
        for err in exc.errors(include_url=False, include_input=True)
    ]


def load_document(data: str | bytes | bytearray | Mapping[str, Any]) -> dict[str, Any]:
    """JSON text or a dict as plain JSON data (Python dates become ISO text).

    Raises MalformedJSONError for text that is not JSON, FactsError for values
    JSON could not hold; anything else, even a wrong shape, is left to
    `document_problems`.
    """
    if isinstance(data, str | bytes | bytearray):
        loaded = _load_text(data)
    elif isinstance(data, Mapping):
        loaded = data
    else:
        raise TypeError(f"parse_facts takes JSON text or a dict, not {type(data).__name__}")
    problems: list[FactProblem] = []
    plain = _normalise(loaded, "", problems)
    if problems:
        raise FactsError(problems)
    if not isinstance(plain, dict):
        raise FactsError([FactProblem("", "expected a JSON object")])
    return plain


def _too_many_records(plain: dict[str, Any]) -> FactProblem | None:
    """The document holds more records than MAX_RECORDS: counted before anything else is
    examined, so an oversized document costs next to nothing."""
    count = len(plain["judgements"]) if isinstance(plain.get("judgements"), list) else 0
    holders = [plain.get("household")]
    for _, member in objects(plain, "members"):
        holders.append(member)
        for key in ("benefits", "employment"):
            count += len(member[key]) if isinstance(member.get(key), list) else 0
        school = member.get("school")
        if isinstance(school, dict) and isinstance(school.get("terms"), list):
            count += len(school["terms"])
    count += sum(
        len(h["events"])
        for h in holders
        if isinstance(h, dict) and isinstance(h.get("events"), list)
    )
    if count <= MAX_RECORDS:
        return None
    return FactProblem(
        "",
        f"the document holds {count} records (events, benefits, employment spells, school "
        f"terms and judgements); at most {MAX_RECORDS} are taken, far more than any family has",
    )


def _as_json(plain: dict[str, Any]) -> bytes | str:
    """Plain JSON data as text for pydantic: orjson's, unless it cannot write a value (an
    integer beyond 64 bits), then json's; pydantic reads both as the same values."""
    try:
        return orjson.dumps(plain)
    except TypeError:
        return json.dumps(plain)


def validate_document(plain: dict[str, Any]) -> tuple[FamilyFacts | None, list[FactProblem]]:
    """The model if the document is well formed, and every problem found (schema and
    cross-field) in one list."""
    too_many = _too_many_records(plain)
    if too_many is not None:
        return None, [too_many]
    try:
        # by_name=False: the JSON field is "from"; "from_" is only for Python callers.
        facts = FamilyFacts.model_validate_json(_as_json(plain), by_alias=True, by_name=False)
        problems = []
    except ValidationError as exc:
        facts, problems = None, _validation_problems(exc)
    return facts, problems + _beside(problems, check_facts(plain))


def _beside(schema: list[FactProblem], cross: list[FactProblem]) -> list[FactProblem]:
    """Cross-field problems worth reporting next to the schema's: none at or below a field
    the schema already faults (a malformed value, or a list too long to examine)."""
    faulted = {p.pointer for p in schema}
    return [
        p
        for p in cross
        if not any(p.pointer == f or p.pointer.startswith(f + "/") for f in faulted)
    ]


def parse_update(data: str | bytes | bytearray | Mapping[str, Any]) -> dict[str, Any]:
    """An update (JSON text or a dict) checked against `FactsUpdate`, as plain JSON data.

    Raises MalformedJSONError for text that is not JSON, FactsError listing every problem
    of shape (with JSON Pointers into the update) otherwise.
    """
    plain = load_document(data)
    problems = [] if (p := _too_many_records(plain)) is None else [p]
    if not problems:
        try:
            FactsUpdate.model_validate_json(_as_json(plain), by_alias=True, by_name=False)
        except ValidationError as exc:
            problems = _validation_problems(exc, FactsUpdate)
    if problems:
        raise FactsError(problems)
    return _without_nulls(plain)


def _without_nulls(update: dict[str, Any]) -> dict[str, Any]:
    """An update's `null` means "no change" at its top level and in a member's own fields
    (inside a school record a null is a value: no longer in alternative provision)."""
    out = {k: v for k, v in update.items() if v is not None}
    if isinstance(out.get("members"), list):
        out["members"] = [
            {k: v for k, v in m.items() if v is not None} if isinstance(m, dict) else m
            for m in out["members"]
        ]
    return out


def document_problems(plain: dict[str, Any]) -> list[FactProblem]:
    """Every problem of a plain facts document (see `load_document`): schema and cross-field."""
    return validate_document(plain)[1]


def parse_facts(data: str | bytes | Mapping[str, Any]) -> FamilyFacts:
    """Validate a facts document (JSON text or a dict) and return the model.

    Raises FactsError listing every problem at once: types, unknown fields and
    sizes together with the cross-field checks of `check_facts`. The checks
    that need a ruleset are `intake.take_in`'s.
    """
    facts, problems = validate_document(load_document(data))
    if problems:
        raise FactsError(problems)
    assert facts is not None
    return facts


# ---------------------------------------------------------------------------
# Cross-field checks, on the raw document
# ---------------------------------------------------------------------------
#
# These read plain JSON data defensively: a field of the wrong type is the
# schema's problem and is skipped here, so that one answer holds both kinds.

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def as_date(value: Any) -> dt.date | None:
    """A date the model accepts, from an ISO "YYYY-MM-DD" string (or a date), else None."""
    day = None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and _ISO_DATE.match(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return None
    return day if day is not None and EARLIEST <= day <= LATEST else None


def objects(parent: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) for each JSON object in the list `parent[key]`, skipping anything else."""
    items = parent.get(key) if isinstance(parent, dict) else None
    if isinstance(items, list):
        for i, item in enumerate(items):
            if isinstance(item, dict):
                yield i, item


def _check_end(
    pointer: str, start: Any, end: Any, on: dt.date | None, problems: list[FactProblem]
) -> None:
    """An episode's end: not before its start, and not after the assessment date."""
    start, end = as_date(start), as_date(end)
    if end is None:
        return
    if start is not None and end < start:
        problems.append(FactProblem(pointer, "ends before its start date"))
    if on is not None and end > on:
        problems.append(FactProblem(pointer, f"end date is after the assessment date {on}"))


def _check_events(parent: Any, base: str, on: dt.date | None, problems: list[FactProblem]) -> None:
    for j, event in objects(parent, "events"):
        at = f"{base}/events/{j}"
        kind = event.get("type")
        when = as_date(event.get("date"))
        if on is not None and when is not None and when > on:
            problems.append(FactProblem(f"{at}/date", f"dated after the assessment date {on}"))
        _check_end(f"{at}/ended", event.get("date"), event.get("ended"), on, problems)
        if kind not in EVENT_TYPES:
            continue  # which fields belong depends on a type the schema has faulted
        if event.get("role") is not None and kind not in ROLE_EVENT_TYPES:
            problems.append(
                FactProblem(
                    f"{at}/role",
                    "role applies only to domestic_abuse and domestic_abuse_callout events",
                )
            )
        if event.get("release_due") is not None:
            due = as_date(event.get("release_due"))
            if kind != "custody":
                problems.append(
                    FactProblem(f"{at}/release_due", "release_due applies only to custody events")
                )
            elif due is not None and when is not None and due < when:
                problems.append(
                    FactProblem(f"{at}/release_due", "release due before the custody began")
                )
        if event.get("amount_gbp") is not None and kind not in AMOUNT_EVENT_TYPES:
            problems.append(
                FactProblem(
                    f"{at}/amount_gbp",
                    "amount_gbp applies only to rent_arrears and problem_debt events",
                )
            )


def _check_span(
    at: str, record: dict[str, Any], on: dt.date | None, problems: list[FactProblem]
) -> None:
    """A from/to record (a benefit claim, a job): it starts, and ends, by the assessment
    date, and does not end before it starts."""
    start = as_date(record.get("from"))
    if on is not None and start is not None and start > on:
        problems.append(FactProblem(f"{at}/from", f"starts after the assessment date {on}"))
    _check_end(f"{at}/to", record.get("from"), record.get("to"), on, problems)


def _check_benefits(
    member: dict[str, Any], base: str, on: dt.date | None, problems: list[FactProblem]
) -> None:
    for j, benefit in objects(member, "benefits"):
        at = f"{base}/benefits/{j}"
        _check_span(at, benefit, on, problems)
        if benefit.get("type") not in BENEFIT_TYPES:
            continue
        for name in ("work_search", "conditionality"):
            if benefit.get(name) is not None and benefit.get("type") != "UC":
                problems.append(FactProblem(f"{at}/{name}", f"{name} applies only to UC benefits"))


def _check_employment(
    member: dict[str, Any], base: str, on: dt.date | None, problems: list[FactProblem]
) -> None:
    for j, spell in objects(member, "employment"):
        _check_span(f"{base}/employment/{j}", spell, on, problems)


def _sessions(value: Any) -> int | None:
    """A session count the schema accepts, else None."""
    ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SESSIONS
    return value if ok else None


def _check_school(school: Any, base: str, on: dt.date | None, problems: list[FactProblem]) -> None:
    seen: set[str] = set()
    for k, term in objects(school, "terms"):
        at = f"{base}/school/terms/{k}"
        label = term.get("term")
        if isinstance(label, str) and re.match(TERM_PATTERN, label):
            if label in seen:
                problems.append(FactProblem(f"{at}/term", f"duplicate term {label}"))
            seen.add(label)
            if on is not None and term_index(label) > term_index(f"{on.year:04d}-autumn"):
                problems.append(
                    FactProblem(f"{at}/term", f"term {label} is after the assessment date {on}")
                )
        possible = _sessions(term.get("possible_sessions"))
        absent = _sessions(term.get("absent_sessions"))
        unauthorised = _sessions(term.get("unauthorised_sessions", 0))
        if possible is not None and absent is not None and absent > possible:
            problems.append(
                FactProblem(f"{at}/absent_sessions", "absent sessions exceed possible sessions")
            )
        if absent is not None and unauthorised is not None and unauthorised > absent:
            problems.append(
                FactProblem(
                    f"{at}/unauthorised_sessions", "unauthorised sessions exceed absent sessions"
                )
            )


def check_facts(facts: FamilyFacts | Mapping[str, Any]) -> list[FactProblem]:
    """The cross-field checks alone: dates that cannot be, duplicates, misplaced fields.

    Takes the model or plain JSON data (any shape: what is malformed is skipped)
    and returns every problem found, each located by JSON Pointer.
    """
    doc: Any = (
        facts.model_dump(mode="json", by_alias=True) if isinstance(facts, BaseModel) else facts
    )
    if not isinstance(doc, Mapping):
        return []
    on = as_date(doc.get("assessment_date"))
    problems: list[FactProblem] = []
    first_index: dict[str, int] = {}
    for i, member in objects(doc, "members"):
        base = f"/members/{i}"
        ref = member.get("ref")
        if isinstance(ref, str):
            if ref in first_index:
                first = f"/members/{first_index[ref]}"
                problems.append(
                    FactProblem(f"{base}/ref", f"duplicate member ref {ref!r} (first at {first})")
                )
            else:
                first_index[ref] = i
        born = as_date(member.get("date_of_birth"))
        if on is not None and born is not None and born > on:
            problems.append(
                FactProblem(f"{base}/date_of_birth", f"born after the assessment date {on}")
            )
        _check_events(member, base, on, problems)
        _check_benefits(member, base, on, problems)
        _check_employment(member, base, on, problems)
        if isinstance(member.get("school"), dict):
            _check_school(member["school"], base, on, problems)

    if isinstance(doc.get("household"), dict):
        _check_events(doc["household"], "/household", on, problems)

    # a judgement's member can only be looked for among refs that are all well formed
    members = doc.get("members") if isinstance(doc.get("members"), list) else []
    refs = [m.get("ref") if isinstance(m, dict) else None for m in members]
    refs_ok = bool(refs) and all(
        isinstance(r, str) and _MEMBER_REF.match(r) and r not in RESERVED_REFS for r in refs
    )
    for k, judgement in objects(doc, "judgements"):
        at = f"/judgements/{k}"
        who = judgement.get("member")
        if refs_ok and isinstance(who, str) and who not in first_index:
            problems.append(
                FactProblem(
                    f"{at}/member", f"no member with ref {who!r}{suggest(who, first_index)}"
                )
            )
        when = as_date(judgement.get("date"))
        if on is not None and when is not None and when > on:
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

"""Family facts: strict parsing, every problem by JSON Pointer in one answer, ages, schema."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tfp_rules.errors import FactProblem, FactsError
from tfp_rules.facts import (
    EVENT_TYPES,
    FLAG_NAMES,
    SCHEMA_PATH,
    Benefit,
    Employment,
    FamilyFacts,
    Flags,
    Member,
    Term,
    check_facts,
    facts_json_schema,
    parse_facts,
)
from tfp_rules.terms import CENSUS_CALENDAR

from .conftest import paths_in

EXAMPLE_PATH = Path(__file__).parent / "data" / "example_facts.json"
EXAMPLE_TEXT = EXAMPLE_PATH.read_text(encoding="utf-8")
ASSESSED = dt.date(2019, 3, 31)


def example() -> dict[str, Any]:
    """A fresh copy of the example document from the facts brief."""
    return json.loads(EXAMPLE_TEXT)


def problems_of(data: Any) -> list[FactProblem]:
    with pytest.raises(FactsError) as info:
        parse_facts(data)
    return info.value.problems


def tokens(pointer: str) -> list[str]:
    """The unescaped reference tokens of an RFC 6901 pointer."""
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def resolve(doc: Any, pointer: str | list[str]) -> Any:
    """Follow a pointer into `doc` (to prove a reported pointer is real)."""
    for token in tokens(pointer) if isinstance(pointer, str) else pointer:
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


# ---------------------------------------------------------------------------
# The example and the published schema
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("as_", ["text", "bytes", "dict"])
def test_example_parses(as_: str) -> None:
    data = {"text": EXAMPLE_TEXT, "bytes": EXAMPLE_TEXT.encode(), "dict": example()}[as_]
    facts = parse_facts(data)

    assert facts.family_ref == "STK-2019-000123"
    assert facts.assessment_date == ASSESSED
    adult, child = facts.members
    assert adult.benefits[0].type == "ESA"
    assert adult.benefits[0].from_ == dt.date(2017, 1, 9)
    assert adult.benefits[0].to is None
    assert adult.events[0].role == "victim"
    assert adult.events[1].kind == "injunction"
    assert adult.flags.mental_health_support is True
    assert adult.flags.substance_misuse is False
    assert adult.school is None
    assert child.school is not None
    assert [t.term for t in child.school.terms] == ["2018-spring", "2018-summer", "2018-autumn"]
    assert child.school.terms[0].unauthorised_sessions == 9
    assert child.events[1].ended is None
    assert facts.household.events[0].amount_gbp == 640
    assert facts.judgements[0].member == "p1"
    assert check_facts(facts) == []


def test_committed_schema_is_current() -> None:
    committed = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert committed == facts_json_schema(), (
        f"{SCHEMA_PATH} is stale: run `python -m tfp_rules.facts` to regenerate it"
    )


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/family-facts.schema.json")
    assert schema["title"] == "Family facts"
    assert "from" in schema["$defs"]["Benefit"]["properties"]
    assert "from_" not in schema["$defs"]["Benefit"]["properties"]


def _schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_example_validates_against_committed_schema() -> None:
    errors = list(_schema_validator().iter_errors(example()))
    assert errors == []


@pytest.mark.parametrize(
    "path, value",
    [
        (("members", 0, "flags", "colour"), True),
        (("members", 1, "school", "terms", 0, "possible_sessions"), "12"),
        (("members", 0, "role"), "parent"),
        (("members", 0, "benefits", 0, "from_"), "2017-01-09"),
    ],
)
def test_schema_and_parser_both_reject(path: tuple[Any, ...], value: Any) -> None:
    doc = example()
    target = doc
    for token in path[:-1]:
        target = target[token]
    target[path[-1]] = value
    assert list(_schema_validator().iter_errors(doc)), "the schema accepted it"
    assert problems_of(doc)


# ---------------------------------------------------------------------------
# Structural rejections: one pointer each
# ---------------------------------------------------------------------------


def _set(doc: dict[str, Any], pointer: str, value: Any) -> None:
    *parents, last = tokens(pointer)
    target = resolve(doc, parents)
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def _delete(doc: dict[str, Any], pointer: str) -> None:
    *parents, last = tokens(pointer)
    del resolve(doc, parents)[last]


STRUCTURAL = [
    # (pointer to set, value, expected pointer, expected message fragment)
    ("/members/0/flags/colour", "red", "/members/0/flags/colour", "unknown field 'colour'"),
    ("/colour", "red", "/colour", "unknown field 'colour'"),
    ("/household/pets", 2, "/household/pets", "unknown field 'pets'"),
    (
        "/members/1/school/terms/0/possible_sessions",
        "12",
        "/members/1/school/terms/0/possible_sessions",
        "expected an integer",
    ),
    (
        "/members/1/school/terms/0/possible_sessions",
        12.5,
        "/members/1/school/terms/0/possible_sessions",
        "expected an integer",
    ),
    (
        "/members/1/school/terms/0/possible_sessions",
        True,
        "/members/1/school/terms/0/possible_sessions",
        "expected an integer",
    ),
    (
        "/members/1/school/terms/0/possible_sessions",
        -1,
        "/members/1/school/terms/0/possible_sessions",
        "must be at least 0",
    ),
    (
        "/members/1/school/terms/0/possible_sessions",
        100_000,
        "/members/1/school/terms/0/possible_sessions",
        "must be at most 1000",
    ),
    (
        "/members/0/parenting_responsibility",
        "true",
        "/members/0/parenting_responsibility",
        "expected true or false",
    ),
    ("/members/0/parenting_responsibility", 1, "/members/0/parenting_responsibility", "true"),
    ("/assessment_date", "2019-02-30", "/assessment_date", "expected a date YYYY-MM-DD"),
    ("/assessment_date", "31/03/2019", "/assessment_date", "expected a date YYYY-MM-DD"),
    ("/assessment_date", "2019-03-31T00:00:00", "/assessment_date", "expected a date"),
    ("/assessment_date", 1554000000, "/assessment_date", "expected a date YYYY-MM-DD"),
    ("/members/0/role", "parent", "/members/0/role", "expected 'adult' or 'child'"),
    ("/members/0/events/1/type", "burglary", "/members/0/events/1/type", "'proven_offence'"),
    ("/members/0/events/0/role", "bystander", "/members/0/events/0/role", "'victim'"),
    ("/members/0/events/1/kind", "Injunction", "/members/0/events/1/kind", "pattern"),
    ("/members/0/events/1/kind", "x" * 65, "/members/0/events/1/kind", "at most 64 characters"),
    ("/members/0/ref", "p 1", "/members/0/ref", "pattern"),
    ("/members/0/ref", "", "/members/0/ref", "pattern"),
    ("/family_ref", "", "/family_ref", "must not be empty"),
    ("/family_ref", "a" * 65, "/family_ref", "at most 64 characters"),
    ("/family_ref", "STK 1", "/family_ref", "pattern"),
    ("/members/1/school/terms/0/term", "2018-winter", "/members/1/school/terms/0/term", "pattern"),
    ("/members/1/school/terms/0/term", "18-spring", "/members/1/school/terms/0/term", "pattern"),
    (
        "/members/1/school/terms/0/term",
        "0000-spring",
        "/members/1/school/terms/0/term",
        "1900 to 2100",
    ),
    (
        "/members/1/school/terms/0/term",
        "2101-spring",
        "/members/1/school/terms/0/term",
        "1900 to 2100",
    ),
    ("/assessment_date", "9999-12-31", "/assessment_date", "at most 2100-12-31"),
    ("/assessment_date", "0001-06-01", "/assessment_date", "at least 1900-01-01"),
    ("/members/0/date_of_birth", "1899-12-31", "/members/0/date_of_birth", "at least 1900-01-01"),
    ("/members/0/ref", "household", "/members/0/ref", "names the household itself"),
    (
        "/members/1/school/alternative_provision",
        "x",
        "/members/1/school/alternative_provision",
        "'behaviour'",
    ),
    ("/members/1/school", [], "/members/1/school", "expected a JSON object"),
    ("/members/1/events", {}, "/members/1/events", "expected an array"),
    ("/members/0/benefits/0/type", "PIP", "/members/0/benefits/0/type", "'UC'"),
    (
        "/members/0/benefits/0/work_search",
        "yes",
        "/members/0/benefits/0/work_search",
        "true or false",
    ),
    ("/household/events/0/amount_gbp", -5, "/household/events/0/amount_gbp", "at least 0"),
    ("/household/events/0/amount_gbp", "640", "/household/events/0/amount_gbp", "a number"),
    ("/judgements/0/indicator", "H7.mental_health", "/judgements/0/indicator", "pattern"),
    ("/judgements/0/indicator", "mental_health", "/judgements/0/indicator", "pattern"),
    ("/judgements/0/by", "", "/judgements/0/by", "must not be empty"),
    ("/judgements/0/reason", "x" * 2001, "/judgements/0/reason", "at most 2000 characters"),
    ("/members", [], "/members", "at least 1 item"),
    ("/a~1b~0c", 1, "/a~1b~0c", "unknown field 'a/b~c'"),
]


@pytest.mark.parametrize(
    "where, value, pointer, fragment", STRUCTURAL, ids=[f"{c[0]}={c[1]!r:.20}" for c in STRUCTURAL]
)
def test_structural_rejection(where: str, value: Any, pointer: str, fragment: str) -> None:
    doc = example()
    _set(doc, where, value)
    problems = problems_of(doc)
    assert [p.pointer for p in problems] == [pointer], problems
    assert fragment in problems[0].message
    # The same document as JSON text gets the same answer.
    assert problems_of(json.dumps(doc)) == problems


@pytest.mark.parametrize(
    "where, field",
    [
        ("/members/0/date_of_birth", "date_of_birth"),
        ("/members/0/role", "role"),
        ("/members/0/ref", "ref"),
        ("/assessment_date", "assessment_date"),
        ("/members/0/benefits/0/from", "from"),
        ("/members/1/school/registered", "registered"),
        ("/judgements/0/reason", "reason"),
    ],
)
def test_missing_required_field(where: str, field: str) -> None:
    doc = example()
    _delete(doc, where)
    problems = problems_of(doc)
    assert problems == [FactProblem(where, f"missing required field {field!r}")]


def test_python_name_from_underscore_is_not_json() -> None:
    doc = example()
    benefit = doc["members"][0]["benefits"][0]
    benefit["from_"] = benefit.pop("from")
    assert problems_of(doc) == [
        FactProblem("/members/0/benefits/0/from", "missing required field 'from'"),
        FactProblem("/members/0/benefits/0/from_", "unknown field 'from_' (did you mean 'from'?)"),
    ]


@pytest.mark.parametrize(
    "pointer, count, limit",
    [
        ("/members", 31, 30),
        ("/members/0/events", 501, 500),
        ("/household/events", 501, 500),
        ("/members/1/school/terms", 61, 60),
        ("/judgements", 201, 200),
    ],
)
def test_oversized_lists_rejected(pointer: str, count: int, limit: int) -> None:
    doc = example()
    item = copy.deepcopy(resolve(doc, pointer)[0])
    _set(doc, pointer, [item] * count)
    problems = problems_of(doc)
    assert problems == [
        FactProblem(pointer, f"must have at most {limit} items (got {count})"),
    ]


def test_many_structural_problems_all_reported() -> None:
    doc = example()
    doc["members"][0]["flags"]["colour"] = "red"
    doc["members"][0]["role"] = "parent"
    doc["members"][1]["school"]["terms"][2]["possible_sessions"] = "12"
    doc["members"][1]["date_of_birth"] = "2006-13-01"
    doc["household"]["events"][0]["type"] = "arrears"
    doc["judgements"][0]["by"] = ""
    del doc["members"][0]["events"][0]["date"]
    pointers = {p.pointer for p in problems_of(doc)}
    assert pointers == {
        "/members/0/flags/colour",
        "/members/0/role",
        "/members/1/school/terms/2/possible_sessions",
        "/members/1/date_of_birth",
        "/household/events/0/type",
        "/judgements/0/by",
        "/members/0/events/0/date",
    }


def test_structural_and_cross_field_problems_come_in_one_answer() -> None:
    """A sender fixes the document in one pass: a wrong type elsewhere hides nothing."""
    doc = example()
    doc["members"][0]["date_of_birth"] = "2020-01-01"  # cross-field
    doc["members"][0]["flags"]["colour"] = "red"  # structural
    doc["members"][1]["school"]["terms"][0]["possible_sessions"] = "120"  # structural
    doc["members"][1]["events"][1]["ended"] = "2018-01-01"  # cross-field: before its start
    assert [p.pointer for p in problems_of(doc)] == [
        "/members/0/date_of_birth",
        "/members/0/flags/colour",
        "/members/1/events/1/ended",
        "/members/1/school/terms/0/possible_sessions",
    ]


def test_a_faulted_field_gets_only_its_schema_problem() -> None:
    doc = example()
    doc["members"][0]["benefits"][0]["work_search"] = "yes"  # wrong type, and not on ESA
    doc["household"]["events"][0]["type"] = "arrears"  # unknown type: its amount is not judged
    doc["members"][1]["school"]["terms"][0]["possible_sessions"] = -1  # absent > -1 not judged
    doc["members"][0]["ref"] = "p 1"  # a malformed ref: judgements naming p1 are not judged
    assert [p.pointer for p in problems_of(doc)] == [
        "/household/events/0/type",
        "/members/0/benefits/0/work_search",
        "/members/0/ref",
        "/members/1/school/terms/0/possible_sessions",
    ]


def test_misspelt_names_get_a_suggestion_never_the_value_sent() -> None:
    doc = example()
    doc["sources_checked"] = {"polise": "2019-03-30"}
    doc["members"][0]["evnets"] = []
    doc["members"][0]["events"][0]["type"] = "domestic_abuse_callot"
    messages = {p.pointer: p.message for p in problems_of(doc)}
    assert "(did you mean 'police'?)" in messages["/sources_checked/polise"]
    assert messages["/members/0/evnets"] == "unknown field 'evnets' (did you mean 'events'?)"
    assert "(did you mean 'domestic_abuse_callout'?)" in messages["/members/0/events/0/type"]


def test_judgement_text_refuses_control_and_bidi_characters() -> None:
    doc = example()
    doc["judgements"][0]["reason"] = "GP letter\u202e on file"
    doc["judgements"][0]["by"] = "worker\x00"
    messages = {p.pointer: p.message for p in problems_of(doc)}
    assert "U+202E" in messages["/judgements/0/reason"]
    assert "U+0000" in messages["/judgements/0/by"]
    doc["judgements"][0].update(reason="Line one\nline two", by="keyworker-17")
    assert parse_facts(doc).judgements[0].reason == "Line one\nline two"


# ---------------------------------------------------------------------------
# Cross-field rejections: one pointer each
# ---------------------------------------------------------------------------

CROSS_FIELD = [
    # (edits as {pointer: value}, expected pointer, expected message fragment)
    (
        {"/members/1/date_of_birth": "2019-04-01"},
        "/members/1/date_of_birth",
        "born after the assessment date 2019-03-31",
    ),
    (
        {"/members/0/events/0/date": "2019-04-01"},
        "/members/0/events/0/date",
        "dated after the assessment date 2019-03-31",
    ),
    (
        {"/household/events/0/date": "2019-04-01"},
        "/household/events/0/date",
        "dated after the assessment date 2019-03-31",
    ),
    (
        {"/members/1/events/1/ended": "2018-08-31"},
        "/members/1/events/1/ended",
        "ends before its start date",
    ),
    (
        {"/members/1/events/1/ended": "2019-04-01"},
        "/members/1/events/1/ended",
        "end date is after the assessment date 2019-03-31",
    ),
    (
        {"/members/0/benefits/0/from": "2019-04-01"},
        "/members/0/benefits/0/from",
        "starts after the assessment date 2019-03-31",
    ),
    (
        {"/members/0/benefits/0/to": "2016-12-31"},
        "/members/0/benefits/0/to",
        "ends before its start date",
    ),
    (
        {"/members/0/benefits/0/to": "2019-04-01"},
        "/members/0/benefits/0/to",
        "end date is after the assessment date 2019-03-31",
    ),
    (
        {"/members/1/school/terms/2/term": "2020-spring"},
        "/members/1/school/terms/2/term",
        "term 2020-spring is after the assessment date 2019-03-31",
    ),
    (
        {"/members/0/benefits/0/conditionality": "light_touch"},
        "/members/0/benefits/0/conditionality",
        "conditionality applies only to UC benefits",
    ),
    (
        {"/members/1/school/terms/2/term": "2018-spring"},
        "/members/1/school/terms/2/term",
        "duplicate term 2018-spring",
    ),
    (
        {"/members/1/school/terms/1/absent_sessions": 111},
        "/members/1/school/terms/1/absent_sessions",
        "absent sessions exceed possible sessions",
    ),
    (
        {"/members/1/school/terms/1/unauthorised_sessions": 15},
        "/members/1/school/terms/1/unauthorised_sessions",
        "unauthorised sessions exceed absent sessions",
    ),
    (
        {"/members/1/ref": "p1"},
        "/members/1/ref",
        "duplicate member ref 'p1' (first at /members/0)",
    ),
    ({"/judgements/0/member": "p9"}, "/judgements/0/member", "no member with ref 'p9'"),
    (
        {"/judgements/0/date": "2019-04-01"},
        "/judgements/0/date",
        "dated after the assessment date 2019-03-31",
    ),
    (
        {"/members/1/events/0/role": "perpetrator"},
        "/members/1/events/0/role",
        "role applies only to domestic_abuse",
    ),
    (
        {"/members/1/events/0/release_due": "2019-06-01"},
        "/members/1/events/0/release_due",
        "release_due applies only to custody events",
    ),
    (
        {
            "/members/1/events/0/type": "custody",
            "/members/1/events/0/release_due": "2018-10-01",
        },
        "/members/1/events/0/release_due",
        "release due before the custody began",
    ),
    (
        {"/members/0/benefits/0/work_search": True},
        "/members/0/benefits/0/work_search",
        "work_search applies only to UC benefits",
    ),
    (
        {"/household/events/0/type": "eviction_risk"},
        "/household/events/0/amount_gbp",
        "amount_gbp applies only to rent_arrears and problem_debt events",
    ),
    (
        {"/members/0/events/1/amount_gbp": 10},
        "/members/0/events/1/amount_gbp",
        "amount_gbp applies only to rent_arrears and problem_debt events",
    ),
]


@pytest.mark.parametrize(
    "edits, pointer, fragment", CROSS_FIELD, ids=[c[1] + ":" + c[2][:24] for c in CROSS_FIELD]
)
def test_cross_field_rejection(edits: dict[str, Any], pointer: str, fragment: str) -> None:
    doc = example()
    for where, value in edits.items():
        _set(doc, where, value)
    problems = problems_of(doc)
    assert [p.pointer for p in problems] == [pointer], problems
    assert fragment in problems[0].message
    resolve(doc, pointer)  # the pointer names a field that is really there


def test_many_cross_field_problems_all_reported() -> None:
    doc = example()
    doc["members"][0]["date_of_birth"] = "2020-01-01"
    doc["members"][0]["benefits"][0]["work_search"] = False
    doc["members"][0]["benefits"][0]["to"] = "2016-01-01"
    doc["members"][1]["ref"] = "p1"
    doc["members"][1]["school"]["terms"].append(
        {"term": "2020-autumn", "possible_sessions": 5, "absent_sessions": 6}
    )
    doc["household"]["events"][0]["ended"] = "2019-01-01"
    doc["judgements"].append({"indicator": "H1.asb", "member": "nobody", "by": "x", "reason": "y"})
    pointers = [p.pointer for p in problems_of(doc)]
    assert sorted(pointers) == sorted(
        [
            "/members/0/date_of_birth",
            "/members/0/benefits/0/work_search",
            "/members/0/benefits/0/to",
            "/members/1/ref",
            "/members/1/school/terms/3/term",
            "/members/1/school/terms/3/absent_sessions",
            "/household/events/0/ended",
            "/judgements/1/member",
        ]
    )


def test_dates_on_the_assessment_date_are_fine() -> None:
    doc = example()
    doc["members"][1]["date_of_birth"] = "2019-03-31"
    doc["members"][0]["events"][0]["date"] = "2019-03-31"
    doc["members"][1]["events"][1]["ended"] = "2019-03-31"
    doc["members"][0]["benefits"][0]["to"] = "2019-03-31"
    # A term in progress on the assessment date may be reported so far.
    doc["members"][1]["school"]["terms"].append(
        {"term": "2019-spring", "possible_sessions": 100, "absent_sessions": 0}
    )
    doc["members"][0]["events"].append(
        {"type": "custody", "date": "2019-01-10", "release_due": "2019-09-01"}
    )
    doc["members"][0]["benefits"].append({"type": "UC", "from": "2019-01-01", "work_search": True})
    facts = parse_facts(doc)
    assert facts.members[0].events[-1].release_due == dt.date(2019, 9, 1)


def test_role_allowed_on_both_domestic_abuse_types() -> None:
    doc = example()
    doc["members"][0]["events"].append(
        {"type": "domestic_abuse", "date": "2018-05-05", "role": "perpetrator"}
    )
    doc["household"]["events"].append(
        {"type": "domestic_abuse_callout", "date": "2018-05-05", "role": "witness"}
    )
    doc["household"]["events"].append(
        {"type": "problem_debt", "date": "2018-05-05", "amount_gbp": 0}
    )
    assert check_facts(parse_facts(doc)) == []


def test_check_facts_on_a_model_built_in_python() -> None:
    base = parse_facts(example())
    member = base.members[0].model_copy(
        update={"benefits": [Benefit(type="JSA", from_=dt.date(2019, 5, 1))]}
    )
    facts = base.model_copy(update={"members": [member, base.members[1]]})
    assert check_facts(facts) == [
        FactProblem("/members/0/benefits/0/from", "starts after the assessment date 2019-03-31")
    ]


# ---------------------------------------------------------------------------
# Text, bytes and dict edge cases
# ---------------------------------------------------------------------------


def test_malformed_json_names_line_and_column() -> None:
    text = '{\n  "family_ref": "x",\n  "members": [,]\n}'
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].pointer == ""
    assert problems[0].message.startswith("malformed JSON at line 3, column 15")


@pytest.mark.parametrize(
    "data, fragment",
    [
        ("", "malformed JSON at line 1, column 1"),
        (b"\xff\xfe{\x00}\x00", "not UTF-8"),
        (b'{"family_ref": "\xe9"}', "not UTF-8"),
        ("[" * 100_000, "nested too deeply"),
        ('{"n": NaN}', "finite number"),
    ],
)
def test_unreadable_text(data: str | bytes, fragment: str) -> None:
    problems = problems_of(data)
    assert len(problems) == 1
    assert fragment in problems[0].message


@pytest.mark.parametrize("data", ["[]", "null", "12", '"facts"'])
def test_top_level_must_be_an_object(data: str) -> None:
    assert problems_of(data) == [FactProblem("", "expected a JSON object")]


def test_duplicate_keys_in_text_are_rejected() -> None:
    text = EXAMPLE_TEXT.replace('"ref": "c1",', '"ref": "c1", "ref": "c2",')
    assert problems_of(text) == [FactProblem("/members/1/ref", "duplicate key 'ref'")]


def test_dict_may_hold_python_dates() -> None:
    doc = example()
    doc["assessment_date"] = ASSESSED
    doc["members"][0]["benefits"][0]["from"] = dt.date(2017, 1, 9)
    facts = parse_facts(doc)
    assert facts == parse_facts(EXAMPLE_TEXT)


@pytest.mark.parametrize(
    "value, fragment",
    [
        (dt.datetime(2019, 3, 31, 12, 0), "not a date-time"),
        (float("inf"), "finite number"),
        ({1, 2}, "not a JSON value (set)"),
    ],
)
def test_dict_with_values_json_cannot_hold(value: Any, fragment: str) -> None:
    doc = example()
    doc["assessment_date"] = value
    problems = problems_of(doc)
    assert [p.pointer for p in problems] == ["/assessment_date"]
    assert fragment in problems[0].message


def test_unpaired_surrogate_is_located() -> None:
    doc = example()
    doc["judgements"][0]["reason"] = "letter \ud800"
    expected = [FactProblem("/judgements/0/reason", "not valid Unicode (an unpaired surrogate)")]
    assert problems_of(doc) == expected
    assert problems_of(json.dumps(doc)) == expected


def test_dict_with_non_string_key() -> None:
    doc = example()
    doc["members"][0]["flags"][3] = True
    assert problems_of(doc) == [FactProblem("/members/0/flags", "object key 3 is not a string")]


def test_other_input_types_are_a_programming_error() -> None:
    with pytest.raises(TypeError):
        parse_facts([example()])  # type: ignore[arg-type]


def test_models_are_frozen() -> None:
    facts = parse_facts(EXAMPLE_TEXT)
    with pytest.raises(ValidationError):
        facts.family_ref = "other"  # type: ignore[misc]


def test_benefit_can_be_built_by_python_name_or_alias() -> None:
    a = Benefit(type="UC", from_=dt.date(2018, 1, 1), work_search=True)
    b = Benefit.model_validate({"type": "UC", "from": dt.date(2018, 1, 1), "work_search": True})
    assert a == b
    assert a.model_dump(mode="json", by_alias=True)["from"] == "2018-01-01"


def test_exported_names() -> None:
    assert len(EVENT_TYPES) == 14
    assert "domestic_abuse_callout" in EVENT_TYPES
    assert tuple(Flags.model_fields) == FLAG_NAMES
    assert len(FLAG_NAMES) == 10


# ---------------------------------------------------------------------------
# Ages
# ---------------------------------------------------------------------------


def _member(born: dt.date) -> Member:
    return Member(ref="m", role="child", date_of_birth=born)


@pytest.mark.parametrize(
    "born, on, age",
    [
        (dt.date(2006, 10, 15), dt.date(2019, 3, 31), 12),
        (dt.date(2006, 10, 15), dt.date(2019, 10, 14), 12),
        (dt.date(2006, 10, 15), dt.date(2019, 10, 15), 13),
        (dt.date(2006, 10, 15), dt.date(2006, 10, 15), 0),
        (dt.date(2000, 12, 31), dt.date(2001, 1, 1), 0),
        (dt.date(2000, 1, 1), dt.date(2000, 12, 31), 0),
        # Born on 29 February: a year older on 1 March in a non-leap year ...
        (dt.date(2004, 2, 29), dt.date(2005, 2, 28), 0),
        (dt.date(2004, 2, 29), dt.date(2005, 3, 1), 1),
        (dt.date(2004, 2, 29), dt.date(2022, 2, 28), 17),
        (dt.date(2004, 2, 29), dt.date(2022, 3, 1), 18),
        # ... and on the day itself in a leap year.
        (dt.date(2004, 2, 29), dt.date(2008, 2, 28), 3),
        (dt.date(2004, 2, 29), dt.date(2008, 2, 29), 4),
    ],
)
def test_age_on(born: dt.date, on: dt.date, age: int) -> None:
    assert _member(born).age_on(on) == age


def test_age_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before member 'm' was born"):
        _member(dt.date(2010, 5, 5)).age_on(dt.date(2010, 5, 4))


@pytest.mark.parametrize(
    "on, child",
    [
        (dt.date(2019, 3, 30), True),  # the day before the 18th birthday
        (dt.date(2019, 3, 31), False),  # 18 on the day: an adult
        (dt.date(2019, 4, 1), False),
    ],
)
def test_is_child_on_18th_birthday(on: dt.date, child: bool) -> None:
    assert _member(dt.date(2001, 3, 31)).is_child_on(on) is child


def test_is_child_on_other_adult_age() -> None:
    member = _member(dt.date(2003, 6, 1))
    assert member.is_child_on(dt.date(2019, 5, 31), adult_age=16) is True
    assert member.is_child_on(dt.date(2019, 6, 1), adult_age=16) is False


def test_declared_role_does_not_decide_childhood() -> None:
    member = Member(ref="x", role="adult", date_of_birth=dt.date(2010, 1, 1))
    assert member.is_child_on(ASSESSED) is True


def test_term_properties() -> None:
    term = Term(term="2018-summer", possible_sessions=110, absent_sessions=14)
    assert (term.year, term.season) == (2018, "summer")
    assert term.index == 2018 * 3 + 1
    assert term.unauthorised_sessions == 0
    assert term.permanently_excluded is False


# ---------------------------------------------------------------------------
# Properties: dicts and text agree; valid facts round-trip
# ---------------------------------------------------------------------------

_KEYS = st.sampled_from(
    ["ref", "role", "type", "date", "from", "from_", "to", "term", "events", "flags", "colour"]
)
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**6), max_value=10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
    | st.sampled_from(["2019-01-01", "2019-04-01", "12", "true", "UC", "custody", "2018-autumn"])
)
_JSON = st.recursive(
    _LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(_KEYS | st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    """The example with a few random edits: replaced values, removed or added keys."""
    doc: Any = example()
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        path = draw(st.sampled_from(paths_in(doc)))
        if not path:
            doc = draw(_JSON)
            continue
        parent = doc
        for token in path[:-1]:
            parent = parent[token]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(_JSON)
        elif action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(_KEYS)] = draw(_JSON)
    return doc


def _outcome(data: Any) -> tuple[str, Any]:
    try:
        return "ok", parse_facts(data)
    except FactsError as exc:
        return "error", exc.problems


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_dict_and_text_agree(doc: Any) -> None:
    if not isinstance(doc, dict):
        # parse_facts only takes dicts; as text the same value is "not an object".
        assert _outcome(json.dumps(doc)) == ("error", [FactProblem("", "expected a JSON object")])
        return
    from_dict = _outcome(doc)
    assert _outcome(json.dumps(doc)) == from_dict
    assert _outcome(json.dumps(doc).encode()) == from_dict
    if from_dict[0] == "error":
        assert from_dict[1], "a FactsError must carry at least one problem"


_DAYS = st.dates(min_value=dt.date(2010, 1, 1), max_value=ASSESSED)


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(EVENT_TYPES))
    start = draw(_DAYS)
    event: dict[str, Any] = {"type": kind, "date": start.isoformat()}
    if draw(st.booleans()):
        end = draw(st.dates(min_value=start, max_value=ASSESSED))
        event["ended"] = end.isoformat()
    if kind in ("domestic_abuse", "domestic_abuse_callout") and draw(st.booleans()):
        event["role"] = draw(st.sampled_from(["victim", "perpetrator", "at_risk", "witness"]))
    if kind in ("rent_arrears", "problem_debt"):
        event["amount_gbp"] = draw(
            st.integers(0, 50_000) | st.floats(0, 50_000, allow_nan=False, allow_infinity=False)
        )
    if kind == "custody" and draw(st.booleans()):
        event["release_due"] = draw(st.dates(min_value=start, max_value=dt.date(2025, 1, 1)))
        event["release_due"] = event["release_due"].isoformat()
    if draw(st.booleans()):
        event["kind"] = draw(st.from_regex(r"^[a-z][a-z0-9_]{0,20}$", fullmatch=True))
    return event


@st.composite
def terms(draw: st.DrawFn) -> list[dict[str, Any]]:
    labels = draw(
        st.lists(st.sampled_from(CENSUS_CALENDAR.last_terms(ASSESSED, 12)), unique=True, max_size=6)
    )
    result = []
    for label in labels:
        possible = draw(st.integers(0, 200))
        absent = draw(st.integers(0, possible))
        result.append(
            {
                "term": label,
                "possible_sessions": possible,
                "absent_sessions": absent,
                "unauthorised_sessions": draw(st.integers(0, absent)),
                "fixed_term_exclusions": draw(st.integers(0, 5)),
                "permanently_excluded": draw(st.booleans()),
            }
        )
    return result


@st.composite
def valid_documents(draw: st.DrawFn) -> dict[str, Any]:
    refs = draw(
        st.lists(
            st.from_regex(r"^[a-z][a-z0-9]{0,5}$", fullmatch=True),
            min_size=1,
            max_size=4,
            unique=True,
        )
    )
    members = []
    for ref in refs:
        member: dict[str, Any] = {
            "ref": ref,
            "role": draw(st.sampled_from(["adult", "child"])),
            "date_of_birth": draw(st.dates(dt.date(1950, 1, 1), ASSESSED)).isoformat(),
            "parenting_responsibility": draw(st.booleans()),
            "events": draw(st.lists(events(), max_size=4)),
            "flags": {name: True for name in draw(st.lists(st.sampled_from(FLAG_NAMES)))},
        }
        if draw(st.booleans()):
            start = draw(_DAYS)
            benefit: dict[str, Any] = {
                "type": draw(st.sampled_from(["JSA", "ESA", "IS", "UC", "other"])),
                "from": start.isoformat(),
            }
            if benefit["type"] == "UC":
                benefit["work_search"] = draw(st.booleans())
            if draw(st.booleans()):
                benefit["to"] = draw(st.dates(start, ASSESSED)).isoformat()
            member["benefits"] = [benefit]
        if draw(st.booleans()):
            member["employment"] = []
            for _ in range(draw(st.integers(1, 3))):
                start = draw(_DAYS)
                spell: dict[str, Any] = {"from": start.isoformat()}
                if draw(st.booleans()):
                    spell["to"] = draw(st.dates(start, ASSESSED)).isoformat()
                if draw(st.booleans()):
                    spell["hours_per_week"] = draw(st.integers(0, 168) | st.floats(0, 168))
                member["employment"].append(spell)
        if draw(st.booleans()):
            member["school"] = {
                "registered": draw(st.booleans()),
                "terms": draw(terms()),
                "alternative_provision": draw(st.sampled_from([None, "behaviour", "other"])),
                "education_otherwise": draw(st.booleans()),
            }
        members.append(member)
    judgements = [
        {
            "indicator": "H6.mental_health",
            "member": draw(st.sampled_from([None, *refs])),
            "by": "worker",
            "reason": "letter on file",
            "date": draw(_DAYS).isoformat(),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {
        "family_ref": "T-" + draw(st.from_regex(r"^[0-9]{1,6}$", fullmatch=True)),
        "assessment_date": ASSESSED.isoformat(),
        "members": members,
        "household": {"events": draw(st.lists(events(), max_size=3))},
        "judgements": judgements,
    }


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(valid_documents())
def test_valid_documents_parse_and_round_trip(doc: dict[str, Any]) -> None:
    facts = parse_facts(doc)
    assert isinstance(facts, FamilyFacts)
    assert check_facts(facts) == []
    assert parse_facts(json.dumps(doc)) == facts
    # What the model writes out (by alias) is a document it accepts again unchanged.
    assert parse_facts(facts.model_dump(mode="json", by_alias=True)) == facts
    assert parse_facts(facts.model_dump_json(by_alias=True)) == facts
    assert not list(_schema_validator().iter_errors(doc))


def test_a_document_with_more_records_than_any_family_is_refused_before_it_is_examined() -> None:
    doc = example()
    event = {"type": "proven_offence", "date": "2018-11-02"}
    for member in doc["members"]:
        member["events"] = [event] * 500  # each list within its own cap
    doc["household"]["events"] = [event] * 500
    doc["members"].append({"ref": "p2", "role": "adult", "date_of_birth": "1980-01-01"})
    doc["members"][2]["events"] = [event] * 500
    doc["members"][0]["flags"]["colour"] = "red"  # not even looked at
    [problem] = problems_of(doc)
    assert problem.pointer == ""
    # 4 x 500 events, p1's benefit, c1's three terms and the judgement
    assert "holds 2005 records" in problem.message
    assert "at most 2000 are taken" in problem.message


def test_an_integral_number_is_an_integer_as_json_reads_it() -> None:
    doc = example()
    doc["members"][1]["school"]["terms"][0]["possible_sessions"] = 120.0
    assert parse_facts(doc).members[1].school.terms[0].possible_sessions == 120
    assert parse_facts(json.dumps(doc)) == parse_facts(doc)


def test_the_published_schema_states_the_rules_json_schema_can_say() -> None:
    """What the parser refuses for these is also what the schema refuses (no 1.0 surprises,
    no field on a record type it does not belong to, no dates outside the bounds)."""
    validator = _schema_validator()
    for edit in (
        {"/assessment_date": "2101-01-01"},
        {"/members/1/school/terms/0/term": "1899-autumn"},
        {"/members/0/ref": "household"},
        {"/members/0/benefits/0/work_search": True},  # ESA
        {"/members/1/events/0/role": "victim"},  # a proven offence
    ):
        doc = example()
        for where, value in edit.items():
            _set(doc, where, value)
        assert list(validator.iter_errors(doc)), edit
        with pytest.raises(FactsError):
            parse_facts(doc)


# ---------------------------------------------------------------------------
# Employment spells
# ---------------------------------------------------------------------------

SPELLS = [
    {"from": "2018-06-01", "to": "2018-09-30", "hours_per_week": 16},
    {"from": "2019-01-07"},
]


def with_employment() -> dict[str, Any]:
    """The example with two spells in work for p1: one ended, one still open."""
    doc = example()
    doc["members"][0]["employment"] = copy.deepcopy(SPELLS)
    return doc


def test_employment_spells_parse_like_benefits() -> None:
    facts = parse_facts(with_employment())
    ended, still = facts.members[0].employment
    assert (ended.from_, ended.to, ended.hours_per_week) == (
        dt.date(2018, 6, 1),
        dt.date(2018, 9, 30),
        16,
    )
    assert (still.from_, still.to, still.hours_per_week) == (dt.date(2019, 1, 7), None, None)
    assert facts.members[1].employment == []
    assert parse_facts(facts.model_dump(mode="json", by_alias=True)) == facts
    assert not list(_schema_validator().iter_errors(with_employment()))
    assert Employment(from_=dt.date(2019, 1, 7)) == still  # Python may use the name `from_`


EMPLOYMENT_PROBLEMS = [
    # (edits, expected pointer, expected message fragment)
    ({"/members/0/employment/1/from": "2019-04-01"}, "/members/0/employment/1/from", "starts after the assessment date 2019-03-31"),
    ({"/members/0/employment/0/to": "2018-05-31"}, "/members/0/employment/0/to", "ends before its start date"),
    ({"/members/0/employment/1/to": "2019-04-01"}, "/members/0/employment/1/to", "end date is after the assessment date 2019-03-31"),
    ({"/members/0/employment/0/from": "1899-12-31"}, "/members/0/employment/0/from", "at least 1900-01-01"),
    ({"/members/0/employment/0/from": "2018-02-30"}, "/members/0/employment/0/from", "expected a date YYYY-MM-DD"),
    ({"/members/0/employment/0/hours_per_week": "16"}, "/members/0/employment/0/hours_per_week", "expected a number"),
    ({"/members/0/employment/0/hours_per_week": -1}, "/members/0/employment/0/hours_per_week", "at least 0"),
    ({"/members/0/employment/0/hours_per_week": 169}, "/members/0/employment/0/hours_per_week", "at most 168"),
    ({"/members/0/employment/0/type": "JSA"}, "/members/0/employment/0/type", "unknown field 'type'"),
    ({"/members/0/employment/0/hours_a_week": 16}, "/members/0/employment/0/hours_a_week", "did you mean 'hours_per_week'"),
    ({"/members/0/employment": {}}, "/members/0/employment", "expected an array"),
    ({"/members/0/employment/0": "2018-06-01"}, "/members/0/employment/0", "expected a JSON object"),
]  # fmt: skip


@pytest.mark.parametrize(
    "edits, pointer, fragment",
    EMPLOYMENT_PROBLEMS,
    ids=[c[1] + ":" + c[2][:24] for c in EMPLOYMENT_PROBLEMS],
)
def test_employment_problems_are_named_by_pointer(
    edits: dict[str, Any], pointer: str, fragment: str
) -> None:
    doc = with_employment()
    for where, value in edits.items():
        _set(doc, where, value)
    problems = problems_of(doc)
    assert [p.pointer for p in problems] == [pointer], problems
    assert fragment in problems[0].message
    assert problems_of(json.dumps(doc)) == problems


def test_a_missing_start_is_named() -> None:
    doc = with_employment()
    del doc["members"][0]["employment"][1]["from"]
    assert problems_of(doc) == [
        FactProblem("/members/0/employment/1/from", "missing required field 'from'")
    ]


def test_a_spell_on_the_assessment_date_is_fine() -> None:
    doc = with_employment()
    doc["members"][0]["employment"].append({"from": "2019-03-31", "to": "2019-03-31"})
    assert parse_facts(doc).members[0].employment[-1].to == ASSESSED


def test_employment_per_member_cap() -> None:
    doc = with_employment()
    doc["members"][0]["employment"] = [SPELLS[0]] * 101
    assert problems_of(doc) == [
        FactProblem("/members/0/employment", "must have at most 100 items (got 101)")
    ]


def test_employment_counts_towards_the_records_cap() -> None:
    doc = with_employment()
    event = {"type": "proven_offence", "date": "2018-11-02"}
    doc["members"][0]["events"] = [event] * 500
    doc["members"][1]["events"] = [event] * 500
    doc["household"]["events"] = [event] * 500
    doc["members"].append(
        {"ref": "p2", "role": "adult", "date_of_birth": "1980-01-01", "events": [event] * 400}
    )
    # 1,900 events, p1's benefit, c1's three terms, the judgement: 1,905; and then spells
    doc["members"][2]["employment"] = [SPELLS[0]] * 93
    assert parse_facts(doc)  # 1,998 with p1's two spells
    doc["members"][2]["employment"].append(SPELLS[1])
    doc["members"][2]["employment"].append({"from": "2019-02-01"})
    [problem] = problems_of(doc)
    assert problem.pointer == ""
    assert "holds 2002 records" in problem.message
    assert "employment spells" in problem.message


def test_the_schema_refuses_what_the_parser_refuses_about_employment() -> None:
    validator = _schema_validator()
    for where, value in (
        ("/members/0/employment/0/hours_per_week", 169),
        ("/members/0/employment/0/from", "2101-01-01"),
        ("/members/0/employment/0/kind", "part_time"),
    ):
        doc = with_employment()
        _set(doc, where, value)
        assert list(validator.iter_errors(doc)), where
        assert problems_of(doc)


FACTS_PAGE = (Path(__file__).parent.parent / "docs" / "facts.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("model", [Member, Employment, Benefit])
def test_the_facts_page_names_every_field_of_a_member_and_its_records(model: Any) -> None:
    for name, field in model.model_fields.items():
        assert f"`{field.alias or name}`" in FACTS_PAGE, f"docs/facts.md does not name {name}"

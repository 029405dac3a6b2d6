"""Arbitrary input, deep nesting and huge numbers: the facts parser, the merge, the ruleset
loader and the continuous-employment check each give a result or a typed error (TfpError),
never another exception."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfp_rules.compile import compile_ruleset
from tfp_rules.errors import TfpError
from tfp_rules.evaluate import evaluate
from tfp_rules.facts import EARLIEST
from tfp_rules.intake import take_in
from tfp_rules.merge import merge_facts
from tfp_rules.outcomes.employment import family_continuous_employment
from tfp_rules.ruleset import parse_ruleset

from .conftest import DATA, NATIONAL_YAML, paths_in

EXAMPLE = json.loads((DATA / "example_facts.json").read_text())
# The example with employment spells beside p1's benefit, so that mutations reach them too.
WITH_EMPLOYMENT = copy.deepcopy(EXAMPLE)
WITH_EMPLOYMENT["members"][0]["employment"] = [
    {"from": "2018-06-01", "to": "2018-09-30", "hours_per_week": 16},
    {"from": "2019-01-07"},
]
NATIONAL = NATIONAL_YAML.read_text()
# 150 cases per test in the suite; TFP_FUZZ_EXAMPLES=N for a long run (README, "Hostile input")
FUZZ = settings(
    max_examples=int(os.environ.get("TFP_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_NUMBERS = (
    st.integers(min_value=-(10**30), max_value=10**30)
    | st.sampled_from([10**400, -(10**400), 2**63, 0])
    | st.floats(allow_nan=True, allow_infinity=True)
)
_STRINGS = st.text(max_size=12) | st.sampled_from(
    [
        "2019-03-31",
        "9999-12-31",
        "0001-01-01",
        "2019-02-30",
        "household",
        "H6.mental_health",
        "proven_offence",
        "UC",
        "2018-autumn",
        "national@2015.1",
        "\u202e",
        "\x00",
    ]
)
_KEYS = st.sampled_from(
    [
        "ref",
        "role",
        "type",
        "date",
        "from",
        "to",
        "employment",
        "hours_per_week",
        "benefits",
        "term",
        "events",
        "flags",
        "members",
        "school",
        "terms",
        "household",
        "judgements",
        "sources_checked",
        "when",
        "all",
        "any",
        "not",
        "field",
        "count",
        "at_least",
        "value",
        "parameters",
        "headlines",
        "indicators",
    ]
) | st.text(max_size=6)
JSON = st.recursive(
    st.none() | st.booleans() | _NUMBERS | _STRINGS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """`base` with a few of its values replaced by arbitrary JSON."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths_in(doc)))
        if not path:
            return draw(JSON)
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = draw(JSON)
    return doc


def _as_text(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


def _decide_or_refuse(library, data: Any) -> None:
    try:
        intake = take_in(library, data)
    except TfpError:
        return
    evaluate(compile_ruleset(intake.ruleset), intake.facts)
    # and the continuous-employment check reads whatever the facts allow
    entry = max(EARLIEST, intake.facts.assessment_date - dt.timedelta(days=200))
    results = family_continuous_employment(
        intake.facts,
        entry_date=entry,
        weeks_required=26,
        weeks_required_jsa=13,
        out_of_work_benefits=("JSA", "ESA", "IS"),
        uc_work_search_regimes=("intensive_work_search",),
    )
    assert all(r.explanation.endswith(".") for r in results)


@FUZZ
@given(JSON | mutated(EXAMPLE) | mutated(WITH_EMPLOYMENT))
def test_any_facts_document_is_decided_or_refused_with_a_typed_error(library, doc):
    _decide_or_refuse(library, _as_text(doc))
    if isinstance(doc, dict):
        _decide_or_refuse(library, doc)


@FUZZ
@given(
    JSON
    | mutated({"members": [{"ref": "c1", "events": [], "school": {"terms": []}}]})
    | mutated({"members": [{"ref": "p1", "employment": [{"from": "2019-01-07", "to": None}]}]})
)
def test_any_update_is_merged_or_refused_with_a_typed_error(library, update):
    try:
        merged = merge_facts(EXAMPLE, _as_text(update))
    except TfpError:
        return
    _decide_or_refuse(library, merged)


def _national_tree() -> Any:
    return yaml.safe_load(NATIONAL)


@FUZZ
@given(mutated(_national_tree()) | JSON)
def test_any_ruleset_is_loaded_or_refused_with_a_typed_error(tree):
    try:
        text = yaml.safe_dump(tree, allow_unicode=True)
    except yaml.YAMLError:  # not every Python value is YAML: nothing to test
        return
    try:
        ruleset = parse_ruleset(text.encode(), "fuzz.yaml")
    except TfpError:
        return
    compile_ruleset(ruleset)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        '{"members": ' * 5_000,
        "1" + "0" * 5_000,
        '{"family_ref": "x", "assessment_date": "2019-03-31", "members": 1e999}',
        '{"family_ref": "x", "assessment_date": "2019-03-31", "members": NaN}',
    ],
)
def test_hostile_facts_text_is_a_typed_error(library, text):
    with pytest.raises(TfpError):
        take_in(library, text)
    with pytest.raises(TfpError):
        merge_facts(EXAMPLE, text)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "a: " * 10_000 + "1",
        NATIONAL.replace("value: 10\n", "value: 1e999\n", 1),
        NATIONAL.replace("value: 10\n", "value: .nan\n", 1),
        NATIONAL.replace("value: 10\n", "value: " + "9" * 5_000 + "\n", 1),
    ],
)
def test_hostile_ruleset_text_is_a_typed_error(text):
    with pytest.raises(TfpError):
        ruleset = parse_ruleset(text.encode(), "hostile.yaml")
        compile_ruleset(ruleset)

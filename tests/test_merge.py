"""Folding newly arrived facts into a family's previous document."""

from __future__ import annotations

import copy

import pytest

from tfp_rules.errors import FactsError, MalformedJSONError, OtherFamilyError
from tfp_rules.evaluate import evaluate
from tfp_rules.facts import SOURCES, parse_facts
from tfp_rules.merge import merge_facts


def test_members_matched_by_ref_lists_appended_without_duplicates(example_doc):
    before = copy.deepcopy(example_doc)
    offence = {"type": "proven_offence", "date": "2018-11-02"}  # already there
    update = {
        "members": [
            {
                "ref": "c1",
                "events": [offence, {"type": "early_help", "date": "2019-02-01"}],
                "flags": {"substance_misuse": True},
            },
            {"ref": "c2", "role": "child", "date_of_birth": "2012-01-01"},
        ],
        "household": {"events": [{"type": "eviction_risk", "date": "2019-03-01"}]},
        "sources_checked": {"police": "2019-03-30"},
    }
    merged = merge_facts(example_doc, update)
    assert example_doc == before  # the previous document is never edited
    c1 = merged["members"][1]
    assert c1["events"].count(offence) == 1
    assert c1["events"][-1]["type"] == "early_help"
    assert c1["flags"] == {"substance_misuse": True}
    assert merged["members"][2]["ref"] == "c2"
    assert [e["type"] for e in merged["household"]["events"]] == ["rent_arrears", "eviction_risk"]
    # the example is a closed-world document: every source counts as checked on its date
    assert merged["sources_checked"] == {
        **dict.fromkeys(SOURCES, "2019-03-31"),
        "police": "2019-03-31",  # the later of the two dates for police
    }


def test_a_later_term_return_replaces_the_earlier_one(example_doc):
    term = {"term": "2018-autumn", "possible_sessions": 140, "absent_sessions": 30}
    merged = merge_facts(example_doc, {"members": [{"ref": "c1", "school": {"terms": [term]}}]})
    terms = merged["members"][1]["school"]["terms"]
    assert [t["term"] for t in terms] == ["2018-autumn", "2018-spring", "2018-summer"]
    assert terms[0] == term


@pytest.mark.parametrize(
    ("update", "pointer"),
    [
        ({"colour": "blue"}, "/colour"),
        ({"members": [{"events": []}]}, "/members/0/ref"),
        ({"members": [{"ref": "c1", "events": {}}]}, "/members/0/events"),
        ({"sources_checked": []}, "/sources_checked"),
    ],
)
def test_bad_updates_are_refused_with_pointers(example_doc, update, pointer):
    with pytest.raises(FactsError) as caught:
        merge_facts(example_doc, update)
    assert pointer in [p.pointer for p in caught.value.problems]


def test_one_source_check_on_a_closed_world_document_takes_nothing_away(compiled):
    """Checking DWP on a family decided in the closed world does not make every other
    source unchecked: the outcome stays as it was."""
    doc = {
        "family_ref": "CW-1",
        "assessment_date": "2019-03-31",
        "members": [
            {"ref": "p1", "role": "adult", "date_of_birth": "1980-01-01"},
            {"ref": "c1", "role": "child", "date_of_birth": "2010-01-01"},
        ],
    }
    before = evaluate(compiled, parse_facts(doc))
    merged = merge_facts(doc, {"sources_checked": {"dwp": "2019-03-30"}})
    after = evaluate(compiled, parse_facts(merged))
    assert before["status"] == after["status"] == "not_eligible"
    assert after["headlines_unknown"] == []
    assert merged["sources_checked"]["education"] == "2019-03-31"
    assert merged["sources_checked"]["dwp"] == "2019-03-31"  # the later date wins


def test_checks_of_an_open_world_document_are_kept_and_extended(example_doc):
    doc = {**example_doc, "sources_checked": {"police": "2019-03-01"}}
    merged = merge_facts(doc, {"sources_checked": {"dwp": "2019-03-30", "police": "2019-03-20"}})
    assert merged["sources_checked"] == {"police": "2019-03-20", "dwp": "2019-03-30"}


@pytest.mark.parametrize(
    ("update", "pointer", "fragment"),
    [
        (
            {"members": [{"ref": "c1", "school": {"terms": [5]}}]},
            "/members/0/school/terms/0",
            "object",
        ),
        ({"members": [{"ref": "c1", "events": [[[[]]]]}]}, "/members/0/events/0", "object"),
        ({"members": [{"ref": "household"}]}, "/members/0/ref", "names the household"),
        ({"assessment_date": "9999-12-31"}, "/assessment_date", "at most 2100-12-31"),
    ],
)
def test_an_update_is_checked_against_its_schema_before_it_is_merged(
    example_doc, update, pointer, fragment
):
    with pytest.raises(FactsError) as caught:
        merge_facts(example_doc, update)
    found = {p.pointer: p.message for p in caught.value.problems}
    assert fragment in found[pointer]


def test_hostile_nesting_in_an_update_is_a_typed_error_not_a_crash(example_doc):
    with pytest.raises(MalformedJSONError, match="nested too deeply"):
        merge_facts(example_doc, "[" * 100_000)
    deep: list = []
    for _ in range(500):
        deep = [deep]
    with pytest.raises(FactsError) as caught:
        merge_facts(example_doc, {"members": [{"ref": "c1", "events": deep}]})
    assert any("nested too deeply" in p.message for p in caught.value.problems)


def test_records_sent_again_are_kept_once_in_linear_time(example_doc):
    """15,119 repeats took 3.6 s when each was compared with every record; now a set does it.
    (The update is within the per-member cap; what it repeats is dropped.)"""
    events = [
        {"type": "early_help", "date": f"2018-{m:02d}-{d:02d}"}
        for m in range(1, 13)
        for d in range(1, 29)
    ]
    doc = copy.deepcopy(example_doc)
    doc["members"][1]["events"] = events[:300]
    merged = merge_facts(doc, {"members": [{"ref": "c1", "events": events[100:400]}]})
    assert merged["members"][1]["events"] == events[:400]


def test_facts_for_another_family_are_refused_as_a_conflict_not_as_bad_input(example_doc):
    with pytest.raises(OtherFamilyError, match="for another family"):
        merge_facts(example_doc, {"family_ref": "SOMEONE-ELSE"})
    assert merge_facts(example_doc, {"family_ref": example_doc["family_ref"]}) == {
        **example_doc,
        "judgements": example_doc["judgements"],
    }


def test_null_in_an_update_changes_nothing(example_doc):
    update = {
        "family_ref": None,
        "assessment_date": None,
        "household": None,
        "sources_checked": None,
        "members": [{"ref": "c1", "school": None, "flags": None, "role": None}],
    }
    merged = merge_facts(example_doc, update)
    assert merged == {**example_doc, "judgements": example_doc["judgements"]}


def test_employment_spells_are_appended_like_benefits_and_kept_once(example_doc):
    spell = {"from": "2018-06-01", "to": "2018-09-30", "hours_per_week": 16}
    doc = copy.deepcopy(example_doc)
    doc["members"][0]["employment"] = [spell]
    update = {
        "sources_checked": {"dwp": "2019-03-31"},
        "members": [
            {"ref": "p1", "employment": [spell, {"from": "2019-01-07"}]},
            {"ref": "c1", "employment": [{"from": "2019-02-01", "to": "2019-03-01"}]},
        ],
    }
    merged = merge_facts(doc, update)
    assert merged["members"][0]["employment"] == [spell, {"from": "2019-01-07"}]
    assert merged["members"][1]["employment"] == [{"from": "2019-02-01", "to": "2019-03-01"}]
    assert doc["members"][0]["employment"] == [spell]  # the previous document is untouched
    facts = parse_facts(merged)
    assert [s.from_.isoformat() for s in facts.members[0].employment] == [
        "2018-06-01",
        "2019-01-07",
    ]


@pytest.mark.parametrize(
    ("spell", "pointer", "fragment"),
    [
        ({"from": "2019-01-01", "till": "2019-02-01"}, "/members/0/employment/0/till", "unknown"),
        ({"to": "2019-04-01"}, "/members/0/employment/0/from", "missing required field"),
        ({"from": "2019-01-01", "hours_per_week": "30"}, "/members/0/employment/0/hours_per_week", "number"),
    ],
)  # fmt: skip
def test_a_bad_spell_in_an_update_is_named_by_pointer(example_doc, spell, pointer, fragment):
    with pytest.raises(FactsError) as caught:
        merge_facts(example_doc, {"members": [{"ref": "p1", "employment": [spell]}]})
    assert any(p.pointer == pointer and fragment in p.message for p in caught.value.problems), (
        caught.value.problems
    )


def test_a_spell_after_the_merged_assessment_date_is_refused_in_the_merged_document(example_doc):
    """The update is well formed; the merged document is checked in full against its date."""
    merged = merge_facts(
        example_doc, {"members": [{"ref": "p1", "employment": [{"from": "2019-05-01"}]}]}
    )
    with pytest.raises(FactsError) as caught:
        parse_facts(merged)
    assert [p.pointer for p in caught.value.problems] == ["/members/0/employment/0/from"]
    later = merge_facts(
        example_doc,
        {
            "assessment_date": "2019-06-30",
            "members": [{"ref": "p1", "employment": [{"from": "2019-05-01"}]}],
        },
    )
    assert parse_facts(later).members[0].employment[0].to is None
    backwards = {"from": "2019-02-01", "to": "2019-01-01"}
    merged = merge_facts(example_doc, {"members": [{"ref": "p1", "employment": [backwards]}]})
    with pytest.raises(FactsError) as caught:
        parse_facts(merged)
    assert [p.message for p in caught.value.problems] == ["ends before its start date"]


def test_null_lists_in_an_update_change_nothing_too(example_doc):
    """`null` means no change for every field of an update (CHANGELOG, issue 14), lists
    included: a member's benefits, employment and events, and the update's members and
    judgements. Before, a null list was refused as "expected an array"."""
    update = {
        "members": [{"ref": "p1", "benefits": None, "employment": None, "events": None}],
        "judgements": None,
    }
    assert merge_facts(example_doc, update) == {
        **example_doc,
        "judgements": example_doc["judgements"],
    }
    assert merge_facts(example_doc, {"members": None}) == merge_facts(example_doc, {})


def test_an_open_record_sent_again_with_its_end_is_closed_not_doubled(example_doc):
    """p1's ESA claim from 2017-01-09 was open; DWP now says it stopped: one claim, ended.
    The same for a job left and an episode that ended; another record is still added."""
    example_doc = {**example_doc, "assessment_date": "2019-03-31"}
    update = {
        "members": [
            {
                "ref": "p1",
                "benefits": [
                    {"type": "ESA", "from": "2017-01-09", "to": "2019-02-28"},
                    {"type": "JSA", "from": "2019-03-01", "to": None},
                ],
            },
            {
                "ref": "c1",
                "events": [{"type": "child_in_need", "date": "2018-09-01", "ended": "2019-01-31"}],
            },
        ]
    }
    merged = merge_facts(example_doc, update)
    p1, c1 = merged["members"]
    assert p1["benefits"] == [
        {"type": "ESA", "from": "2017-01-09", "to": "2019-02-28"},
        {"type": "JSA", "from": "2019-03-01", "to": None},
    ]
    cin = [e for e in c1["events"] if e["type"] == "child_in_need"]
    assert cin == [{"type": "child_in_need", "date": "2018-09-01", "ended": "2019-01-31"}]
    # an ended record does not reopen: an older extract with the open form adds nothing
    again = merge_facts(
        merged,
        {
            "members": [
                {"ref": "p1", "benefits": [{"type": "ESA", "from": "2017-01-09", "to": None}]}
            ]
        },
    )
    assert again["members"][0]["benefits"] == p1["benefits"]
    assert example_doc["members"][0]["benefits"] == [
        {"type": "ESA", "from": "2017-01-09", "to": None}
    ]

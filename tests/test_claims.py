"""The results claim's content (`outcomes.claims`): from a qualifying progress decision, its
evidence pointers, amounts, financial year and preconditions; refusals named."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tfp_rules.compile import compile_ruleset
from tfp_rules.evaluate import evaluate
from tfp_rules.intake import take_in
from tfp_rules.merge import merge_facts
from tfp_rules.outcomes.check import progress_after
from tfp_rules.outcomes.claims import (
    ClaimError,
    ClaimPreconditionsError,
    EvidenceError,
    NotQualifyingError,
    evidence_of,
    financial_year,
    parse_period,
    resolve_pointer,
    results_claim,
    sample,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "progress"
TODAY = dt.date(2019, 11, 1)
GOOD = {
    "whole_family_assessment": dt.date(2019, 4, 2),
    "action_plan": dt.date(2019, 4, 10),
    "keyworker": "Sam Keyworker",
}


def made(library, name: str) -> tuple[dict, dict]:
    """(the progress decision, the merged facts) for a fixture, as the service makes them."""
    entry = json.loads((FIXTURES / name / "entry.json").read_text())
    later = json.loads((FIXTURES / name / "later.json").read_text())
    intake = take_in(library, entry, "stockton")
    entry_decision = evaluate(compile_ruleset(intake.ruleset), intake.facts)
    decision = progress_after(library, entry_decision, entry, later)
    return json.loads(json.dumps(decision)), merge_facts(entry, later)


def claim_of(library, decision, facts, outcome=None, **preconditions):
    return results_claim(
        decision,
        facts,
        progress_id="p1",
        entry_id="e1",
        outcome=outcome or {"qualifies": True, "source": "automated", "review_id": None},
        ruleset=library.resolve("stockton@2015.1"),
        claim_date=TODAY,
        **{**GOOD, **preconditions},
    )


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (dt.date(2019, 3, 31), "2018-19"),
        (dt.date(2019, 4, 1), "2019-20"),
        (dt.date(2020, 3, 31), "2019-20"),
        (dt.date(1999, 12, 31), "1999-00"),
    ],
)
def test_financial_year_runs_from_1_april(day, year):
    assert financial_year(day) == year


def test_periods_are_inclusive_months():
    assert parse_period("2019-04..2019-06") == ("2019-04-01", "2019-06-30")
    assert parse_period("2019-12..2020-02") == ("2019-12-01", "2020-02-29")
    for bad in ("2019-06..2019-04", "2019-13..2019-14", "2019-4..2019-6", "2019-04"):
        with pytest.raises(ValueError):
            parse_period(bad)


def test_a_claim_by_progress_points_at_every_record_behind_it(library):
    decision, facts = made(library, "turns_around")
    claim = claim_of(library, decision, facts)
    assert claim["qualifies_by"] == "progress"
    assert claim["financial_year"] == "2019-20" and claim["claim_date"] == "2019-11-01"
    assert claim["ruleset"]["id"] == "stockton"
    assert claim["ruleset"]["extends"]["id"] == "national"
    assert claim["amounts"]["attachment_fee_gbp"]["value"] == 1000
    assert claim["amounts"]["results_payment_gbp"]["value"] == 800
    assert claim["preconditions"] == {
        "whole_family_assessment": "2019-04-02",
        "action_plan": "2019-04-10",
        "keyworker": "Sam Keyworker",
    }
    evidence = claim["evidence"]
    assert len(evidence) == len(set(evidence))
    assert "/judgements/0" in evidence  # H6 met by the keyworker's judgement
    assert {"/members/1/events/0", "/members/0/events/1"} <= set(evidence)
    for pointer in evidence:
        assert isinstance(resolve_pointer(facts, pointer), dict)
    # not the employment trace: the family qualified by progress
    assert "/members/0/benefits/0" not in evidence


def test_a_claim_points_at_each_childs_school_terms_for_a_measure_on_every_child(library):
    decision, facts = made(library, "every_child_attends_school")
    evidence = set(claim_of(library, decision, facts)["evidence"])
    for ref in ("c1", "c2"):
        i = next(k for k, m in enumerate(facts["members"]) if m["ref"] == ref)
        terms = facts["members"][i]["school"]["terms"]
        counted = {
            f"/members/{i}/school/terms/{j}"
            for j, t in enumerate(terms)
            if t["term"] in {"2018-autumn", "2019-spring", "2019-summer"}
        }
        assert len(counted) == 3
        assert counted <= evidence, ref


def test_a_claim_by_employment_points_at_the_adults_records(library):
    decision, facts = made(library, "jsa_claimant_in_work_13_weeks")
    claim = claim_of(library, decision, facts)
    assert claim["qualifies_by"] == "employment"
    assert claim["evidence"] == ["/members/0/benefits/0", "/members/0/employment/0"]


def test_not_qualifying_is_refused(library):
    decision, facts = made(library, "turns_around")
    for qualifies in (False, None):
        with pytest.raises(NotQualifyingError):
            claim_of(library, decision, facts, {"qualifies": qualifies, "source": "review"})


def test_qualifying_by_review_alone(library):
    decision, facts = made(library, "improves_on_some_headlines")
    assert decision["qualifies"] is False
    claim = claim_of(
        library, decision, facts, {"qualifies": True, "source": "review", "review_id": "r1"}
    )
    assert claim["qualifies_by"] == "review" and claim["outcome"]["review_id"] == "r1"
    for pointer in claim["evidence"]:
        resolve_pointer(facts, pointer)


def test_every_missing_precondition_is_named(library):
    decision, facts = made(library, "turns_around")
    with pytest.raises(ClaimPreconditionsError) as caught:
        claim_of(
            library, decision, facts, whole_family_assessment=None, action_plan=None, keyworker=" "
        )
    assert caught.value.missing == ["whole_family_assessment", "action_plan", "keyworker"]
    assert caught.value.code == "claim-preconditions"
    with pytest.raises(ClaimPreconditionsError) as caught:
        claim_of(
            library,
            decision,
            facts,
            action_plan=TODAY + dt.timedelta(days=1),
            whole_family_assessment=dt.date(1899, 12, 31),
            keyworker="a\x00b",
        )
    assert caught.value.missing == []
    assert [p["name"] for p in caught.value.problems] == [
        "whole_family_assessment",
        "action_plan",
        "keyworker",
    ]
    # on the claim date itself is fine
    assert claim_of(library, decision, facts, action_plan=TODAY)["preconditions"]["action_plan"]


def test_evidence_the_facts_do_not_hold_is_refused(library):
    decision, facts = made(library, "turns_around")
    with pytest.raises(EvidenceError):
        evidence_of(decision, {**facts, "judgements": []})
    shorter = json.loads(json.dumps(facts))
    shorter["members"][1]["events"] = []
    with pytest.raises(EvidenceError):
        evidence_of(decision, shorter)


def test_a_claim_names_the_ruleset_that_made_the_decision(library):
    decision, facts = made(library, "turns_around")
    other = {**decision, "ruleset": {**decision["ruleset"], "sha256": "0" * 64}}
    with pytest.raises(ClaimError):
        claim_of(library, other, facts)


def test_samples_are_reproducible():
    ids = [f"c{i:02d}" for i in range(40)]
    first = sample(ids, 10, seed=7)
    assert first == sample(ids, 10, seed=7) and len(first) == 4
    assert first == [i for i in ids if i in first]  # in the order given
    assert sample(ids, 10, seed=8) != first
    assert sample(ids[:3], 10, seed=1) and len(sample(ids[:3], 10, seed=1)) == 1
    assert sample([], 10, seed=1) == []
    with pytest.raises(ValueError):
        sample(ids, 0, seed=1)


def test_the_amounts_are_those_in_force_on_the_claim_date(library, tmp_path):
    """Payments change by financial year: a national version taking effect on 1 April 2019
    with a lower attachment fee sets the amounts of a claim made that year, though the
    family was decided by Stockton's rules over national@2015.1."""
    import shutil

    from tests.published import publish_all
    from tfp_rules.library import RulesetLibrary

    national = (Path(__file__).parent.parent / "rulesets" / "national" / "2015.1.yaml").read_text()
    later = national.replace('version: "2015.1"', 'version: "2019.1"').replace(
        "effective_from: 2015-04-01", "effective_from: 2019-04-01"
    )
    later = later.replace(
        "  attachment_fee_gbp:\n    value: 1000", "  attachment_fee_gbp:\n    value: 800"
    )
    assert later.count("value: 800") == 2
    (tmp_path / "2019.1.yaml").write_text(later)
    shutil.copy(Path(__file__).parent.parent / "rulesets" / "national" / "2015.1.yaml", tmp_path)
    rates = RulesetLibrary.from_directory(publish_all(tmp_path)).resolve("national", on=TODAY)
    decision, facts = made(library, "turns_around")
    claim = results_claim(
        decision,
        facts,
        progress_id="p1",
        entry_id="e1",
        outcome={"qualifies": True, "source": "automated", "review_id": None},
        ruleset=library.resolve("stockton@2015.1"),
        claim_date=TODAY,
        rates=rates,
        **GOOD,
    )
    assert claim["amounts"]["attachment_fee_gbp"] == {
        "value": 800,
        "parameter": "attachment_fee_gbp",
        "source": rates.parameters["attachment_fee_gbp"].source,
        "ruleset": "national@2019.1",
    }
    assert claim["financial_year"] == "2019-20"
    assert claim["ruleset"]["id"] == "stockton"  # the rules that decided are still named

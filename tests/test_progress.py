"""Progress checks by a council's outcome plan: the hand-worked fixtures, the refusals, the
plan's own checks, and durable_rules agreeing with the reference reading on random families."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.published import publish_all
from tfp_rules.cli import main
from tfp_rules.compile import compile_ruleset
from tfp_rules.errors import FactsError, RulesetError
from tfp_rules.evaluate import evaluate
from tfp_rules.facts import SOURCES, parse_facts
from tfp_rules.intake import take_in
from tfp_rules.library import RulesetLibrary
from tfp_rules.measures import reduction_pct
from tfp_rules.outcomes.check import progress_after
from tfp_rules.outcomes.explain import render_progress_text
from tfp_rules.outcomes.progress import (
    NoOutcomePlanError,
    NotEligibleAtEntryError,
    TooEarlyError,
    check_progress,
    compile_plan,
)

from .conftest import NATIONAL_YAML

FIXTURES = Path(__file__).parent.parent / "fixtures" / "progress"
STOCKTON_YAML = NATIONAL_YAML.parent.parent / "local" / "stockton" / "2015.1.yaml"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


@pytest.fixture(scope="module")
def library() -> RulesetLibrary:
    return RulesetLibrary.from_directory()


def _load(name: str) -> tuple[dict, dict, dict]:
    d = FIXTURES / name
    return tuple(
        json.loads((d / f).read_text()) for f in ("entry.json", "later.json", "expected.json")
    )  # type: ignore[return-value]


def _entry(library: RulesetLibrary, doc: dict) -> dict:
    intake = take_in(library, doc, "stockton")
    return evaluate(compile_ruleset(intake.ruleset), intake.facts)


@pytest.mark.parametrize("name", CASES)
def test_each_hand_worked_family(library, name):
    entry_doc, later, expected = _load(name)
    entry = _entry(library, entry_doc)
    decision = progress_after(library, entry, entry_doc, later)
    assert decision["status"] == expected["status"], expected["why"]
    assert {h["id"]: h["status"] for h in decision["trace"]["headlines"]} == expected["headlines"]
    assert decision["qualifies"] == expected["qualifies"], expected["why"]
    if "employment" in expected:
        assert decision["trace"]["employment"]["status"] == expected["employment"]
    # judged on exactly the headlines the family had at entry
    assert decision["entry"]["headlines"] == entry["headlines_met"]
    assert decision["ruleset"]["id"] == "stockton"
    assert decision["ruleset"]["extends"]["id"] == "national"


def test_a_boundary_is_worked_to_the_exact_percentage(library):
    entry_doc, later, _ = _load("offending_down_exactly_33_percent")
    decision = progress_after(library, _entry(library, entry_doc), entry_doc, later)
    (measure,) = decision["trace"]["headlines"][0]["measures"]
    offending = measure["condition"]["all"][0]
    assert (offending["value"], offending["threshold"]) == (33.0, 33)
    assert offending["parameters"] == ["offending_reduction_pct"]
    assert len(offending["evidence"]) == 100 + 67


def test_reduction_pct():
    assert reduction_pct(3, 1) == pytest.approx(66.666667)
    assert reduction_pct(100, 67) == 33
    assert reduction_pct(25, 17) == 32
    assert reduction_pct(2, 4) == -100
    assert reduction_pct(0, 0) == 100  # none before, none since: no problem then or now
    assert reduction_pct(0, 2) == 0


def test_missing_police_is_unknown_not_failure_and_says_what_would_settle_it(library):
    entry_doc, later, _ = _load("police_not_checked_since_entry")
    decision = progress_after(library, _entry(library, entry_doc), entry_doc, later)
    h5 = next(h for h in decision["trace"]["headlines"] if h["id"] == "H5")
    (measure,) = h5["measures"]
    assert measure["missing_sources"] == ["police"]
    assert measure["condition"]["could_be"] == {"min": 0, "max": None}
    assert decision["progressed"] is None


def test_a_source_checked_only_before_progress_was_due_is_not_checked(library):
    entry_doc, later, _ = _load("turns_around")
    later = copy.deepcopy(later)
    later["sources_checked"] = {
        s: "2019-10-14" for s in ("education", "youth_justice", "social_care", "housing", "health")
    }
    later["sources_checked"]["police"] = "2019-06-01"  # before 30 September: says nothing since
    decision = progress_after(library, _entry(library, entry_doc), entry_doc, later)
    assert "police" in decision["trace"]["sources"]["unchecked"]
    assert decision["status"] == "undetermined"


def test_too_early_to_have_sustained_progress(library):
    entry_doc, later, _ = _load("turns_around")
    later = {**later, "assessment_date": "2019-09-29"}
    with pytest.raises(TooEarlyError, match="check on or after 2019-09-30"):
        progress_after(library, _entry(library, entry_doc), entry_doc, later)


def test_no_progress_check_for_a_family_not_eligible_at_entry(library):
    entry_doc, later, _ = _load("turns_around")
    entry = _entry(library, entry_doc)
    with pytest.raises(NotEligibleAtEntryError):
        progress_after(library, {**entry, "status": "not_eligible"}, entry_doc, later)
    # a review that put "eligible" in force counts
    decision = progress_after(
        library, {**entry, "status": "not_eligible"}, entry_doc, later, eligible_at_entry=True
    )
    assert decision["status"] == "progressed"


def test_the_national_ruleset_has_no_outcome_plan(library):
    with pytest.raises(NoOutcomePlanError):
        compile_plan(library.resolve("national@2015.1"))


def test_a_judgement_of_progress_is_of_the_whole_family(library):
    entry_doc, later, _ = _load("turns_around")
    later = copy.deepcopy(later)
    later["judgements"][0]["member"] = "p1"
    with pytest.raises(FactsError) as caught:
        progress_after(library, _entry(library, entry_doc), entry_doc, later)
    (problem,) = caught.value.problems
    assert problem.pointer == "/judgements/0/member"
    assert "whole family" in problem.message


def test_without_the_judgement_a_judgement_only_measure_is_not_met(library):
    entry_doc, later, _ = _load("turns_around")
    later = {k: v for k, v in later.items() if k != "judgements"}
    decision = progress_after(library, _entry(library, entry_doc), entry_doc, later)
    h6 = next(h for h in decision["trace"]["headlines"] if h["id"] == "H6")
    assert (h6["status"], h6["measures"][0]["basis"]) == ("not_met", "judgement only")
    assert "none was given" in render_progress_text(decision)


def test_tfp_progress_explains_in_plain_english():
    d = FIXTURES / "turns_around"
    result = CliRunner().invoke(
        main,
        [
            "progress",
            str(d / "entry.json"),
            str(d / "later.json"),
            "--ruleset",
            "stockton",
            "--format",
            "text",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "SIGNIFICANT AND SUSTAINED PROGRESS" in result.output
    assert (
        "(3 in 2018-10-01..2019-03-31, 1 in 2019-04-01..2019-09-30): 66.67% >= 33% "
        "(offending_reduction_pct)"
    ) in result.output
    assert "professional judgement by keyworker-17" in result.output
    early = CliRunner().invoke(
        main, ["progress", str(d / "entry.json"), str(d / "entry.json"), "--ruleset", "stockton"]
    )
    assert early.exit_code == 1
    assert "check on or after 2019-09-30" in early.output


# --------------------------------------------------------------------------- the plan's checks


def _with_plan_edit(tmp_path: Path, old: str, new: str) -> list:
    text = STOCKTON_YAML.read_text()
    assert old in text
    (tmp_path / "national").mkdir()
    shutil.copy(NATIONAL_YAML, tmp_path / "national" / "2015.1.yaml")
    (tmp_path / "stockton.yaml").write_text(text.replace(old, new, 1))
    with pytest.raises(RulesetError) as caught:
        RulesetLibrary.from_directory(tmp_path)
    return caught.value.problems


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        (
            "    - headline: H3\n",
            "    - headline: H5\n",
            "outcome_plan.headlines",
            "the outcome plan has no measure for H3",
        ),
        (
            "        - id: H5.no_domestic_abuse\n",
            "        - id: H5.victim_or_at_risk\n",
            "outcome_plan.headlines[4].measures[0].id",
            "'H5.victim_or_at_risk' is already an indicator",
        ),
        (
            "        - id: H3.no_escalation\n",
            "        - id: H5.no_escalation\n",
            "outcome_plan.headlines[2].measures[0].id",
            "its id must start with 'H3.'",
        ),
        (
            "          evidence: judgement\n",
            "          evidence: judgement\n          data_sources: [health]\n          when: {field: flags.mental_health_support}\n",
            "outcome_plan.headlines[5].measures[0]",
            "either a condition (when) or evidence: judgement",
        ),
    ],
)
def test_each_plan_mistake_is_named_in_the_local_file(tmp_path, old, new, field, message):
    problems = _with_plan_edit(tmp_path, old, new)
    matching = [p for p in problems if p.field == field and message in p.message]
    assert matching, problems
    assert all(p.file.endswith("stockton.yaml") for p in problems)


def test_entry_windows_and_reductions_are_for_outcome_plans_only(tmp_path):
    problems = _with_plan_edit(
        tmp_path,
        "      term_total: {field: unauthorised_sessions, last_terms: attendance_terms}\n"
        "      at_least: unauthorised_sessions_min\n",
        "      reduction_pct: {event: proven_offence, months: 6}\n      at_least: 10\n",
    )
    (problem,) = problems
    assert problem.field == "indicators[0].when.reduction_pct"
    assert "outcome plan" in problem.message


# --------------------------------------------------------------------------- engine agreement

_KINDS = ("proven_offence", "asb_intervention", "domestic_abuse_callout", "rent_arrears", "neet")


@st.composite
def _later_facts(draw: st.DrawFn) -> dict:
    """Random records over the year around entry, random checks, a random check date."""
    events: dict[str, list] = {"p1": [], "c1": []}
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(_KINDS))
        day = dt.date(2018, 10, 1) + dt.timedelta(days=draw(st.integers(0, 440)))
        event = {"type": kind, "date": day.isoformat()}
        if kind == "domestic_abuse_callout":
            event["role"] = "victim"
        if kind == "neet" and draw(st.booleans()):
            event["ended"] = (day + dt.timedelta(days=30)).isoformat()
        events[draw(st.sampled_from(["p1", "c1"]))].append(event)
    check = dt.date(2019, 9, 30) + dt.timedelta(days=draw(st.integers(0, 120)))
    for member in events.values():
        for e in member:
            if dt.date.fromisoformat(e["date"]) > check:
                e["date"] = check.isoformat()
            if "ended" in e and dt.date.fromisoformat(e["ended"]) > check:
                e["ended"] = check.isoformat()
    later: dict = {
        "family_ref": "STK-2019-000777",
        "assessment_date": check.isoformat(),
        "members": [{"ref": ref, "events": ev} for ref, ev in events.items() if ev],
    }
    if draw(st.booleans()):
        later["judgements"] = [
            {"indicator": "H6.engaged_with_treatment", "by": "keyworker-1", "reason": "on file"}
        ]
    for ref in draw(st.sets(st.sampled_from(["c1", "c2"]))):  # school terms since entry
        terms = []
        for term in draw(st.sets(st.sampled_from(["2019-spring", "2019-summer"]))):
            possible = draw(st.integers(0, 140))
            absent = draw(st.integers(0, possible))
            terms.append(
                {
                    "term": term,
                    "possible_sessions": possible,
                    "absent_sessions": absent,
                    "unauthorised_sessions": draw(st.integers(0, absent)),
                    "fixed_term_exclusions": draw(st.integers(0, 2)),
                }
            )
        later["members"].append({"ref": ref, "school": {"terms": terms}})
    checked = draw(st.sets(st.sampled_from(SOURCES)))
    if draw(st.booleans()):
        later["sources_checked"] = {s: check.isoformat() for s in checked}
    return later


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_later_facts())
def test_durable_rules_and_the_reference_agree_on_random_families(library, later):
    """check_progress raises EngineError on any disagreement; beyond that, a measure is
    unknown only while one of its own sources is unchecked."""
    entry_doc, _, _ = _load("every_child_attends_school")  # H1, H2 (two children), H4-H6
    entry = _entry(library, entry_doc)
    later = {**later, "family_ref": entry_doc["family_ref"]}
    decision = progress_after(library, entry, entry_doc, later)
    unchecked = set((decision["trace"]["sources"] or {}).get("unchecked", []))
    for headline in decision["trace"]["headlines"]:
        for m in headline["measures"]:
            if m["status"] == "unknown":
                assert set(m["missing_sources"]) <= unchecked & set(m["data_sources"])
                assert m["missing_sources"]


def test_check_progress_is_pure_over_parsed_facts(library):
    entry_doc, later, _ = _load("turns_around")
    stockton = library.resolve("stockton@2015.1")
    merged = copy.deepcopy(entry_doc)
    merged["assessment_date"] = later["assessment_date"]
    merged["members"][1]["events"].append({"type": "proven_offence", "date": "2019-05-10"})
    merged["judgements"] = later["judgements"]
    facts = parse_facts(json.dumps(merged))
    first = check_progress(
        compile_plan(stockton), dt.date(2019, 3, 31), ["H1", "H4", "H5", "H6"], facts
    )
    again = check_progress(
        compile_plan(stockton), dt.date(2019, 3, 31), ["H1", "H4", "H5", "H6"], facts
    )
    assert first == again
    assert first["status"] == "progressed"


def test_continuous_employment_is_a_claim_on_its_own_and_says_why(library):
    entry_doc, later, _ = _load("jsa_claimant_in_work_13_weeks")
    decision = progress_after(library, _entry(library, entry_doc), entry_doc, later)
    assert (decision["qualifies"], decision["qualifies_by"]) == (True, "employment")
    (adult,) = decision["trace"]["employment"]["adults"]
    assert (adult["member"], adult["weeks_employed"], adult["weeks_required"]) == ("p1", 13, 13)
    assert adult["jsa_claimant"] is True
    text = render_progress_text(decision)
    assert "Results claim: QUALIFIES (by continuous employment)" in text
    assert "13 weeks required for a JSA claimant" in text


def _additions(library: RulesetLibrary, measure_id: str, check: str) -> list[list[dict]]:
    """Records a source could still send that bear on a measure: 1 or 40 incidents of each
    type it counts, or of all of them, on p1, dated in the months before entry, just after
    entry, or up to the check date."""
    from tfp_rules.conditions import measures_of

    plan = library.resolve("stockton@2015.1").outcome_plan
    pm = next(m for m in plan.measures if m.id == measure_id)
    types = sorted({t for m in measures_of(pm.when) if m.records == "event" for t in m.types})
    last = dt.date.fromisoformat(check)
    out = []
    for kinds in [[t] for t in types] + ([types] if len(types) > 1 else []):
        for start, step in (("2019-03-31", -1), ("2019-04-01", 1), (check, -1)):
            for n in (1, 40):
                events = []
                for kind in kinds:
                    for k in range(n):
                        day = min(dt.date.fromisoformat(start) + dt.timedelta(days=k * step), last)
                        event = {
                            "type": kind,
                            "date": day.isoformat(),
                            "incident": f"{kind}{k}{start}",
                        }
                        if kind.startswith("domestic_abuse"):
                            event["role"] = "victim"
                        events.append(event)
                out.append(events)
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_later_facts())
def test_an_unknown_measure_can_be_changed_by_what_its_sources_could_send(library, later):
    """Unknown means records from an unchecked source could change it: some worst-case
    addition of such records flips whether the measure holds. (Settled ones are checked the
    other way: none of the same additions flips them.)"""
    entry_doc, _, _ = _load("turns_around")  # one child: no c2, and H2 not an entry headline
    entry = _entry(library, entry_doc)
    later = {**later, "members": [m for m in later["members"] if "events" in m]}
    decision = progress_after(library, entry, entry_doc, later)
    for headline in decision["trace"]["headlines"]:
        for m in headline["measures"]:
            if "condition" not in m or m.get("judgements") or not m["data_sources"]:
                continue
            unchecked = set((decision["trace"]["sources"] or {}).get("unchecked", []))
            if not unchecked & set(m["data_sources"]):
                continue
            flips = False
            for events in _additions(library, m["id"], later["assessment_date"]):
                more = copy.deepcopy(later)
                more.setdefault("members", []).append({"ref": "p1", "events": events})
                after = progress_after(library, entry, entry_doc, more)
                again = next(
                    x
                    for h in after["trace"]["headlines"]
                    for x in h["measures"]
                    if x["id"] == m["id"]
                )
                if again["condition"]["met"] != m["condition"]["met"]:
                    flips = True
                    break
            assert flips == (m["status"] == "unknown"), (m["id"], m["status"])


def test_a_measure_too_complex_for_the_engine_names_its_line(tmp_path):
    from tfp_rules.outcomes.progress import compile_plan as compile_progress

    many = "".join(
        f"              - count: {{event: proven_offence, within_months: {n}}}\n"
        f"                at_least: {n}\n"
        for n in range(1, 40)
    )
    text = STOCKTON_YAML.read_text().replace(
        "          when:\n            count: {event: [domestic_abuse, domestic_abuse_callout], within_months: sustain_months}\n            at_most: 0\n",
        f"          when:\n            any:\n{many}",
    )
    (tmp_path / "national").mkdir()
    shutil.copy(NATIONAL_YAML, tmp_path / "national" / "2015.1.yaml")
    (tmp_path / "stockton.yaml").write_text(text)
    stockton = RulesetLibrary.from_directory(publish_all(tmp_path)).resolve("stockton")
    with pytest.raises(RulesetError) as caught:
        compile_progress(stockton)
    (problem,) = caught.value.problems
    assert "too complex for the rules engine (H5.no_domestic_abuse)" in problem.message
    assert (
        problem.line
        == next(
            n for n, line in enumerate(text.splitlines(), 1) if "id: H5.no_domestic_abuse" in line
        )
        + 4
    )  # its `when`


def test_every_fixture_decision_matches_the_progress_schema(library):
    from referencing import Registry, Resource

    schemas = Path(__file__).parent.parent / "schemas"
    decision = json.loads((schemas / "decision.schema.json").read_text())
    progress = json.loads((schemas / "progress.schema.json").read_text())
    registry = Registry().with_resource(decision["$id"], Resource.from_contents(decision))
    import jsonschema

    validator = jsonschema.Draft202012Validator(progress, registry=registry)
    for name in CASES:
        entry_doc, later, _ = _load(name)
        made = progress_after(library, _entry(library, entry_doc), entry_doc, later)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(made)]
        assert errors == [], (name, errors[:3])

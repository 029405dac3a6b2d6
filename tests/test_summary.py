"""The summary for caseworkers (`tfp_rules.summary`): plain words over every fixture family,
exact text for three, a reviewed stored decision, and the CLI's `--explain summary`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.compile import CompiledRuleset, compile_ruleset
from tfp_rules.errors import FactsError
from tfp_rules.evaluate import evaluate
from tfp_rules.intake import take_in
from tfp_rules.library import RulesetLibrary
from tfp_rules.summary import (
    Summary,
    SummaryFact,
    SummaryHeadline,
    fact_words,
    render_summary,
    sentence,
    summarise,
    threshold_words,
)

from .conftest import DATA
from .service.conftest import app, auth, client, example, keys, store  # noqa: F401
from .service.test_api import post_facts
from .summary_cases import fixture_documents

FAMILIES = Path(__file__).resolve().parent.parent / "fixtures" / "families"
FAMILY_PATHS = sorted(FAMILIES.glob("*.json"))
OUTCOMES = ("Eligible", "Not eligible", "Undetermined")
STATUSES = ("eligible", "not_eligible", "undetermined")


def decide(library, path: Path, ruleset: str | None = None) -> dict:
    intake = take_in(library, path.read_bytes(), ruleset)
    return evaluate(compile_ruleset(intake.ruleset), intake.facts)


def _names(decision: dict) -> list[str]:
    """The headline and indicator names the ruleset's authors wrote, which may say 'is'."""
    headlines = decision["trace"]["headlines"]
    return [h["name"] for h in headlines] + [i["name"] for h in headlines for i in h["indicators"]]


_LIBRARY = RulesetLibrary.from_directory()
CASES = list(fixture_documents(_LIBRARY))
_COMPILED: dict[str, CompiledRuleset] = {}
# Engine words a summary must not say: comparators, symbols, a missing value as the trace says it.
ENGINE_WORDS = re.compile(r"\bis\b|\bis not\b|>=|<=|!=| [<>] |\bno value\b|\bTrue\b|\bFalse\b")
SNAKE_CASE = re.compile(r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}-(?:spring|summer|autumn)")
NEGATIONS = re.compile(r"\b(?:not|no|none|nor|neither|never|without|cannot|nothing)\b", re.I)
CLAUSES = re.compile(r"[;:.,()]| and | but | or ")


def _decide_under(ref: str, doc) -> dict | None:
    """The decision these rules make for the facts, or None if the facts do not fit them."""
    try:
        intake = take_in(_LIBRARY, doc, ref, drafts=True)
    except FactsError:
        return None
    compiled = _COMPILED.get(ref)
    if compiled is None:
        compiled = _COMPILED[ref] = compile_ruleset(intake.ruleset)
    return evaluate(compiled, intake.facts)


def _free_text(decision: dict) -> list[str]:
    """What people wrote that the summary quotes: headline and indicator names (which may
    say 'is'), professional judgements' reasons and who made them."""
    headlines = decision["trace"]["headlines"]
    names = [h["name"] for h in headlines] + [i["name"] for h in headlines for i in h["indicators"]]
    judged = [
        text
        for h in headlines
        for i in h["indicators"]
        for s in i["subjects"]
        for j in s.get("judgements", [])
        for text in (j["reason"].rstrip(". "), j["by"])
    ]
    return sorted(names + judged, key=len, reverse=True)


def plain_word_problems(decision: dict) -> list[str]:
    """Every way the summary of `decision` breaks the rules of plain words."""
    text = render_summary(decision)
    prose = text
    for quoted in _free_text(decision):
        prose = prose.replace(quoted, "")
    problems = [f"engine word {m!r}" for m in ENGINE_WORDS.findall(prose)]
    problems += [f"identifier {m!r}" for m in SNAKE_CASE.findall(prose)]
    problems += [f"ISO date or term {m!r}" for m in ISO_DATE.findall(prose)]
    parameters = _LIBRARY.get(f"{decision['ruleset']['id']}@{decision['ruleset']['version']}")
    problems += [f"parameter {p!r}" for p in parameters.parameters if p in prose]
    for clause in CLAUSES.split(prose):
        if len(NEGATIONS.findall(clause)) > 1:
            problems.append(f"double negative {clause.strip()!r}")
    if text.split(":")[0] != OUTCOMES[STATUSES.index(decision["status"])]:
        problems.append(f"first line {text.splitlines()[0]!r}")
    summary = summarise(decision)
    for fact in [f for h in summary.met for f in h.facts] + summary.nearest:
        if fact.origin not in ("national", "local", "professional judgement"):
            problems.append(f"origin {fact.origin!r}")
        who = "the household" if fact.subject == "household" else fact.subject
        if who not in fact.text:
            problems.append(f"{fact.text!r} does not name {who}")
    met = [h["id"] for h in decision["trace"]["headlines"] if h["status"] == "met"]
    if [h.id for h in summary.met] != met:
        problems.append(f"headlines met {[h.id for h in summary.met]}, trace says {met}")
    return problems


@pytest.mark.parametrize(("name", "doc"), CASES, ids=[name for name, _ in CASES])
def test_summary_is_in_plain_words_for_every_fixture_under_every_ruleset(name, doc):
    decided = 0
    for ref in _LIBRARY.refs():
        decision = _decide_under(ref, doc)
        if decision is None:
            continue
        decided += 1
        assert plain_word_problems(decision) == [], f"{name} under {ref}"
    assert decided, f"{name}: no ruleset decided"


@pytest.mark.parametrize(
    "phrase",
    [
        "parenting responsibility: yes is yes",
        "school registered (no school record): no value is no",
        "flag 'new_mother' is True",
        "absence rate 9.73% against 10% (persistent_absence_rate)",
        "between 2018-04-01 and 2019-03-31",
        "terms 2018-spring..2018-autumn",
        "not without a school place",
    ],
)
def test_the_plain_words_check_catches_the_audit_views_phrases(phrase):
    found = [pattern.search(phrase) for pattern in (ENGINE_WORDS, SNAKE_CASE, ISO_DATE)] + [
        len(NEGATIONS.findall(c)) > 1 for c in CLAUSES.split(phrase)
    ]
    assert any(found)


def test_eligible(library):
    assert render_summary(decide(library, FAMILIES / "two_headlines_eligible.json")) == (
        "Eligible: family FIX-022, assessed on 31 March 2019.\n"
        "2 of 6 headlines met; at least 2 needed.\n"
        "\n"
        "Headlines met:\n"
        "H1 Crime and anti-social behaviour\n"
        "  A member with an anti-social behaviour intervention in the last 12 months"
        " (national indicator)\n"
        "    - c1 had 1 anti-social behaviour intervention between 1 April 2018 and"
        " 31 March 2019.\n"
        "  A member named by police or youth justice as a priority for crime prevention"
        " (national indicator)\n"
        "    - c1 had 1 naming as a crime prevention priority open on 31 March 2019.\n"
        "H6 Health problems\n"
        "  A member with a drug or alcohol problem (national indicator)\n"
        "    - p1 was recorded with a drug or alcohol problem.\n"
    )


def test_not_eligible_under_local_rules_names_the_nearest_misses(library):
    path = FAMILIES / "absence_window_ad_day_before_term_end.json"
    assert render_summary(decide(library, path, "stockton")) == (
        "Not eligible: family FIX-028, assessed on 30 December 2018.\n"
        "Local rules of Stockton-on-Tees Borough Council apply.\n"
        "1 of 6 headlines met; at least 2 needed.\n"
        "\n"
        "Headlines met:\n"
        "H4 Worklessness and financial exclusion\n"
        "  An adult receiving out-of-work benefits (national indicator)\n"
        "    - p1 had 1 Jobseeker's Allowance, Employment and Support Allowance or Income"
        " Support claim open on 30 December 2018.\n"
        "\n"
        "Still missing:\n"
        "1 more headline needed.\n"
        "Nearest misses:\n"
        "  - A child persistently absent from school (H2, national indicator): c1 missed 20 of"
        " 360 school sessions (5.6%) over autumn 2017 to summer 2018; 10% or more would count.\n"
        "  - A child with 20 or more unauthorised half-day absences over the last 3 terms"
        " (H2, local indicator): c1 had 9 sessions of unauthorised absence over autumn 2017"
        " to summer 2018; 20 or more would count.\n"
    )


def test_undetermined_says_which_sources_would_settle_it(library):
    path = FAMILIES / "sources_police_not_checked_undetermined.json"
    assert render_summary(decide(library, path)) == (
        "Undetermined: family FIX-030, assessed on 31 March 2019.\n"
        "1 of 6 headlines met, 2 not yet known (H1, H5); at least 2 needed.\n"
        "\n"
        "Headlines met:\n"
        "H2 Children not attending school regularly\n"
        "  A child persistently absent from school (national indicator)\n"
        "    - c1 missed 44 of 370 school sessions (11.9%) over spring to autumn 2018;"
        " 10% or more counts.\n"
        "\n"
        "Still missing:\n"
        "1 more headline needed.\n"
        "Not checked: police and youth justice. Checking police could settle the outcome;"
        " checking police and youth justice would settle it for certain.\n"
        "H1 Crime and anti-social behaviour: not met on what was sent; records from police or"
        " youth justice could still meet it.\n"
        "H5 Domestic violence and abuse: not met on what was sent; records from police or"
        " youth justice could still meet it.\n"
    )


def test_worker_judgement_is_marked(library):
    path = FAMILIES / "household_asb_record_and_household_judgement.json"
    text = render_summary(decide(library, path))
    assert "(national indicator, professional judgement)" in text
    assert "Professional judgement for the household by housing-officer-3: " in text


def test_stored_decision_shows_the_review_override_first(client, auth, example):  # noqa: F811
    created = post_facts(client, auth, example).get_json()
    url = f"/v1/decisions/{created['id']}"
    client.post(
        f"{url}/reviews",
        json={"verdict": "override", "eligible": False, "reason": "Family moved out of area"},
        headers=auth("reviewer"),
    )
    for query in ("?format=text&explain=summary", "?explain=summary"):
        r = client.get(url + query, headers=auth("reviewer"))
        assert r.mimetype == "text/plain"
        lines = r.get_data(as_text=True).splitlines()
        assert lines[0] == (
            "Not eligible (by review; the automated decision was eligible): family"
            " STK-2019-000123, assessed on 31 March 2019."
        )
        assert re.fullmatch(
            r"Overridden to not eligible by .+ on \d{1,2} \w+ \d{4} at \d\d:\d\d: "
            r"Family moved out of area",
            lines[1],
        )
    # a submitter sees that it was overridden, not by whom nor why
    submitter = client.get(url + "?format=text&explain=summary", headers=auth())
    assert "Family moved out of area" not in submitter.get_data(as_text=True)
    # JSON keeps the whole decision, as explain=full does
    as_json = client.get(url + "?format=json&explain=summary", headers=auth("reviewer"))
    assert as_json.get_json()["trace"] == created["trace"]


def test_cli_explain_summary():
    runner = CliRunner()
    args = ["eval", str(DATA / "example_facts.json"), "--format", "text"]
    result = runner.invoke(main, [*args, "--explain", "summary"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Eligible: family STK-2019-000123, assessed on 31 March 2019.")
    assert "c1 missed 42 of 370 school sessions (11.4%) over spring to autumn 2018" in result.output
    # the summary is the text default; the audit view is asked for
    assert runner.invoke(main, args).output == result.output
    full = runner.invoke(main, [*args, "--explain", "full"])
    assert full.output.startswith("Family STK-2019-000123, assessed on 2019-03-31: ELIGIBLE")


def test_summarise_gives_the_summary_as_data(library):
    summary = summarise(decide(library, FAMILIES / "two_headlines_eligible.json"))
    assert isinstance(summary, Summary)
    assert summary.outcome[0] == "Eligible: family FIX-022, assessed on 31 March 2019."
    assert [h.id for h in summary.met] == ["H1", "H6"]
    assert all(isinstance(h, SummaryHeadline) for h in summary.met)
    assert summary.met[1].facts == [
        SummaryFact(
            "p1 was recorded with a drug or alcohol problem",
            "H6.substance_misuse",
            "p1",
            "national",
        )
    ]
    assert summary.missing == [] and summary.nearest == []


def test_summarise_marks_judgements_and_names_the_nearest_misses(library):
    judged = summarise(
        decide(library, FAMILIES / "household_asb_record_and_household_judgement.json")
    )
    origins = {f.origin for h in judged.met for f in h.facts}
    assert "professional judgement" in origins
    path = FAMILIES / "absence_window_ad_day_before_term_end.json"
    nearest = summarise(decide(library, path, "stockton")).nearest
    assert [(f.indicator, f.subject, f.origin) for f in nearest][:2] == [
        ("H2.persistent_absence", "c1", "national"),
        ("H2.unauthorised_absence", "c1", "local"),
    ]
    assert "1 more headline needed." in summarise(decide(library, path, "stockton")).missing


def _comparisons(node: dict):
    if "comparator" in node:
        yield node
    for key in ("all", "any"):
        for child in node.get(key, []):
            yield from _comparisons(child)
    if "not" in node:
        yield from _comparisons(node["not"])


def _every_comparison(decision: dict):
    trace = decision["trace"]
    results = [s for h in trace["headlines"] for i in h["indicators"] for s in i["subjects"]]
    results += (trace.get("family") or {}).get("subjects", [])
    for result in results:
        yield from _comparisons(result.get("condition") or {})


@pytest.mark.parametrize(
    "name", ["facts_md_example", "absence_window_ad_day_before_term_end", "h5_domestic_abuse_roles"]
)
def test_the_summary_is_worded_from_the_measured_data_not_the_audit_phrases(library, name):
    decision = decide(library, FAMILIES / f"{name}.json", "stockton")
    before = render_summary(decision)
    for node in _every_comparison(decision):
        node["measure"], node["detail"] = "?", "?"
    assert render_summary(decision) == before


def test_a_decision_stored_before_comparisons_carried_their_parts_still_reads_plainly(library):
    decision = decide(library, FAMILIES / "two_headlines_eligible.json")
    for node in _every_comparison(decision):
        del node["measured"]
    text = render_summary(decision)
    assert "p1 had flag substance misuse recorded as yes." in text
    assert "recorded as 1 (1 April 2018 to 31 March 2019)" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}|_", text)


_TERMS3 = ["2017-autumn", "2018-spring", "2018-summer"]
_YEAR = {"from": "2018-04-01", "to": "2019-03-31"}


@pytest.mark.parametrize(
    ("value", "measured", "said"),
    [
        (
            None,
            {"kind": "absence_rate", "terms": _TERMS3, "school_record": False},
            "had no school record for autumn 2017 to summer 2018",
        ),
        (
            8.5,
            {
                "kind": "absence_rate",
                "terms": _TERMS3,
                "terms_missing": ["2017-autumn"],
                "sessions": {"missed": 20, "possible": 235},
            },
            "missed 20 of 235 school sessions (8.5%) over autumn 2017 to summer 2018"
            " (no record for autumn 2017)",
        ),
        (
            91.5,
            {
                "kind": "attendance_rate",
                "members": "all",
                "terms": ["2018-autumn"],
                "sessions": {"missed": 20, "possible": 235},
            },
            "attended 215 of 235 school sessions across its members (91.5%) over autumn 2018",
        ),
        (
            0,
            {"kind": "count", "records": "event", "types": ["proven_offence"], "window": _YEAR},
            "had no proven offences between 1 April 2018 and 31 March 2019",
        ),
        (
            3,
            {
                "kind": "reduction_pct",
                "records": "event",
                "types": ["proven_offence"],
                "before": {"count": 3, "window": {"from": "2018-10-01", "to": "2019-03-31"}},
                "after": {"count": 2, "window": {"from": "2019-04-01", "to": "2019-09-30"}},
            },
            "had 2 proven offences between 1 April 2019 and 30 September 2019, against 3"
            " between 1 October 2018 and 31 March 2019 (a fall of 3%)",
        ),
        (
            1250.5,
            {
                "kind": "sum",
                "field": "amount_gbp",
                "records": "event",
                "types": ["rent_arrears"],
                "window": _YEAR,
            },
            "had £1,250.50 in total on rent arrears records between 1 April 2018 and 31 March 2019",
        ),
        (
            None,
            {"kind": "field", "field": "school.alternative_provision", "school_record": False},
            "had no school record",
        ),
        (
            False,
            {"kind": "field", "field": "flags.expectant"},
            "was not recorded as an expectant parent",
        ),
        (
            False,
            {"kind": "field", "field": "parenting_responsibility"},
            "was recorded without parenting responsibility",
        ),
        (0, {"kind": "field", "field": "age"}, "was under a year old"),
    ],
)
def test_rarer_measures_in_words(value, measured, said):
    node = {
        "met": False,
        "measure": "?",
        "detail": "?",
        "value": value,
        "comparator": "at_least",
        "threshold": 1000,
        "parameters": [None],
        "evidence": [],
        "measured": measured,
    }
    assert fact_words(node) == said


def test_review_findings_on_wording():
    """Words a review of the pages found wrong: 'none allowed', not '0 or fewer counts';
    one offence, not '1 proven offences'; a flag not sent is not 'recorded without'."""
    at_most_zero = {"comparator": "at_most", "threshold": 0, "value": 0, "measure": "count"}
    assert threshold_words(at_most_zero) == "none"
    assert sentence("c1", [("had no proven offences", "none")]).endswith("; none allowed")
    flag = {
        "comparator": "is",
        "threshold": True,
        "value": False,
        "measure": "flag 'substance_misuse'",
        "measured": {"kind": "field", "field": "flags.substance_misuse"},
    }
    assert fact_words(flag) == "was not recorded with a drug or alcohol problem"

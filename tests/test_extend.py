"""Local rulesets that extend the national one: the shipped Stockton file, the decisions its
choices change, and every mistake a policy officer can make in one, each reported with the
local file, line and field."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.published import publish_all
from tfp_rules.cli import main
from tfp_rules.compile import compile_ruleset
from tfp_rules.errors import RulesetError
from tfp_rules.evaluate import evaluate
from tfp_rules.facts import parse_facts
from tfp_rules.library import RulesetLibrary
from tfp_rules.ruleset import parse_ruleset

from .conftest import DATA, NATIONAL_YAML

STOCKTON_YAML = NATIONAL_YAML.parent.parent / "local" / "stockton" / "2015.1.yaml"
EXAMPLE = json.loads((DATA / "example_facts.json").read_text())

LOCAL = textwrap.dedent(
    """\
    ruleset: testshire
    version: "2015.1"
    effective_from: 2016-04-01
    extends: national@2015.1
    council: Testshire County Council
    description: Testshire's choices.
    sources: [Testshire outcome plan]
    overrides:
      persistent_absence_rate:
        value: 15
        source: Testshire outcome plan, 2.2
    parameters:
      dental_age:
        value: 5
        unit: years
        description: From this age poor dental health counts locally.
        source: Testshire outcome plan, 2.6
    indicators:
      - id: H6.poor_dental_health
        headline: H6
        name: A school-age child with poor dental health
        applies_to: child
        source: Testshire outcome plan, 2.6
        data_sources: [health]
        when:
          all:
            - field: age
              at_least: dental_age
            - field: flags.poor_dental_health
    """
)


@pytest.fixture(scope="module")
def library() -> RulesetLibrary:
    return RulesetLibrary.from_directory()


def _directory(tmp_path: Path, local: str) -> Path:
    """A rulesets directory holding the national file and `local`."""
    (tmp_path / "national").mkdir()
    shutil.copy(NATIONAL_YAML, tmp_path / "national" / "2015.1.yaml")
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "testshire.yaml").write_text(local)
    return tmp_path


def _problems(tmp_path: Path, local: str) -> list:
    with pytest.raises(RulesetError) as caught:
        RulesetLibrary.from_directory(_directory(tmp_path, local))
    return caught.value.problems


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def _decide(library: RulesetLibrary, spec: str, document: dict) -> dict:
    return evaluate(compile_ruleset(library.resolve(spec)), parse_facts(json.dumps(document)))


def _indicator(decision: dict, indicator_id: str) -> dict:
    return next(
        i
        for h in decision["trace"]["headlines"]
        for i in h["indicators"]
        if i["id"] == indicator_id
    )


# --------------------------------------------------------------------------- the shipped file


def test_stockton_extends_national_with_its_own_indicators_and_values(library):
    stockton, national = library.resolve("stockton@2015.1"), library.resolve("national@2015.1")
    assert stockton.extends is national
    assert stockton.council == "Stockton-on-Tees Borough Council"
    local = {i.id: i for i in stockton.indicators if i.origin == "local"}
    assert {i: ind.headline for i, ind in local.items()} == {
        "H2.unauthorised_absence": "H2",
        "H6.poor_dental_health": "H6",
    }
    # every national indicator is there as well, unchanged in kind
    assert {i.id for i in national.indicators} <= {i.id for i in stockton.indicators}
    assert stockton.parameters["financial_difficulty_window_months"].value == 6
    assert national.parameters["financial_difficulty_window_months"].value == 12
    assert stockton.overrides == ("financial_difficulty_window_months",)


def test_a_decision_records_both_versions_and_the_overrides_with_both_sources(library):
    decision = _decide(library, "stockton", EXAMPLE)
    national = library.resolve("national@2015.1")
    assert decision["ruleset"]["id"] == "stockton"
    assert decision["ruleset"]["extends"] == national.identity()
    (override,) = decision["trace"]["local"]["overrides"]
    assert override["parameter"] == "financial_difficulty_window_months"
    assert (override["value"], override["national"]["value"]) == (6, 12)
    assert override["source"].startswith("Stockton Outcome Plan 2015")
    assert override["national"]["source"] == national.parameters[override["parameter"]].source
    assert _indicator(decision, "H6.poor_dental_health")["origin"] == "local"
    assert "national" not in _decide(library, "national", EXAMPLE)["ruleset"].get("extends", {})


def test_the_override_changes_who_is_met(library):
    """Rent arrears 9 months old: within national's 12 months, outside Stockton's 6."""
    family = json.loads(json.dumps(EXAMPLE))
    family["household"]["events"] = [{"type": "rent_arrears", "date": "2018-06-30"}]
    indicator = "H4.financial_difficulty"
    assert _indicator(_decide(library, "national", family), indicator)["status"] == "met"
    assert _indicator(_decide(library, "stockton", family), indicator)["status"] == "not_met"


def test_a_local_indicator_adds_a_headline_the_national_rules_do_not_see(library):
    """25 unauthorised sessions of 370 (6.8% absence in all, no exclusions): under the
    national 10%, over Stockton's 20 sessions."""
    family = json.loads(json.dumps(EXAMPLE))
    terms = family["members"][1]["school"]["terms"]
    for term, unauthorised in zip(terms, (9, 8, 8), strict=True):
        term.update(
            absent_sessions=unauthorised,
            unauthorised_sessions=unauthorised,
            fixed_term_exclusions=0,
        )
    national, stockton = _decide(library, "national", family), _decide(library, "stockton", family)
    assert "H2" not in national["headlines_met"]
    assert "H2" in stockton["headlines_met"]
    local = _indicator(stockton, "H2.unauthorised_absence")
    assert (local["status"], local["origin"]) == ("met", "local")


def test_the_text_view_names_the_council_and_both_values(library):
    from tfp_rules.trace import render_text

    text = render_text(_decide(library, "stockton", EXAMPLE))
    assert "extending national@2015.1" in text
    assert "Local rules of Stockton-on-Tees Borough Council" in text
    assert "financial_difficulty_window_months: 6 months locally" in text
    assert "12 months in national@2015.1" in text
    assert "H6.poor_dental_health (local)" in text


# --------------------------------------------------------------------------- mistakes


def test_a_well_formed_local_ruleset_loads_beside_the_national_one(tmp_path):
    library = RulesetLibrary.from_directory(publish_all(_directory(tmp_path, LOCAL)))
    local = library.resolve("testshire")
    assert local.parameters["persistent_absence_rate"].value == 15
    assert local.parameters["dental_age"].source == "Testshire outcome plan, 2.6"
    assert library.resolve("testshire", on=local.effective_from) is local


@pytest.mark.parametrize(
    ("edit", "needle", "field", "message"),
    [
        (
            ("persistent_absence_rate:", "persistant_absence_rate:"),
            "persistant_absence_rate:",
            "overrides.persistant_absence_rate",
            "overrides parameter 'persistant_absence_rate', which national@2015.1 does not have"
            " (did you mean 'persistent_absence_rate'?)",
        ),
        (
            ("extends: national@2015.1", "extends: national@2014.1"),
            "extends:",
            "extends",
            "extends national@2014.1, which does not exist",
        ),
        (
            ("- id: H6.poor_dental_health", "- id: H6.mental_health"),
            "- id: H6.mental_health",
            "indicators[0].id",
            "indicator id 'H6.mental_health' is already an indicator of national@2015.1",
        ),
        (
            (
                "parameters:\n",
                "parameters:\n  adult_age:\n    value: 21\n    description: x\n    source: y\n",
            ),
            "  adult_age:",
            "parameters.adult_age",
            "'adult_age' is a parameter of national@2015.1: to change its value, put it under "
            "overrides",
        ),
        (
            ("value: 15", "value: [a, b]"),
            "value: [a, b]",
            "overrides.persistent_absence_rate.value",
            "national@2015.1 gives 'persistent_absence_rate' as a number; so must an override",
        ),
        (
            ("headline: H6", "headline: H2"),
            "- id: H6.poor_dental_health",
            "indicators[0].id",
            "indicator 'H6.poor_dental_health' sits under headline H2; its id must start with "
            "'H2.'",
        ),
        (
            ("at_least: dental_age", "at_least: dentl_age"),
            "at_least: dentl_age",
            "indicators[0].when.all[0].at_least",
            "unknown parameter 'dentl_age'",
        ),
        (
            ("effective_from: 2016-04-01", "effective_from: 2014-04-01"),
            "effective_from:",
            "effective_from",
            "before national@2015.1 does",
        ),
        (
            ("council: Testshire County Council\n", ""),
            "ruleset:",
            "",
            "missing required field 'council'",
        ),
    ],
)
def test_each_mistake_names_the_local_file_line_and_field(tmp_path, edit, needle, field, message):
    text = LOCAL.replace(*edit)
    assert text != LOCAL
    problems = _problems(tmp_path, text)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.file.endswith("testshire.yaml")
    assert problem.field == field
    assert message in problem.message
    assert problem.line == _line_of(text, needle)


def test_every_mistake_at_once(tmp_path):
    text = LOCAL.replace("persistent_absence_rate:", "nope_rate:").replace(
        "- id: H6.poor_dental_health", "- id: H6.mental_health"
    )
    fields = {p.field for p in _problems(tmp_path, text)}
    assert fields == {"overrides.nope_rate", "indicators[0].id"}


def test_a_local_ruleset_cannot_extend_another_local_one(tmp_path):
    directory = _directory(tmp_path, LOCAL)
    second = LOCAL.replace("ruleset: testshire", "ruleset: subshire").replace(
        "extends: national@2015.1", "extends: testshire@2015.1"
    )
    (directory / "local" / "subshire.yaml").write_text(second)
    with pytest.raises(RulesetError) as caught:
        RulesetLibrary.from_directory(directory)
    (problem,) = caught.value.problems
    assert "itself a local ruleset" in problem.message
    assert problem.file.endswith("subshire.yaml")


def test_a_local_file_alone_says_it_needs_its_base():
    with pytest.raises(RulesetError, match="loaded with the rulesets it builds on"):
        parse_ruleset(LOCAL.encode(), "testshire.yaml")


def test_tfp_validate_checks_a_local_file_against_the_shipped_rulesets(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(LOCAL)
    bad.write_text(LOCAL.replace("persistent_absence_rate:", "persistant_absence_rate:"))
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "ok " in ok.output
    failed = runner.invoke(main, ["validate", str(bad)])
    assert failed.exit_code == 1
    line = _line_of(bad.read_text(), "persistant_absence_rate:")
    assert f"bad.yaml:{line}: overrides.persistant_absence_rate: overrides parameter" in (
        failed.output
    )


def test_the_shipped_local_file_validates():
    result = CliRunner().invoke(main, ["validate", str(STOCKTON_YAML)])
    assert result.exit_code == 0, result.output


def test_tfp_eval_decides_with_the_councils_ruleset_from_the_environment():
    runner = CliRunner()
    facts = str(DATA / "example_facts.json")
    local = runner.invoke(main, ["eval", facts], env={"TFP_RULESET": "stockton"})
    assert local.exit_code == 0, local.output
    assert json.loads(local.output)["ruleset"]["id"] == "stockton"
    named = runner.invoke(
        main, ["eval", facts, "--ruleset", "national"], env={"TFP_RULESET": "stockton"}
    )
    assert json.loads(named.output)["ruleset"]["id"] == "national"

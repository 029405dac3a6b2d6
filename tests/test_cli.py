"""`tfp` as scripts use it: exit codes, stdout holding only JSON, errors on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main

from .conftest import DATA, NATIONAL_YAML

EXAMPLE = str(DATA / "example_facts.json")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_eval_json_prints_only_the_decision(runner):
    result = runner.invoke(main, ["eval", EXAMPLE, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["eligible"] is True
    assert decision["ruleset"]["id"] == "national"
    assert result.stderr == ""


def test_eval_trace_compact_prints_the_compact_trace_that_expands_to_the_full(runner):
    from tfp_rules.compact import expand, template_for
    from tfp_rules.compile import compile_ruleset
    from tfp_rules.library import RulesetLibrary

    full = json.loads(runner.invoke(main, ["eval", EXAMPLE]).stdout)
    result = runner.invoke(main, ["eval", EXAMPLE, "--trace", "compact"])
    assert result.exit_code == 0, result.stderr
    small = json.loads(result.stdout)
    assert small["trace"]["trace_format"] == "compact/1"
    compiled = compile_ruleset(RulesetLibrary.from_directory().resolve("national@2015.1"))
    assert expand(small, template_for(compiled)) == full


def test_eval_defaults_to_json(runner):
    result = runner.invoke(main, ["eval", EXAMPLE])
    assert json.loads(result.stdout)["headlines_met"] == ["H1", "H2", "H3", "H4", "H5", "H6"]


def test_eval_text_and_failed_only(runner):
    full = runner.invoke(main, ["eval", EXAMPLE, "--format", "text", "--explain", "full"])
    failed = runner.invoke(main, ["eval", EXAMPLE, "--format", "text", "--explain", "failed"])
    assert full.exit_code == failed.exit_code == 0
    assert "ELIGIBLE" in full.stdout
    assert "H1.proven_offence" in full.stdout
    assert "H1.proven_offence" not in failed.stdout


def test_eval_text_defaults_to_the_summary(runner):
    text = runner.invoke(main, ["eval", EXAMPLE, "--format", "text"])
    summary = runner.invoke(main, ["eval", EXAMPLE, "--format", "text", "--explain", "summary"])
    assert text.exit_code == 0
    assert text.stdout == summary.stdout
    assert text.stdout.startswith("Eligible: family STK-2019-000123, assessed on 31 March 2019.")


def test_eval_reads_stdin(runner):
    result = runner.invoke(main, ["eval", "-"], input=Path(EXAMPLE).read_text())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["family_ref"] == "STK-2019-000123"


def test_eval_named_ruleset_version(runner):
    result = runner.invoke(main, ["eval", EXAMPLE, "--ruleset", "national@2015.1"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["ruleset"]["version"] == "2015.1"


def test_eval_unknown_ruleset_lists_what_exists(runner):
    result = runner.invoke(main, ["eval", EXAMPLE, "--ruleset", "national@1999"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "no ruleset national@1999; available: national@2015.1" in result.stderr


def test_eval_invalid_facts_exit_1_with_every_pointer(runner, tmp_path, example_doc):
    example_doc["members"][0]["date_of_birth"] = "2020-01-01"
    example_doc["members"][1]["colour"] = "blue"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(example_doc))
    result = runner.invoke(main, ["eval", str(bad)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "/members/1/colour" in result.stderr


def test_eval_malformed_json(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"family_ref": ')
    result = runner.invoke(main, ["eval", str(bad)])
    assert result.exit_code == 1
    assert "line 1" in result.stderr


def test_eval_unknown_judgement_indicator(runner, tmp_path, example_doc):
    example_doc["judgements"][0]["indicator"] = "H6.mental_healt"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(example_doc))
    result = runner.invoke(main, ["eval", str(bad)])
    assert result.exit_code == 1
    assert "/judgements/0/indicator" in result.stderr
    assert "did you mean 'H6.mental_health'" in result.stderr


def test_eval_missing_file_is_a_usage_error(runner):
    result = runner.invoke(main, ["eval", "no-such-file.json"])
    assert result.exit_code == 1
    assert "cannot read" in result.stderr


def test_validate_good_files(runner):
    result = runner.invoke(main, ["validate", str(NATIONAL_YAML), EXAMPLE])
    assert result.exit_code == 0
    assert result.stdout.count("ok ") == 2


def test_validate_reports_all_errors_from_all_files(runner, tmp_path, example_doc):
    broken = NATIONAL_YAML.read_text().replace(
        "at_least: persistent_absence_rate", "at_least: persistant_absence_rate"
    )
    (tmp_path / "r.yaml").write_text(
        broken.replace("applies_to: household", "applies_to: houshold", 1)
    )
    example_doc["assessment_date"] = "2019-02-30"
    (tmp_path / "f.json").write_text(json.dumps(example_doc))
    result = runner.invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    err = result.stderr
    assert "r.yaml:" in err
    assert (
        "unknown parameter 'persistant_absence_rate' (did you mean 'persistent_absence_rate'?)"
        in err
    )
    assert "'houshold' is not one of" in err
    assert "f.json: /assessment_date" in err


def test_eval_with_broken_rulesets_dir(runner, tmp_path):
    (tmp_path / "x.yaml").write_text("ruleset: x\n")
    result = runner.invoke(main, ["eval", EXAMPLE, "--rulesets", str(tmp_path)])
    assert result.exit_code == 1
    assert "missing required field" in result.stderr


def test_rulesets_lists_versions(runner, national):
    result = runner.invoke(main, ["rulesets"])
    assert result.exit_code == 0
    assert f"national@2015.1\tpublished\teffective from 2015-04-01\tsha256 {national.sha256}" in (
        result.stdout
    )
    assert "national@2017.1\tdraft\t" in result.stdout


def test_every_command_is_documented_in_the_readme():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name in main.commands:
        assert f"tfp {name}" in readme, f"`tfp {name}` is not documented in README.md"


def test_validate_refuses_one_version_in_two_files_as_start_up_does(runner, tmp_path):
    (tmp_path / "a.yaml").write_text(NATIONAL_YAML.read_text())
    (tmp_path / "b.yaml").write_text(NATIONAL_YAML.read_text())
    result = runner.invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "national@2015.1 is also defined in" in result.stderr


def test_validate_refuses_two_versions_taking_effect_on_one_day(runner, tmp_path):
    (tmp_path / "a.yaml").write_text(NATIONAL_YAML.read_text())
    other = NATIONAL_YAML.read_text().replace('version: "2015.1"', 'version: "2015.2"')
    (tmp_path / "b.yaml").write_text(other)
    result = runner.invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    line = next(line for line in result.stderr.splitlines() if "both take effect" in line)
    assert ":7: effective_from:" in line  # file, line and field
    assert (
        "national@2015.2 and national@2015.1" in line
        or "national@2015.1 and national@2015.2" in line
    )


def test_validate_checks_facts_against_the_ruleset_that_would_judge_them(
    runner, tmp_path, example_doc
):
    example_doc["judgements"] = [
        {"indicator": "H6.mental_helth", "member": "p1", "by": "kw-1", "reason": "letter"},
        {"indicator": "H1.proven_offence", "member": "p1", "by": "kw-1", "reason": "court"},
    ]
    (tmp_path / "f.json").write_text(json.dumps(example_doc))
    result = runner.invoke(main, ["validate", str(tmp_path / "f.json")])
    assert result.exit_code == 1
    assert (
        "/judgements/0/indicator: ruleset national@2015.1 has no indicator 'H6.mental_helth'"
        in (result.stderr)
    )
    assert "(did you mean 'H6.mental_health'?)" in result.stderr
    assert "/judgements/1/member: H1.proven_offence applies to a child, but p1 is an adult" in (
        result.stderr
    )


def test_validate_prints_warnings_but_passes(runner, tmp_path, example_doc):
    example_doc["members"][1]["role"] = "adult"  # c1 is 12
    (tmp_path / "f.json").write_text(json.dumps(example_doc))
    result = runner.invoke(main, ["validate", str(tmp_path / "f.json")])
    assert result.exit_code == 0, result.stderr
    assert "warning: /members/1/role: role says adult, but c1 is 12" in result.stderr
    assert f"ok {tmp_path / 'f.json'}" in result.stdout


def test_eval_reports_problems_of_every_kind_at_once(runner, tmp_path, example_doc):
    example_doc["members"][0]["flags"]["colour"] = "red"  # schema
    example_doc["members"][1]["date_of_birth"] = "2020-01-01"  # cross-field
    example_doc["judgements"][0]["indicator"] = "H6.nonexistent"  # needs the ruleset
    (tmp_path / "f.json").write_text(json.dumps(example_doc))
    result = runner.invoke(main, ["eval", str(tmp_path / "f.json")])
    assert result.exit_code == 1
    for pointer in (
        "/members/0/flags/colour",
        "/members/1/date_of_birth",
        "/judgements/0/indicator",
    ):
        assert pointer in result.stderr


def test_validate_compiles_rulesets_so_a_condition_too_complex_for_the_engine_is_caught(
    runner, tmp_path
):
    branch = (
        "            - any: [{field: flags.mental_health_support}, {field: flags.substance_misuse}]"
    )
    national = NATIONAL_YAML.read_text()
    complex_ = national.replace(
        "        when:\n          field: flags.substance_misuse\n          is: true\n",
        "        when:\n          all:\n" + "\n".join([branch] * 16) + "\n",
    ).replace('version: "2015.1"', 'version: "complex"')
    assert complex_ != national.replace('version: "2015.1"', 'version: "complex"')
    (tmp_path / "r.yaml").write_text(complex_)
    result = runner.invoke(main, ["validate", str(tmp_path / "r.yaml")])
    assert result.exit_code == 1
    assert "too complex for the rules engine (H6.substance_misuse)" in result.stderr

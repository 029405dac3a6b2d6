"""Publishing: a draft checked, tested and recorded; refused, with every reason, otherwise."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tfp_rules.cli import main
from tfp_rules.errors import RulesetError
from tfp_rules.library import RulesetLibrary
from tfp_rules.policy.publish import PublishRefusedError, publish
from tfp_rules.policy.register import REGISTER_NAME, read_register

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the shipped rulesets and fixtures (tests files name the fixtures relatively)."""
    shutil.copytree(ROOT / "rulesets", tmp_path / "rulesets")
    shutil.copytree(ROOT / "fixtures", tmp_path / "fixtures")
    return tmp_path / "rulesets"


def library(directory: Path) -> RulesetLibrary:
    return RulesetLibrary.from_directory(directory)


def test_a_draft_is_published_with_its_hash_tests_and_publisher(project):
    assert library(project).status("national@2017.1") == "draft"
    done = publish(project, library(project), "national@2017.1", by="A. Officer", today=TODAY)
    assert done.new and done.report is not None and done.report.ok
    entry = yaml.safe_load((project / REGISTER_NAME).read_text())["national@2017.1"]
    assert entry["file"] == "national/2017.1.yaml"
    assert entry["sha256"] == library(project).resolve("national@2017.1").sha256
    assert entry["published_by"] == "A. Officer"
    assert entry["tests"] == done.report.summary() and entry["tests"].endswith("passed")
    assert done.notes == [
        "national@2017.1 decides families assessed from 2017-04-01 until a later published "
        "version takes effect; decisions already made stand, and say so when it would decide "
        "them differently"
    ]
    # and now it is in force by date
    assert library(project).resolve("national", on=dt.date(2019, 3, 31)).version == "2017.1"


def test_publishing_again_changes_nothing(project):
    before = (project / REGISTER_NAME).read_bytes()
    done = publish(project, library(project), "national@2015.1", today=TODAY)
    assert not done.new
    assert (project / REGISTER_NAME).read_bytes() == before


def test_a_failing_test_refuses_with_what_differed(project):
    tests = project / "national" / "2017.1.tests.yaml"
    text = tests.read_text()
    assert "status: eligible" in text
    tests.write_text(text.replace("status: eligible", "status: not_eligible", 1))
    with pytest.raises(PublishRefusedError) as caught:
        publish(project, library(project), "national@2017.1", today=TODAY)
    [reason] = caught.value.reasons
    assert reason.startswith("its tests did not pass (") and "1 failed" in reason
    assert "national@2017.1" not in read_register(project)


def test_a_version_without_tests_is_refused(project):
    (project / "national" / "2017.1.tests.yaml").unlink()
    with pytest.raises(PublishRefusedError) as caught:
        publish(project, library(project), "national@2017.1", today=TODAY)
    assert caught.value.reasons == [
        "it has no tests: write 2017.1.tests.yaml beside it (tfp test explains the format)"
    ]


def test_a_local_version_over_a_draft_is_refused(project):
    local = project / "local" / "stockton" / "2017.1.yaml"
    text = (project / "local" / "stockton" / "2015.1.yaml").read_text()
    local.write_text(
        text.replace('version: "2015.1"', 'version: "2017.1"')
        .replace("effective_from: 2015-04-01", "effective_from: 2017-04-01")
        .replace("extends: national@2015.1", "extends: national@2017.1")
    )
    with pytest.raises(PublishRefusedError) as caught:
        publish(project, library(project), "stockton@2017.1", today=TODAY)
    assert "it extends national@2017.1, a draft: publish that first" in caught.value.reasons


def test_strict_refuses_lint_warnings(project):
    draft = project / "national" / "2017.1.yaml"
    draft.write_text(draft.read_text().replace("review_by: 2027-03-31", "review_by: 2026-01-31", 1))
    assert publish(project, library(project), "national@2017.1", today=TODAY, strict=False).warnings
    (project / REGISTER_NAME).write_text((ROOT / "rulesets" / REGISTER_NAME).read_text())
    with pytest.raises(PublishRefusedError, match="1 lint warning"):
        publish(project, library(project), "national@2017.1", today=TODAY, strict=True)


def test_once_published_a_file_cannot_change(project):
    publish(project, library(project), "national@2017.1", today=TODAY)
    draft = project / "national" / "2017.1.yaml"
    draft.write_text(draft.read_text().replace("value: 2\n", "value: 3\n", 1))
    with pytest.raises(RulesetError, match=r"national@2017\.1 was published with sha256"):
        library(project)


def test_the_command_publishes_and_refuses_with_exit_codes(project, monkeypatch):
    monkeypatch.chdir(project.parent)
    runner = CliRunner()
    done = runner.invoke(
        main, ["publish", "national@2017.1", "--rulesets", "rulesets", "--by", "me"]
    )
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("published national@2017.1 (sha256 ")
    assert "recorded in rulesets/published.yaml" in done.stdout
    again = runner.invoke(main, ["publish", "national@2017.1", "--rulesets", "rulesets"])
    assert again.exit_code == 0
    assert again.stdout.splitlines()[0] == "national@2017.1 is already published; nothing to do"
    missing = runner.invoke(main, ["publish", "national@2099.1", "--rulesets", "rulesets"])
    assert missing.exit_code == 1 and "no ruleset national@2099.1" in missing.stderr
    usage = runner.invoke(main, ["publish", "national", "--rulesets", "rulesets"])
    assert usage.exit_code == 2
    (project / "national" / "2015.1.tests.yaml").write_text(
        (project / "national" / "2015.1.tests.yaml")
        .read_text()
        .replace("status: eligible", "status: undetermined", 1)
    )
    # unpublish national@2015.1 (a test would now fail) and try to publish it again
    register = yaml.safe_load((ROOT / "rulesets" / REGISTER_NAME).read_text())
    del register["national@2015.1"]
    (project / REGISTER_NAME).write_text(yaml.safe_dump(register))
    refused = runner.invoke(main, ["publish", "national@2015.1", "--rulesets", "rulesets"])
    assert refused.exit_code == 1
    assert "national@2015.1 not published:" in refused.stderr
    assert "FAILED national@2015.1: " in refused.stdout  # which case, and what differed


def test_an_invalid_tests_file_is_not_taken_for_missing_tests(project):
    (project / "national" / "2017.1.tests.yaml").write_text("ruleset: national@2017.1\ntests: []\n")
    with pytest.raises(PublishRefusedError) as caught:
        publish(project, library(project), "national@2017.1", today=TODAY)
    assert caught.value.reasons == ["its tests did not pass (0 passed, 1 invalid tests file)"]

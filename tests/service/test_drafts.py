"""Drafts in the service: listed for policy officers on request, never used to decide, and a
published file that changed stops the service from starting, naming the file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from service import create_app
from tests.published import publish_all
from tfp_rules.errors import RulesetError

from .test_api import assert_problem

ROOT = Path(__file__).resolve().parents[2]


def refs(response) -> list[str]:
    return [f"{r['id']}@{r['version']}" for r in response.get_json()["items"]]


def test_only_published_versions_are_listed_by_default(client, auth):
    listed = client.get("/v1/rulesets", headers=auth("policy_officer"))
    assert refs(listed) == ["national@2015.1", "stockton@2015.1"]
    assert {r["status"] for r in listed.get_json()["items"]} == {"published"}


def test_policy_officers_list_drafts_on_request(client, auth):
    drafts = client.get("/v1/rulesets?status=draft", headers=auth("policy_officer"))
    assert refs(drafts) == ["national@2017.1"]
    [draft] = drafts.get_json()["items"]
    assert draft["status"] == "draft" and "published" not in draft
    every = client.get("/v1/rulesets?status=all", headers=auth("admin"))
    assert refs(every) == ["national@2015.1", "national@2017.1", "stockton@2015.1"]
    detail = client.get("/v1/rulesets/national/2017.1", headers=auth("policy_officer"))
    assert detail.status_code == 200
    assert detail.get_json()["status"] == "draft"
    assert detail.get_json()["parameters"]["fixed_term_exclusions_min"]["review_by"] == "2027-03-31"


@pytest.mark.parametrize("role", ["submitter", "reviewer"])
def test_other_roles_do_not_see_drafts(client, auth, role):
    body = assert_problem(
        client.get("/v1/rulesets?status=draft", headers=auth(role)), 403, "forbidden"
    )
    assert "policy_officer" in body["detail"]
    missing = assert_problem(
        client.get("/v1/rulesets/national/2017.1", headers=auth(role)), 404, "not-found"
    )
    assert "national@2017.1" not in missing["available"]


def test_a_draft_never_decides(client, auth, example):
    # in force by date it would be (2017-04-01 <= 2019-03-31), but it is not published
    made = client.post("/v1/evaluations", json=example, headers=auth())
    assert made.get_json()["ruleset"]["version"] == "2015.1"
    body = assert_problem(
        client.post("/v1/evaluations?ruleset=national@2017.1", json=example, headers=auth()),
        422,
        "draft-ruleset",
    )
    assert "national@2017.1 is a draft" in body["detail"]
    assert "national@2017.1" not in body["available"]
    unknown = assert_problem(
        client.post("/v1/evaluations?ruleset=national@9", json=example, headers=auth()),
        422,
        "unknown-ruleset",
    )
    assert unknown["available"] == ["national@2015.1", "stockton@2015.1"]


def test_the_openapi_document_offers_only_published_versions(client):
    document = client.get("/v1/openapi.json").get_json()
    text = str(document)
    assert "national@2015.1" in text and "national@2017.1" not in text


def test_a_published_file_that_changed_stops_the_service_naming_it(tmp_path):
    rulesets = tmp_path / "rulesets"
    (rulesets / "national").mkdir(parents=True)
    shutil.copy(ROOT / "rulesets" / "national" / "2015.1.yaml", rulesets / "national")
    publish_all(rulesets)
    changed = rulesets / "national" / "2015.1.yaml"
    changed.write_text(changed.read_text().replace("value: 12\n", "value: 13\n", 1))
    config = {"DATABASE": str(tmp_path / "db.sqlite"), "RULESETS": str(rulesets), "TESTING": True}
    with pytest.raises(RulesetError) as caught:
        create_app(config)
    [problem] = caught.value.problems
    assert problem.file.endswith("national/2015.1.yaml")
    assert "national@2015.1 was published with sha256" in problem.message
    assert "a published version cannot change" in problem.message


def test_a_service_with_only_drafts_of_its_ruleset_will_not_start(tmp_path):
    rulesets = tmp_path / "rulesets"
    (rulesets / "national").mkdir(parents=True)
    shutil.copy(ROOT / "rulesets" / "national" / "2015.1.yaml", rulesets / "national")
    config = {"DATABASE": str(tmp_path / "db.sqlite"), "RULESETS": str(rulesets), "TESTING": True}
    with pytest.raises(RulesetError, match="no published ruleset has that id"):
        create_app(config)

"""`GET /v1/rulesets/{id}/diff?from=..&to=..`: the semantic diff for policy officers (and
admins), drafts included, the same JSON as `tfp diff --format json`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from tfp_rules.cli import main

from .test_openapi import errors

URL = "/v1/rulesets/national/diff?from=2015.1&to=2017.1"


@pytest.mark.parametrize("role", ["policy_officer", "admin"])
def test_policy_officers_and_admins_see_what_a_draft_changes(client, auth, role):
    response = client.get(URL, headers=auth(role))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["from"]["version"] == "2015.1" and body["to"]["version"] == "2017.1"
    assert body["changed"] is True
    texts = [c["text"] for c in body["changes"]]
    assert "H3.early_help now also reads education." in texts


def test_the_json_is_what_tfp_diff_prints(client, auth):
    api = client.get(URL, headers=auth("policy_officer")).get_json()
    cli = CliRunner().invoke(
        main, ["diff", "national@2015.1", "national@2017.1", "--format", "json"]
    )
    assert cli.exit_code == 0, cli.output
    assert api == json.loads(cli.stdout)


def test_the_answer_matches_the_documented_schema(client, auth):
    body = client.get(URL, headers=auth("policy_officer")).get_json()
    assert body["changes"]
    assert all(errors("RulesetChange", change) == [] for change in body["changes"])
    assert errors("DiffVersion", body["from"]) == []


def test_a_version_against_itself_has_no_changes(client, auth):
    url = "/v1/rulesets/stockton/diff?from=2015.1&to=2015.1"
    body = client.get(url, headers=auth("policy_officer")).get_json()
    assert body["changed"] is False
    assert body["changes"] == []
    assert body["counts"] == {"added": 0, "removed": 0, "changed": 0}


@pytest.mark.parametrize("role", ["submitter", "reviewer"])
def test_other_roles_are_refused(client, auth, role):
    response = client.get(URL, headers=auth(role))
    assert response.status_code == 403
    assert response.get_json()["type"].endswith("/forbidden")


@pytest.mark.parametrize(
    ("url", "detail", "available"),
    [
        (
            "/v1/rulesets/national/diff?from=2015.1&to=2099.1",
            "no ruleset national@2099.1",
            ["national@2015.1", "national@2017.1"],
        ),
        (
            "/v1/rulesets/national/diff?from=1999.1&to=2017.1",
            "no ruleset national@1999.1",
            ["national@2015.1", "national@2017.1"],
        ),
        (
            "/v1/rulesets/nowhere/diff?from=2015.1&to=2017.1",
            "no ruleset with id 'nowhere'",
            ["national@2015.1", "national@2017.1", "stockton@2015.1"],
        ),
    ],
)
def test_an_unknown_version_is_404_listing_what_exists(client, auth, url, detail, available):
    response = client.get(url, headers=auth("policy_officer"))
    assert response.status_code == 404
    body = response.get_json()
    assert body["detail"] == detail
    assert body["available"] == available
    assert errors("Problem", body) == []


@pytest.mark.parametrize(
    "query", ["", "?to=2017.1", "?from=2015.1", "?from=2015.1&to=2017.1"], ids=repr
)
def test_to_defaults_to_the_newest_version_and_from_to_the_one_before(client, auth, query):
    body = client.get(f"/v1/rulesets/national/diff{query}", headers=auth("policy_officer"))
    assert body.status_code == 200, body.get_data(as_text=True)
    versions = (body.get_json()["from"]["version"], body.get_json()["to"]["version"])
    assert versions == ("2015.1", "2017.1")


def test_without_from_the_first_version_has_nothing_before_it(client, auth):
    response = client.get("/v1/rulesets/stockton/diff", headers=auth("policy_officer"))
    assert response.status_code == 404
    body = response.get_json()
    assert "stockton@2015.1 is the first version of 'stockton'" in body["detail"]
    assert body["available"] == ["stockton@2015.1"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("from=2015.1&to=2017.1&to=2017.1", "to"),
        ("from=&to=2017.1", "from"),
        ("from=2015.1&to=../x", "to"),
        ("from=2015.1&to=2017.1&format=text", "format"),
    ],
)
def test_missing_repeated_invalid_or_unknown_parameters_are_400(client, auth, query, named):
    response = client.get(f"/v1/rulesets/national/diff?{query}", headers=auth("policy_officer"))
    assert response.status_code == 400
    body = response.get_json()
    assert body["type"].endswith("/invalid-query")
    assert [e["parameter"] for e in body["errors"]] == [named]


def test_the_diff_route_does_not_shadow_reading_a_version(client, auth):
    assert (
        client.get("/v1/rulesets/national/2017.1", headers=auth("policy_officer")).status_code
        == 200
    )


def test_the_diff_answers_with_the_headers_every_route_has(client, auth):
    """tests/service/test_headers.py lists every route; until the diff route is added there,
    its headers are checked here."""
    from .test_headers import assert_protected

    assert_protected(client.get(URL, headers=auth("policy_officer")))
    assert_protected(client.get("/v1/rulesets/nowhere/diff", headers=auth("policy_officer")))

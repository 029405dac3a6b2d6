"""The service decides with its council's ruleset (TFP_RULESET), records the national version
under it, and shows a local ruleset whole."""

from __future__ import annotations

import pytest

from service import create_app
from tfp_rules.errors import RulesetError
from tfp_rules.store import Store


@pytest.fixture
def council_client(app, tmp_path):
    """The same rulesets, run by Stockton: requests that name no ruleset get stockton's."""
    council = create_app(
        {"DATABASE": app.config["DATABASE"], "TESTING": True, "RULESET": "stockton"}
    )
    return council.test_client()


def test_a_request_naming_no_ruleset_is_decided_by_the_councils(
    council_client, client, auth, example, national
):
    answer = council_client.post("/v1/evaluations", json=example, headers=auth())
    assert answer.status_code == 201, answer.get_data(as_text=True)
    decision = answer.get_json()
    assert decision["ruleset"]["id"] == "stockton"
    assert decision["ruleset"]["extends"] == national.identity()
    assert decision["trace"]["local"]["council"] == "Stockton-on-Tees Borough Council"
    assert answer.headers["X-Ruleset-Id"] == "stockton"
    # naming one still works; and a service run without the setting decides nationally
    named = council_client.post("/v1/evaluations?ruleset=national", json=example, headers=auth())
    assert named.get_json()["ruleset"] == national.identity()
    default = client.post("/v1/evaluations", json=example, headers=auth()).get_json()
    assert default["ruleset"] == national.identity()


def test_the_stored_decision_is_filtered_by_its_local_ruleset(council_client, auth, example):
    made = council_client.post("/v1/evaluations", json=example, headers=auth()).get_json()
    listed = council_client.get("/v1/decisions?ruleset=stockton", headers=auth("reviewer"))
    assert [d["id"] for d in listed.get_json()["items"]] == [made["id"]]


def test_an_unknown_council_ruleset_stops_start_up_naming_the_setting(tmp_path):
    with pytest.raises(RulesetError, match=r"TFP_RULESET is 'stokton'.*did you mean 'stockton'"):
        create_app({"DATABASE": str(tmp_path / "db.sqlite"), "TESTING": True, "RULESET": "stokton"})
    Store(tmp_path / "db.sqlite").close()


def test_a_local_ruleset_reads_back_whole(client, auth):
    detail = client.get("/v1/rulesets/stockton/2015.1", headers=auth("policy_officer")).get_json()
    assert detail["extends"]["id"] == "national"
    assert detail["council"] == "Stockton-on-Tees Borough Council"
    assert detail["overrides"]["financial_difficulty_window_months"]["value"] == 6
    assert detail["parameters"]["financial_difficulty_window_months"]["value"] == 6
    local = [i for h in detail["headlines"] for i in h["indicators"] if i["origin"] == "local"]
    assert {i["id"] for i in local} == {"H2.unauthorised_absence", "H6.poor_dental_health"}
    assert all(i["when"] for h in detail["headlines"] for i in h["indicators"])


def test_a_local_ruleset_shows_its_outcome_plan_as_written(client, auth):
    detail = client.get("/v1/rulesets/stockton/2015.1", headers=auth("policy_officer")).get_json()
    plan = detail["outcome_plan"]
    assert plan["sustain_months"] == "sustain_months"
    assert [h["headline"] for h in plan["headlines"]] == ["H1", "H2", "H3", "H4", "H5", "H6"]


def test_facts_added_later_are_judged_by_the_rules_that_judged_the_family(client, auth, example):
    """A family decided with Stockton's rules stays with them when facts arrive, whatever
    the service's default (a review found it switched silently to the national rules)."""
    first = client.post("/v1/evaluations?ruleset=stockton", json=example, headers=auth())
    assert first.get_json()["ruleset"]["id"] == "stockton"
    update = {"sources_checked": {"dwp": example["assessment_date"]}}
    later = client.post(
        f"/v1/decisions/{first.get_json()['id']}/facts", json=update, headers=auth()
    )
    assert later.status_code == 201, later.get_data(as_text=True)
    assert later.get_json()["ruleset"]["id"] == "stockton"
    # naming other rules still works, on the newest decision of the chain
    named = client.post(
        f"/v1/decisions/{later.get_json()['id']}/facts?ruleset=national",
        json={"members": [{"ref": "p1", "flags": {"substance_misuse": True}}]},
        headers=auth(),
    )
    assert named.status_code == 201, named.get_data(as_text=True)
    assert named.get_json()["ruleset"]["id"] == "national"

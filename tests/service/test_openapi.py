"""The OpenAPI file and the app stay in step: same routes and methods, and real responses
validate against the documented schemas."""

from __future__ import annotations

import re

import jsonschema
import pytest
from referencing import Registry, Resource

from service.openapi import spec
from tfp_rules.store import ACTIONS


def documented() -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, ops in spec()["paths"].items() for method in ops}


def test_every_route_is_documented_and_every_documented_route_exists(app):
    """Every API route; the web pages are HTML for people, not part of the API's contract."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith(("pages.", "assets.")):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        routes |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented()


def validator(component: str) -> jsonschema.Draft202012Validator:
    document = spec()
    registry = Registry().with_resource("urn:api", Resource.opaque(document))
    schema = {"$ref": f"urn:api#/components/schemas/{component}"}
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def errors(component: str, instance) -> list[str]:
    return [
        f"{list(e.absolute_path)}: {e.message}" for e in validator(component).iter_errors(instance)
    ]


def test_the_example_facts_match_the_request_schema(example):
    assert errors("FamilyFacts", example) == []


def test_responses_match_the_documented_schemas(client, auth, example):
    created = client.post("/v1/evaluations", json=example, headers=auth()).get_json()
    assert errors("StoredDecision", created) == []
    url = f"/v1/decisions/{created['id']}/reviews"
    review = client.post(
        url,
        json={"verdict": "override", "eligible": False, "reason": "r"},
        headers=auth("reviewer"),
    )
    assert errors("Review", review.get_json()) == []
    after = client.get(f"/v1/decisions/{created['id']}", headers=auth("reviewer")).get_json()
    assert errors("StoredDecision", after) == []
    listed = client.get("/v1/decisions", headers=auth("reviewer")).get_json()["items"]
    assert errors("DecisionSummary", listed[0]) == []
    detail = client.get("/v1/rulesets/national/2015.1", headers=auth()).get_json()
    assert errors("RulesetDetail", detail) == []
    problem = client.get("/v1/decisions/nope", headers=auth("reviewer")).get_json()
    assert errors("Problem", problem) == []
    trail = client.get("/v1/audit", headers=auth("admin")).get_json()["items"]
    assert trail and all(errors("AuditEntry", row) == [] for row in trail)


def test_the_documented_audit_actions_are_the_stores():
    assert spec()["components"]["schemas"]["AuditAction"]["enum"] == list(ACTIONS)


def test_a_superseded_problem_validates(client, auth, example):
    first = client.post("/v1/evaluations", json=example, headers=auth()).get_json()
    url = f"/v1/decisions/{first['id']}/facts"
    client.post(url, json={"sources_checked": {"police": "2019-03-30"}}, headers=auth())
    problem = client.post(url, json={"sources_checked": {"dwp": "2019-03-30"}}, headers=auth())
    assert problem.status_code == 409
    assert errors("Problem", problem.get_json()) == []


def test_a_stored_decision_with_an_extra_member_is_refused_by_the_schema(client, auth, example):
    created = client.post("/v1/evaluations", json=example, headers=auth()).get_json()
    assert errors("StoredDecision", {**created, "surprise": 1}) != []


@pytest.mark.parametrize("path", ["/healthz", "/v1/openapi.json"])
def test_public_paths_are_marked_public(path):
    [op] = spec()["paths"][path].values()
    assert op["security"] == []

"""The OpenAPI 3.1 description: `openapi.yaml` beside this file, with the project's JSON
Schemas (family facts, facts update, decision) inlined, so there is one source for each
shape, and the `ruleset` parameters naming the rulesets the service has loaded."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tfp_rules.facts import FactsUpdate
from tfp_rules.library import RulesetLibrary
from tfp_rules.text import LINE_PATTERN, NOT_BLANK_TEXT_PATTERN

HERE = Path(__file__).parent
SCHEMAS = HERE.parent / "schemas"


def _inline(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """A JSON Schema file as an OpenAPI component: its $defs become sibling components."""
    schema = json.loads(json.dumps(schema).replace('"#/$defs/', f'"#/components/schemas/{name}.'))
    defs = schema.pop("$defs", {})
    schema.pop("$schema", None)
    schema.pop("$id", None)
    out = {name: schema}
    out.update({f"{name}.{key}": value for key, value in defs.items()})
    return out


def _ruleset_parameters(document: dict[str, Any], refs: tuple[str, ...]) -> None:
    """Every `ruleset` query parameter as the choice of what is loaded: each id (its version
    in force) and each ID@VERSION. What a request may name is then what the server takes."""
    choices = sorted({ref.partition("@")[0] for ref in refs}) + sorted(refs)
    for operation in (op for path in document["paths"].values() for op in path.values()):
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == "ruleset" and parameter.get("in") == "query":
                parameter["schema"] = {"type": "string", "enum": choices}


def _judged_indicators(components: dict[str, Any], indicators: tuple[str, ...]) -> None:
    """A judgement's indicator as the choice of the indicators the loaded rulesets have."""
    for name in ("FamilyFacts.Judgement", "FactsUpdate.Judgement"):
        components[name]["properties"]["indicator"]["enum"] = sorted(indicators)


@cache
def spec(rulesets: tuple[str, ...] = (), indicators: tuple[str, ...] = ()) -> dict[str, Any]:
    """The document for a service serving `rulesets` (ID@VERSION each) whose indicators are
    `indicators`; without them, any ruleset or indicator that matches the patterns."""
    document = yaml.safe_load((HERE / "openapi.yaml").read_text())
    if rulesets:
        _ruleset_parameters(document, rulesets)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(
        _inline(json.loads((SCHEMAS / "family-facts.schema.json").read_text()), "FamilyFacts")
    )
    components.update(_inline(FactsUpdate.model_json_schema(by_alias=True), "FactsUpdate"))
    components["ReviewReason"]["pattern"] = NOT_BLANK_TEXT_PATTERN
    components["ClaimIn"]["properties"]["keyworker"]["pattern"] = LINE_PATTERN
    if indicators:
        _judged_indicators(components, indicators)
    decision = _inline(json.loads((SCHEMAS / "decision.schema.json").read_text()), "Decision")
    components.update(decision)
    # The same members without "no other members", so a stored decision can extend them.
    components["DecisionFields"] = {
        k: v for k, v in decision["Decision"].items() if k != "additionalProperties"
    }
    return document


def served(library: RulesetLibrary) -> dict[str, Any]:
    """The document a service with these rulesets serves at /v1/openapi.json."""
    published = library.published()  # a request may name only these
    indicators = {ind.id for ruleset in published for ind in ruleset.indicators}
    # a worker's judgement may also name a measure of an outcome plan (progress)
    indicators |= {
        pm.id
        for ruleset in published
        if ruleset.outcome_plan
        for pm in ruleset.outcome_plan.measures
    }
    return spec(tuple(rs.ref for rs in published), tuple(sorted(indicators)))

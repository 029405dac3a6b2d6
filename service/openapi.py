"""The OpenAPI 3.1 description: `openapi.yaml` beside this file, with the project's JSON
Schemas (family facts, decision) inlined, so there is one source for each shape."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

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


@cache
def spec() -> dict[str, Any]:
    document = yaml.safe_load((HERE / "openapi.yaml").read_text())
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(
        _inline(json.loads((SCHEMAS / "family-facts.schema.json").read_text()), "FamilyFacts")
    )
    decision = _inline(json.loads((SCHEMAS / "decision.schema.json").read_text()), "Decision")
    components.update(decision)
    # The same members without "no other members", so a stored decision can extend them.
    components["DecisionFields"] = {
        k: v for k, v in decision["Decision"].items() if k != "additionalProperties"
    }
    return document

"""What request bodies and parameters must look like, shared by the routes that take them."""

from __future__ import annotations

import re

from flask import request

from .problems import Problem

# A ruleset named on the query string: ID, or ID@VERSION (as documented in openapi.yaml).
RULESET_SPEC = r"^[a-z][a-z0-9_-]*(@[0-9A-Za-z][0-9A-Za-z._-]*)?$"


def require_json() -> None:
    """415 unless the body is sent as application/json."""
    if request.mimetype != "application/json":
        raise Problem(
            415, "unsupported-media-type", "Send JSON", "Content-Type must be application/json"
        )


def ruleset_spec() -> str | None:
    """The `ruleset` query parameter, if given; 400 if it is not ID or ID@VERSION."""
    spec = request.args.get("ruleset")
    if spec is not None and not re.match(RULESET_SPEC, spec):
        raise Problem(
            400,
            "invalid-query",
            "Invalid query parameters",
            "ruleset is ID or ID@VERSION, e.g. national@2015.1",
        )
    return spec

"""Introspection without a key: health, and the OpenAPI description of this API."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .db import get_store
from .inputs import NoParameters, takes
from .openapi import served

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
@takes(NoParameters)
def healthz(query: NoParameters):
    get_store().schema_version  # noqa: B018 (touches the database: a broken store is not healthy)
    library = current_app.extensions["tfp.library"]
    body = {"status": "ok", "rulesets": library.refs(published_only=True)}
    if library.refused is not None:  # serving, but not what is on disk: say so, and why
        body["rulesets_refused"] = {
            "since": library.refused_at,
            "problems": [str(p) for p in library.refused.problems],
        }
    return jsonify(body)


@bp.get("/v1/openapi.json")
@takes(NoParameters)
def openapi(query: NoParameters):
    return jsonify(served(current_app.extensions["tfp.library"]))

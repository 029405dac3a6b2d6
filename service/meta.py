"""Introspection without a key: health, and the OpenAPI description of this API."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from .db import get_store
from .inputs import NoParameters, takes
from .openapi import spec

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
@takes(NoParameters)
def healthz(query: NoParameters):
    get_store().schema_version  # noqa: B018 (touches the database: a broken store is not healthy)
    return jsonify({"status": "ok", "rulesets": current_app.extensions["tfp.library"].refs()})


@bp.get("/v1/openapi.json")
@takes(NoParameters)
def openapi(query: NoParameters):
    return jsonify(spec())

"""POST /v1/evaluations: validate a family's facts, decide, store, answer 201."""

from __future__ import annotations

import hashlib
import re

from flask import Blueprint, current_app, json, jsonify, request, url_for

from tfp_rules.evaluate import decide
from tfp_rules.facts import parse_facts

from .auth import actor, requires
from .db import get_store
from .problems import Problem
from .views import decision_view, with_ruleset_headers

bp = Blueprint("evaluations", __name__, url_prefix="/v1")
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@bp.post("/evaluations")
@requires("submitter")
def create():
    if request.mimetype != "application/json":
        raise Problem(
            415, "unsupported-media-type", "Send JSON", "Content-Type must be application/json"
        )
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise Problem(
            400, "bad-idempotency-key", "Bad Idempotency-Key", "1 to 255 visible ASCII characters"
        )
    raw = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413 before we read it
    spec = request.args.get("ruleset") or None
    facts = parse_facts(raw)
    decision = decide(current_app.extensions["tfp.library"], facts, spec)
    request_hash = hashlib.sha256((spec or "").encode() + b"\0" + raw).hexdigest()
    stored, created = get_store().save_decision(
        decision,
        json.loads(raw),
        submitted_by=actor().id,
        idempotency_key=key,
        request_hash=request_hash,
    )
    response = jsonify(decision_view(stored))
    response.status_code = 201
    response.headers["Location"] = url_for("decisions.get_one", decision_id=stored.id)
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    return with_ruleset_headers(response, stored.decision["ruleset"])

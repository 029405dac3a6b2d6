"""The tfp-rules web service: a thin Flask app over the core library.

`create_app(config)` loads and compiles every ruleset (a broken ruleset stops
start-up with its file, line and field; later edits are reloaded, see
`library`), creates or migrates the decision store, and registers one
blueprint per area.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request

from tfp_rules.ruleset import DEFAULT_RULESETS_DIR
from tfp_rules.store import Store

from . import audit, auth, db, decisions, evaluations, meta, problems, rulesets
from .library import LiveLibrary

log = logging.getLogger("tfp.service")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides settings read from the environment."""
    app = Flask(__name__)
    app.config.from_mapping(
        DATABASE=os.environ.get("TFP_DATABASE", "var/tfp.sqlite"),
        RULESETS=os.environ.get("TFP_RULESETS", str(DEFAULT_RULESETS_DIR)),
        MAX_CONTENT_LENGTH=int(os.environ.get("TFP_MAX_BODY_BYTES", str(1024 * 1024))),
        RULESETS_CHECK_SECONDS=float(os.environ.get("TFP_RULESETS_CHECK_SECONDS", "2")),
    )
    if config:
        app.config.update(config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the decision's own order

    app.extensions["tfp.library"] = LiveLibrary(
        app.config["RULESETS"], check_every=app.config["RULESETS_CHECK_SECONDS"]
    )
    Store(app.config["DATABASE"]).close()  # create or migrate the store before the first request

    db.register(app)
    auth.register(app)
    for blueprint in (meta.bp, evaluations.bp, decisions.bp, rulesets.bp, audit.bp):
        app.register_blueprint(blueprint)

    @app.errorhandler(Exception)
    def handle(exc: Exception) -> Response:
        problem = problems.to_problem(exc)
        _audit_rejection(problem)
        return problems.problem_response(problem)

    return app


def _audit_rejection(problem: problems.Problem) -> None:
    """A rejected request stores nothing but this audit line: its caller (or anonymous), the
    decision it was about (else the method and path), its status and problem type."""
    if request.endpoint in auth.PUBLIC:
        return
    where = f"{request.method} {request.path[:200]}"
    decision_id = (request.view_args or {}).get("decision_id")
    try:
        audit.record(
            "request.rejected",
            problem.status,
            target=decision_id[:200] if decision_id else where,
            detail=f"{problem.slug} ({where})" if decision_id else problem.slug,
        )
    except Exception:  # the store itself may be what failed; never mask the original problem
        log.exception("could not audit a rejected request")

"""The tfp-rules web service: a thin Flask app over the core library.

`create_app(config)` loads and compiles every ruleset (a broken ruleset stops
start-up with its file, line and field; later edits are reloaded, see
`library`), loads the data keys that seal personal data at rest (none, no start,
unless in development mode), creates or migrates the decision store, and
registers one blueprint per area.

Every request passes, in order: its size (URI and headers), its key, its client's rate
limit, then its body's size (a chunked body is counted); every response gets the headers
of `headers.py`; every refusal is problem+json with one audit line (`rejections.py`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response

from tfp_rules.privacy.datakeys import DEV_MODE_ENV, LiveDataKeys, data_keys_from_env
from tfp_rules.ruleset import DEFAULT_RULESET_ID, DEFAULT_RULESETS_DIR
from tfp_rules.store import Store

from . import (
    audit,
    auth,
    batch,
    claims,
    decisions,
    evaluations,
    headers,
    jobs,
    meta,
    pages,
    problems,
    progress,
    rate_limits,
    rejections,
    request_size,
    rulesets,
    subjects,
)
from .jsonio import OrjsonProvider
from .library import LiveLibrary

log = logging.getLogger("tfp.service")
DEFAULT_RATE_LIMIT = "20 per second;600 per minute"
TESTING_RATE_LIMIT = "100000 per second"


class _App(Flask):
    json_provider_class = OrjsonProvider


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides settings read from the environment."""
    app = _App(__name__)
    app.config.from_mapping(
        DATABASE=os.environ.get("TFP_DATABASE", "var/tfp.sqlite"),
        RULESETS=os.environ.get("TFP_RULESETS", str(DEFAULT_RULESETS_DIR)),
        # The council's own ruleset (a local one extends the national one), used when a
        # request names none: its version in force on the assessment date.
        RULESET=os.environ.get("TFP_RULESET") or DEFAULT_RULESET_ID,
        MAX_CONTENT_LENGTH=int(os.environ.get("TFP_MAX_BODY_BYTES") or 1024 * 1024),
        MAX_URI_BYTES=int(os.environ.get("TFP_MAX_URI_BYTES") or 4096),
        MAX_HEADER_BYTES=int(os.environ.get("TFP_MAX_HEADER_BYTES") or 16 * 1024),
        # Flask-Limiter's notation: several limits separated by ";", each must hold.
        RATE_LIMIT=os.environ.get("TFP_RATE_LIMIT") or DEFAULT_RATE_LIMIT,
        RULESETS_CHECK_SECONDS=float(os.environ.get("TFP_RULESETS_CHECK_SECONDS") or 2),
        # Web pages: a session ends after this long without a request, or this long in all.
        SESSION_IDLE_MINUTES=float(os.environ.get("TFP_SESSION_IDLE_MINUTES") or 30),
        SESSION_HOURS=float(os.environ.get("TFP_SESSION_HOURS") or 10),
        # Mark the session cookie Secure on every answer (TLS ends in front of nginx, so a
        # request here looks like plain HTTP); without it, only on requests that came over TLS.
        SESSION_COOKIE_SECURE=os.environ.get("TFP_COOKIE_SECURE", "") in ("1", "true", "yes"),
    )
    if config:
        app.config.update(config)
    if app.testing and "RATE_LIMIT" not in (config or {}):
        # The suite posts as one client far faster than any partner; the fuzzing run would
        # meet 429s instead of the routes. Tests of the limit set RATE_LIMIT themselves.
        app.config["RATE_LIMIT"] = TESTING_RATE_LIMIT

    app.extensions["tfp.library"] = LiveLibrary(
        app.config["RULESETS"],
        check_every=app.config["RULESETS_CHECK_SECONDS"],
        default=app.config["RULESET"],
    )
    if "DATA_KEYS" not in app.config:
        # Personal data is sealed at rest: no key file, no start, unless TFP_DEV_MODE says
        # to store it unencrypted (DataKeyError says which and how to make a key).
        app.config["DATA_KEYS"] = data_keys_from_env()
    if app.config["DATA_KEYS"] is None:
        log.warning("development mode: personal data is stored unencrypted (%s)", DEV_MODE_ENV)
    else:  # a rotation (`tfp keys rotate-data-key`) is picked up without a restart
        app.extensions["tfp.data_keys"] = LiveDataKeys(app.config["DATA_KEYS"])
    # create or migrate the store before the first request
    Store(app.config["DATABASE"], keys=app.config["DATA_KEYS"]).close()

    app.before_request(request_size.check_head)
    auth.register(app)
    rate_limits.register(app)  # after auth: it counts per client
    app.before_request(request_size.count_chunked_body)
    headers.register(app)
    for blueprint in (
        meta.bp,
        evaluations.bp,
        batch.bp,
        decisions.bp,
        progress.bp,
        claims.bp,
        rulesets.bp,
        audit.bp,
        subjects.bp,
    ):
        app.register_blueprint(blueprint)
    jobs.register(app)  # impact analyses as background jobs
    pages.register(app)  # the web pages for reviewers and policy officers

    @app.errorhandler(Exception)
    def handle(exc: Exception) -> Response:
        problem = problems.to_problem(exc)
        try:
            rejections.record_rejection(problem)
        except Exception:  # the store itself may be what failed; never mask the original problem
            log.exception("could not audit a rejected request")
        if pages.errors.wants_page():
            return pages.errors.error_page(problem)  # type: ignore[return-value]
        return problems.problem_response(problem)

    return app

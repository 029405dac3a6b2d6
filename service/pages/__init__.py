"""Server-rendered pages for reviewers and policy officers, in the same service as the API.

A person signs in with their API key, which is exchanged for a session (`signin.py`); every
page then acts with that key's client and role, through the same store calls and audit rows
as the API. Every form is CSRF-protected (Flask-WTF), every error is an HTML page
(`errors.py`), and the look is the GOV.UK Design System's, from the `govuk-frontend` npm
package (`assets.py`), with no build step and no script of our own.
"""

from __future__ import annotations

from flask import Flask, redirect, url_for

from ..auth import actor

# Each module adds its views to the blueprint.
from . import (  # noqa: F401
    assets,
    claims,
    decision,
    errors,
    impact,
    new_claim,
    progress,
    queue,
    ruleset_diff,
    rulesets,
    secret,
    signin,
)
from .blueprint import bp, csrf


@bp.get("/")
def home():
    """The work queue for reviewers, the rulesets for policy officers."""
    return redirect(
        url_for("pages.rulesets" if actor().role == "policy_officer" else "pages.queue")
    )


def register(app: Flask) -> None:
    """Mount the pages and what they need: a secret for the session cookie and CSRF tokens,
    the cookie's flags, CSRF checks on every page's POST (not the API's: it takes no cookie)."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret.secret_key(app.config)
    app.config.update(
        SESSION_COOKIE_NAME="tfp_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_CHECK_DEFAULT=False,  # checked for page POSTs only, in signin.before_page
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the session it belongs to
    )
    app.session_interface = signin.SecureWhenTLS()
    csrf.init_app(app)
    assets.register(app)
    app.register_blueprint(bp)

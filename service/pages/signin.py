"""Sign-in, sign-out and idle expiry: a person's API key exchanged for a session cookie.

The cookie is Flask's signed session, holding only the session's random token (`sid`) and
the CSRF secret; the store keeps the token's hash, the key, and when it was last used, so
a session ends at sign-out, after `SESSION_IDLE_MINUTES` without a request, after
`SESSION_HOURS`, or when its key is revoked. The cookie is HttpOnly and SameSite=Lax, and
Secure whenever the request came over TLS. Submitters (partner systems) get no session.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import InputRequired, Length

from tfp_rules.store import ANONYMOUS, ApiKey

from ..audit import record
from ..auth import SESSION_TOKEN, actor
from ..db import get_store
from .blueprint import bp, csrf

PAGE_ROLES = ("reviewer", "policy_officer", "admin")
# The menu: each page and the roles it serves (admin sees every page).
MENU = (
    ("pages.queue", "Work queue", ("reviewer",)),
    ("pages.rulesets", "Rulesets", ("reviewer", "policy_officer")),
    ("pages.claims", "Claims", ("reviewer",)),
)


class SecureWhenTLS(SecureCookieSessionInterface):
    """Flask's signed cookie session, marked Secure when this request came over TLS (or
    always, with SESSION_COOKIE_SECURE set)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


class SignInForm(FlaskForm):
    api_key = PasswordField(
        "API key",
        description="The key you were given for this service. It starts with tfp_.",
        validators=[
            InputRequired(message="Enter your API key"),
            Length(max=200, message="An API key is shorter than that"),
        ],
    )


class SignOutForm(FlaskForm):
    """A form with nothing but its CSRF token: signing out is a POST."""


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (never another host: no open redirect).

    Browsers and werkzeug drop tabs and newlines from a Location and read a backslash as a
    slash, so "/\t/evil.example" would become "//evil.example": any control character,
    space or backslash refuses the target, and what remains must parse as a bare path."""
    if not target or any(c <= " " or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _refuse(
    form: SignInForm, message: str, status: int, key: ApiKey | None = None
) -> tuple[str, int]:
    """The sign-in page again, with `message` against the key field; one bounded audit row,
    naming the key when a valid one was used where it may not be (a partner system's key
    typed into a browser is worth noticing)."""
    get_store().record_rejection(
        actor=key.client_id if key else ANONYMOUS,
        key_id=key.id if key else None,
        status=status,
        reason="sign-in refused",
        source=request.remote_addr or "unknown",
        target="POST /sign-in",
    )
    form.api_key.errors = [message]
    return render_template("sign_in.html", form=form, next=request.args.get("next")), status


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    form = SignInForm()
    if request.method == "GET":
        return render_template("sign_in.html", form=form, next=request.args.get("next"))
    if not form.validate_on_submit():
        status = 400
        if form.csrf_token.errors:
            form.api_key.errors = [*form.api_key.errors, *form.csrf_token.errors]
        return render_template("sign_in.html", form=form, next=request.args.get("next")), status
    key = get_store().authenticate(form.api_key.data.strip())
    if key is None:
        return _refuse(form, "The API key is not one this service knows, or it has ended", 401)
    if key.role not in PAGE_ROLES:
        return _refuse(
            form,
            f"These pages are for reviewers and policy officers; a {key.role} key is for the"
            " API only",
            403,
            key,
        )
    hours = float(current_app.config["SESSION_HOURS"])
    token = get_store().start_session(key, lifetime=timedelta(hours=hours))
    session.clear()  # a fresh cookie (and CSRF secret) for every sign-in
    session[SESSION_TOKEN] = token
    get_store().audit(
        actor=key.client_id, key_id=key.id, action="session.start", status=201, detail="page"
    )
    return redirect(safe_next(request.args.get("next")) or url_for("pages.home"))


@bp.post("/sign-out")
def sign_out() -> Any:
    form = SignOutForm()
    if form.validate_on_submit():
        get_store().end_session(session.get(SESSION_TOKEN, ""))
        record("session.end", 200)
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("pages.sign_in"))


@bp.before_request
def before_page() -> None:
    """Every page POST carries its form's CSRF token (the sign-in form's is checked by the
    form itself, so a bad one re-renders the form instead of an error page)."""
    if request.method == "POST" and request.endpoint != "pages.sign_in":
        csrf.protect()


def person() -> dict[str, str]:
    """Who is signed in, for the page header."""
    me = actor()
    return {"name": me.name, "role": me.role.replace("_", " ")}


@bp.app_context_processor
def signed_in() -> dict[str, Any]:
    """What every page's header shows: who is signed in, and the menu for their role."""
    key = g.get("actor") if request.blueprint == "pages" else None
    menu = [
        (endpoint, label)
        for endpoint, label, roles in MENU
        if key is not None and (key.role == "admin" or key.role in roles)
    ]
    return {
        "person": person() if key is not None else None,
        "nav_links": menu,
        "sign_out_form": SignOutForm(formdata=None),
    }

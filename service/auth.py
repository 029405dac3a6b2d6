"""Need-to-know access: every request carries an API key; each route names the roles it serves.

Keys are bearer tokens (`Authorization: Bearer tfp_...`), stored hashed by the
store and created with `tfp keys create --name CLIENT --role ROLE`; a key acts for its client.
A web page takes no bearer token: it acts with the key its session was started with at
sign-in (`pages/signin.py`), so pages and API share roles, rate limits and audit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request, session

from tfp_rules.store import ApiKey, NotFoundError, StoredDecision

from .db import get_store
from .problems import Problem

PUBLIC = {"meta.healthz", "meta.openapi", "static", "pages.sign_in", "assets.govuk", "assets.own"}
PAGES = "pages"  # the blueprint whose views sign in by session cookie
SESSION_TOKEN = "sid"  # the session token's name inside Flask's signed session cookie


class SignInRequired(Problem):
    """A page was asked for without a live session: the pages answer with the sign-in page."""

    def __init__(self, detail: str):
        super().__init__(401, "sign-in-required", "Sign in to continue", detail)


# Why a session ended, as the sign-in page tells the person.
ENDED = {
    "signed out": "You have signed out.",
    "idle": "You were signed out because you had not used the service for a while.",
    "expired": "Your session reached its time limit. Sign in again.",
    "key revoked": "Your API key was revoked, so you were signed out. Ask for a new key.",
    "key expired": "Your API key expired, so you were signed out. Ask for a new key.",
}


def _session_key() -> ApiKey:
    """The key the signed-in person's live session acts for; SignInRequired if none."""
    token = session.get(SESSION_TOKEN)
    if not token:
        raise SignInRequired("Sign in with your API key to use this service.")
    idle = timedelta(minutes=float(current_app.config["SESSION_IDLE_MINUTES"]))
    key, ended = get_store().session_key(token, idle=idle)
    if key is None:
        session.pop(SESSION_TOKEN, None)
        raise SignInRequired(ENDED.get(ended or "", "Sign in with your API key to continue."))
    return key


F = TypeVar("F", bound=Callable[..., Any])


def actor() -> ApiKey:
    """The authenticated caller of this request (its key; `client_id` is who it acts for)."""
    return g.actor


def caller() -> ApiKey | None:
    """The caller if a valid key came with this request, else None (anonymous)."""
    return g.get("actor")


def refused_key() -> ApiKey | None:
    """The revoked or expired key this request came with, if that is why it was refused."""
    return g.get("refused_key")


def _refusal(token: str) -> str:
    """Why `token` does not authenticate, for the one who holds it (naming a revoked or
    expired key tells nothing to anyone else: the token's hash must match)."""
    refused = get_store().refused_key(token)
    if refused is None:
        return "the API key is unknown"
    g.refused_key = refused
    if refused.state == "revoked":
        return f"the API key was revoked at {refused.revoked_at}; ask for a new one"
    return f"the API key expired at {refused.expires_at}; ask for a new one"


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _authenticate() -> None:
    if request.endpoint in PUBLIC:
        return
    if request.blueprint == PAGES:
        g.actor = _session_key()
        return
    token = _bearer()
    if request.endpoint is None:
        # An unknown route or method answers 404 or 405 whoever asks, but if a key came with
        # it, the audit log names whose it was.
        key = get_store().authenticate(token) if token else None
        if key is not None:
            g.actor = key
        elif token:
            _refusal(token)  # names a revoked or expired key in the audit line
        return
    if token is None:
        raise Problem(
            401,
            "unauthenticated",
            "Authentication required",
            "send Authorization: Bearer <api key>",
        )
    key = get_store().authenticate(token)
    if key is None:
        raise Problem(401, "unauthenticated", "Authentication required", _refusal(token))
    g.actor = key


def requires(*roles: str) -> Callable[[F], F]:
    """Allow only callers whose key has one of `roles` (admin is always allowed)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            role = actor().role
            if role != "admin" and role not in roles:
                raise Problem(
                    403,
                    "forbidden",
                    "Not allowed for this role",
                    f"role '{role}' may not do this; allowed: {', '.join(sorted({*roles, 'admin'}))}",
                )
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def register(app: Flask) -> None:
    app.before_request(_authenticate)


def _refusal_row(action: str, status: int, target: str | None, detail: str) -> None:
    """The audit row of a refusal (here, not via `audit.record`: that module imports this)."""
    key = caller()
    get_store().audit(
        actor=key.client_id if key else "anonymous",
        key_id=key.id if key else None,
        action=action,
        status=status,
        target=target,
        detail=detail,
    )


def refuse_restricted(
    family_ref: str | None, *, action: str, target: str | None, writing: bool = False
) -> None:
    """Art. 18: a restricted family's data is refused to every role but admin (403
    `restricted`), and new facts for it to everyone (423 `restricted`: locked until an
    admin lifts the restriction, whatever the request says); each refusal audited as
    `action` with detail `restricted`. The one check the API and the pages share."""
    if family_ref is None or (not writing and actor().role == "admin"):
        return
    if get_store().restriction_of(family_ref) is None:
        return
    status = 423 if writing else 403
    _refusal_row(action, status, target, "restricted")
    if writing:
        raise Problem(
            423,
            "restricted",
            "Processing restricted",
            "this family's processing is restricted (UK GDPR Art. 18): no new facts are taken"
            " for it until an admin lifts the restriction",
        )
    raise Problem(
        403,
        "restricted",
        "Processing restricted",
        "this family's processing is restricted (UK GDPR Art. 18): its data is kept but shown"
        " to admins only",
    )


R = TypeVar("R")


def withhold_restricted(items: list[R], action: str) -> list[R]:
    """A listed page without the records of restricted families, for every role but admin;
    what was withheld is audited (one row: `action`, 403, the ids withheld)."""
    if not items or actor().role == "admin":
        return items
    restricted = get_store().restricted_among(getattr(i, "family_ref", None) for i in items)
    if not restricted:
        return items
    withheld = [i for i in items if getattr(i, "family_ref", None) in restricted]
    _refusal_row(
        action,
        403,
        None,
        f"restricted withheld={len(withheld)} ids={','.join(i.id for i in withheld)}",  # type: ignore[attr-defined]
    )
    return [i for i in items if i not in withheld]


def erased(noun: str, record_id: str) -> Problem:
    """410 `erased`: the record is a tombstone, its personal content gone."""
    return Problem(
        410,
        "erased",
        "Personal data erased",
        f"{noun} {record_id} is a tombstone: its personal data was erased",
    )


def visible_decision(
    decision_id: str,
    *,
    tombstone: bool = False,
    writing: bool = False,
    action: str = "decision.read",
) -> StoredDecision:
    """The decision if this caller may see it: for a submitter, others' decisions do not exist;
    a restricted family's are refused (`refuse_restricted`). An erased decision (a tombstone:
    no facts, no trace) is returned only if the caller asks for `tombstone`; else 410
    `erased`, so no view ever reads a trace that is not there."""
    try:
        d = get_store().get_decision(decision_id)
    except NotFoundError:
        d = None
    me = actor()
    if d is None or (me.role == "submitter" and d.submitted_by != me.client_id):
        raise Problem(
            404, "not-found", "No such decision", f"no decision {decision_id} visible to you"
        )
    refuse_restricted(d.family_ref, action=action, target=d.id, writing=writing)
    if not d.decision and not tombstone:
        raise erased("decision", d.id)
    return d

"""Need-to-know access: every request carries an API key; each route names the roles it serves.

Keys are bearer tokens (`Authorization: Bearer tfp_...`), stored hashed by the
store and created with `tfp keys create --name CLIENT --role ROLE`; a key acts for its client.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, g, request

from tfp_rules.store import ApiKey, NotFoundError, StoredDecision

from .db import get_store
from .problems import Problem

PUBLIC = {"meta.healthz", "meta.openapi", "static"}
F = TypeVar("F", bound=Callable[..., Any])


def actor() -> ApiKey:
    """The authenticated caller of this request."""
    return g.actor


def _authenticate() -> None:
    if request.endpoint in PUBLIC or request.endpoint is None:
        return  # unknown routes fall through to a 404 problem
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            "unauthenticated",
            "Authentication required",
            "send Authorization: Bearer <api key>",
        )
    key = get_store().authenticate(token.strip())
    if key is None:
        raise Problem(
            401,
            "unauthenticated",
            "Authentication required",
            "the API key is unknown, revoked or expired",
        )
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


def visible_decision(decision_id: str) -> StoredDecision:
    """The decision if this caller may see it: for a submitter, others' decisions do not exist."""
    try:
        d = get_store().get_decision(decision_id)
    except NotFoundError:
        d = None
    me = actor()
    if d is None or (me.role == "submitter" and d.submitted_by != me.client_id):
        raise Problem(
            404, "not-found", "No such decision", f"no decision {decision_id} visible to you"
        )
    return d

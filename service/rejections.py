"""What a refused request leaves behind: one audit line, and nothing else.

Refusals anyone can cause in bulk are recorded in bounded space (`Store.record_rejection`:
one row per address, reason and minute, with a count): every refusal of a caller without a
valid key (no key, an unknown one, a revoked or expired one, which is named with its
client), and every 429. Any other refusal of an authenticated client is one row of its own,
naming the decision it was about; the client's rate limit bounds how many it can cause.
"""

from __future__ import annotations

from flask import request

from tfp_rules.store import ANONYMOUS

from . import auth
from .audit import record
from .db import get_store
from .problems import Problem

BOUNDED_STATUSES = {401, 429}


def record_rejection(problem: Problem) -> None:
    """The audit line for a refused request (public routes leave none)."""
    if request.endpoint in auth.PUBLIC:
        return
    args = request.view_args or {}
    path = request.path
    if args.get("family_ref"):  # a family ref in the path is personal data: never in the log
        path = path.replace(args["family_ref"], "{family_ref}")
    where = f"{request.method} {path[:200]}"
    decision_id = args.get("decision_id") or args.get("progress_id") or args.get("claim_id")
    key = auth.caller()
    if key is not None and problem.status not in BOUNDED_STATUSES:
        record(
            "request.rejected",
            problem.status,
            target=decision_id[:200] if decision_id else where,
            detail=f"{problem.slug} ({where})" if decision_id else problem.slug,
        )
        return
    refused = auth.refused_key()
    named = key or refused
    get_store().record_rejection(
        actor=named.client_id if named else ANONYMOUS,
        key_id=named.id if named else None,
        status=problem.status,
        reason=refused.state if refused is not None else problem.slug,
        source=request.remote_addr or "unknown",
        target=where,
    )

"""One place that turns every error into an RFC 9457 problem+json response.

Core exceptions map to precise 4xx statuses; anything unexpected becomes a
500 that names an incident id and never shows a stack trace.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from typing import Any

from flask import Response, json, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from tfp_rules.errors import (
    DraftRulesetError,
    EngineError,
    FactsError,
    MalformedJSONError,
    OtherFamilyError,
    UnknownRulesetError,
)
from tfp_rules.outcomes.claims import ClaimError, ClaimPreconditionsError
from tfp_rules.outcomes.progress import ProgressError
from tfp_rules.store import (
    ClaimExistsError,
    ClaimWithdrawnError,
    ConflictError,
    NotFoundError,
    NothingNewError,
    ReviewRefusedError,
    StoreError,
    SupersededError,
)

PROBLEM_BASE = "https://tfp-rules.example/problems/"
log = logging.getLogger("tfp.service")


class Problem(Exception):
    """An HTTP error with a stable `type` slug, a human `detail` and optional extra members."""

    headers: dict[str, str]

    def __init__(self, status: int, slug: str, title: str, detail: str = "", **extra: Any):
        super().__init__(detail or title)
        self.headers = {}
        self.status, self.slug, self.title, self.detail, self.extra = (
            status,
            slug,
            title,
            detail,
            extra,
        )


def problem_body(problem: Problem) -> dict[str, Any]:
    """The RFC 9457 members of a problem, as a response or a batch result carries them."""
    return {
        "type": PROBLEM_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        **({"detail": problem.detail} if problem.detail else {}),
        "instance": request.path,
        **problem.extra,
    }


def problem_response(problem: Problem) -> Response:
    response = Response(
        json.dumps(problem_body(problem)),
        status=problem.status,
        mimetype="application/problem+json",
    )
    response.headers.update(problem.headers)
    if problem.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tfp-rules"'
    return response


def facts_problem(
    exc: FactsError, title: str = "The family facts are not valid", detail: str = ""
) -> Problem:
    """400 for a body that is not JSON; else 422 listing every problem with its JSON Pointer."""
    errors = [{"pointer": p.pointer, "detail": p.message} for p in exc.problems]
    if isinstance(exc, MalformedJSONError):
        return Problem(400, "malformed-json", "The body is not valid JSON", exc.problems[0].message)
    detail = detail or f"{len(errors)} problem(s); each names its field by JSON Pointer"
    return Problem(422, "invalid-facts", title, detail, errors=errors)


def to_problem(exc: Exception) -> Problem:
    """The problem an exception stands for: bad input is a precise 4xx; anything else (an
    EngineError, a bug) is a 500 that names an incident id and hides the details."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, FactsError):
        return facts_problem(exc)
    if isinstance(exc, DraftRulesetError):
        return Problem(
            422, "draft-ruleset", "Ruleset not published", str(exc), available=exc.available
        )
    if isinstance(exc, UnknownRulesetError):
        return Problem(422, "unknown-ruleset", "No such ruleset", str(exc), available=exc.available)
    if isinstance(exc, NotFoundError):
        return Problem(404, "not-found", "Not found", str(exc))
    if isinstance(exc, ConflictError):
        return Problem(
            409, "idempotency-conflict", "Idempotency key reused with a different request", str(exc)
        )
    if isinstance(exc, SupersededError):
        return Problem(
            409,
            "superseded",
            "Facts were already added to this decision",
            str(exc),
            latest_id=exc.latest_id,
        )
    if isinstance(exc, NothingNewError):
        return Problem(422, "nothing-new", "The update adds nothing", str(exc))
    if isinstance(exc, ReviewRefusedError):  # a conflict with the decision's state
        return Problem(409, exc.code, "The review does not fit the outcome in force", str(exc))
    if isinstance(exc, ProgressError):  # too early, not eligible at entry, no outcome plan
        return Problem(422, exc.code, "The progress check cannot be made", str(exc))
    if isinstance(exc, ClaimPreconditionsError):  # what the council must evidence first
        return Problem(
            422,
            exc.code,
            "The claim's preconditions are not evidenced",
            str(exc),
            missing=exc.missing,
            errors=[{"pointer": f"/{p['name']}", "detail": p["detail"]} for p in exc.problems],
        )
    if isinstance(exc, ClaimError):  # not qualifying, or evidence the facts do not hold
        return Problem(422, exc.code, "The results claim cannot be made", str(exc))
    if isinstance(exc, ClaimExistsError):  # one results claim per family
        return Problem(
            409,
            "claim-exists",
            "The family already has a results claim",
            str(exc),
            existing_id=exc.existing_id,
        )
    if isinstance(exc, ClaimWithdrawnError):
        return Problem(409, "already-withdrawn", "The claim is already withdrawn", str(exc))
    if isinstance(exc, OtherFamilyError):  # a conflict with the decision added to
        return Problem(409, "other-family", "Facts for another family", str(exc))
    if isinstance(exc, StoreError):
        log.error("store unavailable on %s %s: %s", request.method, request.path, exc)
        return Problem(503, "store-unavailable", "The decision store is unavailable", "retry later")
    if isinstance(exc, RateLimitExceeded):  # Retry-After: service/rate_limits.py
        return Problem(
            429,
            "too-many-requests",
            "Too Many Requests",
            f"this client is over its limit of {exc.limit.limit}; retry after Retry-After seconds",
        )
    if isinstance(exc, HTTPException):
        slug = (exc.name or "error").lower().replace(" ", "-")
        problem = Problem(exc.code or 500, slug, exc.name or "Error", exc.description or "")
        # keep what the status needs, e.g. Allow on a 405 (RFC 9110 15.5.6)
        problem.headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return problem
    incident = uuid.uuid4().hex[:12]
    _log_incident(incident, exc)
    return Problem(
        500, "internal-error", "Internal error", f"incident {incident}: the error was logged"
    )


def _log_incident(incident: str, exc: BaseException) -> None:
    """Log where a request failed, never what it held: an exception's message may quote the
    facts it choked on, so only the types of the exception and its causes, and the stack,
    are logged (an EngineError's own message is written to carry no personal data)."""
    chain, seen = [], set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        chain.append(
            type(cause).__name__ + (f" ({cause})" if isinstance(cause, EngineError) else "")
        )
        cause = cause.__cause__ or cause.__context__
    log.error(
        "incident %s: unhandled %s on %s %s\n%s",
        incident,
        " caused by ".join(chain),
        request.method,
        request.path,
        "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
    )

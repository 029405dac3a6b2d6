"""Every error on a page is a page: the same mapping as the API's problem+json
(`problems.to_problem`), the same audit line, rendered as HTML a person can act on."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError

from .. import problems, rejections
from ..auth import SignInRequired
from .blueprint import bp
from .signin import safe_next

log = logging.getLogger("tfp.service")

# What a person can do about each status, under the error's own detail.
NEXT_STEP = {
    400: "Go back, check what you entered and try again.",
    403: "Ask your manager or the service's administrator if you need this.",
    404: "Check the address, or go back to the work queue.",
    409: "Someone else changed this in the meantime. Reload the page and try again.",
    413: "What you sent is too large.",
    422: "Go back, check what you entered and try again.",
    429: "You have made a lot of requests in a short time. Wait a minute and try again.",
    503: "The service cannot save anything just now. Try again in a few minutes.",
}


def _csrf_problem(exc: CSRFError) -> problems.Problem:
    return problems.Problem(
        400,
        "csrf-token",
        "The form could not be accepted",
        "The form was not sent from this service's own page, or it was open for too long. "
        "Nothing was saved. Reload the page and try again.",
    )


@bp.errorhandler(Exception)
def handle(exc: Exception) -> Any:
    """A sign-in redirect, or an error page with the problem's status, title and detail."""
    if isinstance(exc, SignInRequired):
        flash(exc.detail)
        if request.method == "GET":
            return redirect(url_for("pages.sign_in", next=request.full_path.rstrip("?")))
        # A form sent after the session ended: nothing was saved, and after signing in the
        # person goes back to the page the form was on (a POST address cannot be fetched).
        flash("You were signed out before the form was sent, so nothing was saved.")
        back = None if request.endpoint == "pages.sign_out" else form_page()
        return redirect(url_for("pages.sign_in", next=back) if back else url_for("pages.sign_in"))
    problem = _csrf_problem(exc) if isinstance(exc, CSRFError) else problems.to_problem(exc)
    if problem.slug == "forbidden":  # the API's detail names role ids; a person reads words
        problem.detail = "Your role does not give you access to this page."
    try:
        rejections.record_rejection(problem)
    except Exception:  # the store itself may be what failed; still answer with the page
        log.exception("could not audit a refused page request")
    return error_page(problem)


def form_page() -> str | None:
    """The page a form was posted from, by the Referer browsers send on this site's own
    forms; else the address without its last part (/decisions/X/reviews: /decisions/X)."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        page = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    else:
        page = request.path.rsplit("/", 1)[0] or "/"
    return safe_next(page)


def error_page(problem: problems.Problem) -> tuple[str, int, dict[str, str]]:
    """The HTML page for `problem`: its title, detail, what to do next, and its status."""
    body = render_template(
        "error.html", problem=problem, next_step=NEXT_STEP.get(problem.status, "")
    )
    return body, problem.status, problem.headers


def wants_page() -> bool:
    """Whether a request no route took (a mistyped address) came from a browser: outside
    the API's paths, asking for HTML before JSON. Such a person gets a page, not JSON."""
    if request.blueprint is not None or request.path.startswith(("/v1/", "/healthz")):
        return False
    best = request.accept_mimetypes.best_match(["application/problem+json", "text/html"])
    return best == "text/html"

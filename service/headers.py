"""Headers every response carries, because answers hold personal data of vulnerable families.

- `Cache-Control: no-store`: no browser, proxy or gateway keeps a copy of a decision, its
  facts or its plain-English text (every answer, so no route can forget it).
- `X-Content-Type-Options: nosniff`: a text or JSON answer is never run as something else.
- `Content-Security-Policy`: an API answer may load and frame nothing (API_POLICY); an HTML
  page (none yet) gets PAGE_POLICY, so pages added later inherit a strict policy instead of
  none: only this origin's scripts, styles, images and forms, no plugins, no framing.
"""

from __future__ import annotations

from flask import Flask, Response

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)


def protect(response: Response) -> Response:
    """Set the headers above, over any a view set: a page cannot loosen its policy by itself."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    html = response.mimetype in ("text/html", "application/xhtml+xml")
    response.headers["Content-Security-Policy"] = PAGE_POLICY if html else API_POLICY
    return response


def register(app: Flask) -> None:
    app.after_request(protect)

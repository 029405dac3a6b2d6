"""Per-client rate limits: each client may make RATE_LIMIT requests (TFP_RATE_LIMIT), counted
across all its keys and every route that needs a key; over it, 429 problem+json with
Retry-After, the seconds until the oldest counted request leaves the window.

Flask-Limiter counts in this process's memory (a moving window per client), so the limit is
per gunicorn worker: a client whose requests are spread over TFP_WORKERS workers may get
up to TFP_WORKERS times the limit through. Sharing the counts needs a store all workers
reach (Redis, memcached); SQLite would add a write to every request, and the service
runs no such server. Anonymous callers are not counted here: their refusals are bounded in
the audit trail (`service/rejections.py`) and their connections at the edge.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response
from flask_limiter import Limiter

from .auth import caller


def _client_id() -> str:
    key = caller()
    return f"client:{key.client_id}" if key else "anonymous"


def register(app: Flask) -> None:
    """Count every request with a valid key; call after `auth.register`, whose hook names the
    caller first."""
    limiter = Limiter(
        key_func=_client_id,
        app=app,
        application_limits=[app.config["RATE_LIMIT"]],
        application_limits_exempt_when=lambda: caller() is None,
        strategy="moving-window",
        storage_uri="memory://",
        headers_enabled=False,  # Retry-After only on a 429, and never 0 (below)
    )

    @app.after_request
    def retry_after(response: Response) -> Response:
        if response.status_code == 429 and "Retry-After" not in response.headers:
            breached = [lim for lim in limiter.current_limits if lim.breached]
            reset = max((lim.reset_at for lim in breached), default=time.time() + 1)
            response.headers["Retry-After"] = str(max(1, math.ceil(reset - time.time())))
        return response

"""The HTTP edge: the nginx configuration that stands between clients and gunicorn.

nginx reads every request whole, headers and body, before gunicorn sees a byte of it, so a
slow or stalled client costs nginx a socket and a buffer, never one of gunicorn's threads;
it reads the answer whole too, so a slow reader does not hold a thread either. It also
enforces the hard limits (header time, body idle time, URI and header sizes, body size by
Content-Length or by counting a chunked body, connections per address) and answers them
itself, as RFC 9457 problem+json like every answer the app gives.

`render(settings, run_dir, app_socket)` returns the configuration text; `service/run.py`
writes it and starts nginx on it. Settings come from the environment (`from_env`).
"""

from __future__ import annotations

import grp
import json
import os
import pwd
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .problems import PROBLEM_BASE

# nginx's own request-header buffers: a request line or one header line may be at most
# LINE_BYTES (414 or 431 beyond), all of them together about 4 x LINE_BYTES.
LINE_BYTES = 8 * 1024
HEADER_BUFFERS = 4
# Where nginx's own answers live (internal locations: a URI, not a named location, because a
# request whose URI was too long has none to redirect from).
PROBLEM_PATH = "/_edge/problem/"


@dataclass(frozen=True)
class EdgeSettings:
    """What the edge enforces; each field is a documented TFP_* setting."""

    bind: str = "127.0.0.1:8000"  # TFP_BIND: where clients connect
    max_body_bytes: int = 1024 * 1024  # TFP_MAX_BODY_BYTES: the app's limit too
    header_timeout_s: int = 10  # TFP_HEADER_TIMEOUT_S: the whole request head, start to end
    body_timeout_s: int = 10  # TFP_BODY_TIMEOUT_S: the longest pause between body reads
    connections_per_address: int = 128  # TFP_CONNECTIONS_PER_ADDRESS: requests in progress
    worker_connections: int = 2048  # nginx connections in all (clients and upstream)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> EdgeSettings:
        """The settings from TFP_* variables; an unset or empty one takes its default."""
        default = cls()

        def number(name: str, fallback: int) -> int:
            raw = env.get(name) or str(fallback)
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
            if value < 1:
                raise ValueError(f"{name} must be at least 1, not {value}")
            return value

        return cls(
            bind=env.get("TFP_BIND") or default.bind,
            max_body_bytes=number("TFP_MAX_BODY_BYTES", default.max_body_bytes),
            header_timeout_s=number("TFP_HEADER_TIMEOUT_S", default.header_timeout_s),
            body_timeout_s=number("TFP_BODY_TIMEOUT_S", default.body_timeout_s),
            connections_per_address=number(
                "TFP_CONNECTIONS_PER_ADDRESS", default.connections_per_address
            ),
        )


# The answers nginx gives itself, one named location each: (status, slug, title, detail).
# Slugs are the ones the app uses for the same status (werkzeug's names), so a client sees
# one problem type whichever layer refused it.
EDGE_PROBLEMS = (
    (400, "bad-request", "Bad Request", "the request is not valid HTTP/1.1"),
    (404, "not-found", "Not Found", "no such resource"),
    (
        413,
        "request-entity-too-large",
        "Request Entity Too Large",
        "the body is over {max_body} bytes",
    ),
    (
        414,
        "request-uri-too-large",
        "Request URI Too Large",
        "the request line is over {line} bytes",
    ),
    (
        431,
        "request-header-fields-too-large",
        "Request Header Fields Too Large",
        "a header line is over {line} bytes, or all of them over {headers} bytes",
    ),
    (
        429,
        "too-many-requests",
        "Too Many Requests",
        "over {per_address} requests in progress from your address; retry later",
    ),
    (500, "internal-error", "Internal error", "the edge failed; the error was logged"),
    (502, "bad-gateway", "Bad Gateway", "the app server is not answering; retry later"),
    (504, "gateway-timeout", "Gateway Timeout", "the app server did not answer in time"),
)

# nginx's status for each refusal -> the answer's status. 494 is nginx's own code for a
# header too large, sent as 400 by default; 431 says what happened. 503 is a refused
# upstream connection: the same to a client as 502.
ERROR_PAGES = {
    400: 400,
    404: 404,
    413: 413,
    414: 414,
    494: 431,
    429: 429,
    500: 500,
    502: 502,
    503: 502,
    504: 504,
}


def _problem_location(status: int, slug: str, title: str, detail: str) -> str:
    body = json.dumps(
        {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    )
    # nginx's single-quoted string: our JSON holds neither ' nor \ nor $ (checked by a test)
    retry = "            add_header Retry-After 1 always;\n" if status == 429 else ""
    return (
        f"        location = {PROBLEM_PATH}{status} {{\n"
        "            internal;\n"
        "            default_type application/problem+json;\n"
        "            add_header Cache-Control no-store always;\n"
        "            add_header X-Content-Type-Options nosniff always;\n"
        f"{retry}"
        f"            return {status} '{body}';\n"
        "        }\n"
    )


def _user_line() -> str:
    """Workers run as whoever started the service (as root: root, so they can reach the
    app's socket in a private directory; run it as an ordinary user in production)."""
    if os.geteuid() != 0:
        return ""  # nginx cannot change user, and says so if asked
    return f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};\n"


def render(settings: EdgeSettings, run_dir: Path, app_socket: Path) -> str:
    """The nginx configuration: listen on `settings.bind`, keep every runtime file under
    `run_dir`, pass whole requests to gunicorn on the unix socket `app_socket`."""
    sizes = {
        "max_body": settings.max_body_bytes,
        "line": LINE_BYTES,
        "headers": HEADER_BUFFERS * LINE_BYTES,
        "per_address": settings.connections_per_address,
    }
    problems = "".join(
        _problem_location(status, slug, title, detail.format(**sizes))
        for status, slug, title, detail in EDGE_PROBLEMS
    )
    error_pages = "".join(
        f"        error_page {code} ={status} {PROBLEM_PATH}{status};\n"
        for code, status in ERROR_PAGES.items()
    )
    temp = "".join(
        f"    {kind}_temp_path {run_dir / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""\
# Written by service/edge.py at every start of the service; edit that, not this.
{_user_line()}worker_processes 1;
worker_rlimit_nofile {settings.worker_connections * 4};
pid {run_dir / "nginx.pid"};
error_log stderr error;
daemon off;

events {{
    worker_connections {settings.worker_connections};
}}

http {{
    server_tokens off;
    # No query strings in the log: they can hold a family reference; nor the family
    # reference a subject access path carries.
    map $uri $logged_uri {{
        ~^/v1/subjects/families/ "/v1/subjects/families/{{family_ref}}";
        default $uri;
    }}
    log_format edge '$remote_addr [$time_iso8601] "$request_method $logged_uri" $status '
                    '$body_bytes_sent $request_time';
    access_log /dev/stdout edge;

    # Requests are read whole before gunicorn is asked (slow clients cost no thread).
    client_header_timeout {settings.header_timeout_s}s;
    client_body_timeout {settings.body_timeout_s}s;
    client_header_buffer_size 1k;
    large_client_header_buffers {HEADER_BUFFERS} {LINE_BYTES};
    client_max_body_size {settings.max_body_bytes};
    client_body_buffer_size 64k;
    send_timeout 30s;
    keepalive_timeout 30s;
    reset_timedout_connection on;
{temp}
    limit_conn_zone $binary_remote_addr zone=per_address:10m;
    limit_conn_status 429;
    limit_conn_log_level error;

    upstream app {{
        server unix:{app_socket};
    }}

    server {{
        listen {settings.bind};
        limit_conn per_address {settings.connections_per_address};

{error_pages}
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            # The app trusts this one hop (werkzeug's ProxyFix): only nginx reaches its socket.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_request_buffering on;
            proxy_buffering on;
            proxy_buffer_size 16k;
            proxy_buffers 8 64k;
            proxy_busy_buffers_size 128k;
            proxy_read_timeout 60s;
        }}

{problems}    }}
}}
"""

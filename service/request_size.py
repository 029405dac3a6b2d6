"""How big a request may be: its URI, its headers and its body, each a documented setting and
each refused as problem+json (414, 431, 413) before any work is done.

The edge (nginx, `service/edge.py`) has hard limits of its own, above these: these are the
ones a client normally meets, and the ones that hold when the app is served another way.

A body sent with `Transfer-Encoding: chunked` has no Content-Length for werkzeug to check:
werkzeug then reads at most MAX_CONTENT_LENGTH bytes and silently stops, so an 8 MiB body
was parsed as its first 1 MiB, and a document padded to 1 MiB with garbage after it was
stored. Here such a body is counted as it is read, and one byte over is 413; a body within
the limit is handed on with its Content-Length, so every route reads it as any other body.
"""

from __future__ import annotations

import io

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from .problems import Problem

READ_CHUNK = 64 * 1024


def _uri_bytes() -> int:
    """The request target as sent (path and query), in bytes."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw is not None:
        return len(raw.encode("latin-1", "replace"))
    query = request.environ.get("QUERY_STRING", "")
    return len(request.path.encode()) + (len(query) + 1 if query else 0)


def _header_bytes() -> int:
    """All header lines as sent, `Name: value` and CRLF each, in bytes."""
    return sum(len(k) + len(v) + 4 for k, v in request.headers.items())


def check_head() -> None:
    """414 for a URI over MAX_URI_BYTES, 431 for headers over MAX_HEADER_BYTES in all."""
    uri, limit = _uri_bytes(), current_app.config["MAX_URI_BYTES"]
    if uri > limit:
        raise Problem(
            414,
            "request-uri-too-large",
            "Request URI Too Large",
            f"the path and query are {uri} bytes; at most {limit}",
        )
    headers, limit = _header_bytes(), current_app.config["MAX_HEADER_BYTES"]
    if headers > limit:
        raise Problem(
            431,
            "request-header-fields-too-large",
            "Request Header Fields Too Large",
            f"the headers are {headers} bytes in all; at most {limit}",
        )


def _chunked() -> bool:
    return "chunked" in request.environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def count_chunked_body() -> None:
    """Read a chunked body here, counting: 413 one byte past MAX_CONTENT_LENGTH; else keep it
    in memory and give the request its Content-Length, as if it had come with one."""
    if not _chunked():
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    stream = request.environ["wsgi.input"]
    body = bytearray()
    while len(body) <= limit:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - len(body)))
        if not chunk:
            break
        body += chunk
    if len(body) > limit:
        raise RequestEntityTooLarge(
            f"the chunked body is over {limit} bytes; send at most {limit} bytes"
        )
    environ = request.environ
    environ["wsgi.input"] = io.BytesIO(bytes(body))
    environ["CONTENT_LENGTH"] = str(len(body))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)

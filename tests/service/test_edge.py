"""The edge, over real HTTP (nginx in front of gunicorn, as `make run` starts them): every
answer is problem+json, the edge's own refusals included, and what the edge passes on is
what the app expects (a chunked body with its length, the client's real address).

Before: a URI over 4 KB got gunicorn's HTML 414, and a chunked body over 1 MiB was cut to
1 MiB and parsed (1,088,576 bytes of padded facts got 201 and were stored).
"""

from __future__ import annotations

import contextlib
import json
import socket
from pathlib import Path

import pytest

from tfp_rules.store import Store

from .server import Server, request

EXAMPLE = Path(__file__).parent.parent / "data" / "example_facts.json"
LIMIT = 1024 * 1024


def assert_problem(r, status: int, slug: str) -> dict:
    assert r.status == status, r.body[:300]
    assert r.content_type == "application/problem+json", r.content_type
    body = json.loads(r.body)
    assert (body["status"], body["type"].rsplit("/", 1)[1]) == (status, slug)
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    return body


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """One service for the module (these tests only read, or are refused)."""
    tmp = tmp_path_factory.mktemp("edge")
    database = tmp / "tfp.sqlite"
    with Store(database) as store:
        token = store.create_key("submitter", "partner")[1]
    server = Server(database, tmp / "server").start()
    server.token = token
    yield server
    server.stop()


def raw(port: int, data: bytes, *, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send `data` as it is on a new connection, which the answer closes (no half-close:
    nginx takes that for a client gone); the answer's status, headers and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        # refused before the body was all sent: the answer is still there to read
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def chunked_post(port: int, token: str, body: bytes, size: int = 65536) -> bytes:
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size])
        for i in range(0, len(body), size)
    )
    return (
        b"POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\n\r\n" + chunks + b"0\r\n\r\n"
    )


def padded(total: int, family_ref: str) -> bytes:
    doc = json.dumps({**json.loads(EXAMPLE.read_text()), "family_ref": family_ref}).encode()
    return doc + b" " * (LIMIT - len(doc)) + b"x" * (total - LIMIT)


@pytest.mark.parametrize("size", [1_088_576, 8 * LIMIT])
def test_a_chunked_body_over_the_limit_is_413_problem_json(edge, size):
    status, headers, body = raw(edge.port, chunked_post(edge.port, edge.token, padded(size, "BIG")))
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"].endswith("/request-entity-too-large")
    with Store(edge.database) as store:
        assert store.list_decisions(family_ref="BIG")[0] == []


def test_a_chunked_body_within_the_limit_is_decided(edge):
    doc = json.dumps({**json.loads(EXAMPLE.read_text()), "family_ref": "CHUNKED"}).encode()
    status, _, body = raw(edge.port, chunked_post(edge.port, edge.token, doc, size=1000))
    assert status == 201, body[:300]
    assert json.loads(body)["family_ref"] == "CHUNKED"
    with Store(edge.database) as store:
        assert len(store.list_decisions(family_ref="CHUNKED")[0]) == 1


@pytest.mark.parametrize(
    ("length", "who", "detail"),
    [
        (5_000, "app", "the path and query are"),  # over the app's 4096
        (10_000, "edge", "the request line is over 8192 bytes"),  # over nginx's 8 KiB
    ],
)
def test_a_long_uri_is_414_problem_json(edge, length, who, detail):
    r = request(edge.port, "GET", "/healthz?q=" + "x" * (length - len("/healthz?q=")))
    body = assert_problem(r, 414, "request-uri-too-large")
    assert body["detail"].startswith(detail)
    assert ("instance" in body) == (who == "app")  # the app names the path; nginx has none


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({f"X-Big-{n}": "b" * 5000 for n in range(4)}, "the headers are"),  # app: 16 KiB
        ({"X-Big": "b" * 10_000}, "a header line is over 8192 bytes"),  # edge: one line
    ],
)
def test_large_headers_are_431_problem_json(edge, headers, detail):
    body = assert_problem(
        request(edge.port, "GET", "/healthz", headers=headers),
        431,
        "request-header-fields-too-large",
    )
    assert body["detail"].startswith(detail)


@pytest.mark.parametrize("length", [8150, 8188, 8189, 8190, 8191, 8192])
def test_header_lines_at_the_edges_limit_get_json_whichever_layer_answers(edge, length):
    """At nginx's 8 KiB a header line is passed on or refused by nginx, never refused by
    gunicorn with HTML (8189 bytes once were)."""
    r = request(edge.port, "GET", "/healthz", headers={"X-A": "v" * (length - len("X-A: "))})
    assert r.content_type in ("application/json", "application/problem+json"), (r.status, r.body)
    assert r.status in (200, 431)


def test_a_request_that_is_not_http_is_400_problem_json(edge):
    status, headers, body = raw(edge.port, b"HELLO THERE\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"].endswith("/bad-request")


def test_the_edges_own_locations_are_not_reachable(edge):
    assert_problem(request(edge.port, "GET", "/_edge/problem/413"), 404, "not-found")


def test_answers_through_the_edge_carry_the_headers(edge):
    r = request(edge.port, "GET", "/healthz")
    assert r.status == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert r.headers["Server"] == "nginx"  # no version


def test_the_audit_names_the_real_address_whatever_x_forwarded_for_says(edge):
    r = request(edge.port, "GET", "/v1/decisions", headers={"X-Forwarded-For": "203.0.113.7"})
    assert_problem(r, 401, "unauthenticated")
    with Store(edge.database) as store:
        details = [a["detail"] for a in store.list_audit(actor="anonymous")[0]]
    assert any(d.startswith("unauthenticated; from 127.0.0.1;") for d in details), details
    assert not any("203.0.113.7" in d for d in details)


# ------------------------------------------------------------------ the configuration itself


def test_the_edges_answers_are_valid_json_that_nginx_quotes_as_written():
    from service.edge import EDGE_PROBLEMS, ERROR_PAGES, EdgeSettings, render

    conf = render(EdgeSettings(), Path("/run/x"), Path("/run/x/app.sock"))
    bodies = [
        line.split("'", 1)[1].rsplit("'", 1)[0] for line in conf.splitlines() if "return " in line
    ]
    assert len(bodies) == len(EDGE_PROBLEMS)
    for body in bodies:
        assert not set(body) & set("'\\$"), body  # nginx would read these as its own syntax
        problem = json.loads(body)
        assert problem["type"].startswith("https://tfp-rules.example/problems/")
    assert set(ERROR_PAGES.values()) == {status for status, *_ in EDGE_PROBLEMS}


def test_gunicorn_accepts_whatever_the_edge_lets_through():
    from service.edge import HEADER_BUFFERS, LINE_BYTES
    from service.run import (
        GUNICORN_LIMIT_REQUEST_FIELD_SIZE,
        GUNICORN_LIMIT_REQUEST_FIELDS,
        GUNICORN_LIMIT_REQUEST_LINE,
    )

    # nginx's buffer holds a line with its CRLF: the longest request line it passes is 2
    # shorter; gunicorn counts a header line with more than its text, so give it room
    assert GUNICORN_LIMIT_REQUEST_LINE >= LINE_BYTES - 2
    assert GUNICORN_LIMIT_REQUEST_FIELD_SIZE >= 2 * LINE_BYTES
    # the fewest bytes a header line takes is 4 ("a:\r\n")
    assert GUNICORN_LIMIT_REQUEST_FIELDS >= HEADER_BUFFERS * LINE_BYTES // 4


def test_edge_settings_come_from_the_environment_and_bad_ones_stop_the_start():
    from service.edge import EdgeSettings

    s = EdgeSettings.from_env({"TFP_HEADER_TIMEOUT_S": "3", "TFP_BIND": "127.0.0.1:9"})
    assert (s.header_timeout_s, s.bind, s.body_timeout_s) == (3, "127.0.0.1:9", 10)
    with pytest.raises(ValueError, match="TFP_BODY_TIMEOUT_S must be a whole number"):
        EdgeSettings.from_env({"TFP_BODY_TIMEOUT_S": "ten"})
    with pytest.raises(ValueError, match="TFP_CONNECTIONS_PER_ADDRESS must be at least 1"):
        EdgeSettings.from_env({"TFP_CONNECTIONS_PER_ADDRESS": "0"})

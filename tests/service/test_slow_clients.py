"""Slow clients cannot take the service down (issue 14): the server `make run` starts reads
every request whole, headers and body, before a gunicorn thread is given to it.

Before nginx stood in front, 8 sockets trickling a request head starved gunicorn's 2 x 4
threads: /healthz answered 0 of 5 probes in 20 s. Here 64 such connections (half trickling
their head, half a body after a complete head) are held open while a normal client keeps
working; each of its requests must succeed within NORMAL_BOUND_S. That bound is the one
timing assertion, and generous: the test is about availability, not speed (unloaded, these
requests take tens of milliseconds; a starved server does not answer at all).

Every test is bounded: the trickle lasts HOLD_S, socket operations have timeouts, and all
traffic is on loopback.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import threading
import time
from pathlib import Path

import pytest

from tfp_rules.store import Store

from .server import Server, request

EXAMPLE = Path(__file__).parent.parent / "data" / "example_facts.json"
SLOW_HEADS = 32
SLOW_BODIES = 32
HOLD_S = 8.0  # the slow connections trickle this long while the normal client works
TRICKLE_EVERY_S = 0.5  # one byte per slow connection this often (the attack sent one per 2 s)
NORMAL_BOUND_S = 5.0  # each normal request must be answered within this
SOCKET_TIMEOUT_S = 5.0


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT_S)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def _slow_head(port: int) -> socket.socket:
    """A request whose head never ends: the request line and one header, then a byte at a
    time of an endless header (the attack of issue 14, with no API key)."""
    s = _connect(port)
    s.sendall(b"POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    return s


def _slow_body(port: int, token: str) -> socket.socket:
    """A complete, valid head (with a key) announcing a body that then arrives a byte at a
    time."""
    s = _connect(port)
    s.sendall(
        b"POST /v1/evaluations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\nContent-Length: 100000\r\n\r\n{"
    )
    return s


class Trickle:
    """One thread sending a byte to every slow socket each TRICKLE_EVERY_S until stopped;
    counts the sockets the server closed meanwhile."""

    def __init__(self, sockets: list[socket.socket]):
        self.sockets = sockets
        self.closed_by_server: set[int] = set()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="trickle", daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(TRICKLE_EVERY_S):
            for i, s in enumerate(self.sockets):
                if i in self.closed_by_server:
                    continue
                try:
                    s.send(b"a" if i < SLOW_HEADS else b" ")
                except OSError:
                    self.closed_by_server.add(i)

    def __enter__(self) -> Trickle:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.close()


def _timed(port: int, method: str, path: str, **kwargs):
    began = time.monotonic()
    r = request(port, method, path, timeout=NORMAL_BOUND_S, **kwargs)
    return r, time.monotonic() - began


@pytest.fixture
def server(tmp_path):
    database = tmp_path / "tfp.sqlite"
    with Store(database) as store:
        tokens = {
            "attacker": store.create_key("submitter", "slow partner")[1],
            "normal": store.create_key("submitter", "normal partner")[1],
        }
    s = Server(database, tmp_path / "server")
    s.start()
    s.tokens = tokens
    try:
        yield s
    finally:
        s.stop()


def test_64_slow_connections_do_not_stop_a_normal_client(server):
    example = json.loads(EXAMPLE.read_text())
    port, normal = server.port, {"Authorization": f"Bearer {server.tokens['normal']}"}
    slow = [_slow_head(port) for _ in range(SLOW_HEADS)]
    slow += [_slow_body(port, server.tokens["attacker"]) for _ in range(SLOW_BODIES)]
    healthz: list[float] = []
    posts: list[float] = []
    with Trickle(slow) as trickle:
        time.sleep(1.0)  # every slow connection is in, and has trickled
        deadline = time.monotonic() + HOLD_S - 1.0
        n = 0
        while time.monotonic() < deadline:
            r, took = _timed(port, "GET", "/healthz")
            assert r.status == 200, r.body[:300]
            healthz.append(took)
            doc = {**example, "family_ref": f"NORMAL-{n}"}
            r, took = _timed(port, "POST", "/v1/evaluations", body=doc, headers=normal)
            assert r.status == 201, r.body[:300]
            posts.append(took)
            r, _ = _timed(port, "GET", r.headers["Location"], headers=normal)
            assert r.status == 200, r.body[:300]
            n += 1
        # The slow connections were held for the whole time: the edge did not simply drop them.
        assert not trickle.closed_by_server, f"closed early: {sorted(trickle.closed_by_server)}"
    assert len(healthz) >= 10, f"only {len(healthz)} rounds in {HOLD_S} s"
    assert max(healthz + posts) < NORMAL_BOUND_S
    healthz.sort()
    posts.sort()

    def ms(times: list[float], q: float) -> str:  # nearest rank
        return f"{times[max(0, math.ceil(len(times) * q) - 1)] * 1000:.1f} ms"

    print(
        f"\nslow clients: {len(slow)} slow connections ({SLOW_HEADS} heads, {SLOW_BODIES} bodies)"
        f" held open for {HOLD_S:.0f} s; normal client: {len(healthz)} GET /healthz, p50"
        f" {ms(healthz, 0.5)}, p99 {ms(healthz, 0.99)}, max {ms(healthz, 1)};"
        f" {len(posts)} POST /v1/evaluations, p50 {ms(posts, 0.5)}, p99 {ms(posts, 0.99)},"
        f" max {ms(posts, 1)}"
    )


def _closed_within(s: socket.socket, seconds: float, trickle: bytes | None) -> float | None:
    """Seconds until the server closes `s` (sending `trickle` every TRICKLE_EVERY_S meanwhile,
    if given), or None if it is still open after `seconds`."""
    began = time.monotonic()
    s.settimeout(TRICKLE_EVERY_S)
    while time.monotonic() - began < seconds:
        try:
            if trickle:
                s.send(trickle)
            if s.recv(4096) == b"":
                return time.monotonic() - began
        except TimeoutError:
            continue
        except OSError:  # reset
            return time.monotonic() - began
    return None


def test_the_edge_times_out_slow_heads_and_stalled_bodies_and_caps_connections(tmp_path):
    """A head still arriving after TFP_HEADER_TIMEOUT_S is cut, however steadily it trickles
    (a total, not an idle, timeout); a body that pauses longer than TFP_BODY_TIMEOUT_S is
    cut; past TFP_CONNECTIONS_PER_ADDRESS requests in progress from one address, the next
    is 429 problem+json with Retry-After. Bounds: each cut within 3x its timeout."""
    database = tmp_path / "tfp.sqlite"
    with Store(database) as store:
        token = store.create_key("submitter", "slow partner")[1]
    env = {
        "TFP_HEADER_TIMEOUT_S": "2",
        "TFP_BODY_TIMEOUT_S": "2",
        "TFP_CONNECTIONS_PER_ADDRESS": "4",
    }
    server = Server(database, tmp_path / "server", env=env).start()
    try:
        port = server.port
        with contextlib.closing(_slow_head(port)) as s:
            took = _closed_within(s, 6.0, trickle=b"a")
        assert took is not None and 1.5 < took < 6.0, took

        with contextlib.closing(_slow_body(port, token)) as s:
            took = _closed_within(s, 6.0, trickle=None)
        assert took is not None and 1.5 < took < 6.0, took

        held = [_slow_body(port, token) for _ in range(4)]
        try:
            time.sleep(0.5)  # the four heads are read: four requests in progress
            r = request(port, "GET", "/healthz", timeout=SOCKET_TIMEOUT_S)
            assert r.status == 429, r.body[:300]
            assert r.content_type == "application/problem+json"
            assert r.json()["type"].endswith("/too-many-requests")
            assert r.headers["Retry-After"] == "1"
        finally:
            for s in held:
                s.close()
        # Freed: the address may send again (the edge notices the closes at once).
        deadline = time.monotonic() + 5.0
        while (r := request(port, "GET", "/healthz")).status != 200:
            assert time.monotonic() < deadline, r.body[:300]
            time.sleep(0.1)
    finally:
        server.stop()

"""The real service over HTTP, started as `make run` starts it (nginx in front of gunicorn,
2 workers x 4 threads), on loopback, on a temporary SQLite file.

Two things the Flask test client cannot show: the production server answers the contract
end to end, and a decision the server acknowledged with 201 survives `kill -9` of every
process of the service (nginx and gunicorn, masters and workers) in the middle of a load,
and is served again after a restart.
"""

from __future__ import annotations

import contextlib
import copy
import http.client
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tfp_rules.store import Store

from .server import Server, group_members, request

EXAMPLE = Path(__file__).parent.parent / "data" / "example_facts.json"

# The kill test's load: this many client threads post until the kill, which comes once
# KILL_AFTER_ACKS decisions were acknowledged, or KILL_AFTER_S seconds after the first one if
# at least MIN_ACKS were by then (a slow machine waits longer for those, up to ACKS_TIMEOUT_S).
LOAD_THREADS = 8
KILL_AFTER_ACKS = 300
KILL_AFTER_S = 3.0
MIN_ACKS = 20
MAX_REQUESTS = 400  # a hard cap on requests before the kill
ACKS_TIMEOUT_S = 40.0
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def varied_facts(example: dict, n: int, family_ref: str) -> dict:
    """A valid family, one of 32 variants of the example (eligible with 2 to 6 headlines, or
    not eligible), under its own family_ref."""
    doc = copy.deepcopy(example)
    doc["family_ref"] = family_ref
    if n & 1:
        doc["household"]["events"] = []
    if n & 2:
        doc["judgements"] = []
    if n & 4:
        for term in doc["members"][1]["school"]["terms"]:
            term.update(absent_sessions=0, unauthorised_sessions=0, fixed_term_exclusions=0)
    if n & 8:
        doc["members"][0]["events"] = []
        doc["members"][0]["benefits"] = []
    if n & 16:
        doc["members"][1]["events"] = []
    return doc


def assert_problem(r, status: int, slug: str) -> dict:
    assert r.status == status, r.body[:500]
    assert r.content_type.startswith("application/problem+json"), r.content_type
    assert b"Traceback" not in r.body
    body = r.json()
    assert body["status"] == status
    assert body["type"].endswith("/" + slug)
    return body


@pytest.fixture
def example() -> dict:
    return json.loads(EXAMPLE.read_text())


@pytest.fixture
def database(tmp_path) -> Path:
    return tmp_path / "tfp.sqlite"


@pytest.fixture
def servers(tmp_path):
    """`servers(database)` starts a server and returns it; every one is stopped at teardown."""
    started: list[Server] = []

    def start(database: Path) -> Server:
        server = Server(database, tmp_path / f"server-{len(started)}")
        started.append(server)
        return server.start()

    yield start
    errors = []
    for server in started:
        try:
            server.stop()
        except Exception as exc:  # stop the others all the same
            errors.append(exc)
    for server in started:
        assert server.proc is None or not group_members(server.pgid), (
            "a process of the service left running"
        )
    if errors:
        raise errors[0]


# ------------------------------------------------------------------------------- end to end


def test_end_to_end_over_http(servers, database, example):
    with Store(database) as store:  # keys before the start ...
        submitter = store.create_key("submitter", "partner system")[1]
    server = servers(database)
    port = server.port
    assert len(server.worker_pids()) == 2, server.log_tail()
    with Store(database) as store:  # ... and after: keys are read per request
        reviewer = store.create_key("reviewer", "case reviewer")[1]

    r = request(port, "GET", "/healthz")
    assert r.status == 200
    assert r.json()["status"] == "ok"

    r = request(port, "POST", "/v1/evaluations", body=example, headers=bearer(submitter))
    assert r.status == 201, r.body[:500]
    assert r.content_type.startswith("application/json")
    created = r.json()
    assert created["eligible"] is True
    assert created["headlines_met"] == ["H1", "H2", "H3", "H4", "H5", "H6"]
    location = r.headers["Location"]
    assert location == f"/v1/decisions/{created['id']}"
    assert r.headers["X-Ruleset-Id"] == "national"
    assert r.headers["X-Ruleset-Version"] == "2015.1"
    assert r.headers["X-Ruleset-Sha256"] == created["ruleset"]["sha256"]

    r = request(port, "GET", location, headers=bearer(reviewer))
    assert r.status == 200, r.body[:500]
    assert r.json() == created
    assert r.headers["X-Ruleset-Sha256"] == created["ruleset"]["sha256"]

    r = request(port, "GET", location + "?format=text", headers=bearer(reviewer))
    assert r.status == 200, r.body[:500]
    assert r.content_type.startswith("text/plain")
    text = r.body.decode()
    assert text.startswith("Eligible: family STK-2019-000123, assessed on 31 March 2019."), text[
        :200
    ]
    assert r.headers["X-Ruleset-Id"] == "national"

    review = {"verdict": "confirm", "reason": "Checked with the keyworker"}
    r = request(port, "POST", location + "/reviews", body=review, headers=bearer(reviewer))
    assert r.status == 201, r.body[:500]
    assert r.json()["verdict"] == "confirm"
    assert r.headers["Location"] == location
    r = request(port, "GET", location, headers=bearer(reviewer))
    assert r.json()["review_status"] == "confirmed"
    assert [x["reason"] for x in r.json()["reviews"]] == ["Checked with the keyworker"]

    invalid = copy.deepcopy(example)
    invalid["members"][1]["colour"] = "blue"
    invalid["assessment_date"] = "2019-02-30"
    r = request(port, "POST", "/v1/evaluations", body=invalid, headers=bearer(submitter))
    body = assert_problem(r, 422, "invalid-facts")
    assert {"/members/1/colour", "/assessment_date"} <= {e["pointer"] for e in body["errors"]}

    r = request(port, "POST", "/v1/evaluations", body=example)
    assert_problem(r, 401, "unauthenticated")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    r = request(port, "GET", location)
    assert_problem(r, 401, "unauthenticated")

    with Store(database) as store:
        assert [d.id for d in store.list_decisions()[0]] == [created["id"]]

    # The edge's access log keeps no family reference: no query strings, and a subject
    # access path's reference masked (the request itself is refused: it is for admins).
    r = request(port, "GET", "/v1/subjects/families/STK-LOG-CHECK", headers=bearer(reviewer))
    assert r.status == 403
    request(port, "GET", "/v1/decisions?family_ref=STK-LOG-QUERY", headers=bearer(reviewer))
    log = server.log_path.read_text(errors="replace")
    assert "/v1/subjects/families/{family_ref}" in log, server.log_tail()
    assert "STK-LOG-CHECK" not in log and "STK-LOG-QUERY" not in log


# ------------------------------------------------------------------------ durability: kill -9


class Load:
    """Client threads posting varied families until told to stop; records every answer."""

    def __init__(self, port: int, token: str, example: dict):
        self.port, self.token, self.example = port, token, example
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.killed_at: float | None = None  # time.monotonic() of the kill
        self.acked: dict[str, dict] = {}  # decision id -> the body the server answered
        self.acked_refs: dict[str, str] = {}  # decision id -> family_ref sent
        self.other_statuses: list[tuple[int, bytes]] = []
        self.errors_before_kill: list[BaseException] = []
        self.cut_in_flight = 0  # requests begun before the kill that failed with a connection error
        self.refused_after = 0  # requests begun after the kill that failed with a connection error
        self.sent = 0
        self.threads = [
            threading.Thread(target=self._run, args=(i,), name=f"load-{i}", daemon=True)
            for i in range(LOAD_THREADS)
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def _run(self, worker: int) -> None:
        n = 0
        while not self.stop.is_set():
            with self.lock:
                if self.killed_at is None and self.sent >= MAX_REQUESTS:
                    break
                self.sent += 1
            family_ref = f"KILL-{worker}-{n:04d}"
            doc = varied_facts(self.example, worker * 7 + n, family_ref)
            n += 1
            began = time.monotonic()
            try:
                r = request(
                    self.port,
                    "POST",
                    "/v1/evaluations",
                    body=doc,
                    headers=bearer(self.token),
                    timeout=60.0,
                )
            except CONNECTION_ERRORS as exc:
                with self.lock:
                    if self.killed_at is None:
                        self.errors_before_kill.append(exc)
                    elif began < self.killed_at:
                        self.cut_in_flight += 1
                    else:
                        self.refused_after += 1
                if self.killed_at is not None:
                    time.sleep(0.01)  # the server is gone: do not spin
                continue
            with self.lock:
                if r.status == 201:
                    body = r.json()
                    self.acked[body["id"]] = body
                    self.acked_refs[body["id"]] = family_ref
                else:
                    self.other_statuses.append((r.status, r.body[:300]))

    def acks(self) -> int:
        with self.lock:
            return len(self.acked)

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self.threads if t.is_alive()]
        assert not alive, f"load threads did not finish: {alive}"


def test_acknowledged_decisions_survive_kill_9_of_master_and_workers(servers, database, example):
    with Store(database) as store:
        submitter_key, submitter = store.create_key("submitter", "load")
        reviewer = store.create_key("reviewer", "after the crash")[1]
    server = servers(database)
    workers = server.worker_pids()
    assert len(workers) == 2, server.log_tail()

    load = Load(server.port, submitter, example)
    load.start()
    try:
        # Kill while the load runs: after enough acknowledgements or enough time, bounded.
        started = time.monotonic()
        first_ack = None
        while time.monotonic() - started < ACKS_TIMEOUT_S:
            acks = load.acks()
            if acks and first_ack is None:
                first_ack = time.monotonic()
            if acks >= KILL_AFTER_ACKS or not any(t.is_alive() for t in load.threads):
                break
            if first_ack and time.monotonic() - first_ack >= KILL_AFTER_S and acks >= MIN_ACKS:
                break
            time.sleep(0.01)
        assert load.acks() >= MIN_ACKS, (
            f"{load.acks()} acknowledged in {ACKS_TIMEOUT_S:.0f} s: {load.other_statuses[:3]}"
            f" {load.errors_before_kill[:3]}\n{server.log_tail()}"
        )
        pids_now = set(group_members(server.pgid))
        assert {server.pgid, *server.worker_pids()} <= pids_now
        with load.lock:
            load.killed_at = time.monotonic()
        killed = server.kill_all()
        time.sleep(0.5)  # the load goes on against a dead server for a moment
    finally:
        load.stop.set()
        load.join(timeout=90.0)
    assert server.wait_gone(), f"processes left after SIGKILL: {group_members(server.pgid)}"
    assert server.proc.returncode == -9
    assert server.pgid in killed and set(workers) <= set(killed)

    # The load really overlapped the kill: requests in flight were cut off.
    assert not load.errors_before_kill, load.errors_before_kill[:3]
    assert not load.other_statuses, load.other_statuses[:3]
    assert load.cut_in_flight + load.refused_after > 0, "no request failed after the kill"
    assert load.cut_in_flight > 0, "the kill cut no request in flight"
    acked = dict(load.acked)

    # Every acknowledged decision is in the file, intact.
    with contextlib.closing(sqlite3.connect(database)) as raw:  # the file as the crash left it
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store(database) as store:
        missing, wrong = [], []
        for decision_id, answered in acked.items():
            try:
                stored = store.get_decision(decision_id, trace="compact")  # as answered
            except Exception as exc:
                missing.append((decision_id, repr(exc)))
                continue
            expected = {k: answered[k] for k in stored.decision}
            if (
                stored.decision != expected
                or (stored.id, stored.created_at) != (answered["id"], answered["created_at"])
                or stored.submitted_by != submitter_key.client_id
                or stored.family_ref != load.acked_refs[decision_id]
                or stored.eligible != answered["eligible"]
                or stored.headlines_met != answered["headlines_met"]
                or stored.ruleset_sha256 != answered["ruleset"]["sha256"]
            ):
                wrong.append(decision_id)
        assert not missing, (
            f"{len(missing)} of {len(acked)} acknowledged decisions lost: {missing[:5]}"
        )
        assert not wrong, f"{len(wrong)} of {len(acked)} acknowledged decisions differ: {wrong[:5]}"
        stored_ids = set()
        cursor = None
        while True:
            page, cursor = store.list_decisions(limit=200, cursor=cursor)
            stored_ids.update(d.id for d in page)
            if cursor is None:
                break
        assert set(acked) <= stored_ids
        # Decisions stored but never acknowledged (committed just before the kill) are fine.
        assert len(stored_ids) - len(acked) <= LOAD_THREADS  # one in flight per thread
        distinct_outcomes = {(d["eligible"], tuple(d["headlines_met"])) for d in acked.values()}
        assert len(distinct_outcomes) > 1

    # Recovery: a new server on the same file serves the decisions and takes new ones.
    restarted = servers(database)
    assert restarted.port and restarted.proc.pid != server.proc.pid
    last = max(acked.values(), key=lambda d: d["created_at"])
    r = request(restarted.port, "GET", f"/v1/decisions/{last['id']}", headers=bearer(reviewer))
    assert r.status == 200, r.body[:500]
    assert r.json() == last
    r = request(
        restarted.port,
        "POST",
        "/v1/evaluations",
        body=varied_facts(example, 0, "AFTER-RESTART"),
        headers=bearer(submitter),
    )
    assert r.status == 201, r.body[:500]

    print(
        f"\nkill -9 test: {len(acked)} acknowledged decisions checked;"
        f" {len(stored_ids) - len(acked)} stored but unacknowledged;"
        f" {load.cut_in_flight} requests cut in flight, {load.refused_after} refused after;"
        f" killed pids {sorted(killed)} (workers {workers});"
        f" env cores {os.cpu_count()}"
    )


def test_the_test_server_runs_the_makefile_command():
    """The command these tests start is the README's `make run` command, word for word."""
    from .server import command

    makefile = (Path(__file__).parent.parent.parent / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    [line] = [line.strip() for line in recipe.splitlines() if "service.run" in line]
    assert line.split() == ["$(BIN)/python", *command(Path("python"))[1:]]

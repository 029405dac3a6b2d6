"""Benchmark the service as `make run` starts it, in several gunicorn configurations
side by side, and the store's durable write rate.

    .venv/bin/python benchmarks/service.py [--configs LIST] [--connections C]
        [--seconds S] [--rounds R] [--requests N] [--seed SEED] [--json PATH]

1. For each configuration of LIST (`CLASS:WORKERSxTHREADS` or `CLASS:WORKERS`, comma
   separated; default gthread 2x4 (`make run`'s), 1x8 and 4x2, sync 2, 4 and 8, and gevent 2
   when gevent is installed), starts the service with the Makefile's `run` command (nginx in
   front of gunicorn, TFP_WORKER_CLASS, TFP_WORKERS and TFP_THREADS set) on a loopback port,
   its files in a temporary directory, the per-client rate limit lifted (one client sends
   the whole load), and always stops it (SIGTERM, then SIGKILL to its process group),
   Ctrl-C included.
   All the servers stay up together; idle, they cost next to nothing.
2. C keep-alive connections (a thread each) alternate phases of POST /v1/evaluations (each
   with its own Idempotency-Key) and GET /healthz, the cheapest route, as the baseline,
   each phase S seconds or N requests. Warm-up answers are checked against a local
   `decide` first. R rounds, each visiting every server in turn (starting one further
   along each round), so a change in the machine's load falls on every configuration.
3. One thread, fresh WAL databases with synchronous=FULL: `Store.save_decision` against a
   raw sqlite3 INSERT of the same JSON text; every configuration's POST rate is also given
   against that raw insert rate (issue 19: at least 0.25).
4. From /proc: the cores used meanwhile by processes other than this one and the server.

A larger version of this benchmark showed that most of a POST is CPU (JSON, sqlite-utils,
the engine with its trace), not fsync. The cores other processes used are reported per
configuration, over its phases.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import importlib.metadata
import itertools
import json
import math
import os
import platform
import re
import shlex
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from argparse import Namespace
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts benchmarks/ first on sys.path, where this file would shadow
# the project's own `service` package; import from the project root instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from benchmarks.families import generate  # noqa: E402
from service.run import RUN_SETTINGS, nginx_executable  # noqa: E402
from tfp_rules.evaluate import decide  # noqa: E402
from tfp_rules.intake import take_in  # noqa: E402
from tfp_rules.library import RulesetLibrary  # noqa: E402
from tfp_rules.privacy.datakeys import DataKeys  # noqa: E402
from tfp_rules.store import Store, request_hash_of  # noqa: E402

HOST = "127.0.0.1"
EVALUATIONS, HEALTHZ = "POST /v1/evaluations", "GET /healthz"
FAMILIES = 500  # distinct request bodies, cycled
WARMUP_S = 2.0  # per endpoint
CHECKED = 200  # warm-up answers compared with a local decide
CHECK_KEYS = ("family_ref", "status", "eligible", "headlines_met")
STORE_S = 3.0  # per store line
REQUEST_TIMEOUT_S, STARTUP_TIMEOUT_S, STOP_TIMEOUT_S = 30.0, 60.0, 15.0
NOISY_CORES = 0.3
# One client sends the whole load: the per-client rate limit would measure itself.
UNLIMITED = "100000 per second"

Request = tuple[str, str, bytes | None, dict[str, str], int]  # method, path, body, headers, doc


# --------------------------------------------------------------------------- machine, /proc


def _machine() -> dict[str, Any]:
    git = ["git", "describe", "--always", "--exclude=*", "--dirty= + uncommitted changes"]
    try:
        commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        commit = "unknown (git failed)"
    versions = {d: importlib.metadata.version(d) for d in ("gunicorn", "flask", "durable-rules")}
    nginx = subprocess.run([nginx_executable(), "-v"], capture_output=True, text=True).stderr
    versions["nginx"] = nginx.strip().rpartition("/")[2]
    return {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu_count": os.cpu_count(),
        **versions,
        "sqlite": sqlite3.sqlite_version,
        "commit": commit.strip(),
    }


def _stat(pid: int | str) -> list[str]:
    """Fields of /proc/PID/stat after the command name (state first); [] once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text[text.rfind(")") + 2 :].split()


def _ticks(pids: list[int]) -> tuple[float, int, int, list[int | None]]:
    """Now, the machine's busy and total CPU ticks (/proc/stat), and each pid's own."""
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    own = [int(f[11]) + int(f[12]) if (f := _stat(p)) else None for p in pids]
    return time.perf_counter(), sum(cpu) - cpu[3] - cpu[4], sum(cpu), own  # less idle, iowait


def _other_cores(pids: list[int], before: tuple[float, int, int, list[int | None]]) -> float:
    """Cores used since `before` (`_ticks(pids)`) by processes other than `pids`, and by
    kernel work charged to none: the machine's busy time less the pids' CPU."""
    (t0, busy0, all0, own0), (t1, busy1, all1, own1) = before, _ticks(pids)
    box = (os.cpu_count() or 1) * (busy1 - busy0) / max(1, all1 - all0)
    ours = sum(b - a for a, b in zip(own0, own1, strict=True) if a is not None and b is not None)
    return max(0.0, box - ours / os.sysconf("SC_CLK_TCK") / (t1 - t0))


# --------------------------------------------------------------------------- the server


def run_command() -> list[str]:
    """The command of the Makefile's `run` recipe (`$(BIN)/python -m service.run`, which
    reads its settings from the environment)."""
    match = re.search(r"^run:.*\n((?:\t.*\n?)+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    recipe = match.group(1).replace("\\\n", " ").splitlines() if match else []
    lines = [line.strip().lstrip("@-+") for line in recipe if "service.run" in line]
    if len(lines) != 1:
        raise RuntimeError("the Makefile's `run` recipe has no single service.run command line")
    line = lines[0].replace("$(BIN)", str(ROOT / ".venv" / "bin"))
    if "$" in line:
        raise RuntimeError(f"cannot resolve the Makefile's run command: {line}")
    return shlex.split(line)


@dataclass(frozen=True)
class Config:
    """One gunicorn configuration: worker class, worker processes, threads per worker."""

    worker_class: str
    workers: int
    threads: int = 1

    @property
    def name(self) -> str:
        return f"{self.worker_class} {self.workers}" + (
            f"x{self.threads}" if self.worker_class == "gthread" else ""
        )


WORKER_CLASSES = ("gthread", "sync", "gevent")
DEFAULT_CONFIGS = "sync:2,gthread:2x4,gthread:1x8,gthread:4x2,sync:4,sync:8"


def parse_configs(text: str) -> list[Config]:
    """`CLASS:WORKERSxTHREADS` (gthread) or `CLASS:WORKERS`, comma separated; ValueError
    naming the bad item otherwise."""
    configs = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        match = re.fullmatch(r"(\w+):(\d+)(?:x(\d+))?", item)
        if not match or match.group(1) not in WORKER_CLASSES:
            raise ValueError(
                f"bad configuration {item!r}: expected CLASS:WORKERS[xTHREADS], CLASS one of "
                + ", ".join(WORKER_CLASSES)
            )
        cls, workers, threads = match.group(1), int(match.group(2)), int(match.group(3) or 1)
        if threads > 1 and cls != "gthread":
            raise ValueError(f"bad configuration {item!r}: only gthread takes threads")
        if min(workers, threads) < 1:
            raise ValueError(f"bad configuration {item!r}: workers and threads at least 1")
        configs.append(Config(cls, workers, threads))
    if not configs:
        raise ValueError("no configuration given")
    return configs


def default_configs() -> str:
    """DEFAULT_CONFIGS, and gevent 2 when gevent is installed (the dev extras bring it)."""
    try:
        importlib.metadata.version("gevent")
    except importlib.metadata.PackageNotFoundError:
        return DEFAULT_CONFIGS
    return DEFAULT_CONFIGS + ",gevent:2"


@contextlib.contextmanager
def serving(workdir: Path, config: Config) -> Iterator[tuple[int, list[int]]]:
    """The service as `make run` starts it, healthy: (port, pids of all its processes).
    On the way out, SIGTERM (its graceful stop), then SIGKILL to what is left of it."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    settings = {
        "TFP_BIND": f"{HOST}:{port}",
        "TFP_WORKER_CLASS": config.worker_class,
        "TFP_WORKERS": str(config.workers),
        "TFP_THREADS": str(config.threads),
        "TFP_RATE_LIMIT": UNLIMITED,
    }
    command = run_command()
    print("server   " + " ".join(c.replace(f"{ROOT}/", "") for c in command), end=" ")
    print(" ".join(f"{k}={v!r}" if " " in v else f"{k}={v}" for k, v in settings.items()))
    print(f"         TFP_DATABASE and the store lines' databases in {workdir}")
    env = {k: v for k, v in os.environ.items() if k not in RUN_SETTINGS} | settings
    env["TFP_DATABASE"] = str(workdir / "tfp.sqlite")
    keys = workdir / "keys" / "data-keys.json"  # personal data sealed, as in production
    if not keys.exists():
        DataKeys.generate().save(keys)
    env["TFP_DATA_KEY_FILE"] = str(keys)
    env["TFP_CONTROL_SOCKET"] = str(workdir / "gunicorn.ctl")
    with open(workdir / "access.log", "wb") as out, open(workdir / "error.log", "wb") as err:
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True,  # its own process group, which our Ctrl-C does not reach
        )  # fmt: skip
    try:  # a failure prints the log's tail in main; the server is stopped whatever happens
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection(HOST, port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            time.sleep(0.1)
        else:
            late = f"did not answer /healthz within {STARTUP_TIMEOUT_S:g} s"
            raise RuntimeError(f"the service {'exited' if proc.poll() is not None else late}")
        conn.close()
        group = [str(proc.pid)]
        yield port, [int(p) for p in os.listdir("/proc") if p.isdigit() and _stat(p)[2:3] == group]
        if proc.poll() is not None:
            raise RuntimeError(f"the service died during the run (exit status {proc.returncode})")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(STOP_TIMEOUT_S)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # any process that outlived the launcher
        proc.wait()
        print(f"server   stopped (exit status {proc.returncode})")


# --------------------------------------------------------------------------- HTTP load


def _percentiles(ns: list[int]) -> dict[str, float]:
    """p50, p99 (nearest rank) and max of sorted nanoseconds, in milliseconds."""
    at = [ns[math.ceil(len(ns) * q / 100) - 1] / 1e6 if ns else math.nan for q in (50, 99, 100)]
    return dict(zip(("p50_ms", "p99_ms", "max_ms"), at, strict=True))


@dataclass
class Tally:
    """What the phases of one endpoint saw, pooled."""

    ns: list[int] = field(default_factory=list)  # latency of every request, errors included
    errors: list[str] = field(default_factory=list)  # a status, or an exception's name, each
    first: dict[str, str] = field(default_factory=dict)  # first body of each kind of error
    answers: list[tuple[int, bytes]] = field(default_factory=list)  # (doc, body), to check
    seconds: float = 0.0
    phase_rates: list[float] = field(default_factory=list)  # ok/s of each phase

    def figures(self) -> dict[str, Any]:
        ns, errors = sorted(self.ns), len(self.errors)
        rates = self.phase_rates or [0.0]
        return {
            "ok_per_second": (len(ns) - errors) / self.seconds if self.seconds > 0 else 0.0,
            "ok_per_second_phases": {"min": min(rates), "median": statistics.median(rates)},
            "ok": len(ns) - errors,
            "errors": errors,
            **_percentiles(ns),
            "errors_by_kind": dict(Counter(self.errors)),
            "first_error_bodies": self.first,
        }

    def run_phase(self, port: int, make: Callable[[int], Request], args: Namespace, seconds: float):
        """args.connections keep-alive connections, a thread each, send requests until
        `seconds` pass or args.requests are sent; what they see is added here."""
        ok_before = len(self.ns) - len(self.errors)
        tickets = itertools.count()  # next() on it is atomic under the GIL
        limit = args.requests or sys.maxsize
        barrier = threading.Barrier(args.connections + 1)
        deadline = [float("inf")]  # set before the barrier opens

        def drive() -> None:
            conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
            with contextlib.suppress(OSError):
                conn.connect()  # before the clock starts
            barrier.wait()
            while time.perf_counter() < deadline[0] and (ticket := next(tickets)) < limit:
                method, path, body, headers, doc = make(ticket)
                t0 = time.perf_counter_ns()
                try:
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    data, status = response.read(), str(response.status)
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()  # http.client reconnects on the next request
                    data, status = str(exc).encode(), type(exc).__name__
                self.ns.append(time.perf_counter_ns() - t0)  # append, setdefault: atomic
                if not status.startswith("2"):
                    self.errors.append(status)
                    self.first.setdefault(status, data[:300].decode(errors="replace"))
                elif doc >= 0 and len(self.answers) < CHECKED:
                    self.answers.append((doc, data))
            conn.close()

        threads = [threading.Thread(target=drive, daemon=True) for _ in range(args.connections)]
        for t in threads:
            t.start()
        start = time.perf_counter()
        deadline[0] = start + seconds
        barrier.wait()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        self.seconds += elapsed
        self.phase_rates.append((len(self.ns) - len(self.errors) - ok_before) / elapsed)


@dataclass
class Loaded:
    """One configuration's server, up, warmed and checked, and what its phases saw."""

    config: Config
    port: int
    pids: list[int]
    requests_for: Callable[[str, str], Callable[[int], Request]]
    wrong: list[str]  # what the warm-up check found wrong
    tallies: dict[str, Tally] = field(
        default_factory=lambda: {EVALUATIONS: Tally(), HEALTHZ: Tally()}
    )
    other_core_s: float = 0.0  # cores used by others, times seconds, over its phases
    phase_s: float = 0.0


def warm_up(
    config: Config, server: tuple[int, list[int]], database: Path, args: Namespace,
    bodies: list[bytes], decisions: list[dict[str, Any]],
) -> Loaded:  # fmt: skip
    """A key for the load, then the warm-up, whose answers are checked against `decisions`."""
    port, pids = server
    with Store(database) as store:
        _, token = store.create_key("submitter", "benchmark")
    run = uuid.uuid4().hex[:8]

    def requests_for(endpoint: str, tag: str) -> Callable[[int], Request]:
        def post(ticket: int) -> Request:
            doc = ticket % len(bodies)
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            headers["Idempotency-Key"] = f"bench-{run}-{tag}-{ticket}"
            return "POST", "/v1/evaluations", bodies[doc], headers, doc

        return post if endpoint == EVALUATIONS else lambda _: ("GET", "/healthz", None, {}, -1)

    warm = {EVALUATIONS: Tally(), HEALTHZ: Tally()}
    for name, tally in warm.items():
        tally.run_phase(port, requests_for(name, "w"), args, WARMUP_S)
    answers = [(doc, json.loads(body)) for doc, body in warm[EVALUATIONS].answers]
    wrong = [
        f"family {doc}: {k} {got.get(k)!r}, locally {decisions[doc][k]!r}"
        for doc, got in answers
        for k in CHECK_KEYS
        if got.get(k) != decisions[doc][k]
    ]
    if answers and not wrong:
        print(f"check    warm-up: {len(answers)} evaluation answers agree with a local decide")
        print(f"         ({', '.join(CHECK_KEYS)})")
    else:
        print(f"CHECK FAILED: {len(wrong)} differences from decide in {len(answers)} answers")
        wrong = wrong or ["no successful evaluation answer to check"]
        print("\n".join(f"    {line}" for line in wrong[:10]))
    return Loaded(config, port, pids, requests_for, wrong)


def load_all(servers: list[Loaded], args: Namespace) -> None:
    """The measured phases, interleaved: every round visits every server (each round
    starting one further along), POST and /healthz alternating which goes first, so a
    change in the machine's load falls on every configuration alike."""
    bound = f" or {args.requests:,} requests" if args.requests else ""
    print(
        f"\nload     {args.connections} keep-alive connections; {args.rounds} rounds, each", end=" "
    )
    print(f"visiting every server: {args.seconds:g} s{bound} per endpoint")
    ours = [os.getpid(), *(pid for s in servers for pid in s.pids)]
    for rnd in range(args.rounds):
        k = rnd % len(servers)
        for server in servers[k:] + servers[:k]:
            for name in (EVALUATIONS, HEALTHZ) if rnd % 2 == 0 else (HEALTHZ, EVALUATIONS):
                before, t0 = _ticks(ours), time.perf_counter()
                requests = server.requests_for(name, f"r{rnd}")
                server.tallies[name].run_phase(server.port, requests, args, args.seconds)
                seconds = time.perf_counter() - t0
                server.other_core_s += _other_cores(ours, before) * seconds
                server.phase_s += seconds


# --------------------------------------------------------------------------- store, no HTTP


def _timed(write: Callable[[int], object]) -> dict[str, float]:
    """write(i) for i = 0, 1, ... for STORE_S seconds, after 20 untimed calls (negative i)."""
    for i in range(-20, 0):
        write(i)
    clock, ns = time.perf_counter_ns, []
    start = end = clock()
    while end - start < STORE_S * 1e9:
        t0 = clock()
        write(len(ns))
        end = clock()
        ns.append(end - t0)
    ns.sort()
    return {"writes_per_second": len(ns) * 1e9 / (end - start), **_percentiles(ns)}


def store_rates(
    workdir: Path, docs: list[dict[str, Any]], bodies: list[bytes], decisions: list[dict[str, Any]]
) -> dict[str, Any]:
    """Store.save_decision against a raw durable INSERT of the same JSON text, one thread."""
    n, run = len(docs), uuid.uuid4().hex[:8]
    texts = [(json.dumps(f), json.dumps(d)) for f, d in zip(docs, decisions, strict=True)]
    hashes = [request_hash_of(json.loads(b)) for b in bodies]  # as the service does

    conn = sqlite3.connect(workdir / "raw.sqlite", isolation_level=None)  # autocommit
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE payloads (id INTEGER PRIMARY KEY, facts TEXT, decision TEXT)")
    raw = _timed(lambda i: conn.execute("INSERT INTO payloads VALUES (NULL, ?, ?)", texts[i % n]))
    conn.close()

    def save_rate(name: str, keys: DataKeys | None) -> dict[str, float]:
        # WAL, synchronous=FULL, as the service's
        with Store(workdir / f"{name}.sqlite", keys=keys) as store:
            key, _ = store.create_key("submitter", "benchmark")
            return _timed(
                lambda i: store.save_decision(
                    decisions[i % n],
                    docs[i % n],
                    submitted_by=key.client_id,
                    idempotency_key=f"bench-{run}-{i}",
                    request_hash=hashes[i % n],
                )
            )

    # sealed at rest (AES-256-GCM) as the service stores them, and plain (development mode)
    sealed = save_rate("store", DataKeys.generate())
    return {"raw": raw, "store": sealed, "store_plain": save_rate("store-plain", None)}


# --------------------------------------------------------------------------- main


def figures_of(server: Loaded) -> dict[str, Any]:
    """One configuration's figures, as the JSON and the table give them."""
    config = server.config
    http = {name: tally.figures() for name, tally in server.tallies.items()}
    ev, hz = http[EVALUATIONS], http[HEALTHZ]
    for name, r in http.items():
        if r["errors"]:
            print(f"  ERRORS {config.name} {name}: {r['errors_by_kind']}")
            for kind, body in r["first_error_bodies"].items():
                print(f"    first {kind}: {body}")
    return {
        "name": config.name,
        "worker_class": config.worker_class,
        "workers": config.workers,
        "threads": config.threads,
        "http": http,
        "post_per_second": ev["ok_per_second_phases"],
        "p99_over_p50": ev["p99_ms"] / ev["p50_ms"] if ev["p50_ms"] else math.nan,
        "ratio_healthz": (
            ev["ok_per_second"] / hz["ok_per_second"] if hz["ok_per_second"] else math.nan
        ),
        "check_failures": server.wrong,
        "other_processes_cores": server.other_core_s / server.phase_s if server.phase_s else 0.0,
    }


def print_configs(rows: list[dict[str, Any]], raw: float) -> None:
    """The configurations side by side."""
    print(f"\nhttp     {EVALUATIONS}, 8 keep-alive connections; ok/s is the median (min) of phases")
    print(f"  {'':<14} {'ok/s':>14} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>8}", end=" ")
    print(f"{'/healthz':>9} {'/raw':>7} {'errors':>7} {'others':>7}")
    for r in rows:
        ev, rate = r["http"][EVALUATIONS], r["post_per_second"]
        errors = ev["errors"] + r["http"][HEALTHZ]["errors"]
        span = f"{rate['median']:,.0f} ({rate['min']:,.0f})"
        print(f"  {r['name']:<14} {span:>14} {ev['p50_ms']:>8.1f} {ev['p99_ms']:>8.1f}", end=" ")
        print(
            f"{r['p99_over_p50']:>8.2f} {r['ratio_healthz']:>9.3f} {r['ratio_raw']:>7.3f}", end=" "
        )
        print(f"{errors:>7,} {r['other_processes_cores']:>7.2f}")
    print(
        f"  /healthz: POST rate over /healthz rate; /raw: over the raw insert rate ({raw:,.0f}/s)"
    )
    print("  others: cores used by other processes during that configuration's phases")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--configs",
        default=None,
        help=f"gunicorn configurations, CLASS:WORKERS[xTHREADS] comma separated ({DEFAULT_CONFIGS}"
        ", and gevent:2 when gevent is installed); the first is the reference",
    )
    parser.add_argument("--connections", type=int, default=8, help="client connections (8)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per phase (5)")
    parser.add_argument("--rounds", type=int, default=2, help="phases per endpoint (2)")
    parser.add_argument("--requests", type=int, metavar="N", help="at most N requests per phase")
    parser.add_argument("--seed", type=int, default=2015, help="generator seed (2015)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    try:
        configs = parse_configs(args.configs or default_configs())
    except ValueError as exc:
        parser.error(str(exc))
    if min(args.connections, args.rounds, args.requests or 1) < 1:
        parser.error("--connections, --rounds, --requests: at least 1")
    if args.seconds <= 0:
        parser.error("--seconds must be positive")

    m = _machine()
    print("tfp-rules service benchmark: nginx and gunicorn as `make run` starts them, on loopback")
    print(f"machine  {m['platform']}, {m['python']}, {m['cpu_count']} CPUs")
    print(f"         nginx {m['nginx']}, gunicorn {m['gunicorn']}, Flask {m['flask']},", end=" ")
    print(f"durable-rules {m['durable-rules']}, SQLite {m['sqlite']}")
    print(f"commit   {m['commit']}")
    print(f"configs  {', '.join(c.name for c in configs)}")
    library = RulesetLibrary.from_directory()
    docs = generate(FAMILIES, args.seed)
    bodies = [json.dumps(d).encode() for d in docs]
    decisions = [decide(library, take_in(library, body).facts) for body in bodies]
    eligible = sum(d["eligible"] for d in decisions) / FAMILIES
    print(f"families {FAMILIES} generated (seed {args.seed}), {eligible:.0%} eligible;", end=" ")
    print(f"bodies {sum(map(len, bodies)) / FAMILIES / 1024:.1f} KiB mean")

    with tempfile.TemporaryDirectory(prefix="tfp-bench-service-") as tmp:
        workdir = Path(tmp)
        servers: list[Loaded] = []
        with contextlib.ExitStack() as stack:  # every server stopped, whatever happens
            for i, config in enumerate(configs):
                here = workdir / f"config{i}"
                here.mkdir()
                print(f"\n== {config.name}")
                try:
                    server = stack.enter_context(serving(here, config))
                    servers.append(
                        warm_up(config, server, here / "tfp.sqlite", args, bodies, decisions)
                    )
                except (OSError, RuntimeError) as exc:
                    log = here / "error.log"
                    tail = (
                        log.read_text(errors="replace").splitlines()[-20:] if log.exists() else []
                    )
                    print(f"ABORTED: {config.name}: {exc}")
                    print(*(["the service's log ends:", *tail] if tail else []), sep="\n")
                    return 1
            load_all(servers, args)
        rows = [figures_of(server) for server in servers]
        before = _ticks([os.getpid()])
        store = store_rates(workdir, docs, bodies, decisions)
        store_others = _other_cores([os.getpid()], before)

    raw = store["raw"]["writes_per_second"]
    for r in rows:
        r["ratio_raw"] = r["post_per_second"]["median"] / raw
        r["ratio_raw_min"] = r["post_per_second"]["min"] / raw
    print_configs(rows, raw)
    failed = [r["name"] for r in rows if r["check_failures"]]
    errors = [r["name"] for r in rows if any(t["errors"] for t in r["http"].values())]
    if not errors:
        print("  errors: none (every response 2xx, no connection errors)")

    print(f"\nstore    one thread, fresh WAL databases with synchronous=FULL, {STORE_S:g} s each")
    print(f"  {'':<36} {'writes/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for key, label in (
        ("raw", "raw sqlite3 INSERT (baseline)"),
        ("store", "Store.save_decision, sealed"),
        ("store_plain", "Store.save_decision, plain (dev)"),
    ):
        r = store[key]
        print(f"  {label:<36} {r['writes_per_second']:>9,.0f}", end=" ")
        print(f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f}")
    store["ratio"] = store["store"]["writes_per_second"] / raw
    print(f"  ratio save_decision / raw writes: {store['ratio']:.3f}")
    plain = store["store_plain"]["writes_per_second"]
    store["sealed_ratio"] = store["store"]["writes_per_second"] / plain
    print(f"  ratio sealed / plain save_decision: {store['sealed_ratio']:.3f}")

    others = {"http": max(r["other_processes_cores"] for r in rows), "store": store_others}
    print(
        f"\nquiet    other processes used up to {others['http']:.2f} cores in HTTP phases,", end=" "
    )
    print(f"{others['store']:.2f} in the store lines")
    if max(others.values()) > NOISY_CORES:
        print(f"WARNING: the machine was not quiet (others used over {NOISY_CORES} cores):")
        print("         these figures are lower than on an idle machine")
    if failed:
        print(f"CHECK FAILED in {', '.join(failed)}")
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k not in ("json", "configs")}
        settings |= {"families": FAMILIES, "configs": [c.name for c in configs]}
        figures = {"machine": m, "settings": settings, "configs": rows, "store": store}
        figures |= {"other_processes_cores": others}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    # SIGTERM (a CI timeout, say) unwinds like Ctrl-C, so the server is stopped all the same.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted (the server was stopped)")
        sys.exit(130)

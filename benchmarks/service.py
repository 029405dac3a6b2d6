"""Benchmark the service as `make run` starts it, and the store's durable write rate.

    .venv/bin/python benchmarks/service.py [--workers W] [--threads T] [--connections C]
                                           [--seconds S] [--rounds R] [--requests N]
                                           [--warmup S] [--families F] [--seed SEED]
                                           [--store-seconds S] [--json PATH]

1. Starts the real server with the gunicorn command of the Makefile's `run` recipe,
   read from the Makefile (W workers x T threads, access log on), on 127.0.0.1 and a
   free port, with a new database, control socket and logs in a temporary directory;
   waits for /healthz, then creates a submitter key with `Store.create_key`. The
   server is stopped at the end whatever happens (SIGTERM, then SIGKILL).
2. HTTP load from this process: C keep-alive connections (http.client, one thread
   each). POST /v1/evaluations sends F generated families (benchmarks/families.py,
   valid facts), each with its own Idempotency-Key; GET /healthz, the cheapest route
   of the same server, is the baseline. After a warm-up of each (whose evaluation
   answers are checked against a local `decide`), R rounds alternate the two, S/R
   seconds each (or N requests each with --requests). Every response that is not
   2xx and every connection error is counted and shown. From /proc, around each
   phase: CPU of the server's processes, of this client and of everything else;
   bytes the server wrote to disk; the keep-alive connections each worker holds; and
   (inotify) how often the database's WAL was deleted, which SQLite does when the
   last connection closes, after checkpointing it.
3. The store without HTTP, one thread, a fresh WAL database with synchronous=FULL
   for each line: `Store.save_decision` of decisions computed beforehand, against a
   plain sqlite3 INSERT of the same JSON text into a one-table database set up the
   same way (the raw cost of a durable commit); then the store work of one POST as
   the service does it (open a Store, authenticate, save, close), with and without
   another connection open. Last, where a POST's time goes: each step timed alone,
   the whole request through Flask's test client, and the server's CPU per request.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import hashlib
import http.client
import itertools
import json
import os
import platform
import re
import resource
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts benchmarks/ first on sys.path, where this file would shadow
# the project's own `service` package (and engine.py any module called "engine"); import
# from the project root instead, as engine.py does.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))

from benchmarks.families import generate  # noqa: E402
from tfp_rules.evaluate import decide  # noqa: E402
from tfp_rules.facts import parse_facts  # noqa: E402
from tfp_rules.ruleset import RulesetLibrary  # noqa: E402
from tfp_rules.store import Store  # noqa: E402

HOST = "127.0.0.1"
EVALUATIONS = "POST /v1/evaluations"
HEALTHZ = "GET /healthz"
REQUEST_TIMEOUT_S = 30.0  # per request; a slower answer counts as an error
STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0
MAX_VERIFY = 400  # warm-up evaluation answers checked against a local decide
MAX_STORE_WRITES = 100_000  # per store line, whatever --store-seconds says
STAGE_CALLS = 300  # calls per step of the store breakdown
NOISY_CORES = 0.25  # CPU used by other processes above which the run is flagged as disturbed
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Settings that would change how the server runs or which rules it loads: the benchmark wants
# the Makefile's command with this project's rulesets, whatever the caller's shell holds.
CLEARED_ENV = ("TFP_RULESETS", "TFP_MAX_BODY_BYTES", "GUNICORN_CMD_ARGS")


# --------------------------------------------------------------------------- machine


def _version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "unknown"


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpu_count": os.cpu_count(),
        "cpu": cpu,
        "gunicorn": _version("gunicorn"),
        "flask": _version("flask"),
        "durable_rules": _version("durable-rules"),
        "sqlite": sqlite3.sqlite_version,
    }


def _git() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
        )
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
    except (OSError, subprocess.SubprocessError):
        return "unknown (git rev-parse failed)"
    try:
        dirty = bool(git("status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return commit
    return f"{commit} + uncommitted changes" if dirty else commit


def _filesystem(path: Path) -> str:
    """The type and device of the filesystem holding `path`, from /proc/mounts."""
    best, answer = "", "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, kind = line.split()[:3]
            inside = str(path) == mount or str(path).startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best):
                best, answer = mount, f"{kind} on {device}"
    return answer


def run_command(settings: dict[str, str], workdir: Path) -> tuple[list[str], dict[str, str]]:
    """The gunicorn command of the Makefile's `run` recipe, read from the Makefile itself.

    Its `${VAR:-default}`s take their value from `settings`; any other whose default is a
    path under var/ is pointed into `workdir`, so the benchmark never touches the project's
    var/ (nor a running server's control socket). Returns (argv, the variables set).
    """
    text = (ROOT / "Makefile").read_text()
    match = re.search(r"^run:.*\n((?:\t.*\n?)+)", text, re.MULTILINE)
    if not match:
        raise RuntimeError("no `run` recipe in the Makefile")
    recipe = match.group(1).replace("\\\n", " ")
    lines = [line.strip().lstrip("@-+") for line in recipe.splitlines() if "gunicorn" in line]
    if len(lines) != 1:
        raise RuntimeError("the Makefile's `run` recipe has no single gunicorn command line")
    line = lines[0].replace("$(BIN)", str(_venv_bin()))
    variables = dict(settings)

    def resolve(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name not in variables:
            variables[name] = (
                str(workdir / default.removeprefix("var/"))
                if default.startswith("var/")
                else default
            )
        return variables[name]

    line = re.sub(r"\$\$\{(\w+):-([^}]*)\}", resolve, line)
    if "$" in line:
        raise RuntimeError(f"cannot resolve the Makefile's run command: {line}")
    return shlex.split(line), variables


# --------------------------------------------------------------------------- statistics


def _percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_ns:
        return float("nan")
    rank = max(1, -(-len(sorted_ns) * q // 100))
    return sorted_ns[int(rank) - 1] / 1e6


def _latency(ns: list[int]) -> dict[str, float]:
    ordered = sorted(ns)
    return {
        "p50_ms": _percentile(ordered, 50),
        "p99_ms": _percentile(ordered, 99),
        "max_ms": ordered[-1] / 1e6 if ordered else float("nan"),
        "mean_ms": statistics.fmean(ordered) / 1e6 if ordered else float("nan"),
    }


# --------------------------------------------------------------------------- CPU from /proc


def _proc_cpu(pid: int) -> float | None:
    """User + system CPU seconds of one process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            text = Path(f"/proc/{entry}/stat").read_text()
            if int(text[text.rfind(")") + 2 :].split()[1]) == pid:
                out.append(int(entry))
    return sorted(out)


def _group(pgid: int) -> list[int]:
    """Live processes (zombies excluded) of process group `pgid`."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError):
            text = Path(f"/proc/{entry}/stat").read_text()
            state, _, pgrp = text[text.rfind(")") + 2 :].split()[:3]
            if int(pgrp) == pgid and state != "Z":
                out.append(int(entry))
    return sorted(out)


def _connections_by_worker(workers: list[int], port: int) -> list[int]:
    """Established connections to `port` held by each worker (socket inodes in /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "01" and int(parts[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{parts[9]}]")
    counts = []
    for pid in workers:
        n = 0
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    n += os.readlink(f"/proc/{pid}/fd/{fd}") in inodes
        counts.append(n)
    return counts


def _box_ticks() -> tuple[int, int, int]:
    """(busy, iowait, total) clock ticks of the whole machine, from /proc/stat."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in first]
    idle, iowait = values[3], values[4] if len(values) > 4 else 0
    # guest time is already counted in user; leave it out of the total.
    total = sum(values[:8])
    return total - idle - iowait, iowait, total


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _proc_write_bytes(pid: int) -> int | None:
    """Bytes a process caused to be sent to the storage layer, from /proc/PID/io."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return None


class WalWatch:
    """Counts deletions of the database's -wal file (Linux inotify, through ctypes).

    SQLite deletes the WAL when the last connection to the database closes, after
    checkpointing it into the database file. The service opens a Store per request and
    closes it at teardown, so each deletion is a request that found itself alone and paid
    for a checkpoint. None where inotify is not available.
    """

    IN_DELETE = 0x200
    IN_Q_OVERFLOW = 0x4000
    HEADER = struct.Struct("iIII")  # wd, mask, cookie, len

    def __init__(self, database: Path):
        self.name = (database.name + "-wal").encode()
        self.fd = -1
        self.overflowed = False
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd < 0:
                return
            if libc.inotify_add_watch(fd, str(database.parent).encode(), self.IN_DELETE) < 0:
                os.close(fd)
                return
            self.fd = fd
        except (OSError, AttributeError):
            self.fd = -1

    def count(self) -> int | None:
        """Deletions since the last call."""
        if self.fd < 0:
            return None
        n = 0
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return n
            offset = 0
            while offset < len(data):
                _, mask, _, length = self.HEADER.unpack_from(data, offset)
                name = data[offset + 16 : offset + 16 + length].rstrip(b"\0")
                offset += 16 + length
                if mask & self.IN_Q_OVERFLOW:
                    self.overflowed = True
                elif name == self.name:
                    n += 1

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _venv_bin() -> Path:
    """The Makefile's $(BIN): .venv/bin, else the bin/ of the Python running this."""
    here = ROOT / ".venv" / "bin"
    return here if (here / "gunicorn").exists() else Path(sys.executable).parent


class Server:
    """gunicorn as `make run` starts it, in its own session so all of it can be stopped."""

    def __init__(self, workdir: Path, workers: int, threads: int):
        self.database = workdir / "tfp.sqlite"
        self.access_log = workdir / "access.log"
        self.error_log = workdir / "error.log"
        self.port = _free_port()
        self.command, self.variables = run_command(
            {
                "TFP_BIND": f"{HOST}:{self.port}",
                "TFP_WORKERS": str(workers),
                "TFP_THREADS": str(threads),
                "TFP_DATABASE": str(self.database),
            },
            workdir,
        )
        self.env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        self.env.update(self.variables)
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_s = float("nan")

    def start(self) -> None:
        with open(self.access_log, "wb") as out, open(self.error_log, "wb") as err:
            self.proc = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        started = time.perf_counter()
        deadline = started + STARTUP_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {self.proc.returncode}")
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=2)
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
                conn.close()
                if status == 200:
                    break
            except OSError:
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError(f"no 200 from /healthz within {STARTUP_TIMEOUT_S:g} s")
            time.sleep(0.1)
        self.ready_s = time.perf_counter() - started

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def workers(self) -> list[int]:
        return _children(self.proc.pid) if self.alive else []

    def stop(self) -> list[int]:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL for whatever of it is left;
        returns the pids of its processes still alive after that (none, normally)."""
        if self.proc is None:
            return []
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(STOP_TIMEOUT_S)
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: master and workers
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(STOP_TIMEOUT_S)
        left = _group(self.proc.pid)  # a worker that outlived its master is still in its group
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        return left

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.error_log.read_text(errors="replace").splitlines()
        except OSError:
            return "(no error log)"
        return "\n".join(text[-lines:])


# --------------------------------------------------------------------------- HTTP load


Request = tuple[str, str, bytes | None, dict[str, str], int]  # method, path, body, headers, doc


@dataclass
class _Client:
    """What one connection saw in one phase."""

    latencies_ns: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # first body of each non-2xx status
    answers: list[tuple[int, bytes]] = field(default_factory=list)  # (doc, body) to verify
    reconnects: int = 0
    ended: float = 0.0


def _drive(
    port: int,
    make: Callable[[int], Request],
    tickets: Iterator[int],
    limit: int | None,
    clock: dict[str, float],
    barrier: threading.Barrier,
    verify: bool,
    out: _Client,
) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
    with contextlib.suppress(OSError):
        conn.connect()  # before the clock starts
    barrier.wait()
    deadline = clock["deadline"]
    now = time.perf_counter_ns
    try:
        while True:
            if limit is None:
                if time.perf_counter() >= deadline:
                    break
                ticket = next(tickets)
            else:
                ticket = next(tickets)
                if ticket >= limit:
                    break
            method, path, body, headers, doc = make(ticket)
            t0 = now()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                out.latencies_ns.append(now() - t0)
                out.failures[type(exc).__name__] += 1
                out.samples.setdefault(type(exc).__name__, str(exc)[:300])
                conn.close()
                out.reconnects += 1
                continue
            out.latencies_ns.append(now() - t0)
            out.statuses[response.status] += 1
            if not 200 <= response.status < 300:
                out.samples.setdefault(str(response.status), data[:300].decode(errors="replace"))
            elif verify and len(out.answers) < MAX_VERIFY:
                out.answers.append((doc, data))
            if response.will_close:
                out.reconnects += 1  # http.client opens a new connection for the next request
    finally:
        out.ended = time.perf_counter()
        conn.close()


def run_phase(
    server: Server,
    name: str,
    make: Callable[[int], Request],
    *,
    connections: int,
    seconds: float,
    requests: int | None,
    wal: WalWatch | None = None,
    verify: bool = False,
) -> dict[str, Any]:
    """C connections send requests until the time or the request count is up."""
    clients = [_Client() for _ in range(connections)]
    tickets = itertools.count()  # next() on it is atomic under the GIL
    barrier = threading.Barrier(connections + 1)
    clock = {"deadline": float("inf")}
    threads = [
        threading.Thread(
            target=_drive,
            args=(server.port, make, tickets, requests, clock, barrier, verify, c),
            daemon=True,
        )
        for c in clients
    ]
    for t in threads:
        t.start()
    gc.collect()
    workers = server.workers()
    pids = [server.proc.pid, *workers] if server.proc else []
    cpu0 = {pid: _proc_cpu(pid) for pid in pids}
    io0 = {pid: _proc_write_bytes(pid) for pid in pids}
    if wal is not None:
        wal.count()  # forget earlier deletions
    box0 = _box_ticks()
    client0 = _client_cpu()
    start = time.perf_counter()
    clock["deadline"] = start + seconds
    barrier.wait()
    # Which worker holds which keep-alive connection (they stay where they were accepted).
    time.sleep(min(0.05, seconds / 4))
    held = _connections_by_worker(workers, server.port)
    limit = (seconds if requests is None else 3600.0) + REQUEST_TIMEOUT_S + 10
    for t in threads:
        t.join(max(0.0, start + limit - time.perf_counter()))
    stuck = sum(t.is_alive() for t in threads)
    ended = max(c.ended for c in clients) if not stuck else time.perf_counter()
    wall = ended - start
    client_cpu = _client_cpu() - client0
    box1 = _box_ticks()
    cpu1 = {pid: _proc_cpu(pid) for pid in pids}
    io1 = {pid: _proc_write_bytes(pid) for pid in pids}
    wal_deletions = wal.count() if wal is not None else None
    workers_after = server.workers()

    statuses: Counter[int] = Counter()
    failures: Counter[str] = Counter()
    samples: dict[str, str] = {}
    latencies: list[int] = []
    for c in clients:
        statuses.update(c.statuses)
        failures.update(c.failures)
        latencies.extend(c.latencies_ns)
        for k, v in c.samples.items():
            samples.setdefault(k, v)
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    total = sum(statuses.values()) + sum(failures.values())
    worker_cpu = {
        pid: (cpu1[pid] - cpu0[pid])
        for pid in workers
        if cpu0.get(pid) is not None and cpu1.get(pid) is not None
    }
    server_cpu = sum(
        cpu1[pid] - cpu0[pid]
        for pid in pids
        if cpu0.get(pid) is not None and cpu1.get(pid) is not None
    )
    ticks = max(1, box1[2] - box0[2])
    n_cpu = os.cpu_count() or 1
    written = [io1[p] - io0[p] for p in pids if io0.get(p) is not None and io1.get(p) is not None]
    return {
        "endpoint": name,
        "seconds": wall,
        "requests": total,
        "ok": ok,
        "errors": total - ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failures": dict(failures),
        "error_samples": samples,
        "ok_per_second": ok / wall if wall > 0 else 0.0,
        "latency": _latency(latencies),  # every request, errors included
        "reconnects": sum(c.reconnects for c in clients),
        "stuck_clients": stuck,
        "server_cpu_cores": server_cpu / wall if wall > 0 else 0.0,
        "server_cpu_ms_per_request": 1000 * server_cpu / total if total else float("nan"),
        # Per worker, in the same order: CPU cores used, connections held.
        "worker_cpu_cores": [
            worker_cpu.get(pid, 0.0) / wall if wall > 0 else 0.0 for pid in workers
        ],
        "worker_connections": held,
        "workers_replaced": sorted(set(workers) ^ set(workers_after)),
        "disk_write_bytes": sum(written) if written else None,
        "wal_deletions": wal_deletions,
        "client_cpu_cores": client_cpu / wall if wall > 0 else 0.0,
        "machine_busy_cores": n_cpu * (box1[0] - box0[0]) / ticks,
        # Everything else: other processes, and kernel work no process is charged for.
        "other_cpu_cores": max(
            0.0, (n_cpu * (box1[0] - box0[0]) / ticks) - (server_cpu + client_cpu) / wall
        )
        if wall > 0
        else 0.0,
        "machine_iowait_cores": n_cpu * (box1[1] - box0[1]) / ticks,
        "_answers": [a for c in clients for a in c.answers],
        "_latencies_ns": latencies,
    }


def _merge(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Several phases of one endpoint as one figure (rates from summed counts and time)."""
    seconds = sum(p["seconds"] for p in phases)
    ok = sum(p["ok"] for p in phases)
    total = sum(p["requests"] for p in phases)
    statuses: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    samples: dict[str, str] = {}
    for p in phases:
        statuses.update(p["statuses"])
        failures.update(p["failures"])
        for k, v in p["error_samples"].items():
            samples.setdefault(k, v)

    def weighted(key: str) -> float:
        return sum(p[key] * p["seconds"] for p in phases) / seconds if seconds else 0.0

    return {
        "phases": len(phases),
        "seconds": seconds,
        "requests": total,
        "ok": ok,
        "errors": total - ok,
        "statuses": dict(sorted(statuses.items())),
        "failures": dict(failures),
        "error_samples": samples,
        "ok_per_second": ok / seconds if seconds else 0.0,
        "by_phase": [
            {
                "ok_per_second": p["ok_per_second"],
                "worker_cpu_cores": p["worker_cpu_cores"],
                "worker_connections": p["worker_connections"],
                "other_cpu_cores": p["other_cpu_cores"],
            }
            for p in phases
        ],
        "latency": _latency([ns for p in phases for ns in p["_latencies_ns"]]),
        "reconnects": sum(p["reconnects"] for p in phases),
        "stuck_clients": sum(p["stuck_clients"] for p in phases),
        "workers_replaced": sorted({pid for p in phases for pid in p["workers_replaced"]}),
        "disk_write_kib_per_request": (
            sum(p["disk_write_bytes"] for p in phases) / 1024 / total
            if total and all(p["disk_write_bytes"] is not None for p in phases)
            else None
        ),
        "wal_deletions": (
            sum(p["wal_deletions"] for p in phases)
            if all(p["wal_deletions"] is not None for p in phases)
            else None
        ),
        "server_cpu_cores": weighted("server_cpu_cores"),
        "server_cpu_ms_per_request": (
            sum(p["server_cpu_cores"] * p["seconds"] for p in phases) * 1000 / total
            if total
            else float("nan")
        ),
        "client_cpu_cores": weighted("client_cpu_cores"),
        "machine_busy_cores": weighted("machine_busy_cores"),
        "other_cpu_cores": weighted("other_cpu_cores"),
        "other_cpu_cores_max_phase": max(p["other_cpu_cores"] for p in phases),
        "machine_iowait_cores": weighted("machine_iowait_cores"),
    }


# --------------------------------------------------------------------------- store, no HTTP


def _timed(
    write: Callable[[int], object], seconds: float, max_calls: int = MAX_STORE_WRITES
) -> dict[str, Any]:
    """Call write(i) for i = 0, 1, ... until `seconds` or `max_calls`; per-call latency, and
    this process's CPU time per call (only this thread runs here), so that wall minus CPU is
    time spent waiting, for the disk mostly."""
    clock = time.perf_counter_ns
    latencies: list[int] = []
    gc.collect()
    cpu0 = time.process_time()
    start = clock()
    stop = start + int(seconds * 1e9)
    for i in range(max_calls):
        t0 = clock()
        write(i)
        t1 = clock()
        latencies.append(t1 - t0)
        if t1 >= stop:
            break
    wall = clock() - start
    cpu = time.process_time() - cpu0
    return {
        "writes": len(latencies),
        "seconds": wall / 1e9,
        "writes_per_second": len(latencies) * 1e9 / wall,
        **_latency(latencies),
        "cpu_ms_mean": cpu * 1000 / len(latencies),
    }


def app_in_process(workdir: Path, bodies: list[bytes], seconds: float) -> dict[str, Any]:
    """The same two requests through Flask's test client in this process, one thread: the
    app's own cost, without gunicorn, sockets or other threads."""
    from service import create_app
    from tfp_rules.ruleset import DEFAULT_RULESETS_DIR

    path = workdir / "app.sqlite"
    app = create_app({"DATABASE": str(path), "RULESETS": str(DEFAULT_RULESETS_DIR)})
    with Store(path) as store:
        _, token = store.create_key("submitter", "benchmark")
    client = app.test_client()
    statuses: Counter[int] = Counter()
    run = uuid.uuid4().hex[:8]

    def post(i: int) -> None:
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": f"bench-{run}-app-{i}",
        }
        statuses[
            client.post(
                "/v1/evaluations", data=bodies[i % len(bodies)], headers=headers
            ).status_code
        ] += 1

    def healthz(i: int) -> None:
        statuses[client.get("/healthz").status_code] += 1

    # As under load, another connection is open, so a request's close does not checkpoint.
    other = sqlite3.connect(path)
    try:
        other.execute("SELECT count(*) FROM api_keys").fetchall()
        for i in range(-20, 0):
            post(i)
            healthz(i)
        out = {"post": _timed(post, seconds), "healthz": _timed(healthz, seconds)}
    finally:
        other.close()
    out["statuses"] = {str(k): v for k, v in sorted(statuses.items())}
    out["errors"] = sum(v for k, v in statuses.items() if not 200 <= k < 300)
    return out


def _raw_database(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE payloads (id INTEGER PRIMARY KEY, facts TEXT NOT NULL, decision TEXT NOT NULL)"
    )
    return conn


def store_rates(
    workdir: Path,
    docs: list[dict[str, Any]],
    bodies: list[bytes],
    decisions: list[dict[str, Any]],
    seconds: float,
) -> dict[str, Any]:
    n = len(docs)
    texts = [
        (json.dumps(f, ensure_ascii=False), json.dumps(d, ensure_ascii=False))
        for f, d in zip(docs, decisions, strict=True)
    ]
    hashes = [hashlib.sha256(b"\0" + b).hexdigest() for b in bodies]  # as the service does
    run = uuid.uuid4().hex[:8]
    out: dict[str, Any] = {
        "decision_bytes_mean": statistics.fmean(len(d) for _, d in texts),
        "facts_bytes_mean": statistics.fmean(len(f) for f, _ in texts),
    }
    warm = 20
    box0, own0, started = _box_ticks(), _client_cpu(), time.perf_counter()

    # Baseline: one plain INSERT of the same JSON text per durable transaction.
    conn = _raw_database(workdir / "raw.sqlite")

    def raw(i: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO payloads (facts, decision) VALUES (?, ?)", texts[i % n])
        conn.execute("COMMIT")

    for i in range(warm):
        raw(i)
    out["raw"] = _timed(raw, seconds)
    conn.close()

    # Store.save_decision on one Store kept open, with an Idempotency-Key like the POSTs.
    store = Store(workdir / "kept.sqlite")
    key, _ = store.create_key("submitter", "benchmark")

    def kept(i: int) -> None:
        store.save_decision(
            decisions[i % n],
            docs[i % n],
            submitted_by=key.id,
            idempotency_key=f"bench-{run}-k{i}",
            request_hash=hashes[i % n],
        )

    for i in range(-warm, 0):
        kept(i)
    out["store_kept_open"] = _timed(kept, seconds)
    store.close()

    # The store work of one POST: open a Store, authenticate, save, close (service/db.py).
    def per_request(path: Path, tag: str) -> tuple[Callable[[int], None], Callable[[int], None]]:
        with Store(path) as s:
            k, token = s.create_key("submitter", "benchmark")

        def write(i: int) -> None:
            with Store(path) as s:
                s.authenticate(token)
                s.save_decision(
                    decisions[i % n],
                    docs[i % n],
                    submitted_by=k.id,
                    idempotency_key=f"bench-{run}-{tag}{i}",
                    request_hash=hashes[i % n],
                )

        def open_auth(i: int) -> None:
            with Store(path) as s:
                s.authenticate(token)

        return write, open_auth

    # Under load another request's connection is nearly always open; alone, closing the
    # last connection checkpoints the WAL into the database and deletes it.
    shared = workdir / "per-request.sqlite"
    write, open_auth = per_request(shared, "s")
    other = sqlite3.connect(shared)
    other.execute("SELECT count(*) FROM api_keys").fetchall()
    for i in range(-warm, 0):
        write(i)
    out["store_per_request"] = _timed(write, seconds)
    steps = {
        "open_close": _timed(lambda i: Store(shared).close(), 60, STAGE_CALLS),
        "open_authenticate_close": _timed(open_auth, 60, STAGE_CALLS),
    }
    other.close()

    alone = workdir / "per-request-alone.sqlite"
    write_alone, _ = per_request(alone, "a")
    for i in range(-warm, 0):
        write_alone(i)
    out["store_per_request_alone"] = _timed(write_alone, seconds)

    # JSON work inside save_decision: dumps of facts and decision, loads of the read-back.
    def dumps(i: int) -> None:
        json.dumps(docs[i % n], ensure_ascii=False)
        json.dumps(decisions[i % n], ensure_ascii=False)

    steps["json_dumps_payload"] = _timed(dumps, 60, STAGE_CALLS)
    steps["json_loads_readback"] = _timed(lambda i: json.loads(texts[i % n][1]), 60, STAGE_CALLS)
    out["steps"] = steps
    box1, wall = _box_ticks(), time.perf_counter() - started
    busy = (os.cpu_count() or 1) * (box1[0] - box0[0]) / max(1, box1[2] - box0[2])
    out["other_cpu_cores"] = max(0.0, busy - (_client_cpu() - own0) / wall)
    base = out["raw"]["writes_per_second"]
    for name in ("store_kept_open", "store_per_request", "store_per_request_alone"):
        out[name]["ratio_vs_raw"] = out[name]["writes_per_second"] / base
    return out


# --------------------------------------------------------------------------- main


def _prepare(families: int, seed: int) -> dict[str, Any]:
    """Documents, request bodies and their decisions, with the CPU cost of each step."""
    library = RulesetLibrary.from_directory()
    docs = generate(families, seed)
    bodies = [json.dumps(d).encode() for d in docs]
    decisions = [decide(library, parse_facts(body)) for body in bodies]
    # A second pass, timed, now that every code path has run once.
    parse_ns, decide_ns, dumps_ns = [], [], []
    clock = time.perf_counter_ns
    for body in bodies:
        t0 = clock()
        facts = parse_facts(body)
        t1 = clock()
        decision = decide(library, facts)
        t2 = clock()
        json.dumps(decision)
        t3 = clock()
        parse_ns.append(t1 - t0)
        decide_ns.append(t2 - t1)
        dumps_ns.append(t3 - t2)
    return {
        "docs": docs,
        "bodies": bodies,
        "decisions": decisions,
        "eligible_share": sum(d["eligible"] for d in decisions) / len(decisions),
        "cpu_ms": {
            "parse_facts": statistics.fmean(parse_ns) / 1e6,
            "decide": statistics.fmean(decide_ns) / 1e6,
            "json_dumps_decision": statistics.fmean(dumps_ns) / 1e6,
        },
    }


def _row(name: str, r: dict[str, Any]) -> str:
    lat = r["latency"]
    return (
        f"  {name:<21} {r['ok_per_second']:>8,.0f} {r['ok']:>8,} {r['errors']:>6,} "
        f"{lat['p50_ms']:>7.2f} {lat['p99_ms']:>7.2f} {lat['max_ms']:>8.1f} "
        f"{r['server_cpu_ms_per_request']:>7.2f} {r['server_cpu_cores']:>6.2f} "
        f"{r['client_cpu_cores']:>6.2f} {r['other_cpu_cores']:>5.2f}"
    )


def _verify(answers: list[tuple[int, bytes]], decisions: list[dict[str, Any]]) -> list[str]:
    wrong = []
    for doc, body in answers:
        got = json.loads(body)
        want = decisions[doc]
        for k in ("family_ref", "eligible", "headlines_met"):
            if got.get(k) != want[k]:
                wrong.append(f"family {doc}: {k} {got.get(k)!r}, local decide {want[k]!r}")
                break
    return wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument("--connections", type=int, default=8, help="client connections (8)")
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="measured seconds per endpoint (10)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="alternating phases per endpoint (2)")
    parser.add_argument(
        "--requests",
        type=int,
        metavar="N",
        help="instead of a time, N requests per endpoint per phase",
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds each (2)")
    parser.add_argument("--families", type=int, default=500, help="distinct POST bodies (500)")
    parser.add_argument("--seed", type=int, default=2015, help="generator seed (2015)")
    parser.add_argument(
        "--store-seconds", type=float, default=3.0, help="seconds per store line (3)"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    if min(args.workers, args.threads, args.connections, args.rounds, args.families) < 1:
        parser.error("--workers, --threads, --connections, --rounds, --families: at least 1")
    if args.seconds <= 0 or args.store_seconds <= 0 or args.warmup < 0:
        parser.error("--seconds and --store-seconds must be positive, --warmup at least 0")
    if args.requests is not None and args.requests < 1:
        parser.error("--requests must be at least 1")

    # SIGTERM (e.g. from a CI timeout) unwinds like Ctrl-C, so the server is still stopped.
    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)

    machine = _machine()
    commit = _git()
    print("tfp-rules service benchmark: gunicorn as `make run` starts it, on loopback")
    print(
        f"machine  {machine['platform']}, {machine['python']}, {machine['cpu_count']} CPUs"
        + (f" ({machine['cpu']})" if machine["cpu"] else "")
    )
    print(
        f"         gunicorn {machine['gunicorn']}, Flask {machine['flask']}, "
        f"durable-rules {machine['durable_rules']}, SQLite {machine['sqlite']}"
    )
    print(f"commit   {commit}")
    prepared = _prepare(args.families, args.seed)
    bodies = prepared["bodies"]
    eligible = prepared["eligible_share"]
    print(
        f"families {len(bodies)} generated (seed {args.seed}), {eligible:.0%} eligible; "
        f"request bodies {statistics.fmean(map(len, bodies)) / 1024:.1f} KiB mean"
    )

    workdir = Path(tempfile.mkdtemp(prefix="tfp-bench-service-"))
    try:
        return _run(args, workdir, machine, commit, prepared)
    except KeyboardInterrupt:
        print("\ninterrupted (the server was stopped)")
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(
    args: argparse.Namespace,
    workdir: Path,
    machine: dict[str, Any],
    commit: str,
    prepared: dict[str, Any],
) -> int:
    n_cpu = machine["cpu_count"] or 1
    docs, bodies, decisions = prepared["docs"], prepared["bodies"], prepared["decisions"]
    eligible = prepared["eligible_share"]
    try:
        server = Server(workdir, args.workers, args.threads)
    except (OSError, RuntimeError) as exc:
        print(f"\nABORTED: cannot build the `make run` command: {exc}")
        return 1
    figures: dict[str, Any] = {
        "machine": machine,
        "commit": commit,
        "families": len(docs),
        "seed": args.seed,
        "eligible_share": eligible,
        "local_cpu_ms_per_family": prepared["cpu_ms"],
    }
    status = 0
    wal = WalWatch(server.database)
    try:
        shown = " ".join(
            Path(c).relative_to(ROOT).as_posix() if c.startswith(str(ROOT)) else c
            for c in server.command
        )
        print(f"server   {shown}")
        server.start()
        workers = server.workers()
        print(
            f"         TFP_DATABASE in {workdir} ({_filesystem(workdir)}); healthy after "
            f"{server.ready_s:.1f} s; master pid {server.proc.pid}, workers {workers}"
        )
        with Store(server.database) as store:
            _, token = store.create_key("submitter", "benchmark")
        run_id = uuid.uuid4().hex[:8]

        def evaluation(ticket: int, tag: str) -> Request:
            doc = ticket % len(bodies)
            headers = {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": f"bench-{run_id}-{tag}-{ticket}",
            }
            return "POST", "/v1/evaluations", bodies[doc], headers, doc

        def healthz(ticket: int, tag: str) -> Request:
            return "GET", "/healthz", None, {}, -1

        makers = {EVALUATIONS: evaluation, HEALTHZ: healthz}
        per_phase = args.seconds / args.rounds
        bound = (
            f"{args.requests:,} requests per phase"
            if args.requests
            else f"{per_phase:g} s per phase, {args.seconds:g} s per endpoint"
        )
        print(
            f"load     {args.connections} keep-alive connections (http.client, one thread each, "
            f"in this process);\n         {args.rounds} round(s) alternating the endpoints, "
            f"{bound}; warm-up {args.warmup:g} s each;\n         each POST with its own "
            "Idempotency-Key (so every one is decided and stored)"
        )

        warm = {}
        for name in (EVALUATIONS, HEALTHZ):
            warm[name] = run_phase(
                server,
                name,
                lambda t, m=makers[name]: m(t, "w"),
                connections=args.connections,
                seconds=args.warmup,
                requests=None,
                wal=wal,
                verify=name == EVALUATIONS,
            )
        answers = warm[EVALUATIONS]["_answers"]
        wrong = _verify(answers, decisions)
        if answers and not wrong:
            print(
                f"check    warm-up: {len(answers)} of {len(answers)} evaluation answers checked "
                "agree with a local decide (family_ref, eligible, headlines_met)"
            )
        elif not answers:
            print("check    warm-up: NO successful evaluation answer to check")
            status = 1
        else:
            print(f"CHECK FAILED: {len(wrong)} of {len(answers)} answers differ from local decide")
            for w in wrong[:10]:
                print(f"    {w}")
            status = 1
        for name, w in warm.items():
            if w["errors"]:
                print(
                    f"         warm-up {name}: {w['errors']} errors of {w['requests']} "
                    f"{w['statuses']} {w['failures']}"
                )

        phases: dict[str, list[dict[str, Any]]] = {EVALUATIONS: [], HEALTHZ: []}
        for rnd in range(args.rounds):
            order = (EVALUATIONS, HEALTHZ) if rnd % 2 == 0 else (HEALTHZ, EVALUATIONS)
            for name in order:
                phase = run_phase(
                    server,
                    name,
                    lambda t, m=makers[name], r=rnd: m(t, f"r{r}"),
                    connections=args.connections,
                    seconds=per_phase,
                    requests=args.requests,
                    wal=wal,
                )
                phases[name].append(phase)
        # Percentiles over every request of an endpoint, all phases pooled.
        http_figures = {name: _merge(phases[name]) for name in (EVALUATIONS, HEALTHZ)}
        ratio = (
            http_figures[EVALUATIONS]["ok_per_second"] / http_figures[HEALTHZ]["ok_per_second"]
            if http_figures[HEALTHZ]["ok_per_second"]
            else float("nan")
        )
        figures["http"] = {
            "workers": args.workers,
            "threads": args.threads,
            "connections": args.connections,
            "rounds": args.rounds,
            "seconds_per_endpoint": args.seconds,
            "requests_per_phase": args.requests,
            "warmup_seconds": args.warmup,
            "server_ready_seconds": server.ready_s,
            "endpoints": http_figures,
            "warmup": {k: _public(v) for k, v in warm.items()},
            "warmup_answers_checked": len(answers),
            "warmup_answers_wrong": len(wrong),
            "ratio_evaluations_over_healthz_throughput": ratio,
            "phases": {k: [_public(p) for p in v] for k, v in phases.items()},
        }
        _print_http(http_figures, ratio, args.workers, n_cpu)
        if not server.alive:
            print("SERVER DIED during the run; its error log ends:\n" + server.log_tail())
            status = 1
    except Exception as exc:
        print(f"\nABORTED: {type(exc).__name__}: {exc}")
        print("gunicorn error log ends:\n" + server.log_tail())
        status = 1
        http_figures = None
    finally:
        leftovers = server.stop()
        wal.close()
        if server.proc is not None:
            print(
                f"server   stopped (exit status {server.proc.returncode})"
                + (f"; workers {leftovers} outlived it and were killed" if leftovers else "")
            )

    if http_figures is not None:
        print(
            f"\nstore    no HTTP, one thread, a fresh WAL database (synchronous=FULL) per line, "
            f"{args.store_seconds:g} s each, cycling the {len(docs)} decisions computed above"
        )
        store = store_rates(workdir, docs, bodies, decisions, args.store_seconds)
        figures["store"] = store
        _print_store(store)
        app = app_in_process(workdir, bodies, args.store_seconds)
        figures["app_in_process"] = app
        _print_breakdown(store, prepared["cpu_ms"], app, figures["http"]["endpoints"])
        _print_notes(figures, args, n_cpu)

    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return status


def _public(phase: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in phase.items() if not k.startswith("_")}


def _print_http(http: dict[str, Any], ratio: float, workers: int, n_cpu: int) -> None:
    print(
        f"\nhttp     {'':<12} {'ok/s':>8} {'ok':>8} {'errors':>6} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'max ms':>8} {'srv CPU':>7} {'------ cores -----':>19}"
    )
    print(
        f"  {'':<21} {'':>8} {'':>8} {'':>6} {'':>7} {'':>7} {'':>8} "
        f"{'ms/req':>7} {'server':>6} {'client':>6} {'other':>5}"
    )
    for name in (EVALUATIONS, HEALTHZ):
        print(_row(name, http[name]))
    print(
        f"  ratio evaluations / healthz throughput: {ratio:.3f} "
        f"(healthz {1 / ratio:,.1f}x the requests/s)"
        if ratio
        else "  ratio: no successful healthz"
    )
    for name in (EVALUATIONS, HEALTHZ):
        r = http[name]
        by_phase = "; ".join(
            f"{p['ok_per_second']:,.0f}/s, "
            + " + ".join(
                f"{c:.2f} ({n})"
                for c, n in zip(p["worker_cpu_cores"], p["worker_connections"], strict=False)
            )
            + f", other {p['other_cpu_cores']:.2f}"
            for p in r["by_phase"]
        )
        disk = r["disk_write_kib_per_request"]
        deleted = r["wal_deletions"]
        disk_text = "n/a" if disk is None else f"{disk:,.1f}"
        wal_text = (
            "n/a (no inotify)"
            if deleted is None
            else f"{deleted:,} times ({deleted / max(1, r['requests']):.1%} of requests)"
        )
        print(
            f"  {name}\n    by phase: ok/s, worker cores (connections held), other cores: {by_phase}\n    "
            f"iowait {r['machine_iowait_cores']:.2f} cores; reconnects {r['reconnects']};\n"
            f"    server wrote {disk_text} KiB to disk per request; "
            f"WAL deleted by a last-connection close: {wal_text}"
        )
    for name in (EVALUATIONS, HEALTHZ):
        r = http[name]
        if r["errors"] or r["stuck_clients"] or r["workers_replaced"]:
            print(
                f"  ERRORS {name}: {r['errors']} of {r['requests']}; statuses {r['statuses']}; "
                f"connection errors {r['failures'] or 'none'}; stuck clients "
                f"{r['stuck_clients']}; workers replaced {r['workers_replaced'] or 'none'}"
            )
            for k, v in r["error_samples"].items():
                print(f"    first {k}: {v}")
    if not any(http[n]["errors"] for n in http):
        print("  errors: none (every response 2xx, no connection errors)")


def _print_store(store: dict[str, Any]) -> None:
    print(
        f"  payload: decision {store['decision_bytes_mean'] / 1024:.1f} KiB, "
        f"facts {store['facts_bytes_mean'] / 1024:.1f} KiB mean (JSON text)"
    )
    print(
        f"  {'':<50} {'writes/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'CPU ms':>7} {'vs raw':>7}"
    )
    rows = (
        ("raw", "raw sqlite3 INSERT, same JSON text (baseline)"),
        ("store_kept_open", "Store.save_decision, one Store kept open"),
        ("store_per_request", "as a POST: open, authenticate, save, close"),
        ("store_per_request_alone", "  same, no other connection (close checkpoints)"),
    )
    for key, label in rows:
        r = store[key]
        ratio = r.get("ratio_vs_raw", 1.0)
        print(
            f"  {label:<50} {r['writes_per_second']:>9,.0f} {r['p50_ms']:>7.2f} "
            f"{r['p99_ms']:>7.2f} {r['max_ms']:>7.1f} {r['cpu_ms_mean']:>7.3f} {ratio:>7.3f}"
        )


def _print_breakdown(
    store: dict[str, Any], cpu_ms: dict[str, float], app: dict[str, Any], http: dict[str, Any]
) -> None:
    s = store["steps"]
    print(f"\nwhere a POST's time goes: mean ms per call, one thread {'wall':>18} {'CPU':>7}")
    rows: list[tuple[str, float, float | None]] = [
        ("parse_facts of the body", cpu_ms["parse_facts"], None),
        ("decide (engine with trace)", cpu_ms["decide"], None),
        ("Store open + close (service/db.py)", s["open_close"]["mean_ms"], None),
        (
            "authenticate",
            s["open_authenticate_close"]["mean_ms"] - s["open_close"]["mean_ms"],
            None,
        ),
        (
            "save_decision (Store kept open)",
            store["store_kept_open"]["mean_ms"],
            store["store_kept_open"]["cpu_ms_mean"],
        ),
        ("  of it: json.dumps of facts + decision", s["json_dumps_payload"]["mean_ms"], None),
        ("  of it: json.loads of the read-back", s["json_loads_readback"]["mean_ms"], None),
        (
            "  of it: a raw durable INSERT (baseline)",
            store["raw"]["mean_ms"],
            store["raw"]["cpu_ms_mean"],
        ),
        ("json.dumps of the decision (~ jsonify)", cpu_ms["json_dumps_decision"], None),
        (
            "whole POST, Flask test client (app, no gunicorn)",
            app["post"]["mean_ms"],
            app["post"]["cpu_ms_mean"],
        ),
        (
            "whole GET /healthz, Flask test client",
            app["healthz"]["mean_ms"],
            app["healthz"]["cpu_ms_mean"],
        ),
        (
            "server under load: CPU per POST (http above)",
            None,
            http[EVALUATIONS]["server_cpu_ms_per_request"],
        ),
        ("server under load: CPU per /healthz", None, http[HEALTHZ]["server_cpu_ms_per_request"]),
    ]
    for label, wall, cpu in rows:
        wall_text = "" if wall is None else f"{wall:.3f}"
        cpu_text = "" if cpu is None else f"{cpu:.3f}"
        print(f"  {label:<50} {wall_text:>9} {cpu_text:>7}")
    if app["errors"]:
        print(f"  ERRORS in the test-client calls: statuses {app['statuses']}")


def _print_notes(figures: dict[str, Any], args: argparse.Namespace, n_cpu: int) -> None:
    http = figures["http"]["endpoints"]
    ev, hz = http[EVALUATIONS], http[HEALTHZ]
    store, app = figures["store"], figures["app_in_process"]
    print("\nnotes")
    print(
        f"- Client and server share this machine's {n_cpu} CPUs: during the POSTs the client "
        f"used {ev['client_cpu_cores']:.2f} cores and the server {ev['server_cpu_cores']:.2f} "
        f"(box busy {ev['machine_busy_cores']:.2f} of {n_cpu}); during /healthz "
        f"{hz['client_cpu_cores']:.2f} and {hz['server_cpu_cores']:.2f}. Each gunicorn worker "
        f"is one Python process (one GIL), so {args.workers} workers use at most "
        f"{min(args.workers, n_cpu)} cores for Python code whatever --threads says."
    )
    lopsided = [
        (name, i + 1, p["worker_connections"])
        for name, r in http.items()
        for i, p in enumerate(r["by_phase"])
        if len(p["worker_connections"]) > 1
        and max(p["worker_connections"]) >= 2 * max(1, min(p["worker_connections"]))
    ]
    if lopsided:
        print(
            "- Keep-alive connections stay with the worker that accepted them, and here they "
            "were spread unevenly: "
            + "; ".join(
                f"{name} phase {i}: {' + '.join(map(str, held))} connections"
                for name, i, held in lopsided
            )
            + ". A worker with more connections than threads queues them while the other "
            "idles; compare the ok/s of those phases with the even ones."
        )
    extra = store["store_per_request"]["mean_ms"] - store["store_kept_open"]["mean_ms"]
    print(
        f"- Store per request (service/db.py opens one per request, closes it at teardown): a "
        f"POST's store work takes {store['store_per_request']['mean_ms']:.2f} ms against "
        f"{store['store_kept_open']['mean_ms']:.2f} ms on a Store kept open (+{extra:.2f} ms, "
        f"{extra / ev['server_cpu_ms_per_request']:.0%} of the server's CPU per POST). "
        + (
            f"Closing the last open connection checkpoints the WAL and deletes it: under this "
            f"load {ev['wal_deletions']:,} of {ev['requests']:,} POSTs ({ev['wal_deletions'] / max(1, ev['requests']):.1%}) "
            f"and {hz['wal_deletions']:,} of {hz['requests']:,} /healthz "
            f"({hz['wal_deletions'] / max(1, hz['requests']):.1%}) did; alone, a POST's store "
            f"work takes {store['store_per_request_alone']['mean_ms']:.2f} ms."
            if ev["wal_deletions"] is not None and hz["wal_deletions"] is not None
            else ""
        )
    )
    raw, kept = store["raw"], store["store_kept_open"]
    wait = kept["mean_ms"] - kept["cpu_ms_mean"]
    print(
        f"- Durability: a raw durable commit takes {raw['mean_ms']:.2f} ms ({raw['cpu_ms_mean']:.2f} "
        f"ms of it CPU), p99 {raw['p99_ms']:.2f} ms, on {_filesystem(Path(tempfile.gettempdir()))}. "
        f"save_decision takes {kept['mean_ms']:.2f} ms, {kept['cpu_ms_mean']:.2f} ms of it CPU "
        f"(~{max(0.0, wait):.2f} ms waiting): "
        + (
            "its cost here is CPU (JSON, sqlite-utils, SQL), not the fsync."
            if kept["cpu_ms_mean"] >= 0.75 * kept["mean_ms"]
            else "much of its cost here is waiting for the disk."
        )
        + " A virtual disk may answer fsync from a host cache; on a real disk the commit can "
        "cost milliseconds, and every commit holds the database's one write lock, so the "
        "writes of all workers queue behind it."
    )
    print(
        f"- The app alone (Flask test client, one thread) costs {app['post']['cpu_ms_mean']:.2f} ms CPU "
        f"per POST and {app['healthz']['cpu_ms_mean']:.2f} ms per /healthz; the server under load "
        f"spent {ev['server_cpu_ms_per_request']:.2f} and {hz['server_cpu_ms_per_request']:.2f}: "
        "the difference is gunicorn, HTTP parsing, the access log and threads sharing one GIL."
    )
    print(
        "- /healthz is the cheapest route, not a free one: it opens a Store (connect, WAL and "
        "synchronous pragmas, schema check), reads the schema version and closes it. Latency "
        "is measured in this Python client (http.client in threads), its own time included."
    )
    others = [
        (f"{name} phases", r["other_cpu_cores"], r["other_cpu_cores_max_phase"])
        for name, r in http.items()
    ]
    others.append(("store lines", store["other_cpu_cores"], store["other_cpu_cores"]))
    noisy = [o for o in others if o[2] > NOISY_CORES]
    if noisy:
        print(
            "- WARNING: the machine was not quiet. Processes other than this benchmark and its "
            "server (and kernel work charged to none) used "
            + "; ".join(
                f"{mean:.2f} cores in the {name} (up to {top:.2f})" for name, mean, top in noisy
            )
            + ". Those figures are lower than on an idle machine; run again when it is."
        )
    else:
        print(
            f"- The machine was quiet: other processes used under {NOISY_CORES} cores in every "
            "phase."
        )


if __name__ == "__main__":
    sys.exit(main())

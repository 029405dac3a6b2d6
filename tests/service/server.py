"""The real service, run for tests exactly as `make run` runs it: `python -m service.run`
(nginx on a loopback port in front of gunicorn on a private socket) in a subprocess, with
bounded waits and a teardown that always leaves no process behind.

The command line is the Makefile's `run` target, with the settings passed through the same
environment variables (TFP_BIND, TFP_WORKERS, TFP_THREADS, TFP_DATABASE, ...). The service
runs in a session of its own, so its process group is the launcher, nginx's master and
worker, gunicorn's master and workers, and nothing else.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.run import RUN_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0
# The durability and end-to-end tests post as one client faster than the default per-client
# limit allows; they are not about the limit (tests/service/test_limits.py is).
UNLIMITED = "100000 per second"


def python_executable() -> Path:
    """The venv's Python, as `make run` uses (`.venv/bin/python`)."""
    for candidate in (ROOT / ".venv" / "bin" / "python", Path(sys.executable)):
        if candidate.exists() and (candidate.parent / "gunicorn").exists():
            return candidate
    raise RuntimeError("gunicorn is not installed next to this Python nor in .venv/bin")


def command(python: Path) -> list[str]:
    """The Makefile's `run` command line (settings come from the environment)."""
    return [str(python), "-m", "service.run"]


def free_port() -> int:
    """A loopback port nobody listens on right now (bind to port 0, then let it go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | dict | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Response:
    """One HTTP request on a fresh connection to 127.0.0.1:`port`; connection errors propagate."""
    headers = dict(headers or {})
    if isinstance(body, dict):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return Response(r.status, r.headers, r.read())
    finally:
        conn.close()


def group_members(pgid: int) -> list[int]:
    """Live pids whose process group is `pgid` (zombies excluded), read from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
            state, _ppid, pgrp = stat[stat.rindex(")") + 2 :].split()[:3]
        except (OSError, ValueError):  # gone meanwhile
            continue
        if int(pgrp) == pgid and state != "Z":
            pids.append(int(entry.name))
    return pids


def children_of(pid: int) -> list[int]:
    """The direct children of `pid` (gunicorn's workers, for its master)."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            children.extend(int(c) for c in task.read_text().split())
        except OSError:
            continue
    return sorted(set(children))


def is_gunicorn(pid: int) -> bool:
    try:
        return b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class Server:
    """One service (nginx in front of gunicorn) on a database file; `start()`, then always
    `stop()`. `env` adds or overrides settings (TFP_RATE_LIMIT is UNLIMITED unless given)."""

    def __init__(
        self,
        database: Path,
        workdir: Path,
        *,
        workers: int = 2,
        threads: int = 1,
        env: dict[str, str] | None = None,
    ):
        self.database = Path(database)
        self.workdir = Path(workdir)
        self.workers = workers
        self.threads = threads
        self.env = {"TFP_RATE_LIMIT": UNLIMITED, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path = self.workdir / "server.log"
        self.run_dir: Path | None = None
        self._starts = 0

    # -- life cycle ------------------------------------------------------------------------

    def start(self, attempts: int = 3) -> Server:
        """Start; wait until /healthz answers 200 and every worker is up (at most
        READY_TIMEOUT_S per attempt).

        The port is free when picked but may be taken before nginx binds it; then, and
        only then, try again on another port.
        """
        for attempt in range(attempts):
            self._spawn()
            try:
                self._wait_ready()
                return self
            except _PortTaken as exc:
                self.stop()
                if attempt == attempts - 1:
                    raise RuntimeError(
                        f"no free port after {attempts} tries\n{self.log_tail()}"
                    ) from exc
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._starts += 1
        self.log_path = self.workdir / f"server-{self._starts}.log"
        self.port = free_port()
        # The app's unix socket lives here: a short path (at most 107 bytes), removed by stop().
        self.run_dir = Path(tempfile.mkdtemp(prefix="tfp-test-"))
        env = {k: v for k, v in os.environ.items() if k not in RUN_SETTINGS}
        env.update(
            TFP_BIND=f"127.0.0.1:{self.port}",
            TFP_DATABASE=str(self.database),
            TFP_WORKERS=str(self.workers),
            TFP_THREADS=str(self.threads),
            # gunicorn >= 25 opens a control socket, by default one path for every instance:
            # keep this server's private.
            TFP_CONTROL_SOCKET=str(self.workdir / "gunicorn.ctl"),
            TFP_RUN_DIR=str(self.run_dir),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                command(python_executable()),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the master and its workers
            )

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        last_error: object = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = self.log_tail()
                if "Address already in use" in log:
                    raise _PortTaken()
                raise RuntimeError(f"the service exited with {self.proc.returncode}\n{log}")
            try:
                r = request(self.port, "GET", "/healthz", timeout=2.0)
                # Ready: healthy, and every worker booted (the first answers before the last).
                if r.status == 200 and len(self.worker_pids()) >= self.workers:
                    return
                last_error = f"status {r.status}, workers {self.worker_pids()}: {r.body[:200]!r}"
            except (OSError, http.client.HTTPException) as exc:
                last_error = exc
            time.sleep(0.1)
        raise RuntimeError(
            f"/healthz not ready within {READY_TIMEOUT_S:.0f} s (last: {last_error!r})\n"
            f"{self.log_tail()}"
        )

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # start_new_session: the launcher leads its own group

    def gunicorn_master(self) -> int | None:
        assert self.proc is not None
        return next((p for p in children_of(self.proc.pid) if is_gunicorn(p)), None)

    def worker_pids(self) -> list[int]:
        """gunicorn's workers (the processes that run the app)."""
        master = self.gunicorn_master()
        return [] if master is None else children_of(master)

    def kill_all(self) -> list[int]:
        """SIGKILL the launcher, nginx and gunicorn, masters and workers, at once (the whole
        process group); return the pids that were alive just before."""
        assert self.proc is not None
        alive = group_members(self.pgid)
        os.killpg(self.pgid, signal.SIGKILL)
        return alive

    def wait_gone(self, timeout: float = STOP_TIMEOUT_S) -> bool:
        """Wait until no process of the group is left; reaps the master."""
        if self.proc is None:
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.proc.poll()
            if self.proc.returncode is not None and not group_members(self.pgid):
                return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Terminate (graceful), then kill what is left of the group. Safe to call twice."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        # Workers may outlive a master that died hard. The group id cannot be reused while
        # any member is alive, so a member found here is one of ours.
        if group_members(self.pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pgid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        self.wait_gone()
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no service log)"
        return "--- service log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])


class _PortTaken(Exception):
    pass

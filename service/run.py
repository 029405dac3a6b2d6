"""Start the service as `make run` does: gunicorn on a private unix socket, nginx in front.

    .venv/bin/python -m service.run

gunicorn (TFP_WORKERS processes x TFP_THREADS threads, the app preloaded) listens only on a
socket in a private run directory; nginx (`service/edge.py`) listens on TFP_BIND and hands
it whole requests. The two live and die together: when either exits, the other is stopped,
and SIGTERM or SIGINT stops both gracefully. Every process stays in this one's process
group, so one signal to the group reaches the whole service.

Settings: those of `service/edge.py`, and TFP_WORKERS (2), TFP_THREADS (1: sync workers,
which measured a shorter p99 than threads; README, Performance), TFP_WORKER_CLASS
(gunicorn's own choice when unset: gthread when TFP_THREADS > 1, else sync; `benchmarks/service.py` sets it to measure configurations side by side),
TFP_CONTROL_SOCKET (var/gunicorn.ctl), TFP_RUN_DIR (a new private directory under $TMPDIR,
removed on exit; a unix socket path must stay under 108 bytes), TFP_NGINX (`nginx` on
PATH, else /usr/sbin/nginx). The app's own settings (TFP_DATABASE, ...) pass through.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from tfp_rules.privacy.datakeys import DataKeyError, data_keys_from_env

from .edge import EdgeSettings, render

APP_READY_TIMEOUT_S = 120.0  # loading and compiling every ruleset, on a slow machine
STOP_TIMEOUT_S = 20.0
# gunicorn's own header limits sit above nginx's (service/edge.py), so whatever nginx lets
# through gunicorn accepts, and every refusal is nginx's problem+json, not gunicorn's HTML.
GUNICORN_LIMIT_REQUEST_LINE = 8190  # its maximum; nginx passes at most 8190 (8 KiB less CRLF)
GUNICORN_LIMIT_REQUEST_FIELDS = 32768  # its maximum
GUNICORN_LIMIT_REQUEST_FIELD_SIZE = 16384  # gunicorn's default, 8190, is under nginx's 8192

# The settings that change how the server runs or which rules it loads. A caller that wants
# `make run`'s server with this project's rulesets and limits (the tests, the benchmark)
# clears them from its environment, whatever the caller's shell holds.
RUN_SETTINGS = (
    "TFP_RULESETS",
    "TFP_RULESET",
    "TFP_MAX_BODY_BYTES",
    "TFP_MAX_URI_BYTES",
    "TFP_MAX_HEADER_BYTES",
    "TFP_HEADER_TIMEOUT_S",
    "TFP_BODY_TIMEOUT_S",
    "TFP_CONNECTIONS_PER_ADDRESS",
    "TFP_RATE_LIMIT",
    "TFP_BATCH_MAX_FAMILIES",
    "TFP_RUN_DIR",
    "GUNICORN_CMD_ARGS",
)


def nginx_executable(env: Mapping[str, str] = os.environ) -> str:
    """TFP_NGINX, else nginx on PATH, else Debian's /usr/sbin/nginx (not on a user's PATH)."""
    return env.get("TFP_NGINX") or shutil.which("nginx") or "/usr/sbin/nginx"


def gunicorn_command(env: Mapping[str, str], app_socket: Path) -> list[str]:
    """The app server: gunicorn beside this Python, on `app_socket`, settings from `env`."""
    worker_class = env.get("TFP_WORKER_CLASS")
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "--preload",
        "--bind",
        f"unix:{app_socket}",
        "--workers",
        env.get("TFP_WORKERS") or "2",
        "--threads",
        env.get("TFP_THREADS") or "1",
        *(["--worker-class", worker_class] if worker_class else []),
        "--control-socket",
        env.get("TFP_CONTROL_SOCKET") or "var/gunicorn.ctl",
        "--limit-request-line",
        str(GUNICORN_LIMIT_REQUEST_LINE),
        "--limit-request-fields",
        str(GUNICORN_LIMIT_REQUEST_FIELDS),
        "--limit-request-field_size",
        str(GUNICORN_LIMIT_REQUEST_FIELD_SIZE),
        "service.wsgi:app",
    ]


def nginx_command(env: Mapping[str, str], run_dir: Path) -> list[str]:
    """The edge: nginx in the foreground on the configuration written into `run_dir`."""
    return [nginx_executable(env), "-p", str(run_dir), "-c", str(run_dir / "nginx.conf")]


def _wait_for_socket(app: subprocess.Popen[bytes], app_socket: Path) -> None:
    """gunicorn binds its socket once the app is loaded (--preload): wait for that."""
    deadline = time.monotonic() + APP_READY_TIMEOUT_S
    while not app_socket.exists():
        if app.poll() is not None:
            raise SystemExit(f"tfp: gunicorn exited with status {app.returncode} at start-up")
        if time.monotonic() > deadline:
            raise SystemExit(f"tfp: gunicorn did not listen within {APP_READY_TIMEOUT_S:.0f} s")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes] | None, graceful: int) -> None:
    """Send `graceful`, wait STOP_TIMEOUT_S, then SIGKILL."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(graceful)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve(env: Mapping[str, str] = os.environ) -> int:
    """Run the service until SIGTERM/SIGINT or until nginx or gunicorn exits; the exit
    status is 0 for a requested stop, else 1."""
    settings = EdgeSettings.from_env(env)  # bad settings stop here, before anything starts
    try:
        data_keys_from_env(env)  # no data key, no start (each worker checks it again)
    except DataKeyError as exc:
        print(f"tfp: cannot start: {exc}", file=sys.stderr, flush=True)
        return 1
    own_dir = not env.get("TFP_RUN_DIR")
    run_dir = Path(env.get("TFP_RUN_DIR") or tempfile.mkdtemp(prefix="tfp-run-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    app_socket = run_dir / "app.sock"
    app_socket.unlink(missing_ok=True)
    (run_dir / "nginx.conf").write_text(render(settings, run_dir, app_socket))
    stopping: list[int] = []

    def request_stop(signum: int, _frame: object) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    app = edge = None
    try:
        app = subprocess.Popen(gunicorn_command(env, app_socket))
        _wait_for_socket(app, app_socket)
        edge = subprocess.Popen(nginx_command(env, run_dir))
        print(f"tfp: listening on http://{settings.bind} (nginx -> gunicorn)", flush=True)
        while not stopping and app.poll() is None and edge.poll() is None:
            time.sleep(0.2)
        if not stopping:
            gone = "gunicorn" if app.poll() is not None else "nginx"
            print(f"tfp: {gone} exited; stopping the service", file=sys.stderr, flush=True)
        return 0 if stopping else 1
    finally:
        _stop(edge, signal.SIGQUIT)  # nginx: finish the requests in progress, then exit
        _stop(app, signal.SIGTERM)  # gunicorn: the same
        if own_dir:
            shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(serve())

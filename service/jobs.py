"""Impact analysis as a background job: `POST /v1/rulesets/{id}/impact` answers 202 at once
with the job's URL, and `GET /v1/jobs/{id}` reports its progress and, once done, the report.

No request holds a worker: the job runs in a background thread of this service process,
which runs the process pool (`TFP_IMPACT_WORKERS` processes, default every core; in
testing, in process). At most one impact job runs per service process; another asked for
meanwhile is refused with 409 `job-running` (not queued: a queue would outlive a restart no
better than the job itself, and the caller can retry). A job whose runner died (the service
restarted) is reported failed on the next read, saying why (`store/jobs.py`).

Who sees what: policy officers and reviewers (and admins) start jobs; each reads only the
jobs it started (an admin, any). Family refs and decision ids are in the report only for
roles that may read decisions (reviewer, admin): a policy officer gets counts and moves.
A reviewer, who is not shown drafts, compares published versions only.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from flask import Blueprint, Flask, current_app, jsonify, url_for
from pydantic import BaseModel, ConfigDict, Field

from tfp_rules.errors import TfpError, UnknownRulesetError
from tfp_rules.library import RulesetLibrary
from tfp_rules.policy.impact import Family, run_impact
from tfp_rules.pool import default_workers
from tfp_rules.privacy.datakeys import DataKeys
from tfp_rules.store import JobRecord, NotFoundError, Store

from .audit import record
from .auth import actor, requires
from .db import data_keys, get_store
from .inputs import NoParameters, takes
from .problems import Problem
from .reviewing import review_body
from .rulesets import SEES_DRAFTS

bp = Blueprint("jobs", __name__, url_prefix="/v1")
log = logging.getLogger("tfp.service")
STARTS_IMPACT = ("policy_officer", "reviewer")  # and admin, always
SEES_FAMILIES = ("reviewer", "admin")  # the roles that may read decisions
HEARTBEAT_SECONDS = 2.0
RETRY_AFTER_SECONDS = 30
VERSION = r"^[0-9A-Za-z][0-9A-Za-z._-]*$"
Version = Annotated[str, Field(min_length=1, max_length=64, pattern=VERSION)]


class ImpactIn(BaseModel):
    """The two versions of the path's ruleset to compare: `from` (now) and `to` (new)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    from_: Version = Field(alias="from")
    to: Version


class Runner:
    """The one impact job this service process runs at a time, on a background thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.job_id: str | None = None

    def start(self, create: Callable[[], JobRecord], run: Callable[[JobRecord], None]) -> JobRecord:
        """Create the job and start running it, unless one is running (409 `job-running`)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                problem = Problem(
                    409,
                    "job-running",
                    "An impact job is already running",
                    "this service runs one impact job at a time; retry when it is done",
                )
                problem.headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
                raise problem
            job = create()
            self.job_id = job.id
            self._thread = threading.Thread(
                target=run, args=(job,), name=f"impact-{job.id[:8]}", daemon=True
            )
            self._thread.start()
            return job

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running job (tests, and a clean shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)


def _runner() -> Runner:
    return current_app.extensions["tfp.jobs"]


RUNNER_NAME = f"{socket.gethostname()}:{os.getpid()}"


class _Heartbeat:
    """Progress written to the job at most every HEARTBEAT_SECONDS: the runner's pulse."""

    def __init__(self, store: Store, job_id: str):
        self.store, self.job_id, self.last = store, job_id, time.monotonic()

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last >= HEARTBEAT_SECONDS:
            self.last = now
            self.store.job_progress(self.job_id, done)


def _why(exc: BaseException) -> str:
    """What a failed job says: the core's own errors (they carry no personal data), else
    only that it failed and where the log has it."""
    if isinstance(exc, TfpError):
        return f"{type(exc).__name__}: {exc}"
    incident = uuid.uuid4().hex[:12]
    log.error("impact job failed: incident %s: %s", incident, type(exc).__name__)
    return f"internal error: incident {incident}: the error was logged"


def run_job(
    database: str,
    keys: DataKeys | None,
    library: RulesetLibrary,
    directory: Path,
    workers: int,
    job: JobRecord,
) -> None:
    """The background thread: stream the latest decision of each family through the pool,
    write progress as a heartbeat, store the report (counts apart from the families)."""
    store = Store(database, keys=keys)
    try:
        params = job.parameters
        store.start_job(job.id, runner=RUNNER_NAME, total=store.count_latest_facts())
        families = (
            Family(s.facts, f"decision {s.decision_id}", s.family_ref, s.decision_id)
            for s in store.iter_latest_facts()
        )
        report = run_impact(
            library,
            directory,
            params["from"],
            params["to"],
            families,
            workers=workers,
            progress=_Heartbeat(store, job.id),
        )
        store.finish_job(
            job.id,
            done=report.families,
            result=report.to_dict(families=False),
            personal=report.families_dict(),
        )
    except Exception as exc:
        try:
            store.fail_job(job.id, _why(exc))
        except Exception:
            log.exception("could not record that impact job %s failed", job.id)
    finally:
        store.close()


def job_view(job: JobRecord, role: str) -> dict[str, Any]:
    """A job as a caller with `role` sees it: the report's family refs and decision ids
    only for roles that may read decisions."""
    out: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "parameters": job.parameters,
        "requested_by": job.requested_by,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "heartbeat_at": job.heartbeat_at,
        "finished_at": job.finished_at,
        "progress": {"done": job.done, "total": job.total},
    }
    if job.error is not None:
        out["error"] = job.error
    if job.result is not None:
        report = dict(job.result)
        if role in SEES_FAMILIES:
            if job.personal is not None:
                report |= job.personal
            elif job.personal_cleared_at is not None:
                report["families_cleared_at"] = job.personal_cleared_at
        out["report"] = report
    return out


@bp.post("/rulesets/<ruleset_id>/impact")
@requires(*STARTS_IMPACT)
@takes(NoParameters)
def start_impact(ruleset_id: str, query: NoParameters):
    """Start an impact analysis of two versions of a ruleset over the stored decisions."""
    body = review_body(ImpactIn, "invalid-impact", "The impact request is not valid")
    me = actor()
    live = current_app.extensions["tfp.library"]
    library = live.current()
    visible = library.refs(published_only=me.role not in SEES_DRAFTS)
    versions = [ref for ref in visible if ref.partition("@")[0] == ruleset_id]
    if not versions:
        raise Problem(404, "not-found", "No such ruleset", f"no ruleset with id '{ruleset_id}'")
    for version in (body.from_, body.to):
        if f"{ruleset_id}@{version}" not in versions:
            raise UnknownRulesetError(f"no ruleset {ruleset_id}@{version}", versions)
    parameters = {
        "ruleset": ruleset_id,
        "from": f"{ruleset_id}@{body.from_}",
        "to": f"{ruleset_id}@{body.to}",
    }
    job = launch_impact(parameters)
    # it reads every family's stored facts: who asked, and for which versions, is audited
    record("impact.run", 202, target=job.id, detail=f"{parameters['from']} -> {parameters['to']}")
    response = jsonify(job_view(job, me.role))
    response.status_code = 202
    response.headers["Location"] = url_for("jobs.get_job", job_id=job.id)
    return response


def launch_impact(parameters: dict[str, str]) -> JobRecord:
    """Record an impact job for the caller and start it on this process's runner, over the
    library now loaded (the API's route and the pages' form both start jobs here); a
    Problem 409 `job-running` while another runs."""
    live = current_app.extensions["tfp.library"]
    library = live.current()
    database, keys = current_app.config["DATABASE"], data_keys()
    workers = current_app.config["IMPACT_WORKERS"]
    requested_by = actor().client_id
    return _runner().start(
        lambda: get_store().create_job("impact", parameters, requested_by=requested_by),
        lambda job: run_job(database, keys, library, live.directory, workers, job),
    )


@bp.get("/jobs/<job_id>")
@requires(*STARTS_IMPACT)
@takes(NoParameters)
def get_job(job_id: str, query: NoParameters):
    """A job's status and progress, and its report once done (its starter, or an admin)."""
    me = actor()
    try:
        job = get_store().get_job(job_id)
    except NotFoundError:
        job = None
    if job is None or (me.role != "admin" and job.requested_by != me.client_id):
        record("job.read", 404, target=job_id)
        raise Problem(404, "not-found", "No such job", f"no job {job_id} visible to you")
    record("job.read", 200, target=job.id)
    return jsonify(job_view(job, me.role))


def register(app: Flask) -> None:
    """The routes, the runner, and how many worker processes a job uses."""
    configured = app.config.get("IMPACT_WORKERS") or os.environ.get("TFP_IMPACT_WORKERS")
    # in testing, in process: a pool per test app would make the suite slow
    app.config["IMPACT_WORKERS"] = int(configured or 0) or (1 if app.testing else default_workers())
    app.extensions["tfp.jobs"] = Runner()
    app.register_blueprint(bp)

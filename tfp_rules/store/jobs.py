"""Background jobs (impact analyses): who asked, when, progress, heartbeat and result.

A job's runner is a thread of one service process. It records a heartbeat with its
progress; a job queued or running whose heartbeat is older than `STALE_AFTER` has lost its
runner (the service restarted, the process was killed) and is marked failed, saying so,
the next time anyone reads it, so no job stays "running" forever.

Built for retention and erasure (issue 18): `created_at` and `finished_at` say how old a
job is, `requested_by` who asked, and the personal data (family refs and decision ids in
the result) lives in one column, `personal`, apart from the counts in `result`, so it can
be cleared (`clear_job_personal`) and the counts kept.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from .connection import Connection
from .errors import NotFoundError
from .listing import timestamp

JOB_KINDS = ("impact",)
JOB_STATUSES = ("queued", "running", "done", "failed")
STALE_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class JobRecord:
    """One job as stored. `result` holds no personal data; `personal` does (None once
    cleared, or while the job has none)."""

    id: str
    kind: str
    created_at: str
    requested_by: str  # Client.id, or the CLI's actor
    parameters: dict[str, Any]
    status: str  # queued | running | done | failed
    done: int
    total: int | None
    started_at: str | None
    heartbeat_at: str | None
    finished_at: str | None
    runner: str | None
    error: str | None
    result: dict[str, Any] | None
    personal: dict[str, Any] | None
    personal_cleared_at: str | None


def _record(row: dict[str, Any]) -> JobRecord:
    decoded = {
        k: (json.loads(row[k]) if row[k] is not None else None)
        for k in ("parameters", "result", "personal")
    }
    return JobRecord(**{**row, **decoded})


class Jobs(Connection):
    """The `jobs` table."""

    def create_job(self, kind: str, parameters: dict[str, Any], *, requested_by: str) -> JobRecord:
        """A new job, queued."""
        if kind not in JOB_KINDS:
            raise ValueError(f"unknown job kind {kind!r}; one of: {', '.join(JOB_KINDS)}")
        if not requested_by:
            raise ValueError("requested_by is required")
        job_id = uuid.uuid4().hex
        with self._write() as db:
            db["jobs"].insert(
                {
                    "id": job_id,
                    "kind": kind,
                    "created_at": self._now(),
                    "requested_by": requested_by,
                    "parameters": json.dumps(parameters),
                    "status": "queued",
                    "done": 0,
                }
            )
        return self.get_job(job_id)

    def start_job(self, job_id: str, *, runner: str, total: int | None) -> None:
        """The job is running on `runner` (host and process), over `total` items if known."""
        now = self._now()
        self._update(
            job_id,
            "status = 'running', runner = ?, total = ?, started_at = ?, heartbeat_at = ?",
            [runner, total, now, now],
            "status = 'queued'",
        )

    def job_progress(self, job_id: str, done: int) -> None:
        """`done` items so far; also the runner's heartbeat."""
        self._update(
            job_id, "done = ?, heartbeat_at = ?", [done, self._now()], "status = 'running'"
        )

    def finish_job(
        self, job_id: str, *, done: int, result: dict[str, Any], personal: dict[str, Any] | None
    ) -> None:
        now = self._now()
        self._update(
            job_id,
            "status = 'done', done = ?, heartbeat_at = ?, finished_at = ?, result = ?,"
            " personal = ?",
            [
                done,
                now,
                now,
                json.dumps(result),
                None if personal is None else json.dumps(personal),
            ],
            "status = 'running'",
        )

    def fail_job(self, job_id: str, error: str) -> None:
        now = self._now()
        self._update(
            job_id,
            "status = 'failed', error = ?, heartbeat_at = ?, finished_at = ?",
            [error, now, now],
            "status IN ('queued', 'running')",
        )

    def _update(self, job_id: str, assignments: str, args: list[Any], state: str) -> None:
        """Change a job in the state `state` (SQL); NotFoundError if there is no such job,
        ValueError if it is in another state (a job is finished once)."""
        with self._write() as db:
            changed = db.execute(
                f"UPDATE jobs SET {assignments} WHERE id = ? AND {state}", [*args, job_id]
            ).rowcount
            if not changed:
                rows = list(db.query("SELECT status FROM jobs WHERE id = ?", [job_id]))
                if not rows:
                    raise NotFoundError(f"no job {job_id!r}")
                raise ValueError(f"job {job_id} is {rows[0]['status']}")

    def fail_stale_jobs(self, stale_after: timedelta = STALE_AFTER) -> int:
        """Mark failed every job queued or running whose runner has not been heard from for
        `stale_after`; how many."""
        moment = self._clock()
        cutoff = timestamp(moment - stale_after)
        with self._write() as db:
            return db.execute(
                "UPDATE jobs SET status = 'failed', finished_at = ?,"
                " error = 'the job stopped: its runner has not reported since '"
                " || COALESCE(heartbeat_at, created_at)"
                " || ' (the service was restarted or the process ended); start it again'"
                " WHERE status IN ('queued', 'running')"
                " AND COALESCE(heartbeat_at, created_at) < ?",
                [timestamp(moment), cutoff],
            ).rowcount

    def get_job(self, job_id: str, *, stale_after: timedelta = STALE_AFTER) -> JobRecord:
        """One job (a stale one marked failed first); NotFoundError if there is none."""
        self.fail_stale_jobs(stale_after)
        with self._read() as db:
            rows = list(db.query("SELECT * FROM jobs WHERE id = ?", [job_id]))
        if not rows:
            raise NotFoundError(f"no job {job_id!r}")
        return _record(rows[0])

    def clear_job_personal(self, job_id: str) -> None:
        """Erase the job's personal data (family refs, decision ids); the counts stay."""
        with self._write() as db:
            changed = db.execute(
                "UPDATE jobs SET personal = NULL, personal_cleared_at = ? WHERE id = ?",
                [self._now(), job_id],
            ).rowcount
        if not changed:
            raise NotFoundError(f"no job {job_id!r}")

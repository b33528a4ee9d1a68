"""Bulk requests run item by item, each in its own transaction, with results kept as a job status."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import OpsdeskError
from opsdesk.jobs.tables import job_statuses

MAX_ITEMS = 100


@dataclass(frozen=True, slots=True)
class JobStatus:
    id: str
    job_type: str
    status: str
    total: int
    progress: int
    message: str | None
    results: list[dict[str, Any]]


def run_job(
    engine: Engine,
    *,
    user_id: int,
    job_type: str,
    items: Sequence[Any],
    action: str,
    run_one: Callable[[Connection, Any], int],
    now: datetime,
) -> JobStatus:
    """Run `run_one` for every item; a failing item is reported in the results and rolled back alone."""
    results: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            with writing(engine) as conn:
                record_id = run_one(conn, item)
            results.append({"index": index, "id": record_id, "action": action, "success": True, "status": action})
        except OpsdeskError as exc:
            results.append(
                {
                    "index": index,
                    "action": action,
                    "success": False,
                    "error": type(exc).__name__,
                    "details": exc.description,
                }
            )
    with writing(engine) as conn:
        return record_job(conn, user_id=user_id, job_type=job_type, results=results, now=now)


def record_job(
    conn: Connection, *, user_id: int, job_type: str, results: list[dict[str, Any]], now: datetime
) -> JobStatus:
    """Keep the results of work already done as a completed job status (in the caller's transaction)."""
    failed = sum(1 for r in results if not r["success"])
    job = JobStatus(
        id=secrets.token_hex(16),
        job_type=job_type,
        status="completed",
        total=len(results),
        progress=len(results),
        message=f"Completed at {now.isoformat()}" + (f"; {failed} failed" if failed else ""),
        results=results,
    )
    conn.execute(
        insert(job_statuses).values(
            id=job.id,
            job_type=job_type,
            user_id=user_id,
            status=job.status,
            total=job.total,
            progress=job.progress,
            message=job.message,
            results=results,
            created_at=now,
            updated_at=now,
        )
    )
    return job


def get_jobs(engine: Engine, job_ids: Sequence[str], user_id: int) -> list[JobStatus]:
    with reading(engine) as conn:
        rows = conn.execute(
            select(job_statuses).where(job_statuses.c.id.in_(job_ids), job_statuses.c.user_id == user_id)
        )
        return [
            JobStatus(
                id=row.id,
                job_type=row.job_type,
                status=row.status,
                total=row.total,
                progress=row.progress,
                message=row.message,
                results=list(row.results),
            )
            for row in rows
        ]

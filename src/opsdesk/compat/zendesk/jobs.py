"""`/api/v2/job_statuses`: results of bulk requests."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from opsdesk.compat.zendesk._http import api_base, json_response
from opsdesk.core.errors import NotFound
from opsdesk.jobs.service import JobStatus, get_jobs
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: jobs"])


def job_json(base: str, job: JobStatus) -> dict[str, Any]:
    return {
        "id": job.id,
        "url": f"{base}/job_statuses/{job.id}.json",
        "job_type": job.job_type,
        "status": job.status,
        "total": job.total,
        "progress": job.progress,
        "message": job.message,
        "results": job.results,
    }


@router.get("/job_statuses/show_many", summary="Show many job statuses")
def show_many(request: Request, context: Context, caller: Caller) -> Response:
    ids = [part for part in request.query_params.get("ids", "").split(",") if part]
    jobs = get_jobs(context.engine, ids, caller.user_id)
    return json_response({"job_statuses": [job_json(api_base(request), job) for job in jobs]})


@router.get("/job_statuses/{job_id}", summary="Show a job status")
def show(request: Request, context: Context, caller: Caller, job_id: str) -> Response:
    jobs = get_jobs(context.engine, [job_id], caller.user_id)
    if not jobs:
        raise NotFound("JobStatus", job_id)
    return json_response({"job_status": job_json(api_base(request), jobs[0])})

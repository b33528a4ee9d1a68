"""`/api/v2/business_hours/schedules`: schedules, their workweek and holidays, in Zendesk's shapes.

Intervals are `{"start_time", "end_time"}` in minutes from Sunday 00:00 local time. Unlike
Zendesk, an interval may cross midnight (and the end of the week); touching intervals are fine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from sqlalchemy import Connection

from opsdesk.calendars import service
from opsdesk.calendars.model import Holiday, Schedule
from opsdesk.compat.zendesk._http import json_response, read_json
from opsdesk.core.clock import format_utc
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import InvalidInput
from opsdesk.sla import service as sla_service
from opsdesk.sla.tasks import reapply_now
from opsdesk.web.auth import Caller, Context
from opsdesk.web.context import AppContext


@contextmanager
def _changing_schedules(context: AppContext) -> Iterator[Connection]:
    """A schedule write; open tickets' SLA targets are re-measured against the new hours."""
    with writing(context.engine) as conn:
        yield conn
        sla_service.configuration_changed(conn)
        reapply_now(conn, context.clock.now())


router = APIRouter(prefix="/api/v2/business_hours", tags=["Zendesk: business hours"])
Body = Annotated[Any, Depends(read_json)]


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    return {
        "id": schedule.id,
        "name": schedule.name,
        "time_zone": schedule.time_zone,
        "intervals": _intervals_json(schedule.intervals),
        "created_at": format_utc(schedule.created_at),
        "updated_at": format_utc(schedule.updated_at),
    }


def holiday_json(holiday: Holiday) -> dict[str, Any]:
    return {
        "id": holiday.id,
        "name": holiday.name,
        "start_date": holiday.start_date.isoformat(),
        "end_date": holiday.end_date.isoformat(),
    }


def _intervals_json(intervals: tuple[tuple[int, int], ...]) -> list[dict[str, int]]:
    return [{"start_time": start, "end_time": end} for start, end in intervals]


def _object(body: Any, key: str) -> dict[str, Any]:  # noqa: ANN401 - raw JSON
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise InvalidInput.field(key, f'the body must be {{"{key}": {{...}}}}')
    values: dict[str, Any] = body[key]
    return values


def _intervals(raw: object) -> list[tuple[Any, Any]]:
    """Zendesk's interval objects as (start, end) pairs; the service judges the values."""
    if not isinstance(raw, list):
        raise InvalidInput.field("intervals", 'must be a list of {"start_time": N, "end_time": N}')
    shape = [isinstance(item, dict) and {"start_time", "end_time"} <= set(item) for item in raw]
    if not all(shape):
        bad = [str(index) for index, ok in enumerate(shape) if not ok]
        raise InvalidInput.field("intervals", f"interval {', '.join(bad)}: needs start_time and end_time")
    return [(item["start_time"], item["end_time"]) for item in raw]


def _schedule_values(body: Any) -> dict[str, Any]:  # noqa: ANN401 - raw JSON
    values = dict(_object(body, "schedule"))
    if "intervals" in values:
        values["intervals"] = _intervals(values["intervals"])
    return values


@router.get("/schedules", summary="List schedules")
def list_schedules(context: Context, caller: Caller) -> Response:
    with reading(context.engine) as conn:
        schedules = service.list_schedules(conn, actor=caller)
    return json_response({"schedules": [schedule_json(s) for s in schedules]})


@router.post("/schedules", status_code=201, summary="Create a schedule (Monday-Friday 09:00-17:00 unless given)")
def create_schedule(context: Context, caller: Caller, body: Body) -> Response:
    values = _schedule_values(body)
    with _changing_schedules(context) as conn:
        schedule = service.create_schedule(conn, actor=caller, values=values, now=context.clock.now())
    return json_response({"schedule": schedule_json(schedule)}, 201)


@router.get("/schedules/{schedule_id:int}", summary="Show a schedule")
def show_schedule(context: Context, caller: Caller, schedule_id: int) -> Response:
    with reading(context.engine) as conn:
        schedule = service.get_schedule_or_raise(conn, actor=caller, schedule_id=schedule_id)
    return json_response({"schedule": schedule_json(schedule)})


@router.put("/schedules/{schedule_id:int}", summary="Update a schedule's name or time zone")
def update_schedule(context: Context, caller: Caller, schedule_id: int, body: Body) -> Response:
    values = _schedule_values(body)
    with _changing_schedules(context) as conn:
        schedule = service.update_schedule(
            conn, actor=caller, schedule_id=schedule_id, values=values, now=context.clock.now()
        )
    return json_response({"schedule": schedule_json(schedule)})


@router.delete("/schedules/{schedule_id:int}", status_code=204, summary="Delete a schedule")
def delete_schedule(context: Context, caller: Caller, schedule_id: int) -> Response:
    with _changing_schedules(context) as conn:
        service.delete_schedule(conn, actor=caller, schedule_id=schedule_id)
    return Response(status_code=204)


@router.put("/schedules/{schedule_id:int}/workweek", summary="Replace a schedule's weekly intervals")
def update_workweek(context: Context, caller: Caller, schedule_id: int, body: Body) -> Response:
    intervals = _intervals(_object(body, "workweek").get("intervals"))
    with _changing_schedules(context) as conn:
        schedule = service.update_schedule(
            conn, actor=caller, schedule_id=schedule_id, values={"intervals": intervals}, now=context.clock.now()
        )
    return json_response({"workweek": {"intervals": _intervals_json(schedule.intervals)}})


@router.get("/schedules/{schedule_id:int}/holidays", summary="List a schedule's holidays")
def list_holidays(context: Context, caller: Caller, schedule_id: int) -> Response:
    with reading(context.engine) as conn:
        schedule = service.get_schedule_or_raise(conn, actor=caller, schedule_id=schedule_id)
    return json_response({"holidays": [holiday_json(h) for h in schedule.holidays]})


@router.post("/schedules/{schedule_id:int}/holidays", status_code=201, summary="Add a holiday")
def create_holiday(context: Context, caller: Caller, schedule_id: int, body: Body) -> Response:
    values = _object(body, "holiday")
    with _changing_schedules(context) as conn:
        holiday = service.create_holiday(
            conn, actor=caller, schedule_id=schedule_id, values=values, now=context.clock.now()
        )
    return json_response({"holiday": holiday_json(holiday)}, 201)


@router.get("/schedules/{schedule_id:int}/holidays/{holiday_id:int}", summary="Show a holiday")
def show_holiday(context: Context, caller: Caller, schedule_id: int, holiday_id: int) -> Response:
    with reading(context.engine) as conn:
        holiday = service.get_holiday_or_raise(conn, actor=caller, schedule_id=schedule_id, holiday_id=holiday_id)
    return json_response({"holiday": holiday_json(holiday)})


@router.put("/schedules/{schedule_id:int}/holidays/{holiday_id:int}", summary="Update a holiday")
def update_holiday(context: Context, caller: Caller, schedule_id: int, holiday_id: int, body: Body) -> Response:
    values = _object(body, "holiday")
    with _changing_schedules(context) as conn:
        holiday = service.update_holiday(
            conn, actor=caller, schedule_id=schedule_id, holiday_id=holiday_id, values=values, now=context.clock.now()
        )
    return json_response({"holiday": holiday_json(holiday)})


@router.delete("/schedules/{schedule_id:int}/holidays/{holiday_id:int}", status_code=204, summary="Delete a holiday")
def delete_holiday(context: Context, caller: Caller, schedule_id: int, holiday_id: int) -> Response:
    with _changing_schedules(context) as conn:
        service.delete_holiday(
            conn, actor=caller, schedule_id=schedule_id, holiday_id=holiday_id, now=context.clock.now()
        )
    return Response(status_code=204)

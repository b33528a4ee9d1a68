"""`/api/test/clock`: the manual clock of CONTRACT.md, mounted only when OPSDESK_CLOCK=manual."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from opsdesk.compat.zendesk._http import BadRequest, json_response, read_json
from opsdesk.core.clock import ClockMovedBackwards, ManualClock, format_utc, parse_utc
from opsdesk.core.errors import PermissionDenied
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/test", tags=["test clock"])
Body = Annotated[Any, Depends(read_json)]


def _manual(context: Context) -> ManualClock:
    clock = context.clock
    assert isinstance(clock, ManualClock)
    return clock


@router.get("/clock", summary="The manual clock's time")
def read_clock(context: Context) -> Response:
    return json_response({"now": format_utc(_manual(context).now())})


@router.post("/clock", summary="Move the manual clock forward and run what falls due")
def move_clock(context: Context, caller: Caller, body: Body) -> Response:
    if not caller.is_admin:
        raise PermissionDenied("Only admins can move the clock")
    clock = _manual(context)
    if not isinstance(body, dict) or ("now" in body) == ("advance_seconds" in body):
        raise BadRequest('send {"now": "<ISO 8601>"} or {"advance_seconds": N}')
    try:
        if "now" in body:
            if not isinstance(body["now"], str):
                raise BadRequest("now must be an ISO 8601 string")
            target = parse_utc(body["now"])
        else:
            seconds = body["advance_seconds"]
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise BadRequest("advance_seconds must be a non-negative number")
            target = clock.now() + timedelta(seconds=seconds)
    except ValueError:
        raise BadRequest("now must be an ISO 8601 time") from None
    try:
        clock.set(target)
    except ClockMovedBackwards:
        return json_response({"error": "Conflict", "description": "The clock only moves forward"}, 409)
    # Timers arrive with the time engine (issue 4); until then nothing falls due.
    return json_response({"now": format_utc(clock.now()), "fired": 0})

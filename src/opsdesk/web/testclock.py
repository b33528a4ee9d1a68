"""`/api/test/clock`: the manual clock of CONTRACT.md, mounted only when OPSDESK_CLOCK=manual."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from opsdesk.compat.zendesk._http import BadRequest, json_response, read_json
from opsdesk.core.clock import ManualClock, format_utc, parse_utc
from opsdesk.core.errors import PermissionDenied
from opsdesk.delivery.service import mail_settings
from opsdesk.web.auth import Caller, Context
from opsdesk.worker.duties import all_duties
from opsdesk.worker.manual import advance

router = APIRouter(prefix="/api/test", tags=["test clock"])
_advancing = threading.Lock()  # one advance at a time, so timers fire in due order
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
    if target < clock.now():
        return json_response({"error": "Conflict", "description": "The clock only moves forward"}, 409)
    with _advancing:
        mail = mail_settings(context.settings.smtp_url, context.settings.base_url)
        fired = advance(context.engine, all_duties(), mail, clock, target)
    return json_response({"now": format_utc(clock.now()), "fired": fired})

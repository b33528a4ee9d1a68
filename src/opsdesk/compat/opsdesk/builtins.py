"""`/api/opsdesk/builtins`: the built-in workflows' settings (rules/builtins.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from opsdesk.compat.zendesk._http import json_response, read_json
from opsdesk.compat.zendesk.fields import read_envelope
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import PermissionDenied
from opsdesk.rules import service
from opsdesk.rules.builtins import builtins_json
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/opsdesk", tags=["opsdesk: built-in workflows"])
Body = Annotated[Any, Depends(read_json)]


@router.get("/builtins", summary="The built-in workflows and their settings")
def show_builtins(context: Context, caller: Caller) -> Response:
    if not caller.is_agent:
        raise PermissionDenied("Only agents can see the built-in workflows")
    with reading(context.engine) as conn:
        builtins = service.get_builtins(conn)
    return json_response({"builtins": builtins_json(builtins)})


@router.put("/builtins", summary="Change the built-in workflows (null turns one off)")
def update_builtins(context: Context, caller: Caller, body: Body) -> Response:
    with writing(context.engine) as conn:
        builtins = service.update_builtins(
            conn, actor=caller, values=read_envelope(body, "builtins"), now=context.clock.now()
        )
    return json_response({"builtins": builtins_json(builtins)})

"""`/api/v2/ticket_fields`, `/api/v2/ticket_forms` and `/api/v2/tags`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import func, select

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import api_base, json_response, read_json
from opsdesk.compat.zendesk.fields import read_envelope
from opsdesk.compat.zendesk.inputs import TICKET_FIELD_SPEC, TICKET_FORM_SPEC
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import NotFound, PermissionDenied
from opsdesk.forms import repo, service
from opsdesk.tickets.tables import ticket_tags, tickets
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: forms and fields"])
Body = Annotated[Any, Depends(read_json)]


def _offset_list(key: str, items: list[dict[str, Any]]) -> Response:
    return json_response({key: items, "next_page": None, "previous_page": None, "count": len(items)})


@router.get("/ticket_fields", summary="List ticket fields")
def list_fields(request: Request, context: Context, caller: Caller) -> Response:
    with reading(context.engine) as conn:
        fields = repo.all_fields(conn)
    if not caller.is_agent:
        fields = [f for f in fields if f.active and f.visible_in_portal]
    return _offset_list("ticket_fields", [serialize.ticket_field(api_base(request), f) for f in fields])


@router.get("/ticket_fields/{field_id:int}", summary="Show a ticket field")
def show_field(request: Request, context: Context, caller: Caller, field_id: int) -> Response:
    with reading(context.engine) as conn:
        field = service.get_field_or_raise(conn, field_id)
    if not caller.is_agent and not field.visible_in_portal:
        raise NotFound("TicketField", field_id)
    return json_response({"ticket_field": serialize.ticket_field(api_base(request), field)})


@router.post("/ticket_fields", status_code=201, summary="Create a ticket field")
def create_field(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    values = read_envelope(body, "ticket_field", TICKET_FIELD_SPEC)
    with writing(context.engine) as conn:
        field = service.create_field(conn, actor=caller, values=values, now=context.clock.now())
    return json_response({"ticket_field": serialize.ticket_field(api_base(request), field)}, 201)


@router.put("/ticket_fields/{field_id:int}", summary="Update a ticket field")
def update_field(request: Request, context: Context, caller: Caller, field_id: int, body: Body) -> Response:
    values = read_envelope(body, "ticket_field", TICKET_FIELD_SPEC)
    with writing(context.engine) as conn:
        field = service.update_field(conn, actor=caller, field_id=field_id, values=values, now=context.clock.now())
    return json_response({"ticket_field": serialize.ticket_field(api_base(request), field)})


@router.delete("/ticket_fields/{field_id:int}", status_code=204, summary="Delete a ticket field")
def delete_field(context: Context, caller: Caller, field_id: int) -> Response:
    with writing(context.engine) as conn:
        service.delete_field(conn, actor=caller, field_id=field_id)
    return Response(status_code=204)


@router.get("/ticket_forms", summary="List ticket forms")
def list_forms(request: Request, context: Context, caller: Caller) -> Response:
    with reading(context.engine) as conn:
        forms = repo.all_forms(conn)
    if not caller.is_agent:
        forms = [f for f in forms if f.active and f.end_user_visible]
    return _offset_list("ticket_forms", [serialize.ticket_form(api_base(request), f) for f in forms])


@router.get("/ticket_forms/{form_id:int}", summary="Show a ticket form")
def show_form(request: Request, context: Context, caller: Caller, form_id: int) -> Response:
    with reading(context.engine) as conn:
        form = service.get_form_or_raise(conn, form_id)
    if not caller.is_agent and not form.end_user_visible:
        raise NotFound("TicketForm", form_id)
    return json_response({"ticket_form": serialize.ticket_form(api_base(request), form)})


@router.post("/ticket_forms", status_code=201, summary="Create a ticket form")
def create_form(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    values = read_envelope(body, "ticket_form", TICKET_FORM_SPEC)
    with writing(context.engine) as conn:
        form = service.create_form(conn, actor=caller, values=values, now=context.clock.now())
    return json_response({"ticket_form": serialize.ticket_form(api_base(request), form)}, 201)


@router.put("/ticket_forms/{form_id:int}", summary="Update a ticket form")
def update_form(request: Request, context: Context, caller: Caller, form_id: int, body: Body) -> Response:
    values = read_envelope(body, "ticket_form", TICKET_FORM_SPEC)
    with writing(context.engine) as conn:
        form = service.update_form(conn, actor=caller, form_id=form_id, values=values, now=context.clock.now())
    return json_response({"ticket_form": serialize.ticket_form(api_base(request), form)})


@router.delete("/ticket_forms/{form_id:int}", status_code=204, summary="Delete a ticket form")
def delete_form(context: Context, caller: Caller, form_id: int) -> Response:
    with writing(context.engine) as conn:
        service.delete_form(conn, actor=caller, form_id=form_id)
    return Response(status_code=204)


@router.get("/tags", summary="The most used tags, with counts")
def list_tags(context: Context, caller: Caller) -> Response:
    if not caller.is_agent:
        raise PermissionDenied("Only agents can list tags")
    with reading(context.engine) as conn:
        rows = conn.execute(
            select(ticket_tags.c.tag, func.count().label("count"))
            .join(tickets, tickets.c.id == ticket_tags.c.ticket_id)
            .where(tickets.c.deleted_at.is_(None))
            .group_by(ticket_tags.c.tag)
            .order_by(func.count().desc(), ticket_tags.c.tag)
            .limit(500)
        )
        tags = [{"name": row.tag, "count": row.count} for row in rows]
    return json_response({"tags": tags, "next_page": None, "previous_page": None, "count": len(tags)})

"""`/api/v2/views`: saved ticket lists, their tickets, and exact live counts (`fresh: true`)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import Connection

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import (
    MAX_PAGE_SIZE,
    BadRequest,
    api_base,
    json_response,
    read_json,
    url_with,
)
from opsdesk.compat.zendesk.fields import read_envelope
from opsdesk.core.clock import format_utc
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import PermissionDenied
from opsdesk.tickets import repo as tickets_repo
from opsdesk.tickets.model import Ticket
from opsdesk.views import service
from opsdesk.views.model import View
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: views"])
Body = Annotated[Any, Depends(read_json)]
MAX_COUNT_MANY = 20


def view_json(base: str, view: View) -> dict[str, Any]:
    def plain(conditions: Any) -> list[dict[str, Any]]:  # noqa: ANN401 - a list of Condition
        return [{"field": c.field, "operator": c.operator, "value": c.value} for c in conditions]

    columns = [{"id": c, "title": c.replace("_", " ").capitalize()} for c in view.execution.columns]
    return {
        "id": view.id,
        "url": f"{base}/views/{view.id}.json",
        "title": view.title,
        "raw_title": view.title,
        "description": view.description,
        "active": view.active,
        "position": view.position,
        "default": False,
        "restriction": view.restriction,
        "conditions": {"all": plain(view.all), "any": plain(view.any)},
        "execution": {
            "columns": columns,
            "fields": columns,
            "custom_fields": [],
            "group_by": view.execution.group_by,
            "group_order": "asc",
            "sort_by": view.execution.sort_by,
            "sort_order": view.execution.sort_order,
            "group": None,
            "sort": {"id": view.execution.sort_by, "order": view.execution.sort_order, "title": view.execution.sort_by},
        },
        "created_at": format_utc(view.created_at),
        "updated_at": format_utc(view.updated_at),
    }


def _require_agent(caller: Caller) -> None:
    if not caller.is_agent:
        raise PermissionDenied("Only agents use views")


def _offset_page(request: Request) -> tuple[int, int, bool]:
    """(offset, size, cursor style). View tickets sort by any column, so cursors carry an offset."""
    params = request.query_params
    cursor = any(key in params for key in ("page[size]", "page[after]", "page[before]"))
    raw_size = params.get("page[size]") if cursor else params.get("per_page")
    size = int(raw_size) if raw_size and raw_size.isdigit() else MAX_PAGE_SIZE
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise BadRequest(f"page size must be from 1 to {MAX_PAGE_SIZE}")
    if cursor:
        after = params.get("page[after]") or params.get("page[before]")
        offset = 0
        if after:
            try:
                offset = int(base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode().removeprefix("off:"))
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise BadRequest("page[after] is not a cursor this server issued") from None
            if "page[before]" in params:
                offset = max(offset - 2 * size, 0)
        return offset, size, True
    page = params.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        raise BadRequest("page must be a positive integer")
    return (int(page) - 1) * size, size, False


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"off:{offset}".encode()).decode().rstrip("=")


def _ticket_page(
    request: Request,
    conn: Connection,
    view: View,
    caller: Caller,
    now: datetime,
) -> tuple[dict[str, Any], list[Ticket]]:
    offset, size, cursor = _offset_page(request)
    rows = list(conn.execute(service.tickets_query(view, caller, now).offset(offset).limit(size + 1)))
    has_more = len(rows) > size
    items = [tickets_repo.to_ticket(row) for row in rows[:size]]
    base = api_base(request)
    body: dict[str, Any] = {"tickets": [serialize.ticket(base, t) for t in items]}
    if cursor:
        after = _cursor(offset + len(items))
        body["meta"] = {"has_more": has_more, "after_cursor": after, "before_cursor": _cursor(offset)}
        body["links"] = {
            "next": url_with(request, {"page[after]": after, "page[before]": None}) if has_more else None,
            "prev": url_with(request, {"page[before]": _cursor(offset), "page[after]": None}) if offset else None,
        }
    else:
        number = offset // size + 1
        body["count"] = service.count_tickets(conn, view, caller, now)
        body["next_page"] = url_with(request, {"page": str(number + 1)}) if has_more else None
        body["previous_page"] = url_with(request, {"page": str(number - 1)}) if number > 1 else None
    return body, items


def _row(ticket: Ticket, base: str) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "ticket": {
            "id": ticket.id,
            "url": f"{base}/tickets/{ticket.id}.json",
            "subject": ticket.subject,
            "status": ticket.status.value,
            "type": ticket.type.value if ticket.type else None,
            "priority": ticket.priority.value if ticket.priority else None,
        },
        "subject": ticket.subject,
        "status": ticket.status.value,
        "priority": ticket.priority.value if ticket.priority else None,
        "requester_id": ticket.requester_id,
        "assignee_id": ticket.assignee_id,
        "group_id": ticket.group_id,
        "organization_id": ticket.organization_id,
        "created": format_utc(ticket.created_at),
        "updated": format_utc(ticket.updated_at),
        "due_date": format_utc(ticket.due_at) if ticket.due_at else None,
    }


def _execute_body(request: Request, conn: Connection, view: View, caller: Caller, now: datetime) -> dict[str, Any]:
    page, items = _ticket_page(request, conn, view, caller, now)
    base = api_base(request)
    shaped = view_json(base, view)
    return {
        "view": shaped,
        "rows": [_row(t, base) for t in items],
        "columns": shaped["execution"]["columns"],
        "groups": [],
        "count": service.count_tickets(conn, view, caller, now),
        "next_page": page.get("next_page") or page.get("links", {}).get("next"),
        "previous_page": page.get("previous_page") or page.get("links", {}).get("prev"),
    }


def _count_json(base: str, view_id: int, value: int) -> dict[str, Any]:
    return {
        "view_id": view_id,
        "url": f"{base}/views/{view_id}/count.json",
        "value": value,
        "pretty": f"{value:,}",
        "fresh": True,
    }


@router.get("/views", summary="List the views the caller may use")
def list_views(request: Request, context: Context, caller: Caller) -> Response:
    return _list(request, context, caller, active_only=False)


@router.get("/views/active", summary="List active views")
def active_views(request: Request, context: Context, caller: Caller) -> Response:
    return _list(request, context, caller, active_only=True)


def _list(request: Request, context: Context, caller: Caller, *, active_only: bool) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        views = service.visible_views(conn, caller, active_only=active_only)
    base = api_base(request)
    body: dict[str, Any] = {
        "views": [view_json(base, v) for v in views],
        "next_page": None,
        "previous_page": None,
        "count": len(views),
    }
    if "page[size]" in request.query_params:
        body["meta"] = {"has_more": False, "after_cursor": None, "before_cursor": None}
        body["links"] = {"next": None, "prev": None}
    return json_response(body)


@router.get("/views/count_many", summary="Count the tickets of several views")
def count_many(request: Request, context: Context, caller: Caller) -> Response:
    _require_agent(caller)
    raw = request.query_params.get("ids") or request.query_params.get("count_many") or ""
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise BadRequest("ids must be a comma-separated list of view ids") from None
    if not ids or len(ids) > MAX_COUNT_MANY:
        raise BadRequest(f"give 1 to {MAX_COUNT_MANY} view ids")
    now = context.clock.now()
    base = api_base(request)
    with reading(context.engine) as conn:
        counts = [
            _count_json(
                base,
                view_id,
                service.count_tickets(conn, service.get_view_or_raise(conn, caller, view_id), caller, now),
            )
            for view_id in ids
        ]
    return json_response({"view_counts": counts})


@router.post("/views/preview", summary="Run an unsaved view")
def preview(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    _require_agent(caller)
    now = context.clock.now()
    view = service.draft_view(read_envelope(body, "view"), now)
    with reading(context.engine) as conn:
        return json_response(_execute_body(request, conn, view, caller, now))


@router.post("/views/preview/count", summary="Count an unsaved view's tickets")
def preview_count(context: Context, caller: Caller, body: Body) -> Response:
    _require_agent(caller)
    now = context.clock.now()
    view = service.draft_view(read_envelope(body, "view"), now)
    with reading(context.engine) as conn:
        value = service.count_tickets(conn, view, caller, now)
    return json_response(
        {"view_count": {"view_id": None, "url": None, "value": value, "pretty": f"{value:,}", "fresh": True}}
    )


@router.get("/views/{view_id:int}", summary="Show a view")
def show_view(request: Request, context: Context, caller: Caller, view_id: int) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        view = service.get_view_or_raise(conn, caller, view_id)
    return json_response({"view": view_json(api_base(request), view)})


@router.post("/views", status_code=201, summary="Create a view")
def create_view(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    values = read_envelope(body, "view")
    with writing(context.engine) as conn:
        view = service.create_view(conn, actor=caller, values=values, now=context.clock.now())
    return json_response({"view": view_json(api_base(request), view)}, 201)


@router.put("/views/{view_id:int}", summary="Update a view")
def update_view(request: Request, context: Context, caller: Caller, view_id: int, body: Body) -> Response:
    values = read_envelope(body, "view")
    with writing(context.engine) as conn:
        view = service.update_view(conn, actor=caller, view_id=view_id, values=values, now=context.clock.now())
    return json_response({"view": view_json(api_base(request), view)})


@router.delete("/views/{view_id:int}", status_code=204, summary="Delete a view")
def delete_view(context: Context, caller: Caller, view_id: int) -> Response:
    with writing(context.engine) as conn:
        service.delete_view(conn, actor=caller, view_id=view_id)
    return Response(status_code=204)


@router.get("/views/{view_id:int}/tickets", summary="The tickets of a view")
def view_tickets(request: Request, context: Context, caller: Caller, view_id: int) -> Response:
    _require_agent(caller)
    now = context.clock.now()
    with reading(context.engine) as conn:
        view = service.get_view_or_raise(conn, caller, view_id)
        body, _items = _ticket_page(request, conn, view, caller, now)
    return json_response(body)


@router.get("/views/{view_id:int}/count", summary="Count a view's tickets (exact and current)")
def view_count(request: Request, context: Context, caller: Caller, view_id: int) -> Response:
    _require_agent(caller)
    now = context.clock.now()
    with reading(context.engine) as conn:
        view = service.get_view_or_raise(conn, caller, view_id)
        value = service.count_tickets(conn, view, caller, now)
    return json_response({"view_count": _count_json(api_base(request), view_id, value)})


@router.get("/views/{view_id:int}/execute", summary="Run a view: rows, columns and count")
def execute(request: Request, context: Context, caller: Caller, view_id: int) -> Response:
    _require_agent(caller)
    now = context.clock.now()
    with reading(context.engine) as conn:
        view = service.get_view_or_raise(conn, caller, view_id)
        return json_response(_execute_body(request, conn, view, caller, now))

"""`/api/v2/incremental/...`: Zendesk's incremental exports of tickets, ticket events, users and
organizations, in the cursor style (`after_url`, `end_of_stream`) and the time style (`next_page`,
`end_time`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import Column, Connection, Row, Table

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import BadRequest, api_base, json_response, url_with
from opsdesk.core.clock import format_utc
from opsdesk.core.db.uow import reading
from opsdesk.core.errors import PermissionDenied
from opsdesk.exports.service import MAX_PAGE, Position, read_page
from opsdesk.organizations import repo as orgs_repo
from opsdesk.organizations.tables import organizations
from opsdesk.tickets import repo as tickets_repo
from opsdesk.tickets.tables import ticket_audits, tickets
from opsdesk.users.repo import to_user
from opsdesk.users.tables import users
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2/incremental", tags=["Zendesk: incremental exports"])

Shape = Callable[[str, Row[Any]], dict[str, Any]]


def _require_admin(caller: Caller) -> None:
    # Zendesk allows exports to admins only: they bypass every per-ticket restriction.
    if not caller.is_admin:
        raise PermissionDenied("Incremental exports are for admins")


def _position(request: Request) -> Position:
    params = request.query_params
    if params.get("cursor"):
        return Position.decode(params["cursor"])
    raw = params.get("start_time")
    if raw is None or not raw.lstrip("-").isdigit():
        raise BadRequest("start_time (a Unix time) or cursor is required")
    return Position.start(int(raw))


def _size(request: Request) -> int:
    raw = request.query_params.get("per_page", str(MAX_PAGE))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise BadRequest(f"per_page must be from 1 to {MAX_PAGE}")
    return int(raw)


def _ticket(base: str, row: Row[Any]) -> dict[str, Any]:
    """A deleted ticket stays in the export with status `deleted`, as in Zendesk, so a mirror
    built from the export learns about the deletion."""
    shaped = serialize.ticket(base, tickets_repo.to_ticket(row))
    if row.deleted_at is not None:
        shaped["status"] = "deleted"
    return shaped


def _user(base: str, row: Row[Any]) -> dict[str, Any]:
    return serialize.user(base, to_user(row))


def _audit_event(base: str, row: Row[Any]) -> dict[str, Any]:
    audit = tickets_repo.to_audit(row)
    shaped = serialize.audit(base, audit)
    return {
        "id": audit.id,
        "ticket_id": audit.ticket_id,
        "timestamp": int(audit.created_at.timestamp()),
        "created_at": format_utc(audit.created_at),
        "updater_id": audit.author_id if audit.author_id is not None else -1,
        "via": audit.via_channel.value,
        "system": {},
        "event_type": "Audit",
        "child_events": [{**event, "event_type": event["type"]} for event in shaped["events"]],
    }


def _export(
    request: Request,
    conn: Connection,
    *,
    table: Table,
    time_column: Column[datetime],
    now: datetime,
    shape: Shape,
) -> tuple[list[dict[str, Any]], Position | None, bool]:
    base = api_base(request)
    page = read_page(
        conn,
        table=table,
        time_column=time_column,
        position=_position(request),
        now=now,
        limit=_size(request),
        convert=lambda row: shape(base, row),
    )
    return page.items, page.last, page.end_of_stream


def _cursor_body(
    request: Request, key: str, items: list[dict[str, Any]], last: Position | None, done: bool
) -> dict[str, Any]:
    position = last or _position(request)
    after = position.encode()
    return {
        key: items,
        "after_cursor": after,
        "after_url": url_with(request, {"cursor": after, "start_time": None}),
        "before_cursor": None,
        "before_url": None,
        "end_of_stream": done,
    }


def _time_body(
    request: Request, key: str, items: list[dict[str, Any]], last: Position | None, done: bool
) -> dict[str, Any]:
    position = last or _position(request)
    end_time = max(int(position.moment.timestamp()), 0)
    return {
        key: items,
        "count": len(items),
        "end_time": end_time,
        "next_page": url_with(request, {"cursor": position.encode(), "start_time": None}),
        "end_of_stream": done,
    }


def _run(
    request: Request,
    context: Context,
    caller: Caller,
    *,
    table: Table,
    time_column: Column[datetime],
    key: str,
    shape: Shape,
    cursor_style: bool,
) -> Response:
    _require_admin(caller)
    with reading(context.engine) as conn:
        items, last, done = _export(
            request, conn, table=table, time_column=time_column, now=context.clock.now(), shape=shape
        )
    body = (_cursor_body if cursor_style else _time_body)(request, key, items, last, done)
    return json_response(body)


@router.get("/tickets/cursor", summary="Tickets changed since a time (cursor style)")
def tickets_cursor(request: Request, context: Context, caller: Caller) -> Response:
    return _run(
        request,
        context,
        caller,
        table=tickets,
        time_column=tickets.c.updated_at,
        key="tickets",
        shape=_ticket,
        cursor_style=True,
    )


@router.get("/tickets", summary="Tickets changed since a time (time style)")
def tickets_time(request: Request, context: Context, caller: Caller) -> Response:
    return _run(
        request,
        context,
        caller,
        table=tickets,
        time_column=tickets.c.updated_at,
        key="tickets",
        shape=_ticket,
        cursor_style=False,
    )


@router.get("/ticket_events", summary="Ticket audits since a time")
def ticket_events(request: Request, context: Context, caller: Caller) -> Response:
    return _run(
        request,
        context,
        caller,
        table=ticket_audits,
        time_column=ticket_audits.c.created_at,
        key="ticket_events",
        shape=_audit_event,
        cursor_style=False,
    )


@router.get("/users/cursor", summary="Users changed since a time (cursor style)")
def users_cursor(request: Request, context: Context, caller: Caller) -> Response:
    return _run(
        request,
        context,
        caller,
        table=users,
        time_column=users.c.updated_at,
        key="users",
        shape=_user,
        cursor_style=True,
    )


@router.get("/users", summary="Users changed since a time (time style)")
def users_time(request: Request, context: Context, caller: Caller) -> Response:
    return _run(
        request,
        context,
        caller,
        table=users,
        time_column=users.c.updated_at,
        key="users",
        shape=_user,
        cursor_style=False,
    )


@router.get("/organizations", summary="Organizations changed since a time (time style)")
def organizations_time(request: Request, context: Context, caller: Caller) -> Response:
    _require_admin(caller)
    base = api_base(request)
    with reading(context.engine) as conn:
        page = read_page(
            conn,
            table=organizations,
            time_column=organizations.c.updated_at,
            position=_position(request),
            now=context.clock.now(),
            limit=_size(request),
            convert=lambda row: row,
        )
        shaped = [serialize.organization(base, org) for org in orgs_repo.to_orgs(conn, page.items)]
    return json_response(_time_body(request, "organizations", shaped, page.last, page.end_of_stream))

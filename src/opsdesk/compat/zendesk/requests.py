"""`/api/v2/requests`: the Requests API, through which end-users see and answer their tickets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import ColumnElement, exists, true

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import BadRequest, api_base, json_response, page_body, read_json, window
from opsdesk.compat.zendesk.inputs import read_request
from opsdesk.compat.zendesk.tickets import comments_body
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import InvalidInput, NotFound
from opsdesk.tickets import repo, service
from opsdesk.tickets.model import Channel, Status
from opsdesk.tickets.tables import ticket_collaborators, ticket_comments, tickets
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: requests"])
Body = Annotated[Any, Depends(read_json)]

_OPEN_STATES = [Status.NEW.value, Status.OPEN.value, Status.PENDING.value, Status.HOLD.value]
_SOLVED_STATES = [Status.SOLVED.value, Status.CLOSED.value]


def _listing(request: Request, context: Context, caller: Caller, *conditions: ColumnElement[bool]) -> Response:
    status_filter = request.query_params.get("status")
    extra = list(conditions)
    if status_filter:
        wanted = [s.strip() for s in status_filter.split(",")]
        if not set(wanted) <= {s.value for s in Status}:
            raise BadRequest("status must be a comma-separated list of ticket statuses")
        extra.append(tickets.c.status.in_(wanted))
    base = api_base(request)
    with reading(context.engine) as conn:
        query = repo.ticket_query(caller, *extra)
        if caller.is_agent:  # agents see the requests they made themselves, as Zendesk does
            query = query.where(tickets.c.requester_id == caller.user_id)
        items, page = repo.page_tickets(conn, query, window(request))
    body = page_body(
        request, "requests", items, page, window(request), lambda t: serialize.request(base, t), lambda t: t.id
    )
    return json_response(body)


@router.get("/requests", summary="List the caller's requests")
def list_requests(request: Request, context: Context, caller: Caller) -> Response:
    return _listing(request, context, caller, true())


@router.get("/requests/open", summary="List the caller's open requests")
def open_requests(request: Request, context: Context, caller: Caller) -> Response:
    return _listing(request, context, caller, tickets.c.status.in_(_OPEN_STATES))


@router.get("/requests/solved", summary="List the caller's solved requests")
def solved_requests(request: Request, context: Context, caller: Caller) -> Response:
    return _listing(request, context, caller, tickets.c.status.in_(_SOLVED_STATES))


@router.get("/requests/ccd", summary="List requests the caller is copied on")
def ccd_requests(request: Request, context: Context, caller: Caller) -> Response:
    cc = exists().where(
        ticket_collaborators.c.ticket_id == tickets.c.id, ticket_collaborators.c.user_id == caller.user_id
    )
    return _listing(request, context, caller, cc)


@router.get("/requests/{request_id:int}", summary="Show a request")
def show_request(request: Request, context: Context, caller: Caller, request_id: int) -> Response:
    with reading(context.engine) as conn:
        ticket = service.get_readable_ticket_or_raise(conn, caller, request_id)
    return json_response({"request": serialize.request(api_base(request), ticket)})


@router.post("/requests", status_code=201, summary="Create a request")
def create_request(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    if not isinstance(body, dict) or "request" not in body:
        raise InvalidInput.field("request", 'the body must be {"request": {...}}')
    values, comment, _solved = read_request(body["request"])
    with writing(context.engine) as conn:
        result = service.create_ticket(
            conn,
            actor=caller if not caller.is_agent else None,
            values=values if not caller.is_agent else {**values, "requester_id": caller.user_id},
            comment=comment,
            requester=None,
            via=Channel.WEB,
            now=context.clock.now(),
        )
    return json_response({"request": serialize.request(api_base(request), result.ticket)}, 201)


@router.put("/requests/{request_id:int}", summary="Comment on or solve a request")
def update_request(request: Request, context: Context, caller: Caller, request_id: int, body: Body) -> Response:
    if not isinstance(body, dict) or "request" not in body:
        raise InvalidInput.field("request", 'the body must be {"request": {...}}')
    values, comment, solved = read_request(body["request"])
    if set(values) - {"subject", "description"}:
        raise InvalidInput.field(min(values), "cannot be changed through the Requests API")
    if comment is None and not solved:
        raise InvalidInput.field("comment", "add a comment or mark the request solved")
    with writing(context.engine) as conn:
        if comment is None:
            result = service.update_ticket(
                conn,
                actor=caller,
                ticket_id=request_id,
                values={"status": Status.SOLVED},
                comment=None,
                via=Channel.WEB,
                now=context.clock.now(),
            )
        else:
            result = service.reply_as_requester(
                conn,
                actor=caller,
                ticket_id=request_id,
                comment=comment,
                solve=solved,
                via=Channel.WEB,
                now=context.clock.now(),
            )
    return json_response({"request": serialize.request(api_base(request), result.ticket)})


@router.get("/requests/{request_id:int}/comments", summary="List a request's public comments")
def request_comments(request: Request, context: Context, caller: Caller, request_id: int) -> Response:
    with reading(context.engine) as conn:
        service.get_readable_ticket_or_raise(conn, caller, request_id)
        items, page = repo.page_comments(conn, repo.comment_query(request_id, public_only=True), window(request))
    return json_response(comments_body(request, "comments", items, page))


@router.get("/requests/{request_id:int}/comments/{comment_id:int}", summary="Show one public comment")
def request_comment(request: Request, context: Context, caller: Caller, request_id: int, comment_id: int) -> Response:
    with reading(context.engine) as conn:
        service.get_readable_ticket_or_raise(conn, caller, request_id)
        query = repo.comment_query(request_id, public_only=True).where(ticket_comments.c.id == comment_id)
        found = repo.to_comments(conn, list(conn.execute(query)))
    if not found:
        raise NotFound("Comment", comment_id)
    return json_response({"comment": serialize.comment(api_base(request), found[0])})

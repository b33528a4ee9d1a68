"""`/api/v2/tickets`: tickets, their comments, audits, tags, merges and bulk jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import Connection, func

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import (
    api_base,
    json_response,
    page_body,
    query_ids,
    read_json,
    window,
)
from opsdesk.compat.zendesk.fields import boolean, id_list, read_object, tag_list, text
from opsdesk.compat.zendesk.inputs import read_ticket
from opsdesk.compat.zendesk.jobs import job_json
from opsdesk.compat.zendesk.slas import slas_json
from opsdesk.core.clock import format_utc
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.jobs.service import MAX_ITEMS, JobStatus, record_job, run_job
from opsdesk.sla import repo as sla_repo
from opsdesk.tickets import repo, service
from opsdesk.tickets.model import Channel, Comment, Ticket
from opsdesk.tickets.service import TicketResult
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: tickets"])
Body = Annotated[Any, Depends(read_json)]


def _require_agent(caller: Caller) -> None:
    if not caller.is_agent:
        raise PermissionDenied("End-users use the Requests API (/api/v2/requests)")


def ticket_list(request: Request, key: str, items: list[Ticket], page: Any) -> dict[str, Any]:  # noqa: ANN401
    base = api_base(request)
    return page_body(request, key, items, page, window(request), lambda t: serialize.ticket(base, t), lambda t: t.id)


def _result_body(request: Request, result: TicketResult) -> dict[str, Any]:
    base = api_base(request)
    return {
        "ticket": serialize.ticket(base, result.ticket),
        "audit": serialize.audit(base, result.audit, comment_item=result.comment),
    }


@router.get("/tickets", summary="List tickets")
def list_tickets(request: Request, context: Context, caller: Caller) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        items, page = repo.page_tickets(conn, repo.ticket_query(caller), window(request))
    return json_response(ticket_list(request, "tickets", items, page))


@router.get("/tickets/count", summary="Count tickets")
def count_tickets(context: Context, caller: Caller) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        query = repo.ticket_query(caller).with_only_columns(func.count())
        value = conn.execute(query).scalar_one()
        now = context.clock.now()
    return json_response({"count": {"value": value, "refreshed_at": format_utc(now)}})


@router.get("/tickets/show_many", summary="Show many tickets")
def show_many(request: Request, context: Context, caller: Caller) -> Response:
    _require_agent(caller)
    ids = query_ids(request)
    with reading(context.engine) as conn:
        items = repo.get_tickets(conn, ids, caller)
    base = api_base(request)
    body = [serialize.ticket(base, t) for t in items]
    return json_response({"tickets": body, "next_page": None, "previous_page": None, "count": len(body)})


@router.post("/tickets", status_code=201, summary="Create a ticket")
def create_ticket(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    _require_agent(caller)
    values, comment, requester = read_ticket(_envelope(body, "ticket"))
    with writing(context.engine) as conn:
        result = service.create_ticket(
            conn,
            actor=caller,
            values=values,
            comment=comment,
            requester=requester,
            via=Channel.API,
            now=context.clock.now(),
        )
    return json_response(_result_body(request, result), 201)


def _envelope(body: Any, key: str) -> Any:  # noqa: ANN401 - raw JSON
    if not isinstance(body, dict) or key not in body:
        raise InvalidInput("Record validation errors", {key: [f'the body must be {{"{key}": {{...}}}}']})
    return body[key]


@router.get("/tickets/{ticket_id:int}", summary="Show a ticket")
def show_ticket(request: Request, context: Context, caller: Caller, ticket_id: int) -> Response:
    _require_agent(caller)
    includes = set(request.query_params.get("include", "").split(","))
    with reading(context.engine) as conn:
        ticket = service.get_readable_ticket_or_raise(conn, caller, ticket_id)
        clocks = sla_repo.get_clocks(conn, ticket_id) if "slas" in includes else None
    body = serialize.ticket(api_base(request), ticket)
    if "slas" in includes:
        body["slas"] = slas_json(clocks, context.clock.now())
    return json_response({"ticket": body})


@router.put("/tickets/{ticket_id:int}", summary="Update a ticket")
def update_ticket(request: Request, context: Context, caller: Caller, ticket_id: int, body: Body) -> Response:
    _require_agent(caller)
    values, comment, requester = read_ticket(_envelope(body, "ticket"))
    if requester is not None:
        raise InvalidInput.field("requester", "use requester_id to change the requester of an existing ticket")
    with writing(context.engine) as conn:
        result = service.update_ticket(
            conn,
            actor=caller,
            ticket_id=ticket_id,
            values=values,
            comment=comment,
            via=Channel.API,
            now=context.clock.now(),
        )
    return json_response(_result_body(request, result))


@router.delete("/tickets/{ticket_id:int}", status_code=204, summary="Delete a ticket")
def delete_ticket(context: Context, caller: Caller, ticket_id: int) -> Response:
    with writing(context.engine) as conn:
        service.delete_ticket(conn, actor=caller, ticket_id=ticket_id, now=context.clock.now())
    return Response(status_code=204)


def comments_body(request: Request, key: str, items: list[Comment], page: Any) -> dict[str, Any]:  # noqa: ANN401
    base = api_base(request)
    return page_body(request, key, items, page, window(request), lambda c: serialize.comment(base, c), lambda c: c.id)


@router.get("/tickets/{ticket_id:int}/comments", summary="List a ticket's comments")
def list_comments(request: Request, context: Context, caller: Caller, ticket_id: int) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        service.get_readable_ticket_or_raise(conn, caller, ticket_id)
        items, page = repo.page_comments(conn, repo.comment_query(ticket_id, public_only=False), window(request))
    return json_response(comments_body(request, "comments", items, page))


@router.get("/tickets/{ticket_id:int}/audits", summary="List a ticket's audits")
def list_audits(request: Request, context: Context, caller: Caller, ticket_id: int) -> Response:
    _require_agent(caller)
    base = api_base(request)
    with reading(context.engine) as conn:
        service.get_readable_ticket_or_raise(conn, caller, ticket_id)
        items, page = repo.page_audits(conn, repo.audit_query(ticket_id), window(request))
        comments = repo.comments_of_audits(conn, [a.id for a in items])
    body = page_body(
        request,
        "audits",
        items,
        page,
        window(request),
        lambda a: serialize.audit(base, a, comment_item=comments.get(a.id)),
        lambda a: a.id,
    )
    return json_response(body)


@router.get("/tickets/{ticket_id:int}/audits/{audit_id:int}", summary="Show one audit")
def show_audit(request: Request, context: Context, caller: Caller, ticket_id: int, audit_id: int) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        service.get_readable_ticket_or_raise(conn, caller, ticket_id)
        audit = repo.get_audit(conn, audit_id)
        if audit is None or audit.ticket_id != ticket_id:
            raise NotFound("Audit", audit_id)
        comments = repo.comments_of_audits(conn, [audit_id])
    return json_response({"audit": serialize.audit(api_base(request), audit, comment_item=comments.get(audit_id))})


MERGE_SPEC = {
    "ids": id_list,
    "target_comment": text(),
    "source_comment": text(),
    "target_comment_is_public": boolean,
    "source_comment_is_public": boolean,
}


def _merge_ids(raw: Any) -> Any:  # noqa: ANN401 - raw JSON
    # zenpy sends a list of Ticket objects as [{"id": N}]; Zendesk documents plain ids.
    if isinstance(raw, list):
        return [item.get("id") if isinstance(item, dict) else item for item in raw]
    return raw


@router.post("/tickets/{ticket_id:int}/merge", summary="Merge tickets into this one")
def merge(request: Request, context: Context, caller: Caller, ticket_id: int, body: Body) -> Response:
    if isinstance(body, dict) and "ids" in body:
        body = {**body, "ids": _merge_ids(body["ids"])}
    values = read_object(body, MERGE_SPEC, where="merge")
    now = context.clock.now()
    with writing(context.engine) as conn:  # a refused merge is a 4xx and writes nothing, not a failed job
        service.merge_tickets(
            conn,
            actor=caller,
            target_id=ticket_id,
            source_ids=values.get("ids", []),
            target_comment=values.get("target_comment"),
            source_comment=values.get("source_comment"),
            target_comment_is_public=values.get("target_comment_is_public") is not False,
            source_comment_is_public=values.get("source_comment_is_public") is not False,
            now=now,
        )
        result = {"index": 0, "id": ticket_id, "action": "merge", "success": True, "status": "merge"}
        job = record_job(conn, user_id=caller.user_id, job_type="merge", results=[result], now=now)
    return json_response(job_body(request, job))


@router.get("/tickets/{ticket_id:int}/tags", summary="List a ticket's tags")
def list_tags(context: Context, caller: Caller, ticket_id: int) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        ticket = service.get_readable_ticket_or_raise(conn, caller, ticket_id)
    return json_response({"tags": ticket.tags})


def _change_tags(context: Context, caller: Caller, ticket_id: int, body: Any, mode: str) -> Response:  # noqa: ANN401
    _require_agent(caller)
    tags = read_object(body, {"tags": tag_list, "safe_update": boolean, "updated_stamp": text()}, where="tags").get(
        "tags", []
    )
    with writing(context.engine) as conn:
        result = service.update_ticket(
            conn,
            actor=caller,
            ticket_id=ticket_id,
            values={mode: tags},
            comment=None,
            via=Channel.API,
            now=context.clock.now(),
        )
    return json_response({"tags": result.ticket.tags})


@router.post("/tickets/{ticket_id:int}/tags", summary="Replace a ticket's tags")
def set_tags(context: Context, caller: Caller, ticket_id: int, body: Body) -> Response:
    return _change_tags(context, caller, ticket_id, body, "tags")


@router.put("/tickets/{ticket_id:int}/tags", summary="Add tags to a ticket")
def add_tags(context: Context, caller: Caller, ticket_id: int, body: Body) -> Response:
    return _change_tags(context, caller, ticket_id, body, "additional_tags")


@router.delete("/tickets/{ticket_id:int}/tags", summary="Remove tags from a ticket")
def remove_tags(context: Context, caller: Caller, ticket_id: int, body: Body) -> Response:
    return _change_tags(context, caller, ticket_id, body, "remove_tags")


@router.post("/tickets/create_many", summary="Create many tickets (job)")
def create_many(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    _require_agent(caller)
    items = _bulk_items(body, "tickets")
    parsed = [read_ticket(item) for item in items]
    now = context.clock.now()

    def run_one(conn: Connection, item: Any) -> int:  # noqa: ANN401
        values, comment, requester = item
        result = service.create_ticket(
            conn, actor=caller, values=values, comment=comment, requester=requester, via=Channel.API, now=now
        )
        return result.ticket.id

    job = run_job(
        context.engine,
        user_id=caller.user_id,
        job_type="create_many",
        items=parsed,
        action="create",
        run_one=run_one,
        now=now,
    )
    return json_response(job_body(request, job))


def _bulk_items(body: Any, key: str) -> list[Any]:  # noqa: ANN401 - raw JSON
    items = _envelope(body, key)
    if not isinstance(items, list) or not items:
        raise InvalidInput.field(key, "must be a non-empty list")
    if len(items) > MAX_ITEMS:
        raise InvalidInput.field(key, f"at most {MAX_ITEMS} at once")
    return items


@router.put("/tickets/update_many", summary="Update many tickets (job)")
def update_many(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    _require_agent(caller)
    if "ids" in request.query_params:
        shared = read_ticket(_envelope(body, "ticket"))
        pairs = [(ticket_id, shared) for ticket_id in query_ids(request)]
    else:
        items = _bulk_items(body, "tickets")
        pairs = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("id"), int):
                raise InvalidInput.field("tickets", "every ticket needs its id")
            pairs.append((item["id"], read_ticket(item)))
    now = context.clock.now()

    def run_one(conn: Connection, item: Any) -> int:  # noqa: ANN401
        ticket_id, (values, comment, _requester) = item
        service.update_ticket(
            conn, actor=caller, ticket_id=ticket_id, values=values, comment=comment, via=Channel.API, now=now
        )
        return int(ticket_id)

    job = run_job(
        context.engine,
        user_id=caller.user_id,
        job_type="update_many",
        items=pairs,
        action="update",
        run_one=run_one,
        now=now,
    )
    return json_response(job_body(request, job))


@router.delete("/tickets/destroy_many", summary="Delete many tickets (job)")
def destroy_many(request: Request, context: Context, caller: Caller) -> Response:
    ids = query_ids(request)
    now = context.clock.now()

    def run_one(conn: Connection, ticket_id: Any) -> int:  # noqa: ANN401
        service.delete_ticket(conn, actor=caller, ticket_id=ticket_id, now=now)
        return int(ticket_id)

    job = run_job(
        context.engine,
        user_id=caller.user_id,
        job_type="destroy_many",
        items=ids,
        action="delete",
        run_one=run_one,
        now=now,
    )
    return json_response(job_body(request, job))


def job_body(request: Request, job: JobStatus) -> dict[str, Any]:
    return {"job_status": job_json(api_base(request), job)}

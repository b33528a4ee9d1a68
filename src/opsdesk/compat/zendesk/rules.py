"""`/api/v2/triggers`, `/api/v2/automations` and `/api/v2/macros` in Zendesk's shapes, and
applying a macro (`/macros/{id}/apply`, `/tickets/{id}/macros/{id}/apply`) without saving."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import BadRequest, api_base, json_response, read_json
from opsdesk.compat.zendesk.fields import read_envelope
from opsdesk.core.clock import format_utc
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import PermissionDenied
from opsdesk.rules import service
from opsdesk.rules.model import Outcome, RuleKind, TicketState
from opsdesk.rules.records import RuleRecord
from opsdesk.tickets import service as tickets_service
from opsdesk.tickets import workflow
from opsdesk.tickets.model import Priority, Status, Ticket, TicketType
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: triggers, automations and macros"])
Body = Annotated[Any, Depends(read_json)]
_PATHS = {RuleKind.TRIGGER: "triggers", RuleKind.AUTOMATION: "automations", RuleKind.MACRO: "macros"}
_STATE_FIELDS = ("subject", "status", "priority", "type", "group_id", "assignee_id", "ticket_form_id")
_ACTIVE_VALUES = {"true": True, "false": False}


def rule_json(base: str, record: RuleRecord) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": record.id,
        "url": f"{base}/{_PATHS[record.kind]}/{record.id}.json",
        "title": record.title,
        "raw_title": record.title,
        "description": record.description or None,
        "active": record.active,
        "position": record.position,
        "default": False,
        "actions": record.actions,
        "created_at": format_utc(record.created_at),
        "updated_at": format_utc(record.updated_at),
    }
    if record.kind is RuleKind.MACRO:
        body["restriction"] = record.restriction
    else:
        body["conditions"] = record.conditions
    return body


def _list(request: Request, context: Context, caller: Caller, kind: RuleKind, *, active: bool | None) -> Response:
    with reading(context.engine) as conn:
        records = service.list_rules(conn, actor=caller, kind=kind, active=active)
    base = api_base(request)
    return json_response(
        {
            _PATHS[kind]: [rule_json(base, r) for r in records],
            "count": len(records),
            "next_page": None,
            "previous_page": None,
            "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
            "links": {"next": None, "prev": None},
        }
    )


def _active_filter(request: Request) -> bool | None:
    """Zendesk's `?active=true|false` on a list (zenpy sends it from `macros(active=False)`);
    absent, empty or zenpy's literal `None` means both."""
    raw = request.query_params.get("active")
    if raw is None or raw in {"", "None"}:
        return None
    if raw.lower() not in _ACTIVE_VALUES:
        raise BadRequest("active must be true or false")
    return _ACTIVE_VALUES[raw.lower()]


def _routes(kind: RuleKind) -> None:
    """The same five routes for each kind of rule, under its own path and envelope."""
    path, key = _PATHS[kind], _PATHS[kind][:-1]

    def list_rules(request: Request, context: Context, caller: Caller) -> Response:
        return _list(request, context, caller, kind, active=_active_filter(request))

    def list_active(request: Request, context: Context, caller: Caller) -> Response:
        return _list(request, context, caller, kind, active=True)

    def create(request: Request, context: Context, caller: Caller, body: Body) -> Response:
        with writing(context.engine) as conn:
            record = service.create_rule(
                conn, actor=caller, kind=kind, values=read_envelope(body, key), now=context.clock.now()
            )
        return json_response({key: rule_json(api_base(request), record)}, 201)

    def show(request: Request, context: Context, caller: Caller, rule_id: int) -> Response:
        with reading(context.engine) as conn:
            record = service.get_rule_or_raise(conn, actor=caller, kind=kind, rule_id=rule_id)
        return json_response({key: rule_json(api_base(request), record)})

    def change(request: Request, context: Context, caller: Caller, rule_id: int, body: Body) -> Response:
        with writing(context.engine) as conn:
            record = service.update_rule(
                conn, actor=caller, kind=kind, rule_id=rule_id, values=read_envelope(body, key), now=context.clock.now()
            )
        return json_response({key: rule_json(api_base(request), record)})

    def remove(context: Context, caller: Caller, rule_id: int) -> Response:
        with writing(context.engine) as conn:
            service.delete_rule(conn, actor=caller, kind=kind, rule_id=rule_id)
        return Response(status_code=204)

    noun = kind.value
    router.add_api_route(f"/{path}", list_rules, methods=["GET"], summary=f"List {noun}s in position order")
    router.add_api_route(f"/{path}/active", list_active, methods=["GET"], summary=f"List active {noun}s")
    router.add_api_route(f"/{path}", create, methods=["POST"], status_code=201, summary=f"Create a {noun}")
    router.add_api_route(f"/{path}/{{rule_id:int}}", show, methods=["GET"], summary=f"Show a {noun}")
    router.add_api_route(f"/{path}/{{rule_id:int}}", change, methods=["PUT"], summary=f"Update a {noun}")
    router.add_api_route(
        f"/{path}/{{rule_id:int}}", remove, methods=["DELETE"], status_code=204, summary=f"Delete a {noun}"
    )


for _kind in RuleKind:
    _routes(_kind)


def _blank_state(caller: Caller) -> TicketState:
    return TicketState(
        id=0,
        subject="",
        status=Status.NEW.value,
        priority=None,
        type=None,
        group_id=None,
        assignee_id=None,
        requester_id=caller.user_id,
        submitter_id=caller.user_id,
        organization_id=None,
        ticket_form_id=None,
        via_channel="web",
        tags=(),
    )


def _comment_json(outcome: Outcome) -> dict[str, Any] | None:
    if outcome.comment is None:
        return None
    comment = outcome.comment
    return {
        "body": comment.body if not comment.html else None,
        "html_body": comment.body if comment.html else None,
        "public": comment.public,
        "scoped_body": [["channel:all", comment.body]],
    }


def _changes(before: TicketState, after: TicketState) -> dict[str, Any]:
    changes = {name: getattr(after, name) for name in _STATE_FIELDS if getattr(after, name) != getattr(before, name)}
    if after.tags != before.tags:
        changes["tags"] = list(after.tags)
    if dict(after.custom_fields) != dict(before.custom_fields):
        changes["fields"] = [{"id": int(k), "value": v} for k, v in after.custom_fields.items()]
    return changes


@router.get("/macros/{macro_id:int}/apply", summary="What a macro would change, without a ticket")
def apply_macro(context: Context, caller: Caller, macro_id: int) -> Response:
    _require_agent(caller)
    state = _blank_state(caller)
    with reading(context.engine) as conn:
        outcome = service.apply_macro(conn, actor=caller, macro_id=macro_id, state=state)
    result: dict[str, Any] = {"ticket": _changes(state, outcome.state)}
    comment = _comment_json(outcome)
    if comment is not None:
        result["comment"] = comment
    return json_response({"result": result})


def _applied(ticket: Ticket, state: TicketState) -> Ticket:
    return replace(
        ticket,
        subject=state.subject,
        status=Status(state.status),
        priority=Priority(state.priority) if state.priority else None,
        type=TicketType(state.type) if state.type else None,
        group_id=state.group_id,
        assignee_id=state.assignee_id,
        ticket_form_id=state.ticket_form_id,
        tags=list(state.tags),
        custom_fields=dict(state.custom_fields),
    )


@router.get("/tickets/{ticket_id:int}/macros/{macro_id:int}/apply", summary="A ticket as a macro would leave it")
def apply_macro_to_ticket(
    request: Request, context: Context, caller: Caller, ticket_id: int, macro_id: int
) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        ticket = tickets_service.get_readable_ticket_or_raise(conn, caller, ticket_id)
        outcome = service.apply_macro(conn, actor=caller, macro_id=macro_id, state=workflow.state_of(ticket))
    result: dict[str, Any] = {"ticket": serialize.ticket(api_base(request), _applied(ticket, outcome.state))}
    comment = _comment_json(outcome)
    if comment is not None:
        result["comment"] = comment
    return json_response({"result": result})


def _require_agent(caller: Caller) -> None:
    if not caller.is_agent:
        raise PermissionDenied("Only agents can apply macros")

"""`/api/v2/slas/policies` in Zendesk's shape, and the `slas` a ticket shows with `include=slas`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from opsdesk.compat.zendesk._http import api_base, json_response, read_json
from opsdesk.compat.zendesk.fields import read_envelope
from opsdesk.core.clock import format_utc
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import InvalidInput
from opsdesk.rules.vocabulary import CONDITION_FIELDS
from opsdesk.sla import service
from opsdesk.sla.clocks import TicketClocks
from opsdesk.sla.model import Policy, Stage
from opsdesk.sla.tasks import reapply_now
from opsdesk.tickets.model import Priority, Status, TicketType
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2/slas", tags=["Zendesk: SLA policies"])
Body = Annotated[Any, Depends(read_json)]


def policy_json(base: str, policy: Policy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "url": f"{base}/slas/policies/{policy.id}.json",
        "title": policy.title,
        "description": policy.description,
        "position": policy.position,
        "filter": {
            key: [{"field": c.field, "operator": c.operator, "value": c.value} for c in items]
            for key, items in (("all", policy.filter.all), ("any", policy.filter.any))
        },
        "policy_metrics": [
            {"priority": t.priority, "metric": t.metric.value, "target": t.target, "business_hours": t.business_hours}
            for t in policy.targets
        ],
        "created_at": format_utc(policy.created_at),
        "updated_at": format_utc(policy.updated_at),
    }


def slas_json(clocks: TicketClocks | None, now: datetime) -> dict[str, Any]:
    """Zendesk's `slas.policy_metrics`: each metric's stage and breach time; an active metric also
    says how long is left (negative once breached) in days, hours and minutes."""
    metrics = []
    for state in clocks.metrics if clocks is not None else ():
        item: dict[str, Any] = {
            "breach_at": format_utc(state.breach_at) if state.breach_at else None,
            "stage": state.stage.value,
            "metric": state.metric.value,
        }
        if state.stage is Stage.ACTIVE and state.breach_at is not None:
            minutes = int((state.breach_at - now).total_seconds() // 60)
            sign, left = (-1, -minutes) if minutes < 0 else (1, minutes)
            item.update(days=sign * (left // 1440), hours=sign * (left % 1440 // 60), minutes=sign * (left % 60))
        metrics.append(item)
    policy = {"id": clocks.policy_id} if clocks is not None and clocks.policy_id is not None else None
    return {"policy_metrics": metrics, "policy": policy}


@router.get("/policies", summary="List SLA policies, in the order they are tried")
def list_policies(request: Request, context: Context, caller: Caller) -> Response:
    with reading(context.engine) as conn:
        policies = service.list_policies(conn, actor=caller)
    base = api_base(request)
    return json_response(
        {
            "sla_policies": [policy_json(base, p) for p in policies],
            "count": len(policies),
            "next_page": None,
            "previous_page": None,
        }
    )


@router.post("/policies", status_code=201, summary="Create an SLA policy (open tickets get its targets)")
def create_policy(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    with writing(context.engine) as conn:
        policy = service.create_policy(
            conn, actor=caller, values=read_envelope(body, "sla_policy"), now=context.clock.now()
        )
        reapply_now(conn, context.clock.now())
    return json_response({"sla_policy": policy_json(api_base(request), policy)}, 201)


_FIELD_TITLES = {
    "status": "Status",
    "priority": "Priority",
    "type": "Type",
    "group_id": "Group",
    "assignee_id": "Assignee",
    "requester_id": "Requester",
    "organization_id": "Organization",
    "ticket_form_id": "Ticket form",
    "current_tags": "Tags",
    "subject_includes_word": "Subject text",
    "via_id": "Channel",
}
_OPERATOR_TITLES = {
    "is": "Is",
    "is_not": "Is not",
    "less_than": "Less than",
    "greater_than": "Greater than",
    "includes": "Contains at least one of the following",
    "not_includes": "Contains none of the following",
}
_VALUES = {
    "status": [s.value for s in Status if s is not Status.CLOSED],
    "priority": [p.value for p in Priority],
    "type": [t.value for t in TicketType],
}


def _definition(field: str) -> dict[str, Any]:
    operators = sorted(CONDITION_FIELDS[field].automation & _OPERATOR_TITLES.keys(), key=list(_OPERATOR_TITLES).index)
    return {
        "subject": field,
        "title": _FIELD_TITLES[field],
        "group": "ticket",
        "type": "list" if field in _VALUES else "text",
        "nullable": field not in _VALUES,
        "repeatable": False,
        "operators": [{"value": op, "title": _OPERATOR_TITLES[op]} for op in operators],
        "values": [{"value": value, "title": value.capitalize()} for value in _VALUES.get(field, [])],
    }


@router.get("/policies/definitions", summary="The conditions an SLA policy's filter may use")
def definitions(context: Context, caller: Caller) -> Response:
    with reading(context.engine) as conn:
        service.list_policies(conn, actor=caller)  # agents only, as for the policies themselves
    shown = [_definition(field) for field in _FIELD_TITLES]
    return json_response({"definitions": {"all": shown, "any": shown}})


@router.put("/policies/reorder", summary="Set the order in which policies are tried")
def reorder(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    ids = body.get("sla_policy_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InvalidInput.field("sla_policy_ids", "must be a list of policy ids")
    with writing(context.engine) as conn:
        policies = service.reorder_policies(conn, actor=caller, policy_ids=ids, now=context.clock.now())
        reapply_now(conn, context.clock.now())
    base = api_base(request)
    return json_response({"sla_policies": [policy_json(base, p) for p in policies]})


@router.get("/policies/{policy_id:int}", summary="Show an SLA policy")
def show_policy(request: Request, context: Context, caller: Caller, policy_id: int) -> Response:
    with reading(context.engine) as conn:
        policy = service.get_policy_or_raise(conn, actor=caller, policy_id=policy_id)
    return json_response({"sla_policy": policy_json(api_base(request), policy)})


@router.put("/policies/{policy_id:int}", summary="Update an SLA policy (open tickets get the new targets)")
def update_policy(request: Request, context: Context, caller: Caller, policy_id: int, body: Body) -> Response:
    with writing(context.engine) as conn:
        policy = service.update_policy(
            conn, actor=caller, policy_id=policy_id, values=read_envelope(body, "sla_policy"), now=context.clock.now()
        )
        reapply_now(conn, context.clock.now())
    return json_response({"sla_policy": policy_json(api_base(request), policy)})


@router.delete("/policies/{policy_id:int}", status_code=204, summary="Delete an SLA policy")
def delete_policy(context: Context, caller: Caller, policy_id: int) -> Response:
    with writing(context.engine) as conn:
        service.delete_policy(conn, actor=caller, policy_id=policy_id)
        reapply_now(conn, context.clock.now())
    return Response(status_code=204)

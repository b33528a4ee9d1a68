"""`/api/v2/groups` and `/api/v2/group_memberships`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import api_base, json_response, page_body, read_json, window
from opsdesk.compat.zendesk.fields import read_envelope
from opsdesk.compat.zendesk.inputs import GROUP_SPEC, MEMBERSHIP_SPEC
from opsdesk.core.db.paging import fetch_page
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.groups import repo, service
from opsdesk.groups.tables import group_memberships, groups
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: groups"])
Body = Annotated[Any, Depends(read_json)]


def _require_agent(caller: Caller) -> None:
    if not caller.is_agent:
        raise PermissionDenied("Only agents can see groups")


@router.get("/groups", summary="List groups")
def list_groups(request: Request, context: Context, caller: Caller) -> Response:
    _require_agent(caller)
    base = api_base(request)
    with reading(context.engine) as conn:
        page = fetch_page(conn, select(groups).where(groups.c.deleted.is_(False)), groups.c.id, window(request))
    items = [repo.to_group(row) for row in page.rows]
    return json_response(
        page_body(request, "groups", items, page, window(request), lambda g: serialize.group(base, g), lambda g: g.id)
    )


@router.get("/groups/{group_id:int}", summary="Show a group")
def show_group(request: Request, context: Context, caller: Caller, group_id: int) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        group = service.get_group_or_raise(conn, group_id)
    return json_response({"group": serialize.group(api_base(request), group)})


@router.post("/groups", status_code=201, summary="Create a group")
def create_group(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    values = read_envelope(body, "group", GROUP_SPEC)
    with writing(context.engine) as conn:
        group = service.create_group(conn, actor=caller, values=values, now=context.clock.now())
    return json_response({"group": serialize.group(api_base(request), group)}, 201)


@router.put("/groups/{group_id:int}", summary="Update a group")
def update_group(request: Request, context: Context, caller: Caller, group_id: int, body: Body) -> Response:
    values = read_envelope(body, "group", GROUP_SPEC)
    with writing(context.engine) as conn:
        group = service.update_group(conn, actor=caller, group_id=group_id, values=values, now=context.clock.now())
    return json_response({"group": serialize.group(api_base(request), group)})


@router.delete("/groups/{group_id:int}", status_code=204, summary="Delete a group")
def delete_group(context: Context, caller: Caller, group_id: int) -> Response:
    with writing(context.engine) as conn:
        service.delete_group(conn, actor=caller, group_id=group_id, now=context.clock.now())
    return Response(status_code=204)


def _memberships(request: Request, context: Context, caller: Caller, *conditions: Any) -> Response:  # noqa: ANN401
    _require_agent(caller)
    base = api_base(request)
    with reading(context.engine) as conn:
        page = fetch_page(conn, select(group_memberships).where(*conditions), group_memberships.c.id, window(request))
    items = [repo.to_group_membership(row) for row in page.rows]
    return json_response(
        page_body(
            request,
            "group_memberships",
            items,
            page,
            window(request),
            lambda m: serialize.group_membership(base, m),
            lambda m: m.id,
        )
    )


@router.get("/group_memberships", summary="List group memberships")
def list_memberships(request: Request, context: Context, caller: Caller) -> Response:
    return _memberships(request, context, caller)


@router.get("/groups/{group_id:int}/memberships", summary="A group's memberships")
def group_members(request: Request, context: Context, caller: Caller, group_id: int) -> Response:
    return _memberships(request, context, caller, group_memberships.c.group_id == group_id)


@router.get("/users/{user_id:int}/group_memberships", summary="An agent's group memberships")
def user_groups(request: Request, context: Context, caller: Caller, user_id: int) -> Response:
    return _memberships(request, context, caller, group_memberships.c.user_id == user_id)


@router.get("/group_memberships/{membership_id:int}", summary="Show a group membership")
def show_membership(request: Request, context: Context, caller: Caller, membership_id: int) -> Response:
    _require_agent(caller)
    with reading(context.engine) as conn:
        membership = repo.get_group_membership(conn, membership_id)
    if membership is None:
        raise NotFound("GroupMembership", membership_id)
    return json_response({"group_membership": serialize.group_membership(api_base(request), membership)})


@router.post("/group_memberships", status_code=201, summary="Add an agent to a group")
def create_membership(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    values = read_envelope(body, "group_membership", MEMBERSHIP_SPEC)
    if not values.get("user_id") or not values.get("group_id"):
        raise InvalidInput("Record validation errors", {"user_id": ["is required"], "group_id": ["is required"]})
    with writing(context.engine) as conn:
        membership = service.create_group_membership(
            conn, actor=caller, user_id=values["user_id"], group_id=values["group_id"], now=context.clock.now()
        )
    return json_response({"group_membership": serialize.group_membership(api_base(request), membership)}, 201)


@router.delete("/group_memberships/{membership_id:int}", status_code=204, summary="Remove an agent from a group")
def delete_membership(context: Context, caller: Caller, membership_id: int) -> Response:
    with writing(context.engine) as conn:
        service.delete_group_membership(conn, actor=caller, membership_id=membership_id)
    return Response(status_code=204)

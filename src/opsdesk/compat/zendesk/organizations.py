"""`/api/v2/organizations` and `/api/v2/organization_memberships`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import BadRequest, api_base, json_response, page_body, query_ids, read_json, window
from opsdesk.compat.zendesk.fields import read_envelope
from opsdesk.compat.zendesk.inputs import MEMBERSHIP_SPEC, ORGANIZATION_SPEC
from opsdesk.compat.zendesk.tickets import ticket_list
from opsdesk.core.db.paging import fetch_page
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.organizations import repo, service
from opsdesk.organizations.tables import organization_memberships, organizations
from opsdesk.tickets import repo as tickets_repo
from opsdesk.tickets.tables import tickets
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: organizations"])
Body = Annotated[Any, Depends(read_json)]


def _readable(caller: Caller, org_id: int) -> None:
    if not caller.is_agent and org_id not in caller.organizations:
        raise NotFound("Organization", org_id)


@router.get("/organizations", summary="List organizations")
def list_organizations(request: Request, context: Context, caller: Caller) -> Response:
    query = select(organizations)
    if not caller.is_agent:
        query = query.where(organizations.c.id.in_(sorted(caller.organizations)))
    base = api_base(request)
    with reading(context.engine) as conn:
        page = fetch_page(conn, query, organizations.c.id, window(request))
        items = repo.to_orgs(conn, page.rows)
    return json_response(
        page_body(
            request,
            "organizations",
            items,
            page,
            window(request),
            lambda o: serialize.organization(base, o),
            lambda o: o.id,
        )
    )


@router.get("/organizations/search", summary="Find organizations by name or external id")
def search_organizations(request: Request, context: Context, caller: Caller) -> Response:
    if not caller.is_agent:
        raise PermissionDenied("Only agents can search organizations")
    params = request.query_params
    query = select(organizations)
    if params.get("external_id"):
        query = query.where(organizations.c.external_id_key == params["external_id"].lower())
    elif params.get("name"):
        query = query.where(organizations.c.name == params["name"])
    else:
        raise BadRequest("give name or external_id")
    base = api_base(request)
    with reading(context.engine) as conn:
        page = fetch_page(conn, query, organizations.c.id, window(request))
        items = repo.to_orgs(conn, page.rows)
    return json_response(
        page_body(
            request,
            "organizations",
            items,
            page,
            window(request),
            lambda o: serialize.organization(base, o),
            lambda o: o.id,
        )
    )


@router.get("/organizations/show_many", summary="Show many organizations")
def show_many(request: Request, context: Context, caller: Caller) -> Response:
    ids = [i for i in query_ids(request) if caller.is_agent or i in caller.organizations]
    with reading(context.engine) as conn:
        found = repo.get_organizations(conn, ids)
    items = [serialize.organization(api_base(request), found[i]) for i in sorted(found)]
    return json_response({"organizations": items, "next_page": None, "previous_page": None, "count": len(items)})


@router.get("/organizations/{org_id:int}", summary="Show an organization")
def show_organization(request: Request, context: Context, caller: Caller, org_id: int) -> Response:
    _readable(caller, org_id)
    with reading(context.engine) as conn:
        org = service.get_organization_or_raise(conn, org_id)
    return json_response({"organization": serialize.organization(api_base(request), org)})


@router.post("/organizations", status_code=201, summary="Create an organization")
def create_organization(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    values = read_envelope(body, "organization", ORGANIZATION_SPEC)
    with writing(context.engine) as conn:
        org = service.create_organization(conn, actor=caller, values=values, now=context.clock.now())
    return json_response({"organization": serialize.organization(api_base(request), org)}, 201)


@router.put("/organizations/{org_id:int}", summary="Update an organization")
def update_organization(request: Request, context: Context, caller: Caller, org_id: int, body: Body) -> Response:
    values = read_envelope(body, "organization", ORGANIZATION_SPEC)
    with writing(context.engine) as conn:
        org = service.update_organization(conn, actor=caller, org_id=org_id, values=values, now=context.clock.now())
    return json_response({"organization": serialize.organization(api_base(request), org)})


@router.delete("/organizations/{org_id:int}", status_code=204, summary="Delete an organization")
def delete_organization(context: Context, caller: Caller, org_id: int) -> Response:
    with writing(context.engine) as conn:
        service.delete_organization(conn, actor=caller, org_id=org_id)
    return Response(status_code=204)


@router.get("/organizations/{org_id:int}/tickets", summary="An organization's tickets")
def organization_tickets(request: Request, context: Context, caller: Caller, org_id: int) -> Response:
    if not caller.is_agent:
        raise PermissionDenied("End-users use the Requests API (/api/v2/requests)")
    with reading(context.engine) as conn:
        service.get_organization_or_raise(conn, org_id)
        query = tickets_repo.ticket_query(caller, tickets.c.organization_id == org_id)
        items, page = tickets_repo.page_tickets(conn, query, window(request))
    return json_response(ticket_list(request, "tickets", items, page))


def _memberships(request: Request, context: Context, caller: Caller, *conditions: Any) -> Response:  # noqa: ANN401
    query = select(organization_memberships).where(*conditions)
    if not caller.is_agent:
        query = query.where(organization_memberships.c.user_id == caller.user_id)
    base = api_base(request)
    with reading(context.engine) as conn:
        page = fetch_page(conn, query, organization_memberships.c.id, window(request))
    items = [repo.to_membership(row) for row in page.rows]
    return json_response(
        page_body(
            request,
            "organization_memberships",
            items,
            page,
            window(request),
            lambda m: serialize.organization_membership(base, m),
            lambda m: m.id,
        )
    )


@router.get("/organization_memberships", summary="List organization memberships")
def list_memberships(request: Request, context: Context, caller: Caller) -> Response:
    return _memberships(request, context, caller)


@router.get("/users/{user_id:int}/organization_memberships", summary="A user's organization memberships")
def user_memberships(request: Request, context: Context, caller: Caller, user_id: int) -> Response:
    return _memberships(request, context, caller, organization_memberships.c.user_id == user_id)


@router.get("/organizations/{org_id:int}/organization_memberships", summary="An organization's memberships")
def org_memberships(request: Request, context: Context, caller: Caller, org_id: int) -> Response:
    return _memberships(request, context, caller, organization_memberships.c.organization_id == org_id)


@router.get("/organization_memberships/{membership_id:int}", summary="Show an organization membership")
def show_membership(request: Request, context: Context, caller: Caller, membership_id: int) -> Response:
    with reading(context.engine) as conn:
        membership = repo.get_membership(conn, membership_id)
    if membership is None or (not caller.is_agent and membership.user_id != caller.user_id):
        raise NotFound("OrganizationMembership", membership_id)
    return json_response({"organization_membership": serialize.organization_membership(api_base(request), membership)})


@router.post("/organization_memberships", status_code=201, summary="Add a user to an organization")
def create_membership(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    values = read_envelope(body, "organization_membership", MEMBERSHIP_SPEC)
    if not values.get("user_id") or not values.get("organization_id"):
        raise InvalidInput("Record validation errors", {"user_id": ["is required"], "organization_id": ["is required"]})
    with writing(context.engine) as conn:
        membership = service.create_membership(
            conn, actor=caller, user_id=values["user_id"], org_id=values["organization_id"], now=context.clock.now()
        )
    return json_response(
        {"organization_membership": serialize.organization_membership(api_base(request), membership)}, 201
    )


@router.delete("/organization_memberships/{membership_id:int}", status_code=204, summary="Remove a membership")
def delete_membership(context: Context, caller: Caller, membership_id: int) -> Response:
    with writing(context.engine) as conn:
        service.delete_membership(conn, actor=caller, membership_id=membership_id, now=context.clock.now())
    return Response(status_code=204)

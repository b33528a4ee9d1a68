"""`/api/v2/users`: people, their passwords and tokens, and the tickets around them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import ColumnElement, exists, or_, select

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import BadRequest, api_base, json_response, page_body, query_ids, read_json, window
from opsdesk.compat.zendesk.fields import read_object, text
from opsdesk.compat.zendesk.inputs import USER_SPEC
from opsdesk.compat.zendesk.tickets import ticket_list
from opsdesk.core.db.paging import fetch_page
from opsdesk.core.db.uow import reading, writing
from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.tickets import repo as tickets_repo
from opsdesk.tickets.tables import ticket_collaborators, tickets
from opsdesk.users import repo, service
from opsdesk.users.model import User, normalize_email
from opsdesk.users.tables import users
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: users"])
Body = Annotated[Any, Depends(read_json)]


def _user_values(body: Any) -> dict[str, Any]:  # noqa: ANN401 - raw JSON
    if not isinstance(body, dict) or "user" not in body:
        raise InvalidInput.field("user", 'the body must be {"user": {...}}')
    return read_object(body["user"], USER_SPEC, where="user")


def _readable_user(caller: Caller, user_id: int) -> None:
    if not caller.is_agent and caller.user_id != user_id:
        raise NotFound("User", user_id)


def _list(request: Request, context: Context, query: Any) -> Response:  # noqa: ANN401 - a Select over users
    base = api_base(request)
    with reading(context.engine) as conn:
        page = fetch_page(conn, query, users.c.id, window(request))
        items = [repo.to_user(row) for row in page.rows]
    return json_response(
        page_body(request, "users", items, page, window(request), lambda u: serialize.user(base, u), lambda u: u.id)
    )


@router.get("/users", summary="List users")
def list_users(request: Request, context: Context, caller: Caller) -> Response:
    if not caller.is_agent:
        raise PermissionDenied("Only agents can list users")
    query = select(users)
    roles = request.query_params.getlist("role[]") or request.query_params.getlist("role")
    if roles:
        query = query.where(users.c.role.in_(roles))
    return _list(request, context, query)


@router.get("/users/search", summary="Search users by email, name or external id")
def search_users(request: Request, context: Context, caller: Caller) -> Response:
    if not caller.is_agent:
        raise PermissionDenied("Only agents can search users")
    params = request.query_params
    query = select(users)
    if params.get("external_id"):
        query = query.where(users.c.external_id == params["external_id"])
    elif params.get("query"):
        term = params["query"].strip()
        term = term.removeprefix("email:").strip()
        if "@" in term:
            query = query.where(users.c.email == normalize_email(term))
        else:
            like = f"%{term.lower()}%"
            query = query.where(or_(users.c.email.like(like), users.c.name.ilike(like)))
    else:
        raise BadRequest("give query or external_id")
    return _list(request, context, query)


@router.get("/users/me", summary="The authenticated user")
def me(request: Request, context: Context, caller: Caller) -> Response:
    with reading(context.engine) as conn:
        user = service.get_user_or_raise(conn, caller.user_id)
    return json_response({"user": serialize.user(api_base(request), user)})


@router.get("/users/show_many", summary="Show many users")
def show_many(request: Request, context: Context, caller: Caller) -> Response:
    if not caller.is_agent:
        raise PermissionDenied("Only agents can list users")
    ids = query_ids(request)
    with reading(context.engine) as conn:
        found = repo.get_users(conn, ids)
    items = [serialize.user(api_base(request), found[i]) for i in sorted(found)]
    return json_response({"users": items, "next_page": None, "previous_page": None, "count": len(items)})


@router.get("/users/{user_id:int}", summary="Show a user")
def show_user(request: Request, context: Context, caller: Caller, user_id: int) -> Response:
    _readable_user(caller, user_id)
    with reading(context.engine) as conn:
        user = service.get_user_or_raise(conn, user_id)
    return json_response({"user": serialize.user(api_base(request), user)})


@router.post("/users", status_code=201, summary="Create a user")
def create_user(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    values = _user_values(body)
    with writing(context.engine) as conn:
        user = service.create_user(conn, actor=caller, values=values, now=context.clock.now())
    return json_response({"user": serialize.user(api_base(request), user)}, 201)


@router.post("/users/create_or_update", summary="Create or update a user by email or external id")
def create_or_update(request: Request, context: Context, caller: Caller, body: Body) -> Response:
    values = _user_values(body)
    with writing(context.engine) as conn:
        existing: User | None = None
        if values.get("email"):
            existing = repo.get_user_by_email(conn, normalize_email(values["email"]))
        if existing is None:
            user = service.create_user(conn, actor=caller, values=values, now=context.clock.now())
            return json_response({"user": serialize.user(api_base(request), user)}, 201)
        user = service.update_user(conn, actor=caller, user_id=existing.id, values=values, now=context.clock.now())
    return json_response({"user": serialize.user(api_base(request), user)})


@router.put("/users/{user_id:int}", summary="Update a user")
def update_user(request: Request, context: Context, caller: Caller, user_id: int, body: Body) -> Response:
    values = _user_values(body)
    values.pop("password", None)
    with writing(context.engine) as conn:
        user = service.update_user(conn, actor=caller, user_id=user_id, values=values, now=context.clock.now())
    return json_response({"user": serialize.user(api_base(request), user)})


@router.post("/users/{user_id:int}/password", summary="Set a user's password (admins)")
def set_password(context: Context, caller: Caller, user_id: int, body: Body) -> Response:
    values = read_object(body, {"password": text(1024, nullable=False)}, where="password")
    if "password" not in values:
        raise InvalidInput.field("password", "cannot be blank")
    with writing(context.engine) as conn:
        service.set_password(conn, actor=caller, user_id=user_id, password=values["password"], now=context.clock.now())
    return json_response({})


def _user_tickets(request: Request, context: Context, caller: Caller, user_id: int, role: str) -> Response:
    if not caller.is_agent:
        raise PermissionDenied("End-users use the Requests API (/api/v2/requests)")
    with reading(context.engine) as conn:
        service.get_user_or_raise(conn, user_id)
        condition: ColumnElement[bool]
        if role == "ccd":
            condition = exists().where(
                ticket_collaborators.c.ticket_id == tickets.c.id, ticket_collaborators.c.user_id == user_id
            )
        else:
            condition = (tickets.c.requester_id if role == "requested" else tickets.c.assignee_id) == user_id
        items, page = tickets_repo.page_tickets(conn, tickets_repo.ticket_query(caller, condition), window(request))
    return json_response(ticket_list(request, "tickets", items, page))


@router.get("/users/{user_id:int}/tickets/requested", summary="Tickets the user requested")
def requested(request: Request, context: Context, caller: Caller, user_id: int) -> Response:
    return _user_tickets(request, context, caller, user_id, "requested")


@router.get("/users/{user_id:int}/tickets/assigned", summary="Tickets assigned to the user")
def assigned(request: Request, context: Context, caller: Caller, user_id: int) -> Response:
    return _user_tickets(request, context, caller, user_id, "assigned")


@router.get("/users/{user_id:int}/tickets/ccd", summary="Tickets the user is copied on")
def ccd(request: Request, context: Context, caller: Caller, user_id: int) -> Response:
    return _user_tickets(request, context, caller, user_id, "ccd")

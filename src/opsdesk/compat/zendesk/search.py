"""`/api/v2/search` and `/api/v2/search/count`: the Zendesk search language."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from opsdesk.compat.zendesk import serialize
from opsdesk.compat.zendesk._http import BadRequest, api_base, json_response, url_with, window
from opsdesk.core.db.uow import reading
from opsdesk.organizations.model import Organization
from opsdesk.search.query import QueryError
from opsdesk.search.service import MAX_RESULTS, count, search
from opsdesk.tickets.model import Ticket
from opsdesk.users.model import User
from opsdesk.web.auth import Caller, Context

router = APIRouter(prefix="/api/v2", tags=["Zendesk: search"])


def _query_text(request: Request) -> str:
    params = request.query_params
    text = params.get("query")
    if text is None:
        raise BadRequest("query is required")
    if params.get("sort_by"):
        # The Search API names columns (created_at); the query language names fields (created).
        sort_by = params["sort_by"].removesuffix("_at")
        text += f" order_by:{sort_by}"
    if params.get("sort_order"):
        text += f" sort:{params['sort_order']}"
    if params.get("filter[type]") and "type:" not in text:
        text += f" type:{params['filter[type]']}"
    return text


def _invalid(exc: QueryError) -> Response:
    return json_response(
        {
            "error": "InvalidQuery",
            "description": str(exc),
            "details": {"query": [{"position": exc.position, "reason": exc.reason}]},
        },
        400,
    )


def _result(base: str, item: Ticket | User | Organization) -> dict[str, Any]:
    if isinstance(item, Ticket):
        return {**serialize.ticket(base, item), "result_type": "ticket"}
    if isinstance(item, User):
        return {**serialize.user(base, item), "result_type": "user"}
    return {**serialize.organization(base, item), "result_type": "organization"}


@router.get("/search", summary="Search tickets, users and organizations")
def search_endpoint(request: Request, context: Context, caller: Caller) -> Response:
    text = _query_text(request)
    paging = window(request)
    offset = paging.offset or 0
    if offset + paging.limit > MAX_RESULTS:
        return json_response(
            {"error": "invalid", "description": f"Search results are limited to the first {MAX_RESULTS}"}, 422
        )
    try:
        with reading(context.engine) as conn:
            page = search(conn, viewer=caller, text=text, now=context.clock.now(), offset=offset, limit=paging.limit)
    except QueryError as exc:
        return _invalid(exc)
    base = api_base(request)
    number = offset // paging.limit + 1
    has_more = offset + len(page.results) < min(page.count, MAX_RESULTS)
    return json_response(
        {
            "results": [_result(base, item) for item in page.results],
            "facets": None,
            "next_page": url_with(request, {"page": str(number + 1)}) if has_more else None,
            "previous_page": url_with(request, {"page": str(number - 1)}) if number > 1 else None,
            "count": page.count,
        }
    )


@router.get("/search/count", summary="Count search results")
def search_count(request: Request, context: Context, caller: Caller) -> Response:
    text = _query_text(request)
    try:
        with reading(context.engine) as conn:
            value = count(conn, viewer=caller, text=text, now=context.clock.now())
    except QueryError as exc:
        return _invalid(exc)
    return json_response({"count": value})

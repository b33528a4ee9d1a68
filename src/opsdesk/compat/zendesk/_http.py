"""Request and response plumbing shared by the Zendesk routes: bodies, pages, absolute URLs."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import orjson
from fastapi import Request, Response

from opsdesk.core.db.paging import Page, Window
from opsdesk.core.errors import InvalidInput, PayloadTooLarge
from opsdesk.web.context import context_of

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_OFFSET_PAGE_SIZE = 100


class BadRequest(InvalidInput):
    """The request itself is malformed (not JSON, bad paging parameters): a 400."""


def json_response(data: Any, status_code: int = 200) -> Response:  # noqa: ANN401 - any JSON value
    return Response(orjson.dumps(data), status_code=status_code, media_type="application/json; charset=utf-8")


def api_base(request: Request) -> str:
    """`scheme://host/api/v2` as the client addressed us, so clients can follow our links."""
    return f"{request.url.scheme}://{request.url.netloc}/api/v2"


async def read_json(request: Request) -> Any:  # noqa: ANN401 - any JSON value
    limit = context_of(request).settings.max_body_bytes
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes")
    if not body.strip():
        raise BadRequest("The request body is empty; send a JSON object")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    if b"\\u0000" in body and _holds_nul(parsed):
        raise BadRequest("Text may not contain NUL characters (\\u0000)")
    return parsed


def _holds_nul(value: Any) -> bool:  # noqa: ANN401 - any JSON value
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def query_ids(request: Request, name: str = "ids") -> list[int]:
    raw = request.query_params.get(name, "")
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise BadRequest(f"{name} must be a comma-separated list of ids") from None
    if not ids:
        raise BadRequest(f"{name} is required")
    if len(ids) > MAX_PAGE_SIZE:
        raise BadRequest(f"at most {MAX_PAGE_SIZE} ids at once")
    return ids


def flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in {"true", "1", "yes"}


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw in {"", "None"}:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def _decode_cursor(raw: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().removeprefix("id:"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("page[after] / page[before] is not a cursor this server issued") from None


def _encode_cursor(item_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{item_id}".encode()).decode().rstrip("=")


def window(request: Request, *, descending: bool = False) -> Window:
    """Cursor paging when `page[size]` or a cursor is given; offset paging (`page`, `per_page`) otherwise."""
    params = request.query_params
    cursor_mode = any(key in params for key in ("page[size]", "page[after]", "page[before]"))
    if params.get("sort_order") == "desc":
        descending = True
    if cursor_mode:
        size = _int_param(request, "page[size]", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        after = params.get("page[after]")
        before = params.get("page[before]")
        return Window(
            limit=size,
            after_id=_decode_cursor(after) if after else None,
            before_id=_decode_cursor(before) if before else None,
            descending=descending,
        )
    per_page = _int_param(request, "per_page", DEFAULT_OFFSET_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _int_param(request, "page", 1, 1, 1_000_000)
    return Window(limit=per_page, offset=(page - 1) * per_page, descending=descending)


def url_with(request: Request, changes: dict[str, str | None]) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, v) for k, v in changes.items() if v is not None]
    query = urlencode(params)
    return f"{request.url.scheme}://{request.url.netloc}{request.url.path}" + (f"?{query}" if query else "")


def page_body(  # noqa: PLR0917 - the parts of a list response, in the order they appear
    request: Request,
    key: str,
    items: Sequence[T],
    page: Page,
    window_used: Window,
    shape: Callable[[T], dict[str, Any]],
    id_of: Callable[[T], int],
) -> dict[str, Any]:
    """The list in the pagination style the request asked for."""
    body: dict[str, Any] = {key: [shape(item) for item in items]}
    if window_used.offset is not None:
        number = window_used.offset // window_used.limit + 1
        body["next_page"] = url_with(request, {"page": str(number + 1)}) if page.has_more else None
        body["previous_page"] = url_with(request, {"page": str(number - 1)}) if number > 1 else None
        body["count"] = page.count
        return body
    first = _encode_cursor(id_of(items[0])) if items else None
    last = _encode_cursor(id_of(items[-1])) if items else None
    backwards = window_used.before_id is not None
    more_after = page.has_more if not backwards else True
    more_before = (page.has_more if backwards else window_used.after_id is not None) and bool(items)
    body["meta"] = {"has_more": bool(items) and more_after, "after_cursor": last, "before_cursor": first}
    body["links"] = {
        "next": url_with(request, {"page[after]": last, "page[before]": None}) if last and more_after else None,
        "prev": url_with(request, {"page[before]": first, "page[after]": None}) if more_before else None,
    }
    return body

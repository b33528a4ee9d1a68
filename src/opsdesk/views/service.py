"""View use cases: save, list what a viewer may use, and run a view's tickets and counts.

Counts are exact and current: each is one COUNT over the tickets table with the view's
conditions and the caller's access, answered from the same indexes as every other list.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, func

from opsdesk.core.db.engine import allow_large_bitmaps
from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.groups import repo as groups_repo
from opsdesk.tickets import repo as tickets_repo
from opsdesk.tickets.access import Viewer
from opsdesk.tickets.tables import tickets
from opsdesk.views import repo
from opsdesk.views.compile import view_conditions
from opsdesk.views.model import Condition, View, read_conditions, read_execution

_SORT_COLUMNS = {
    "created_at": tickets.c.created_at,
    "updated_at": tickets.c.updated_at,
    "priority": tickets.c.priority,
    "status": tickets.c.status,
    "id": tickets.c.id,
    "subject": tickets.c.subject,
    "type": tickets.c.type,
    "due_date": tickets.c.due_at,
}


def may_use(viewer: Viewer, view: View) -> bool:
    if not viewer.is_agent:
        return False
    if viewer.is_admin or view.restriction is None:
        return True
    kind = view.restriction.get("type")
    ids = set(view.restriction.get("ids") or [view.restriction.get("id")])
    if kind == "User":
        return viewer.user_id in ids
    if kind == "Group":
        return bool(viewer.group_ids & ids)
    return False


def get_view_or_raise(conn: Connection, viewer: Viewer, view_id: int) -> View:
    view = repo.get_view(conn, view_id)
    if view is None or not may_use(viewer, view):
        raise NotFound("View", view_id)
    return view


def visible_views(conn: Connection, viewer: Viewer, *, active_only: bool = False) -> list[View]:
    return [v for v in repo.all_views(conn) if may_use(viewer, v) and (v.active or not active_only)]


def _restriction(conn: Connection, actor: Viewer, raw: object) -> dict[str, Any] | None:
    if raw is None:
        if not actor.is_admin:
            raise PermissionDenied("Only admins can share a view with every agent")
        return None
    if not isinstance(raw, dict) or raw.get("type") not in ("User", "Group"):
        raise InvalidInput.field("restriction", 'must be {"type": "User" | "Group", "id": N} or null')
    ids = raw.get("ids") or [raw.get("id")]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise InvalidInput.field("restriction.id", "must be an id")
    if raw["type"] == "User":
        if not actor.is_admin and ids != [actor.user_id]:
            raise PermissionDenied("Agents can only save personal views for themselves")
    else:
        if not actor.is_admin:
            raise PermissionDenied("Only admins can save group views")
        missing = [i for i in ids if groups_repo.get_group(conn, i) is None]
        if missing:
            raise InvalidInput.field("restriction.id", f"unknown groups {missing}")
    return {"type": raw["type"], "id": ids[0], "ids": ids}


def _row(conn: Connection, actor: Viewer, values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    row: dict[str, Any] = {}
    if creating or "title" in values:
        title = str(values.get("title") or "").strip()
        if not title:
            raise InvalidInput.field("title", "cannot be blank")
        row["title"] = title[:255]
    for key in ("description", "active", "position"):
        if key in values and values[key] is not None:
            row[key] = values[key]
    if creating or "restriction" in values:
        row["restriction"] = _restriction(conn, actor, values.get("restriction"))
    conditions = _conditions_part(values)
    if creating or "all" in conditions or "any" in conditions:
        every = read_conditions(conditions.get("all"), "all")
        some = read_conditions(conditions.get("any"), "any")
        if not every and not some:
            raise InvalidInput.field("conditions", "a view needs at least one condition")
        row["conditions"] = {"all": [_plain(c) for c in every], "any": [_plain(c) for c in some]}
    output = values.get("output", values.get("execution"))
    if creating or output is not None:
        execution = read_execution(output)
        row["execution"] = {
            "columns": execution.columns,
            "sort_by": execution.sort_by,
            "sort_order": execution.sort_order,
            "group_by": execution.group_by,
        }
    return row


def _conditions_part(values: dict[str, Any]) -> dict[str, Any]:
    """Zendesk writes `all`/`any` at the top level of a view body; reads give them under `conditions`."""
    nested = values.get("conditions")
    return nested if isinstance(nested, dict) else values


def _plain(condition: Condition) -> dict[str, Any]:
    return {"field": condition.field, "operator": condition.operator, "value": condition.value}


def _require_agent(actor: Viewer) -> None:
    if not actor.is_agent:
        raise PermissionDenied("Only agents use views")


def create_view(conn: Connection, *, actor: Viewer, values: dict[str, Any], now: datetime) -> View:
    _require_agent(actor)
    view_id = repo.add_view(conn, {**_row(conn, actor, values, creating=True), "created_at": now, "updated_at": now})
    view = repo.get_view(conn, view_id)
    assert view is not None
    return view


def _may_change(actor: Viewer, view: View) -> None:
    personal = view.restriction is not None and view.restriction.get("type") == "User"
    if not actor.is_admin and not (personal and may_use(actor, view)):
        raise PermissionDenied("Only admins can change shared and group views")


def update_view(conn: Connection, *, actor: Viewer, view_id: int, values: dict[str, Any], now: datetime) -> View:
    _require_agent(actor)
    view = get_view_or_raise(conn, actor, view_id)
    _may_change(actor, view)
    repo.change_view(conn, view_id, {**_row(conn, actor, values, creating=False), "updated_at": now})
    return get_view_or_raise(conn, actor, view_id)


def delete_view(conn: Connection, *, actor: Viewer, view_id: int) -> None:
    _require_agent(actor)
    view = get_view_or_raise(conn, actor, view_id)
    _may_change(actor, view)
    repo.remove_view(conn, view_id)


def draft_view(values: dict[str, Any], now: datetime) -> View:
    """An unsaved view for `/views/preview`."""
    conditions = _conditions_part(values)
    every = read_conditions(conditions.get("all"), "all")
    some = read_conditions(conditions.get("any"), "any")
    if not every and not some:
        raise InvalidInput.field("conditions", "a view needs at least one condition")
    return View(
        id=0,
        title="preview",
        description="",
        active=True,
        position=0,
        restriction=None,
        all=every,
        any=some,
        execution=read_execution(values.get("output", values.get("execution"))),
        created_at=now,
        updated_at=now,
    )


def tickets_query(view: View, viewer: Viewer, now: datetime) -> Select[Any]:
    query = tickets_repo.ticket_query(viewer, *view_conditions(view, viewer, now))
    column = _SORT_COLUMNS.get(view.execution.sort_by, tickets.c.updated_at)
    if view.execution.sort_order == "asc":
        return query.order_by(column.asc(), tickets.c.id.asc())
    return query.order_by(column.desc(), tickets.c.id.desc())


def count_tickets(conn: Connection, view: View, viewer: Viewer, now: datetime) -> int:
    allow_large_bitmaps(conn)
    query = tickets_repo.ticket_query(viewer, *view_conditions(view, viewer, now)).with_only_columns(func.count())
    return int(conn.execute(query).scalar_one())

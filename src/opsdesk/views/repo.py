"""Queries for views. Never commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from opsdesk.views.model import Condition, Execution, View
from opsdesk.views.tables import views


def to_view(row: Row[Any]) -> View:
    execution = row.execution
    return View(
        id=row.id,
        title=row.title,
        description=row.description,
        active=row.active,
        position=row.position,
        restriction=row.restriction,
        all=[Condition(**c) for c in row.conditions.get("all", [])],
        any=[Condition(**c) for c in row.conditions.get("any", [])],
        execution=Execution(
            columns=list(execution.get("columns", [])),
            sort_by=execution.get("sort_by", "updated_at"),
            sort_order=execution.get("sort_order", "desc"),
            group_by=execution.get("group_by"),
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_view(conn: Connection, view_id: int) -> View | None:
    row = conn.execute(select(views).where(views.c.id == view_id)).first()
    return to_view(row) if row else None


def all_views(conn: Connection) -> list[View]:
    return [to_view(row) for row in conn.execute(select(views).order_by(views.c.position, views.c.id))]


def add_view(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(views).values(**values).returning(views.c.id)).scalar_one())


def change_view(conn: Connection, view_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(views).where(views.c.id == view_id).values(**values))


def remove_view(conn: Connection, view_id: int) -> None:
    conn.execute(delete(views).where(views.c.id == view_id))

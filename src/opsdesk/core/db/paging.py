"""Keyset (cursor) and offset pages over any table with an integer `id`.

A cursor page fetches `limit + 1` rows after the last id seen, so `has_more` costs no count.
An offset page also counts the whole selection, as Zendesk's offset shape reports `count`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, func, select


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    after_id: int | None = None
    before_id: int | None = None
    offset: int | None = None
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Row[Any]]
    has_more: bool
    count: int | None


def fetch_page(conn: Connection, query: Select[Any], id_column: ColumnElement[int], window: Window) -> Page:
    if window.offset is not None:
        total = conn.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
        order = id_column.desc() if window.descending else id_column.asc()
        rows = list(conn.execute(query.order_by(order).offset(window.offset).limit(window.limit)))
        return Page(rows=rows, has_more=window.offset + len(rows) < total, count=int(total))
    backwards = window.before_id is not None
    if window.after_id is not None:
        query = query.where(id_column < window.after_id if window.descending else id_column > window.after_id)
    if window.before_id is not None:
        query = query.where(id_column > window.before_id if window.descending else id_column < window.before_id)
    ascending = window.descending == backwards
    rows = list(
        conn.execute(query.order_by(id_column.asc() if ascending else id_column.desc()).limit(window.limit + 1))
    )
    has_more = len(rows) > window.limit
    rows = rows[: window.limit]
    if backwards:
        rows.reverse()
    return Page(rows=rows, has_more=has_more, count=None)

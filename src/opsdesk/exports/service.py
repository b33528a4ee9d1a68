"""Keyset pages over (updated_at, id): each page is one indexed range scan, so a full export of a
million tickets never holds more than a page in memory.

Items changed in the last `SAFETY_LAG` are left for the next call: on PostgreSQL a transaction
that read the clock earlier can commit later, and a cursor must not step past it unseen.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, Connection, Row, Table, select, tuple_

from opsdesk.core.errors import InvalidInput

SAFETY_LAG = timedelta(seconds=1)
MAX_PAGE = 1000
MAX_ID = 2**31 - 1
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Position:
    """Where an export stands: after the item with this time and id."""

    moment: datetime
    item_id: int

    def encode(self) -> str:
        raw = f"{self.moment.timestamp():.6f}:{self.item_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            stamp, _, item = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
            position = cls(datetime.fromtimestamp(float(stamp), UTC), int(item))
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError, OSError):
            position = cls(datetime.min.replace(tzinfo=UTC), -1)
        if not 0 <= position.item_id <= MAX_ID:
            raise InvalidInput.field("cursor", "is not a cursor this server issued")
        return position

    @classmethod
    def start(cls, unix_time: int) -> Position:
        try:
            return cls(datetime.fromtimestamp(unix_time, UTC) - timedelta(microseconds=1), MAX_ID)
        except (ValueError, OverflowError, OSError):
            raise InvalidInput.field("start_time", "is not a Unix time") from None


@dataclass(frozen=True, slots=True)
class ExportPage(Generic[T]):
    items: list[T]
    last: Position | None
    end_of_stream: bool


def read_page(
    conn: Connection,
    *,
    table: Table,
    time_column: Column[datetime],
    position: Position,
    now: datetime,
    limit: int,
    convert: Callable[[Row[Any]], T],
    extra: Any = None,  # noqa: ANN401 - an optional SQL condition
) -> ExportPage[T]:
    """Items with (time, id) after `position` and older than `now - SAFETY_LAG`, oldest first."""
    id_column = table.c.id
    # A row-value comparison: both databases walk the (time, id) index from the position. The
    # equivalent `t > x OR (t = x AND id > y)` made PostgreSQL re-read the index from the start on
    # every page, so a million-ticket export grew quadratic.
    after = tuple_(time_column, id_column) > tuple_(position.moment, position.item_id)
    conditions = [after, time_column <= now - SAFETY_LAG]
    if extra is not None:
        conditions.append(extra)
    rows = list(conn.execute(select(table).where(*conditions).order_by(time_column, id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    last = Position(getattr(rows[-1], time_column.key), rows[-1].id) if rows else None
    return ExportPage(items=[convert(row) for row in rows], last=last, end_of_stream=not more)

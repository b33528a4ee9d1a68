"""Queries for business schedules. Never commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from opsdesk.calendars.model import Holiday, Schedule
from opsdesk.calendars.tables import business_schedules


def holiday_row(holiday: Holiday) -> dict[str, Any]:
    return {
        "id": holiday.id,
        "name": holiday.name,
        "start_date": holiday.start_date.isoformat(),
        "end_date": holiday.end_date.isoformat(),
    }


def to_schedule(row: Row[Any]) -> Schedule:
    return Schedule(
        id=row.id,
        name=row.name,
        time_zone=row.time_zone,
        intervals=tuple((int(start), int(end)) for start, end in row.intervals),
        holidays=tuple(
            Holiday(
                id=int(h["id"]),
                name=h["name"],
                start_date=date.fromisoformat(h["start_date"]),
                end_date=date.fromisoformat(h["end_date"]),
            )
            for h in row.holidays
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_schedule(conn: Connection, schedule_id: int, *, for_update: bool = False) -> Schedule | None:
    """`for_update` locks the row (PostgreSQL) so that two holiday writes cannot lose one."""
    query = select(business_schedules).where(business_schedules.c.id == schedule_id)
    row = conn.execute(query.with_for_update() if for_update else query).first()
    return to_schedule(row) if row else None


def all_schedules(conn: Connection) -> list[Schedule]:
    return [to_schedule(row) for row in conn.execute(select(business_schedules).order_by(business_schedules.c.id))]


def add_schedule(conn: Connection, values: dict[str, Any]) -> int:
    return int(
        conn.execute(insert(business_schedules).values(**values).returning(business_schedules.c.id)).scalar_one()
    )


def change_schedule(conn: Connection, schedule_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(business_schedules).where(business_schedules.c.id == schedule_id).values(**values))


def remove_schedule(conn: Connection, schedule_id: int) -> None:
    conn.execute(delete(business_schedules).where(business_schedules.c.id == schedule_id))

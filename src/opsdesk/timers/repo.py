"""Queries for timers. Never commits.

Claiming locks the due rows it returns: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers
share the due rows without waiting on each other; on SQLite the write transaction itself is
the lock, since SQLite has one writer at a time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update

from opsdesk.timers.model import Timer, TimerState
from opsdesk.timers.tables import timers


def to_timer(row: Row[Any]) -> Timer:
    return Timer(
        id=row.id,
        kind=row.kind,
        key=row.key,
        payload=dict(row.payload),
        due_at=row.due_at,
        state=TimerState(row.state),
        attempts=row.attempts,
        last_error=row.last_error,
        fired_at=row.fired_at,
    )


def _insert(conn: Connection, *, kind: str, key: str, due_at: datetime, payload: dict[str, Any], now: datetime) -> None:
    conn.execute(
        insert(timers).values(
            kind=kind,
            key=key,
            payload=payload,
            due_at=due_at,
            state=TimerState.DUE.value,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
    )


def arm(conn: Connection, *, kind: str, key: str, due_at: datetime, payload: dict[str, Any], now: datetime) -> None:
    """Schedule the (kind, key) timer at `due_at`, replacing any earlier schedule of it."""
    changed = conn.execute(
        update(timers)
        .where(timers.c.kind == kind, timers.c.key == key)
        .values(due_at=due_at, payload=payload, state=TimerState.DUE.value, attempts=0, last_error=None, updated_at=now)
    ).rowcount
    if not changed:
        _insert(conn, kind=kind, key=key, due_at=due_at, payload=payload, now=now)


def arm_once(
    conn: Connection, *, kind: str, key: str, due_at: datetime, payload: dict[str, Any], now: datetime
) -> None:
    """Schedule the (kind, key) timer unless it exists already, in whatever state (fired included)."""
    exists = conn.execute(select(timers.c.id).where(timers.c.kind == kind, timers.c.key == key)).first()
    if exists is None:
        _insert(conn, kind=kind, key=key, due_at=due_at, payload=payload, now=now)


def cancel(conn: Connection, *, kind: str, key: str, now: datetime) -> None:
    conn.execute(
        update(timers)
        .where(timers.c.kind == kind, timers.c.key == key, timers.c.state == TimerState.DUE.value)
        .values(state=TimerState.CANCELLED.value, updated_at=now)
    )


def claim_due(conn: Connection, *, now: datetime, limit: int) -> list[Timer]:
    query = (
        select(timers)
        .where(timers.c.state == TimerState.DUE.value, timers.c.due_at <= now)
        .order_by(timers.c.due_at, timers.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [to_timer(row) for row in conn.execute(query)]


def next_due_at(conn: Connection) -> datetime | None:
    return conn.execute(select(func.min(timers.c.due_at)).where(timers.c.state == TimerState.DUE.value)).scalar()


def mark_done(conn: Connection, timer: Timer, now: datetime) -> None:
    """Done, unless its duty re-armed it for another time (an automation planning its next firing)."""
    conn.execute(
        update(timers)
        .where(timers.c.id == timer.id, timers.c.due_at == timer.due_at, timers.c.state == TimerState.DUE.value)
        .values(state=TimerState.DONE.value, fired_at=now, updated_at=now)
    )


def mark_failed(conn: Connection, timer_id: int, *, error: str, retry_at: datetime | None, now: datetime) -> None:
    values: dict[str, Any] = {"attempts": timers.c.attempts + 1, "last_error": error[:2000], "updated_at": now}
    if retry_at is None:
        values["state"] = TimerState.FAILED.value
    else:
        values["due_at"] = retry_at
    conn.execute(update(timers).where(timers.c.id == timer_id).values(**values))


def get_timer(conn: Connection, kind: str, key: str) -> Timer | None:
    row = conn.execute(select(timers).where(timers.c.kind == kind, timers.c.key == key)).first()
    return to_timer(row) if row else None

"""Queries for timers. Never commits.

Claiming locks the due rows it returns: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers
share the due rows without waiting on each other; on SQLite the write transaction itself is
the lock, since SQLite has one writer at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update

from opsdesk.timers.model import Schedule, Timer, TimerState, cancellation
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


def arm(conn: Connection, *, kind: str, key: str, due_at: datetime, payload: dict[str, Any], now: datetime) -> None:
    """Schedule the (kind, key) timer at `due_at`, replacing any earlier schedule of it."""
    apply_schedules(conn, [Schedule(kind, key, due_at, payload)], now)


def cancel(conn: Connection, *, kind: str, key: str, now: datetime) -> None:
    """Cancel the (kind, key) timer if it is still due."""
    apply_schedules(conn, [cancellation(kind, key)], now)


_SCHEDULE_CHUNK = 500
_rearm = (
    update(timers)
    .where(timers.c.kind == bindparam("b_kind"), timers.c.key == bindparam("b_key"))
    .values(
        due_at=bindparam("b_due_at", type_=timers.c.due_at.type),
        payload=bindparam("b_payload", type_=timers.c.payload.type),
        state=TimerState.DUE.value,
        attempts=0,
        last_error=None,
        updated_at=bindparam("b_now", type_=timers.c.updated_at.type),
    )
)


def apply_schedules(conn: Connection, schedules: Iterable[Schedule], now: datetime) -> None:
    """Write timers' schedules, a few statements a kind however many: cancel, re-arm, arm the
    missing (a `once` schedule only arms a timer that never existed). The last schedule of a
    timer wins."""
    latest = {(schedule.kind, schedule.key): schedule for schedule in schedules}
    by_kind: dict[str, list[Schedule]] = {}
    for schedule in latest.values():
        by_kind.setdefault(schedule.kind, []).append(schedule)
    for kind, planned in sorted(by_kind.items()):
        for start in range(0, len(planned), _SCHEDULE_CHUNK):
            _apply_kind(conn, kind, planned[start : start + _SCHEDULE_CHUNK], now)


def _apply_kind(conn: Connection, kind: str, planned: list[Schedule], now: datetime) -> None:
    cancelled = [schedule.key for schedule in planned if schedule.due_at is None]
    if cancelled:
        conn.execute(
            update(timers)
            .where(timers.c.kind == kind, timers.c.key.in_(cancelled), timers.c.state == TimerState.DUE.value)
            .values(state=TimerState.CANCELLED.value, updated_at=now)
        )
    armed = [schedule for schedule in planned if schedule.due_at is not None]
    if not armed:
        return
    query = select(timers.c.key).where(timers.c.kind == kind, timers.c.key.in_([s.key for s in armed]))
    existing = set(conn.execute(query).scalars())
    rearmed = [
        {"b_kind": kind, "b_key": s.key, "b_due_at": s.due_at, "b_payload": s.payload, "b_now": now}
        for s in armed
        if s.key in existing and not s.once
    ]
    if rearmed:
        conn.execute(_rearm, rearmed)
    missing = [
        {
            "kind": kind,
            "key": s.key,
            "payload": s.payload,
            "due_at": s.due_at,
            "state": TimerState.DUE.value,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for s in armed
        if s.key not in existing
    ]
    if missing:
        conn.execute(insert(timers), missing)


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


def mark_done(conn: Connection, timer_ids: Sequence[int], now: datetime) -> None:
    """Mark claimed timers fired at `now`, before their duties run: a duty that re-arms its own
    timer (`arm`) sets it due again."""
    if timer_ids:
        conn.execute(
            update(timers)
            .where(timers.c.id.in_(timer_ids))
            .values(state=TimerState.DONE.value, fired_at=now, updated_at=now)
        )


def mark_failed(conn: Connection, timer_id: int, *, error: str, retry_at: datetime | None, now: datetime) -> None:
    """A duty failed: due again at `retry_at`, or `failed` for good when there is none."""
    values: dict[str, Any] = {
        "attempts": timers.c.attempts + 1,
        "last_error": error[:2000],
        "updated_at": now,
        "fired_at": None,
    }
    if retry_at is None:
        values["state"] = TimerState.FAILED.value
    else:
        values["state"] = TimerState.DUE.value
        values["due_at"] = retry_at
    conn.execute(update(timers).where(timers.c.id == timer_id).values(**values))


def get_timer(conn: Connection, kind: str, key: str) -> Timer | None:
    row = conn.execute(select(timers).where(timers.c.kind == kind, timers.c.key == key)).first()
    return to_timer(row) if row else None

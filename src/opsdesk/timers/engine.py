"""Firing due timers: claim, mark done, run the duties, all in one transaction.

A duty's own writes and the timers' `done` marks commit together, so a duty takes effect exactly
once: a worker killed mid-batch rolls back, and its timers are due again for the next worker.
The batch is marked done before its duties run, in one statement; a duty that re-arms its own
timer (an automation planning its next firing) sets it due again.

A batch runs first without savepoints. If a duty raises, the whole batch rolls back and runs
again timer by timer, each duty in a savepoint: the failing one is rolled back alone and retried
later with backoff; after `MAX_ATTEMPTS` it stays `failed`, visible with its last error, instead
of looping.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy import Connection, Engine

from opsdesk.core.clock import ManualClock
from opsdesk.core.db.uow import reading, writing
from opsdesk.timers import repo
from opsdesk.timers.model import Timer, retry_at

log = logging.getLogger("opsdesk.timers")

Duty = Callable[[Connection, Timer, datetime], None]
BATCH = 200
MAX_FIRINGS_PER_ADVANCE = 1_000_000
_jitter = random.Random()  # noqa: S311 - retry jitter, not security


def _unknown_kind(_conn: Connection, timer: Timer, _now: datetime) -> None:
    raise LookupError(f"no duty is registered for timers of kind {timer.kind!r}")


class _DutyFailed(Exception):
    """A duty raised during a batch's fast pass: the batch is run again timer by timer."""


def fire_due(engine: Engine, duties: Mapping[str, Duty], *, now: datetime, limit: int = BATCH) -> int:
    """Fire up to `limit` timers due at `now`; returns how many were claimed."""
    try:
        return _fire_batch(engine, duties, now=now, limit=limit, careful=False)
    except _DutyFailed:
        return _fire_batch(engine, duties, now=now, limit=limit, careful=True)


def fire_all_due(engine: Engine, duties: Mapping[str, Duty], *, now: Callable[[], datetime] | datetime) -> int:
    """Fire every due timer, batch after batch. With a clock's `now` function each batch fires at
    the time it starts, so a duty sees (and `fired_at` records) when it really ran."""
    fired = 0
    while True:
        claimed = fire_due(engine, duties, now=now() if callable(now) else now)
        fired += claimed
        if claimed < BATCH:
            return fired


def _fire_batch(engine: Engine, duties: Mapping[str, Duty], *, now: datetime, limit: int, careful: bool) -> int:
    """Claim a batch, mark it done, run its duties. Not `careful`: a failing duty fails the whole
    batch (`_DutyFailed`). `careful`: each duty in a savepoint, a failing one rolled back alone."""
    with writing(engine) as conn:
        batch = repo.claim_due(conn, now=now, limit=limit)
        repo.mark_done(conn, [timer.id for timer in batch], now)
        for timer in batch:
            duty = duties.get(timer.kind, _unknown_kind)
            if careful:
                _run_alone(conn, duty, timer, now)
                continue
            try:
                duty(conn, timer, now)
            except Exception as exc:  # any failure of a duty sends the batch to the careful pass
                raise _DutyFailed from exc
    return len(batch)


def _run_alone(conn: Connection, duty: Duty, timer: Timer, now: datetime) -> None:
    savepoint = conn.begin_nested()
    try:
        duty(conn, timer, now)
    except Exception as exc:  # noqa: BLE001 - the worker's top level: any failure is retried
        savepoint.rollback()
        log.warning("timer %s %s failed (attempt %d): %s", timer.kind, timer.key, timer.attempts + 1, exc)
        repo.mark_failed(
            conn,
            timer.id,
            error=f"{type(exc).__name__}: {exc}",
            retry_at=retry_at(now, timer.attempts + 1, _jitter),
            now=now,
        )
    else:
        savepoint.commit()


def advance_manual_clock(engine: Engine, duties: Mapping[str, Duty], clock: ManualClock, target: datetime) -> int:
    """Move the test clock to `target`, firing every timer due on the way in due order, each at its
    own due time (CONTRACT.md, "The test clock"). Returns how many fired."""
    fired = 0
    while fired < MAX_FIRINGS_PER_ADVANCE:
        with reading(engine) as conn:
            next_due = repo.next_due_at(conn)
        if next_due is None or next_due > target:
            break
        moment = clock.set(max(next_due, clock.now()))
        fired += fire_all_due(engine, duties, now=moment)
    clock.set(target)
    return fired

"""Firing due timers: claim, run the duty, mark done, all in one transaction.

A duty's own writes and the timer's `done` mark commit together, so a duty takes effect exactly
once: a worker killed mid-batch rolls back, and its timers are due again for the next worker.
A duty that raises is rolled back alone (a savepoint) and retried later with backoff; after
`MAX_ATTEMPTS` it stays `failed`, visible with its last error, instead of looping.
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


def fire_due(engine: Engine, duties: Mapping[str, Duty], *, now: datetime, limit: int = BATCH) -> int:
    """Fire up to `limit` timers due at `now`; returns how many were claimed."""
    with writing(engine) as conn:
        batch = repo.claim_due(conn, now=now, limit=limit)
        for timer in batch:
            savepoint = conn.begin_nested()
            try:
                duties.get(timer.kind, _unknown_kind)(conn, timer, now)
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
                repo.mark_done(conn, timer, now)
    return len(batch)


def fire_all_due(engine: Engine, duties: Mapping[str, Duty], *, now: datetime) -> int:
    fired = 0
    while True:
        claimed = fire_due(engine, duties, now=now)
        fired += claimed
        if claimed < BATCH:
            return fired


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

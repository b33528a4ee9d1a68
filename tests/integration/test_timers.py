"""Durable timers on both databases: armed, re-armed, cancelled, fired once, retried, failed."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from opsdesk.core.clock import ManualClock
from opsdesk.core.db.uow import reading, writing
from opsdesk.timers import repo
from opsdesk.timers.engine import advance_manual_clock, fire_all_due
from opsdesk.timers.model import MAX_ATTEMPTS, Timer, TimerState
from tests.integration.conftest import START


def _arm(engine: Engine, key: str, due_at: datetime, kind: str = "test.record") -> None:
    with writing(engine) as conn:
        repo.arm(conn, kind=kind, key=key, due_at=due_at, payload={"key": key}, now=START)


def _state(engine: Engine, key: str, kind: str = "test.record") -> Timer:
    with reading(engine) as conn:
        timer = repo.get_timer(conn, kind, key)
    assert timer is not None
    return timer


def test_timers_fire_in_due_order_each_at_its_own_time(engine: Engine) -> None:
    fired: list[tuple[str, datetime]] = []

    def record(_conn: Connection, timer: Timer, now: datetime) -> None:
        fired.append((timer.key, now))

    _arm(engine, "late", START + timedelta(hours=2))
    _arm(engine, "early", START + timedelta(minutes=5))
    _arm(engine, "moved", START + timedelta(minutes=1))
    _arm(engine, "moved", START + timedelta(hours=1))  # re-arming replaces the first schedule
    _arm(engine, "beyond", START + timedelta(days=1))
    clock = ManualClock(START)
    count = advance_manual_clock(engine, {"test.record": record}, clock, START + timedelta(hours=3))
    assert count == 3
    assert fired == [
        ("early", START + timedelta(minutes=5)),
        ("moved", START + timedelta(hours=1)),
        ("late", START + timedelta(hours=2)),
    ]
    assert clock.now() == START + timedelta(hours=3)
    assert _state(engine, "beyond").state is TimerState.DUE
    assert fire_all_due(engine, {"test.record": record}, now=START + timedelta(hours=3)) == 0, "each fires once"


def test_cancelled_timers_never_fire(engine: Engine) -> None:
    _arm(engine, "x", START + timedelta(minutes=1))
    with writing(engine) as conn:
        repo.cancel(conn, kind="test.record", key="x", now=START)
    fired = fire_all_due(engine, {"test.record": lambda *_: None}, now=START + timedelta(hours=1))
    assert fired == 0
    assert _state(engine, "x").state is TimerState.CANCELLED


def test_a_failing_duty_is_retried_with_backoff_then_fails_for_good(engine: Engine) -> None:
    calls: list[datetime] = []

    def flaky(conn: Connection, timer: Timer, now: datetime) -> None:
        calls.append(now)
        repo.arm(conn, kind="test.side_effect", key=timer.key, due_at=now, payload={}, now=now)
        message = "receiver down"
        raise RuntimeError(message)

    _arm(engine, "f", START)
    now = START
    for _ in range(MAX_ATTEMPTS):
        fire_all_due(engine, {"test.record": flaky}, now=now)
        timer = _state(engine, "f")
        now = max(timer.due_at, now)
    assert len(calls) == MAX_ATTEMPTS
    assert all(later - earlier >= timedelta(seconds=5) for earlier, later in itertools.pairwise(calls))
    timer = _state(engine, "f")
    assert timer.state is TimerState.FAILED
    assert timer.attempts == MAX_ATTEMPTS
    assert timer.last_error == "RuntimeError: receiver down"
    with reading(engine) as conn:
        assert repo.get_timer(conn, "test.side_effect", "f") is None, "a failed duty's writes roll back"


def test_unknown_kinds_fail_visibly(engine: Engine) -> None:
    _arm(engine, "k", START, kind="test.nobody")
    fire_all_due(engine, {}, now=START)
    timer = _state(engine, "k", kind="test.nobody")
    assert timer.attempts == 1
    assert timer.last_error is not None
    assert "test.nobody" in timer.last_error

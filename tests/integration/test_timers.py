"""Durable timers on both databases: armed, re-armed, cancelled, fired once, retried, failed."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from opsdesk.core.clock import ManualClock
from opsdesk.core.db.uow import reading, writing
from opsdesk.timers import repo
from opsdesk.timers.engine import advance_manual_clock, fire_all_due
from opsdesk.timers.model import MAX_ATTEMPTS, Schedule, Timer, TimerState, cancellation
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
    calls: dict[int, datetime] = {}  # attempt -> when; a batch's fast pass and its careful pass both call

    def flaky(conn: Connection, timer: Timer, now: datetime) -> None:
        assert calls.setdefault(timer.attempts, now) == now, "an attempt runs at one instant"
        repo.arm(conn, kind="test.side_effect", key=timer.key, due_at=now, payload={}, now=now)
        message = "receiver down"
        raise RuntimeError(message)

    _arm(engine, "f", START)
    now = START
    for _ in range(MAX_ATTEMPTS):
        fire_all_due(engine, {"test.record": flaky}, now=now)
        timer = _state(engine, "f")
        now = max(timer.due_at, now)
    assert sorted(calls) == list(range(MAX_ATTEMPTS))
    times = [calls[attempt] for attempt in sorted(calls)]
    assert all(later - earlier >= timedelta(seconds=5) for earlier, later in itertools.pairwise(times))
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


def test_one_failing_duty_in_a_batch_rolls_back_alone(engine: Engine) -> None:
    for number in range(50):
        _arm(engine, f"t{number}", START)

    def write_unless_t7(conn: Connection, timer: Timer, now: datetime) -> None:
        repo.arm(conn, kind="test.side_effect", key=timer.key, due_at=now + timedelta(days=9), payload={}, now=now)
        if timer.key == "t7":
            message = "t7 cannot"
            raise RuntimeError(message)

    assert fire_all_due(engine, {"test.record": write_unless_t7}, now=START) == 50
    with reading(engine) as conn:
        side_effects = {key for number in range(50) if repo.get_timer(conn, "test.side_effect", key := f"t{number}")}
        states = {key: _state(engine, key).state for key in (f"t{number}" for number in range(50))}
    assert side_effects == {f"t{number}" for number in range(50)} - {"t7"}
    assert states.pop("t7") is TimerState.DUE, "retried later"
    assert set(states.values()) == {TimerState.DONE}
    assert _state(engine, "t7").attempts == 1
    assert _state(engine, "t7").due_at > START
    assert fire_all_due(engine, {"test.record": write_unless_t7}, now=START) == 0, "the others fired once"


def test_a_duty_that_re_arms_its_own_timer_leaves_it_due(engine: Engine) -> None:
    _arm(engine, "again", START)
    _arm(engine, "once", START)

    def re_arm_again(conn: Connection, timer: Timer, now: datetime) -> None:
        if timer.key == "again":
            repo.arm(conn, kind=timer.kind, key=timer.key, due_at=now + timedelta(hours=1), payload={}, now=now)

    assert fire_all_due(engine, {"test.record": re_arm_again}, now=START) == 2
    assert _state(engine, "once").state is TimerState.DONE
    assert _state(engine, "once").fired_at == START
    again = _state(engine, "again")
    assert (again.state, again.due_at) == (TimerState.DUE, START + timedelta(hours=1))


def test_schedules_cancel_re_arm_arm_once_and_the_last_wins(engine: Engine) -> None:
    _arm(engine, "cancel-me", START)
    _arm(engine, "move-me", START)
    _arm(engine, "keep-me", START)
    fire_all_due(engine, {"test.record": lambda *_: None}, now=START)  # all three done
    _arm(engine, "cancel-me", START + timedelta(hours=1))  # due again
    later = START + timedelta(hours=5)
    schedules = [
        cancellation("test.record", "cancel-me"),
        Schedule("test.record", "move-me", later, {"moved": True}),
        Schedule("test.record", "keep-me", later, {}, once=True),
        Schedule("test.record", "new-once", later, {}, once=True),
        Schedule("test.record", "new", START, {}),
        Schedule("test.record", "new", later, {"last": True}),  # the last schedule of a timer wins
        Schedule("test.other", "new", later, {}),
    ]
    with writing(engine) as conn:
        repo.apply_schedules(conn, schedules, START)
    assert _state(engine, "cancel-me").state is TimerState.CANCELLED
    moved = _state(engine, "move-me")
    assert (moved.state, moved.due_at, moved.payload, moved.attempts) == (TimerState.DUE, later, {"moved": True}, 0)
    assert _state(engine, "keep-me").state is TimerState.DONE, "once: a timer that existed is left alone"
    assert (_state(engine, "new-once").state, _state(engine, "new-once").due_at) == (TimerState.DUE, later)
    assert (_state(engine, "new").due_at, _state(engine, "new").payload) == (later, {"last": True})
    assert _state(engine, "new", kind="test.other").due_at == later

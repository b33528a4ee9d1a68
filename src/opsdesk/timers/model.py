"""Timer states and the retry plan (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from opsdesk.core.backoff import retry_time

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(hours=1)


class TimerState(StrEnum):
    DUE = "due"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Timer:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    due_at: datetime
    state: TimerState
    attempts: int
    last_error: str | None
    fired_at: datetime | None


def retry_at(now: datetime, attempts: int, rng: random.Random) -> datetime | None:
    """When a duty that failed `attempts` times runs again; None once it has failed for good."""
    return retry_time(now, attempts, rng, first=FIRST_RETRY, longest=LONGEST_RETRY, max_attempts=MAX_ATTEMPTS)


@dataclass(frozen=True, slots=True)
class Schedule:
    """What one timer should become: due at `due_at` (re-armed, or armed `once` only if the
    (kind, key) timer never existed), or cancelled when `due_at` is None. Planned purely, written
    for many timers at once by `repo.apply_schedules`."""

    kind: str
    key: str
    due_at: datetime | None
    payload: dict[str, Any]
    once: bool = False


def cancellation(kind: str, key: str) -> Schedule:
    return Schedule(kind, key, None, {})

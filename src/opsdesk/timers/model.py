"""Timer states and the retry plan (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

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
    """When a duty that failed `attempts` times runs again: exponential, with full jitter on the
    upper half so that many failures do not retry in step; None once it has failed for good."""
    if attempts >= MAX_ATTEMPTS:
        return None
    ceiling = min(FIRST_RETRY * (2 ** (attempts - 1)), LONGEST_RETRY).total_seconds()
    # Whole milliseconds, the resolution of every time opsdesk stores and of the test clock.
    return now + timedelta(milliseconds=int(ceiling * 500 * (1 + rng.random())))

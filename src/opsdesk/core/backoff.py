"""When to try again: exponential backoff with jitter on the upper half of each wait (pure)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def retry_time(
    now: datetime,
    attempts: int,
    rng: random.Random,
    *,
    first: timedelta,
    longest: timedelta,
    max_attempts: int,
) -> datetime | None:
    """The time of the next try after `attempts` failures, or None once they are all spent.

    The wait doubles from `first` up to `longest` and is drawn from its upper half, so that many
    failures do not retry in step. Whole milliseconds: the resolution of every stored time.
    """
    if attempts >= max_attempts:
        return None
    ceiling = min(first * 2 ** (attempts - 1), longest).total_seconds()
    return now + timedelta(milliseconds=int(ceiling * 500 * (1 + rng.random())))

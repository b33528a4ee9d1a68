"""The retry plan of a failing duty: exponential, jittered, bounded, and final after the last try."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from opsdesk.timers.model import FIRST_RETRY, LONGEST_RETRY, MAX_ATTEMPTS, retry_at

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@given(attempts=st.integers(min_value=1, max_value=MAX_ATTEMPTS - 1), seed=st.integers())
def test_retry_waits_between_half_and_all_of_the_ceiling(attempts: int, seed: int) -> None:
    ceiling = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
    moment = retry_at(NOW, attempts, random.Random(seed))
    assert moment is not None
    assert NOW + ceiling / 2 <= moment <= NOW + ceiling


def test_waits_grow_then_stop() -> None:
    rng = random.Random(1)
    waits = [retry_at(NOW, n, rng) for n in range(1, MAX_ATTEMPTS)]
    assert all(w is not None for w in waits)
    assert waits[0] is not None
    assert waits[0] - NOW < timedelta(seconds=11)
    assert retry_at(NOW, MAX_ATTEMPTS, rng) is None, "after the last attempt the duty has failed for good"

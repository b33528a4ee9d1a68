"""The token-bucket limiter alone, on explicit monotonic times."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsdesk.core.settings import DEFAULT_RATE_LIMITS, Settings, SettingsError
from opsdesk.tickets.access import Role
from opsdesk.web.ratelimit import ANONYMOUS, Decision, RateLimiter


def agent_limiter(limit: int = 5, window: float = 60.0) -> RateLimiter:
    return RateLimiter({"agent": limit, "admin": 2 * limit}, window_seconds=window)


def allowed(decision: Decision | None) -> Decision:
    assert decision is not None
    assert decision.allowed, decision
    return decision


def refused(decision: Decision | None) -> Decision:
    assert decision is not None
    assert not decision.allowed, decision
    return decision


def test_allows_the_limit_at_once_counting_down_then_refuses() -> None:
    limiter = agent_limiter(5)
    remaining = [allowed(limiter.take("agent", "t1", 100.0)).remaining for _ in range(5)]
    assert remaining == [4, 3, 2, 1, 0]
    refusal = refused(limiter.take("agent", "t1", 100.0))
    assert (refusal.limit, refusal.remaining) == (5, 0)


def test_retry_after_is_whole_seconds_until_the_next_slot_frees() -> None:
    limiter = agent_limiter(5)  # one slot every 12 s
    for _ in range(5):
        limiter.take("agent", "t1", 100.0)
    assert refused(limiter.take("agent", "t1", 100.0)).retry_after == 12
    assert refused(limiter.take("agent", "t1", 107.5)).retry_after == 5  # 4.5 s rounded up
    assert refused(limiter.take("agent", "t1", 111.99)).retry_after == 1
    assert allowed(limiter.take("agent", "t1", 112.0)).remaining == 0
    assert refused(limiter.take("agent", "t1", 112.0)).retry_after == 12


def test_a_refused_request_spends_nothing() -> None:
    limiter = agent_limiter(1)
    limiter.take("agent", "t1", 0.0)
    for second in range(59):
        refused(limiter.take("agent", "t1", float(second)))
    allowed(limiter.take("agent", "t1", 60.0))


def test_a_quiet_window_fills_the_bucket_again() -> None:
    limiter = agent_limiter(5)
    for _ in range(5):
        limiter.take("agent", "t1", 0.0)
    refused(limiter.take("agent", "t1", 0.0))
    assert allowed(limiter.take("agent", "t1", 60.0)).remaining == 4
    assert allowed(limiter.take("agent", "t1", 1000.0)).remaining == 4  # never more than the limit


def test_buckets_are_per_credential_and_per_kind() -> None:
    limiter = agent_limiter(2)
    limiter.take("agent", "t1", 0.0)
    limiter.take("agent", "t1", 0.0)
    refused(limiter.take("agent", "t1", 0.0))
    assert allowed(limiter.take("agent", "t2", 0.0)).remaining == 1
    assert allowed(limiter.take("admin", "t1", 0.0)).limit == 4


def test_zero_or_unknown_kind_is_unlimited() -> None:
    limiter = RateLimiter({"agent": 0}, window_seconds=60.0)
    assert all(limiter.take("agent", "t1", 0.0) is None for _ in range(10_000))
    assert limiter.take("robot", "t1", 0.0) is None


def test_a_short_window_gives_short_waits() -> None:
    limiter = RateLimiter({"admin": 2}, window_seconds=2.0)
    limiter.take("admin", "t", 0.0)
    limiter.take("admin", "t", 0.0)
    assert refused(limiter.take("admin", "t", 0.01)).retry_after == 1
    allowed(limiter.take("admin", "t", 1.01))


@given(
    limit=st.integers(min_value=1, max_value=50),
    gaps=st.lists(st.floats(min_value=0.0, max_value=30.0), max_size=200),
)
def test_retry_after_is_honest_and_no_window_sees_more_than_twice_the_limit(limit: int, gaps: list[float]) -> None:
    """A client that waits out each refusal is let in then, and not a whole second sooner."""
    limiter = agent_limiter(limit)
    now = 0.0
    accepted: list[float] = []
    for gap in gaps:
        now += gap
        decision = limiter.take("agent", "t", now)
        assert decision is not None
        if not decision.allowed:
            assert decision.retry_after >= 1
            if decision.retry_after > 1:
                refused(limiter.take("agent", "t", now + decision.retry_after - 1))
            now += decision.retry_after
            allowed(limiter.take("agent", "t", now))
        accepted.append(now)
    # A burst of `limit`, then `limit` per window.
    for index, start in enumerate(accepted):
        assert len([t for t in accepted[index:] if t < start + 60.0]) <= 2 * limit


def test_settings_parse_limits_over_the_defaults() -> None:
    settings = Settings.from_env({"OPSDESK_RATE_LIMITS": " admin=2 , anonymous=0"})
    assert dict(settings.rate_limits) == {**DEFAULT_RATE_LIMITS, "admin": 2, "anonymous": 0}
    assert settings.rate_window_seconds == 60.0
    assert Settings.from_env({}).rate_limits == {"anonymous": 600, "end-user": 600, "agent": 6000, "admin": 6000}
    assert Settings.from_env({"OPSDESK_RATE_WINDOW_SECONDS": "2.5"}).rate_window_seconds == 2.5


def test_every_role_has_a_default_limit() -> None:
    assert {role.value for role in Role} | {ANONYMOUS} == set(DEFAULT_RATE_LIMITS)


@pytest.mark.parametrize("value", ["agent", "agent=", "agent=-1", "agent=1.5", "robot=5", "agent=many"])
def test_a_bad_limit_is_a_clear_settings_error(value: str) -> None:
    with pytest.raises(SettingsError, match="OPSDESK_RATE_LIMITS must look like"):
        Settings.from_env({"OPSDESK_RATE_LIMITS": value})


@pytest.mark.parametrize("value", ["0", "-3", "soon", "nan", "inf"])
def test_a_bad_window_is_a_clear_settings_error(value: str) -> None:
    with pytest.raises(SettingsError, match="OPSDESK_RATE_WINDOW_SECONDS must be a positive number"):
        Settings.from_env({"OPSDESK_RATE_WINDOW_SECONDS": value})

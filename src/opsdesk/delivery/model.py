"""Outbound messages, their retry plan and the circuit breaker (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from opsdesk.core.backoff import retry_time

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=5)
LONGEST_RETRY = timedelta(hours=1)
BREAKER_THRESHOLD = 5
BREAKER_OPEN_FOR = timedelta(seconds=30)


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class MessageState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    HELD = "held"


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    channel: Channel
    destination: str
    idempotency_key: str
    payload: dict[str, Any]
    state: MessageState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one delivery attempt came to. `retryable=False` ends the message at once (a 4xx)."""

    success: bool
    status_code: int | None = None
    error: str | None = None
    retryable: bool = True


def next_attempt(now: datetime, attempts: int, rng: random.Random) -> datetime | None:
    """When a message that failed `attempts` times is tried again; None once every try is spent."""
    return retry_time(now, attempts, rng, first=FIRST_RETRY, longest=LONGEST_RETRY, max_attempts=MAX_ATTEMPTS)


@dataclass
class CircuitBreaker:
    """Per destination: after `BREAKER_THRESHOLD` failures in a row, hold its messages for a while
    instead of hammering a receiver that is down. One success closes it again."""

    failures: dict[str, int] = field(default_factory=dict)
    open_until: dict[str, datetime] = field(default_factory=dict)

    def is_open(self, destination: str, now: datetime) -> datetime | None:
        until = self.open_until.get(destination)
        return until if until is not None and until > now else None

    def record(self, destination: str, *, success: bool, now: datetime) -> None:
        if success:
            self.failures.pop(destination, None)
            self.open_until.pop(destination, None)
            return
        count = self.failures.get(destination, 0) + 1
        self.failures[destination] = count
        if count >= BREAKER_THRESHOLD:
            self.open_until[destination] = now + BREAKER_OPEN_FOR

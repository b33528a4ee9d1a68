"""The one source of time.

Every timestamp opsdesk writes comes from a `Clock`. Times are always timezone-aware UTC
datetimes with microseconds truncated to whole milliseconds, so that a value survives a round trip
through SQLite and PostgreSQL unchanged. Read the clock once per operation and pass `now` down.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time in UTC."""

    def now(self) -> datetime: ...


def _truncate(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def parse_utc(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive value is read as UTC. Raises ValueError."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _truncate(value.astimezone(UTC))


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return _truncate(datetime.now(UTC))


class ClockMovedBackwards(ValueError):
    """The manual clock only moves forward."""


class ManualClock:
    """A clock that moves only when told to (CONTRACT.md, "The test clock")."""

    def __init__(self, start: datetime) -> None:
        self._now = _truncate(start.astimezone(UTC))
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> datetime:
        """Move to `moment`; raises ClockMovedBackwards for an earlier time."""
        moment = _truncate(moment.astimezone(UTC))
        with self._lock:
            if moment < self._now:
                raise ClockMovedBackwards(moment.isoformat())
            self._now = moment
            return self._now

    def advance(self, seconds: float) -> datetime:
        """Move forward by `seconds` (negative values are refused)."""
        if seconds < 0:
            raise ClockMovedBackwards(str(seconds))
        return self.set(self._now + timedelta(seconds=seconds))


def format_utc(moment: datetime) -> str:
    """The wire form of an instant: `2026-03-02T09:00:00Z` (seconds precision, as Zendesk)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"  # isoformat: 5x strftime's speed

"""Settings read from the environment (CONTRACT.md, "Settings").

Rate limits (`web.ratelimit`):
- `OPSDESK_RATE_LIMITS` — API requests per minute for each kind of caller, as
  `end-user=600,agent=6000,admin=6000,anonymous=600`; a kind left out keeps its default and `0`
  lifts that kind's limit. `anonymous` counts requests without valid credentials per client IP.
- `OPSDESK_RATE_WINDOW_SECONDS` — the length of the "minute" above, default 60. Only tests
  change it, so that a client waiting out a limit waits seconds rather than a minute.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from opsdesk.core.clock import Clock, ManualClock, SystemClock, parse_utc

DEFAULT_DATABASE_URL = "sqlite:///opsdesk.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_MAX_BODY_BYTES = 1_000_000
# Requests per minute; the keys are the user roles (tickets.access.Role) plus `anonymous`.
DEFAULT_RATE_LIMITS: Mapping[str, int] = {"anonymous": 600, "end-user": 600, "agent": 6000, "admin": 6000}
DEFAULT_RATE_WINDOW_SECONDS = 60.0


class SettingsError(ValueError):
    """A setting has a value opsdesk cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    base_url: str
    smtp_url: str | None
    clock_mode: str
    clock_start: datetime | None
    max_body_bytes: int
    rate_limits: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    rate_window_seconds: float = DEFAULT_RATE_WINDOW_SECONDS

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        source = dict(os.environ) if env is None else env
        clock_mode = source.get("OPSDESK_CLOCK", "system")
        if clock_mode not in {"system", "manual"}:
            raise SettingsError(f"OPSDESK_CLOCK must be 'system' or 'manual', not {clock_mode!r}")
        start_text = source.get("OPSDESK_CLOCK_START")
        try:
            clock_start = parse_utc(start_text) if start_text else None
        except ValueError:
            raise SettingsError(f"OPSDESK_CLOCK_START is not an ISO 8601 time: {start_text!r}") from None
        limit_text = source.get("OPSDESK_MAX_BODY_BYTES", str(DEFAULT_MAX_BODY_BYTES))
        if not limit_text.isdigit() or int(limit_text) <= 0:
            raise SettingsError(f"OPSDESK_MAX_BODY_BYTES must be a positive integer, not {limit_text!r}")
        return cls(
            database_url=source.get("OPSDESK_DATABASE_URL", DEFAULT_DATABASE_URL),
            base_url=source.get("OPSDESK_BASE_URL", DEFAULT_BASE_URL).rstrip("/"),
            smtp_url=source.get("OPSDESK_SMTP_URL") or None,
            clock_mode=clock_mode,
            clock_start=clock_start,
            max_body_bytes=int(limit_text),
            rate_limits=_rate_limits(source.get("OPSDESK_RATE_LIMITS", "")),
            rate_window_seconds=_rate_window(source.get("OPSDESK_RATE_WINDOW_SECONDS")),
        )

    def make_clock(self) -> Clock:
        if self.clock_mode == "manual":
            return ManualClock(self.clock_start or SystemClock().now())
        return SystemClock()


def _rate_limits(text: str) -> dict[str, int]:
    """`kind=N,kind=N` over the defaults; every part must name a known kind and a whole number."""
    limits = dict(DEFAULT_RATE_LIMITS)
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        kind, equals, number = (piece.strip() for piece in part.partition("="))
        if not equals or kind not in limits or not number.isdigit():
            kinds = ", ".join(DEFAULT_RATE_LIMITS)
            raise SettingsError(
                f"OPSDESK_RATE_LIMITS must look like 'end-user=600,agent=6000,admin=6000' (requests per minute "
                f"for any of {kinds}; 0 = unlimited), and {part!r} does not"
            )
        limits[kind] = int(number)
    return limits


def _rate_window(text: str | None) -> float:
    if text is None:
        return DEFAULT_RATE_WINDOW_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise SettingsError(f"OPSDESK_RATE_WINDOW_SECONDS must be a positive number of seconds, not {text!r}")
    return seconds

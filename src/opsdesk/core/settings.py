"""Settings read from the environment (CONTRACT.md, "Settings")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from opsdesk.core.clock import Clock, ManualClock, SystemClock, parse_utc

DEFAULT_DATABASE_URL = "sqlite:///opsdesk.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_MAX_BODY_BYTES = 1_000_000


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
        )

    def make_clock(self) -> Clock:
        if self.clock_mode == "manual":
            return ManualClock(self.clock_start or SystemClock().now())
        return SystemClock()

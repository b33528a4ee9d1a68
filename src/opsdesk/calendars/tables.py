"""The business_schedules table: one row per schedule, its week and holidays as JSON."""

from sqlalchemy import Column, Integer, String, Table

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

business_schedules = Table(
    "business_schedules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    # As given: an IANA key ("America/New_York") or a Zendesk name ("Eastern Time (US & Canada)").
    Column("time_zone", String(64), nullable=False),
    # [[start, end], ...] in minutes from Sunday 00:00 local time, sorted by start.
    Column("intervals", JSONValue, nullable=False),
    # [{"id", "name", "start_date": "YYYY-MM-DD", "end_date"}, ...]; ids are unique per schedule.
    Column("holidays", JSONValue, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

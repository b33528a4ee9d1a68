"""The timers table: one row per (kind, key); re-arming a timer moves its due time."""

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

timers = Table(
    "timers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("payload", JSONValue, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    # due -> done | failed | cancelled; a re-armed timer goes back to due.
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("fired_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("kind", "key"),
)
Index("ix_timers_state_due_at", timers.c.state, timers.c.due_at)

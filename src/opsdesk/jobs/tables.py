"""The job status table."""

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

job_statuses = Table(
    "job_statuses",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("job_type", String(64), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("total", Integer, nullable=False),
    Column("progress", Integer, nullable=False),
    Column("message", Text, nullable=True),
    Column("results", JSONValue, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

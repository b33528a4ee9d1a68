"""The views table."""

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

views = Table(
    "views",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("position", Integer, nullable=False, default=0),
    # {"type": "User" | "Group", "id": N, "ids": [...]} or None for every agent.
    Column("restriction", JSONValue, nullable=True),
    Column("conditions", JSONValue, nullable=False),
    Column("execution", JSONValue, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

"""Tables for ticket fields and ticket forms."""

from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

ticket_fields = Table(
    "ticket_fields",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(32), nullable=False),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("position", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("required", Boolean, nullable=False, default=False),
    Column("visible_in_portal", Boolean, nullable=False, default=True),
    Column("editable_in_portal", Boolean, nullable=False, default=True),
    Column("regexp_for_validation", Text, nullable=True),
    Column("custom_field_options", JSONValue, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

ticket_forms = Table(
    "ticket_forms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("display_name", String(255), nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("default", Boolean, nullable=False, default=False),
    Column("end_user_visible", Boolean, nullable=False, default=True),
    Column("ticket_field_ids", JSONValue, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

"""Tables for users and their API tokens."""

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("email", String(320), nullable=True, unique=True),
    Column("role", String(16), nullable=False),
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="SET NULL"), nullable=True),
    Column("default_group_id", Integer, ForeignKey("groups.id", ondelete="SET NULL"), nullable=True),
    # None means "follow the organization"; see tickets/access.py.
    Column("ticket_restriction", String(16), nullable=True),
    Column("shared_comments", Boolean, nullable=True),
    Column("external_id", String(255), nullable=True, unique=True),
    Column("phone", String(64), nullable=True),
    Column("time_zone", String(64), nullable=False, default="UTC"),
    Column("locale", String(16), nullable=False, default="en-US"),
    Column("details", Text, nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
    Column("tags", JSONValue, nullable=False),
    Column("user_fields", JSONValue, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("suspended", Boolean, nullable=False, default=False),
    Column("verified", Boolean, nullable=False, default=False),
    Column("password_hash", String(255), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_users_updated_at_id", users.c.updated_at, users.c.id)
Index("ix_users_organization_id", users.c.organization_id)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("token_hint", String(8), nullable=False),
    Column("description", String(255), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
)

"""Tables for organizations, their domains and memberships."""

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    # Zendesk compares external ids case-insensitively: the column holds the lower-cased key.
    Column("external_id", String(255), nullable=True),
    Column("external_id_key", String(255), nullable=True, unique=True),
    Column("group_id", Integer, ForeignKey("groups.id", ondelete="SET NULL"), nullable=True),
    Column("shared_tickets", Boolean, nullable=False, default=False),
    Column("shared_comments", Boolean, nullable=False, default=False),
    Column("details", Text, nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),
    Column("tags", JSONValue, nullable=False),
    Column("organization_fields", JSONValue, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_organizations_updated_at_id", organizations.c.updated_at, organizations.c.id)

organization_domains = Table(
    "organization_domains",
    metadata,
    Column("domain", String(255), primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True),
)

organization_memberships = Table(
    "organization_memberships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("default", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_id", "organization_id"),
)

"""Tables for business rules (triggers, automations, macros) and stored settings."""

from sqlalchemy import Boolean, Column, Index, Integer, String, Table, Text

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

business_rules = Table(
    "business_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    # trigger | automation | macro
    Column("kind", String(16), nullable=False),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("position", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    # Zendesk's shapes: {"all": [...], "any": [...]} and [{"field", "value"}, ...].
    Column("conditions", JSONValue, nullable=False),
    Column("actions", JSONValue, nullable=False),
    # Macros only: null (shared), {"type": "User", "id": N} or {"type": "Group", "ids": [...]}.
    Column("restriction", JSONValue, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Ids are never reused (SQLite would reuse a deleted highest id): automations remember by id
    # when they fired on a ticket.
    sqlite_autoincrement=True,
)
Index("ix_business_rules_kind_position", business_rules.c.kind, business_rules.c.position, business_rules.c.id)

settings_store = Table(
    "settings_store",
    metadata,
    # "builtins": the built-in workflows' configuration (rules/builtins.py).
    Column("name", String(32), primary_key=True),
    Column("value", JSONValue, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

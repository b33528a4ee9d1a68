"""Tables for outbound messages, their delivery attempts, and webhooks."""

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("endpoint", String(2048), nullable=False),
    Column("http_method", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    # Event types the webhook receives, e.g. "zen:event-type:ticket.created".
    Column("subscriptions", JSONValue, nullable=False),
    Column("signing_secret", String(128), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("channel", String(16), nullable=False),
    # The webhook id for webhooks, the recipient's address for email.
    Column("destination", String(2048), nullable=False),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("payload", JSONValue, nullable=False),
    # pending -> delivered | failed; held while its channel is not configured (no SMTP server).
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("leased_until", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
)
Index("ix_outbox_state_next_attempt_at", outbox.c.state, outbox.c.next_attempt_at)
Index("ix_outbox_channel_destination_id", outbox.c.channel, outbox.c.destination, outbox.c.id)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outbox_id", Integer, ForeignKey("outbox.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("success", Boolean, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
)

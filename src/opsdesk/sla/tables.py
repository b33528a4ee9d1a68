"""SLA policies, and one row of clocks per ticket: SLA history and metrics, status entry times
and automation bookkeeping (what rules read about a ticket's past)."""

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from opsdesk.core.db.naming import metadata
from opsdesk.core.db.types import JSONValue, UTCDateTime

sla_policies = Table(
    "sla_policies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("title", String(255), nullable=False),
    Column("description", Text, nullable=False),
    Column("position", Integer, nullable=False),
    # {"all": [...], "any": [...]}: the trigger condition grammar.
    Column("filter", JSONValue, nullable=False),
    # [{"priority", "metric", "target", "business_hours"}, ...]; target in minutes.
    Column("policy_metrics", JSONValue, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # Ids are never reused (SQLite would reuse a deleted highest id): automations remember by id
    # when they fired on a ticket.
    sqlite_autoincrement=True,
)

ticket_clocks = Table(
    "ticket_clocks",
    metadata,
    Column("ticket_id", Integer, ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    # {"open": "2026-03-02T09:00:00Z", ...}: when the ticket last entered each status.
    Column("status_entered_at", JSONValue, nullable=False),
    Column("assigned_at", UTCDateTime, nullable=True),
    Column("requester_updated_at", UTCDateTime, nullable=True),
    Column("assignee_updated_at", UTCDateTime, nullable=True),
    # [[at, kind, status, by_agent], ...] in time order (sla/model.py HistoryEvent).
    Column("sla_history", JSONValue, nullable=False),
    Column("created_by_agent_publicly", Boolean, nullable=False),
    Column("sla_policy_id", Integer, ForeignKey("sla_policies.id", ondelete="SET NULL"), nullable=True),
    # A list of {metric, stage, breach_at, target, business_hours}.
    Column("sla_metrics", JSONValue, nullable=False),
    Column("next_breach_at", UTCDateTime, nullable=True),
    Column("automation_updates", Integer, nullable=False),
    # Automation id -> when it last fired on this ticket.
    Column("automation_fired", JSONValue, nullable=False),
)
Index("ix_ticket_clocks_sla_policy_id", ticket_clocks.c.sla_policy_id)
Index("ix_ticket_clocks_next_breach_at", ticket_clocks.c.next_breach_at)

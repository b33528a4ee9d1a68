"""What a ticket change sends: events to subscribed webhooks, and email to the requester when a
ticket is created and on every public agent reply. Written in the change's own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from opsdesk.delivery import service
from opsdesk.delivery.model import Channel
from opsdesk.delivery.tables import webhooks

TICKET_CREATED = "zen:event-type:ticket.created"
TICKET_STATUS_CHANGED = "zen:event-type:ticket.status_changed"
TICKET_COMMENT_ADDED = "zen:event-type:ticket.comment_added"
# opsdesk's own: the built-in workflows (rules/builtins.py).
TICKET_SLA_BREACH_WARNING = "opsdesk:event-type:ticket.sla_breach_warning"
TICKET_UNACKNOWLEDGED = "opsdesk:event-type:ticket.unacknowledged"
TICKET_OPEN_TOO_LONG = "opsdesk:event-type:ticket.open_too_long"
EVENT_TYPES = (
    TICKET_CREATED,
    TICKET_STATUS_CHANGED,
    TICKET_COMMENT_ADDED,
    TICKET_SLA_BREACH_WARNING,
    TICKET_UNACKNOWLEDGED,
    TICKET_OPEN_TOO_LONG,
)


def publish(conn: Connection, *, event_type: str, subject_key: str, detail: dict[str, Any], now: datetime) -> None:
    """Queue `event_type` for every active webhook subscribed to it; one message per webhook."""
    rows = conn.execute(select(webhooks.c.id, webhooks.c.subscriptions).where(webhooks.c.status == "active"))
    for webhook_id, subscriptions in rows:
        if event_type not in subscriptions:
            continue
        service.enqueue(
            conn,
            channel=Channel.WEBHOOK,
            destination=str(webhook_id),
            payload={"type": event_type, "time": now.isoformat().replace("+00:00", "Z"), "detail": detail},
            idempotency_key=f"{event_type}:{subject_key}:webhook-{webhook_id}",
            now=now,
        )


def email_requester(
    conn: Connection,
    *,
    to: str,
    ticket_id: int,
    comment_id: int,
    subject: str,
    body: str,
    first: bool,
    now: datetime,
) -> None:
    service.enqueue(
        conn,
        channel=Channel.EMAIL,
        destination=to,
        payload={
            "to": to,
            "ticket_id": ticket_id,
            "comment_id": comment_id,
            "subject": subject,
            "body": body,
            "first": first,
        },
        idempotency_key=f"email:ticket-{ticket_id}:comment-{comment_id}",
        now=now,
    )

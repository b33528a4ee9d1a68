"""Queries for the outbox, delivery attempts and webhooks. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, delete, func, insert, or_, select, update

from opsdesk.delivery.model import Channel, Message, MessageState
from opsdesk.delivery.tables import delivery_attempts, outbox, webhooks


def to_message(row: Row[Any]) -> Message:
    return Message(
        id=row.id,
        channel=Channel(row.channel),
        destination=row.destination,
        idempotency_key=row.idempotency_key,
        payload=dict(row.payload),
        state=MessageState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


def add_message(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(outbox), values)


def claim_ready(conn: Connection, *, now: datetime, lease_until: datetime, limit: int) -> list[Message]:
    """Lease messages that are due; a lease that ran out (its worker died) makes them due again."""
    query = (
        select(outbox)
        .where(
            outbox.c.state == MessageState.PENDING.value,
            outbox.c.next_attempt_at <= now,
            or_(outbox.c.leased_until.is_(None), outbox.c.leased_until < now),
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    messages = [to_message(row) for row in conn.execute(query)]
    if messages:
        conn.execute(update(outbox).where(outbox.c.id.in_([m.id for m in messages])).values(leased_until=lease_until))
    return messages


def record_attempt(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(delivery_attempts), values)


def finish(conn: Connection, message_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(outbox).where(outbox.c.id == message_id).values(leased_until=None, **values))


def next_ready_at(conn: Connection) -> datetime | None:
    return conn.execute(
        select(func.min(outbox.c.next_attempt_at)).where(outbox.c.state == MessageState.PENDING.value)
    ).scalar()


def messages_for(conn: Connection, channel: Channel, destination: str) -> list[Message]:
    rows = conn.execute(
        select(outbox)
        .where(and_(outbox.c.channel == channel.value, outbox.c.destination == destination))
        .order_by(outbox.c.id)
    )
    return [to_message(row) for row in rows]


def get_message(conn: Connection, message_id: int) -> Message | None:
    row = conn.execute(select(outbox).where(outbox.c.id == message_id)).first()
    return to_message(row) if row else None


def attempts_of(conn: Connection, message_ids: list[int]) -> dict[int, list[Row[Any]]]:
    found: dict[int, list[Row[Any]]] = {message_id: [] for message_id in message_ids}
    if message_ids:
        rows = conn.execute(
            select(delivery_attempts)
            .where(delivery_attempts.c.outbox_id.in_(message_ids))
            .order_by(delivery_attempts.c.id)
        )
        for row in rows:
            found[row.outbox_id].append(row)
    return found


def get_webhook(conn: Connection, webhook_id: int) -> Row[Any] | None:
    return conn.execute(select(webhooks).where(webhooks.c.id == webhook_id)).first()


def all_webhooks(conn: Connection) -> list[Row[Any]]:
    return list(conn.execute(select(webhooks).order_by(webhooks.c.id)))


def add_webhook(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(webhooks).values(**values).returning(webhooks.c.id)).scalar_one())


def change_webhook(conn: Connection, webhook_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**values))


def remove_webhook(conn: Connection, webhook_id: int) -> None:
    conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))

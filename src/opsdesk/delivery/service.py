"""Writing messages with the change that causes them, and delivering them after commit.

Delivery leases a batch (so a second worker skips it), sends outside any transaction, then
records the attempt and its outcome. A worker that dies mid-send leaves a lease that runs out,
and the message is sent again: at least once, with the same idempotency key.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Engine

from opsdesk.core.db.uow import reading, writing
from opsdesk.delivery import channels, repo
from opsdesk.delivery.model import (
    Channel,
    CircuitBreaker,
    Message,
    MessageState,
    Outcome,
    next_attempt,
)

log = logging.getLogger("opsdesk.delivery")
LEASE = timedelta(seconds=60)
BATCH = 50
_jitter = random.Random()  # noqa: S311 - retry jitter, not security
_breaker = CircuitBreaker()
_breaker_lock = threading.Lock()


def enqueue(
    conn: Connection,
    *,
    channel: Channel,
    destination: str,
    payload: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    held: bool = False,
) -> None:
    """Write a message in the caller's transaction; it is delivered only if that commits."""
    repo.add_message(
        conn,
        {
            "channel": channel.value,
            "destination": destination,
            "idempotency_key": idempotency_key,
            "payload": payload,
            "state": (MessageState.HELD if held else MessageState.PENDING).value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def _send(message: Message, webhook: Any, mail: MailSettings, now: datetime) -> Outcome:  # noqa: ANN401 - a webhook row
    if message.channel is Channel.EMAIL:
        assert mail.smtp_url is not None
        return channels.send_email(
            mail.smtp_url, mail.domain, message.payload, idempotency_key=message.idempotency_key, now=now
        )
    if webhook is None or webhook.status != "active":
        return Outcome(success=False, error="the webhook was deleted or deactivated", retryable=False)
    return channels.send_webhook(
        endpoint=webhook.endpoint,
        method=webhook.http_method,
        body=message.payload,
        secret=webhook.signing_secret,
        idempotency_key=message.idempotency_key,
        now=now,
    )


def _breaker_key(message: Message, webhook: Any, mail: MailSettings) -> str:  # noqa: ANN401 - a webhook row
    """The server a message goes to: a webhook's scheme and host:port, or the SMTP server. One
    breaker per server, so a dead endpoint shared by several webhooks is left alone by all."""
    if message.channel is Channel.EMAIL:
        return f"smtp:{mail.smtp_url}"
    if webhook is None:
        return f"webhook:{message.destination}"
    parts = urlsplit(webhook.endpoint)
    return f"webhook:{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class MailSettings:
    smtp_url: str | None
    domain: str


def deliver_ready(engine: Engine, *, now: datetime, mail: MailSettings) -> int:
    """Attempt every message due at `now`, one batch; returns how many were attempted."""
    with writing(engine) as conn:
        batch = repo.claim_ready(conn, now=now, lease_until=now + LEASE, limit=BATCH)
    for message in batch:
        if message.channel is Channel.EMAIL and mail.smtp_url is None:
            log.info("email %s to %s kept in the outbox: OPSDESK_SMTP_URL is not set", message.id, message.destination)
            with writing(engine) as conn:
                repo.finish(conn, message.id, {"state": MessageState.HELD.value})
            continue
        webhook = None
        if message.channel is Channel.WEBHOOK:
            with reading(engine) as conn:
                webhook = repo.get_webhook(conn, int(message.destination))
        key = _breaker_key(message, webhook, mail)
        with _breaker_lock:
            open_until = _breaker.is_open(key, now)
        if open_until is not None:
            with writing(engine) as conn:
                repo.finish(conn, message.id, {"next_attempt_at": open_until})
            continue
        started = time.monotonic()
        outcome = _send(message, webhook, mail, now)
        duration_ms = int((time.monotonic() - started) * 1000)
        with _breaker_lock:
            _breaker.record(key, success=outcome.success, now=now)
        _record(engine, message, outcome, duration_ms, now)
    return len(batch)


def _record(engine: Engine, message: Message, outcome: Outcome, duration_ms: int, now: datetime) -> None:
    attempts = message.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_error": outcome.error}
    if outcome.success:
        values.update(state=MessageState.DELIVERED.value, delivered_at=now)
    else:
        retry = next_attempt(now, attempts, _jitter) if outcome.retryable else None
        if retry is None:
            values["state"] = MessageState.FAILED.value
            log.warning("message %s to %s failed for good: %s", message.id, message.destination, outcome.error)
        else:
            values["next_attempt_at"] = retry
    with writing(engine) as conn:
        repo.record_attempt(
            conn,
            {
                "outbox_id": message.id,
                "attempted_at": now,
                "duration_ms": duration_ms,
                "success": outcome.success,
                "status_code": outcome.status_code,
                "error": outcome.error,
            },
        )
        repo.finish(conn, message.id, values)


def deliver_all_ready(engine: Engine, *, now: datetime, mail: MailSettings) -> int:
    attempted = 0
    while True:
        count = deliver_ready(engine, now=now, mail=mail)
        attempted += count
        if count < BATCH:
            return attempted


def attempts_by_message(conn: Connection, messages: list[Message]) -> Mapping[int, list[Any]]:
    return repo.attempts_of(conn, [m.id for m in messages])


def mail_settings(smtp_url: str | None, base_url: str) -> MailSettings:
    """Outbound mail is sent as support@ the host of the public URL (`OPSDESK_BASE_URL`)."""
    host = urlsplit(base_url).hostname or "opsdesk.local"
    return MailSettings(smtp_url=smtp_url, domain="opsdesk.local" if host.replace(".", "").isdigit() else host)


def next_ready_at(engine: Engine) -> datetime | None:
    with reading(engine) as conn:
        return repo.next_ready_at(conn)

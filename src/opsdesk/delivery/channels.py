"""The transports: HTTP webhooks (signed, 10 s timeout) and email over SMTP.

Webhook requests carry Zendesk's signature headers: `X-Zendesk-Webhook-Signature` is
base64(HMAC-SHA256(secret, timestamp + body)) and `X-Zendesk-Webhook-Signature-Timestamp` the
timestamp; `X-Opsdesk-Delivery` and `Idempotency-Key` carry the message's idempotency key, the
same on every retry, so a receiver can drop duplicates.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import urllib.error
import urllib.request
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import orjson

from opsdesk.core.clock import format_utc
from opsdesk.delivery.model import Outcome

WEBHOOK_TIMEOUT_SECONDS = 10.0
SMTP_TIMEOUT_SECONDS = 10.0
_RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def send_webhook(
    *, endpoint: str, method: str, body: dict[str, Any], secret: str, idempotency_key: str, now: datetime
) -> Outcome:
    raw = orjson.dumps(body)
    timestamp = format_utc(now)
    request = urllib.request.Request(  # noqa: S310 - the endpoint's scheme is checked when it is saved
        endpoint,
        data=raw if method != "GET" else None,
        method=method,
        headers={
            "Content-Type": "application/json",
            "User-Agent": "opsdesk-webhooks",
            "X-Zendesk-Webhook-Signature": signature(secret, timestamp, raw),
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Opsdesk-Delivery": idempotency_key,
            "Idempotency-Key": idempotency_key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            return Outcome(success=True, status_code=response.status)
    except urllib.error.HTTPError as exc:
        retryable = exc.code >= 500 or exc.code in _RETRYABLE_STATUSES  # noqa: PLR2004 - server errors
        return Outcome(success=False, status_code=exc.code, error=f"HTTP {exc.code}", retryable=retryable)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return Outcome(success=False, error=f"{type(exc).__name__}: {exc}")


def send_email(
    smtp_url: str, mail_domain: str, payload: dict[str, Any], *, idempotency_key: str, now: datetime
) -> Outcome:
    """Send one ticket email. Threading headers derive from the ticket and comment ids, so a
    retry carries the same Message-ID, and every message of a ticket threads under its first."""
    parts = urlsplit(smtp_url)
    ticket_id = payload["ticket_id"]
    thread_root = f"<ticket-{ticket_id}@{mail_domain}>"
    message = EmailMessage()
    message["From"] = f"Support <support@{mail_domain}>"
    message["To"] = payload["to"]
    message["Subject"] = f"[#{ticket_id}] {payload['subject']}"
    message["Reply-To"] = f"support+id{ticket_id}@{mail_domain}"
    message["Date"] = format_datetime(now)
    if payload.get("comment_id") and not payload.get("first"):
        message["Message-ID"] = f"<ticket-{ticket_id}-comment-{payload['comment_id']}@{mail_domain}>"
        message["In-Reply-To"] = thread_root
        message["References"] = thread_root
    elif payload.get("message_key"):  # a rule's notification: its own id, in the ticket's thread
        message["Message-ID"] = f"<ticket-{ticket_id}-{payload['message_key']}@{mail_domain}>"
        message["In-Reply-To"] = thread_root
        message["References"] = thread_root
    else:
        message["Message-ID"] = thread_root
    message["X-Opsdesk-Delivery"] = idempotency_key
    message.set_content(payload["body"])
    try:
        with smtplib.SMTP(parts.hostname or "127.0.0.1", parts.port or 25, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if parts.username:
                smtp.login(parts.username, parts.password or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        return Outcome(success=False, error=f"recipient refused: {exc}", retryable=False)
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(success=False, error=f"{type(exc).__name__}: {exc}")
    return Outcome(success=True)

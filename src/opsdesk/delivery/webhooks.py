"""Webhook use cases: save with validation, rotate secrets, and read invocations and attempts."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, Row

from opsdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from opsdesk.delivery import repo
from opsdesk.delivery.events import EVENT_TYPES
from opsdesk.delivery.model import Channel, Message
from opsdesk.tickets.access import Viewer

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Zendesk's subscription for trigger- and automation-driven webhooks, accepted so that exported
# webhooks import; opsdesk's triggers arrive with the rules engine.
TRIGGER_SUBSCRIPTION = "conditional_ticket_events"


def _require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise PermissionDenied("Only admins manage webhooks")


def get_webhook_or_raise(conn: Connection, actor: Viewer, webhook_id: int) -> Row[Any]:
    _require_admin(actor)
    row = repo.get_webhook(conn, webhook_id)
    if row is None:
        raise NotFound("Webhook", webhook_id)
    return row


def _row(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:  # noqa: C901 - one check per attribute
    row: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if creating or "name" in values:
        name = str(values.get("name") or "").strip()
        if not name:
            errors["name"] = ["cannot be blank"]
        row["name"] = name[:255]
    if creating or "endpoint" in values:
        endpoint = str(values.get("endpoint") or "")
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors["endpoint"] = ["must be an http or https URL"]
        row["endpoint"] = endpoint
    if creating or "http_method" in values:
        method = str(values.get("http_method") or "POST").upper()
        if method not in METHODS:
            errors["http_method"] = [f"must be one of {', '.join(METHODS)}"]
        row["http_method"] = method
    if creating or "status" in values:
        status = values.get("status") or "active"
        if status not in ("active", "inactive"):
            errors["status"] = ["must be active or inactive"]
        row["status"] = status
    if values.get("request_format", "json") != "json":
        errors["request_format"] = ["only json is supported"]
    if creating or "subscriptions" in values:
        subscriptions = values.get("subscriptions") or [TRIGGER_SUBSCRIPTION]
        unknown = [s for s in subscriptions if s not in (*EVENT_TYPES, TRIGGER_SUBSCRIPTION)]
        if not isinstance(subscriptions, list) or unknown:
            errors["subscriptions"] = [f"unknown subscriptions {unknown}; known: {', '.join(EVENT_TYPES)}"]
        row["subscriptions"] = subscriptions
    if errors:
        raise InvalidInput("Record validation errors", errors)
    return row


def create_webhook(conn: Connection, *, actor: Viewer, values: dict[str, Any], now: datetime) -> Row[Any]:
    _require_admin(actor)
    webhook_id = repo.add_webhook(
        conn,
        {
            **_row(values, creating=True),
            "signing_secret": secrets.token_urlsafe(32),
            "created_by": actor.user_id,
            "created_at": now,
            "updated_at": now,
        },
    )
    return get_webhook_or_raise(conn, actor, webhook_id)


def update_webhook(
    conn: Connection, *, actor: Viewer, webhook_id: int, values: dict[str, Any], now: datetime
) -> Row[Any]:
    get_webhook_or_raise(conn, actor, webhook_id)
    repo.change_webhook(conn, webhook_id, {**_row(values, creating=False), "updated_at": now})
    return get_webhook_or_raise(conn, actor, webhook_id)


def rotate_secret(conn: Connection, *, actor: Viewer, webhook_id: int, now: datetime) -> str:
    get_webhook_or_raise(conn, actor, webhook_id)
    secret = secrets.token_urlsafe(32)
    repo.change_webhook(conn, webhook_id, {"signing_secret": secret, "updated_at": now})
    return secret


def delete_webhook(conn: Connection, *, actor: Viewer, webhook_id: int) -> None:
    get_webhook_or_raise(conn, actor, webhook_id)
    repo.remove_webhook(conn, webhook_id)


def invocations(conn: Connection, *, actor: Viewer, webhook_id: int) -> list[Message]:
    get_webhook_or_raise(conn, actor, webhook_id)
    return repo.messages_for(conn, Channel.WEBHOOK, str(webhook_id))


def attempts(conn: Connection, *, actor: Viewer, webhook_id: int, invocation_id: int) -> list[Row[Any]]:
    get_webhook_or_raise(conn, actor, webhook_id)
    message = repo.get_message(conn, invocation_id)
    if message is None or message.channel is not Channel.WEBHOOK or message.destination != str(webhook_id):
        raise NotFound("Invocation", invocation_id)
    return repo.attempts_of(conn, [invocation_id])[invocation_id]

"""Users as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from opsdesk.tickets.access import Role

TICKET_RESTRICTIONS = frozenset({"requested", "organization", "groups", "assigned"})
END_USER_RESTRICTIONS = frozenset({"requested", "organization"})
AGENT_RESTRICTIONS = frozenset({"groups", "assigned"})
MIN_PASSWORD_LENGTH = 8
MAX_EMAIL_LENGTH = 320


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    email: str | None
    role: Role
    organization_id: int | None
    default_group_id: int | None
    ticket_restriction: str | None
    shared_comments: bool | None
    external_id: str | None
    phone: str | None
    time_zone: str
    locale: str
    details: str
    notes: str
    tags: list[str]
    user_fields: dict[str, Any]
    active: bool
    suspended: bool
    verified: bool
    has_password: bool
    created_at: datetime
    updated_at: datetime


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def normalize_email(email: str) -> str:
    return email.strip().lower()


def looks_like_email(email: str) -> bool:
    local, _, domain = email.partition("@")
    return bool(local) and "." in domain and " " not in email and len(email) <= MAX_EMAIL_LENGTH

"""Organizations as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

MIN_DOMAIN_LABELS = 2


@dataclass(frozen=True, slots=True)
class Organization:
    id: int
    name: str
    external_id: str | None
    group_id: int | None
    shared_tickets: bool
    shared_comments: bool
    details: str
    notes: str
    tags: list[str]
    organization_fields: dict[str, Any]
    domain_names: list[str]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    id: int
    user_id: int
    organization_id: int
    default: bool
    created_at: datetime
    updated_at: datetime


def normalize_domain(domain: str) -> str | None:
    """A bare domain name in lower case, or None when it is not one (seed 003: no special characters)."""
    value = domain.strip().lower()
    labels = value.split(".")
    if len(labels) < MIN_DOMAIN_LABELS or any(
        not label or not all(c.isalnum() or c == "-" for c in label) for label in labels
    ):
        return None
    return value

"""Groups as the domain sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    name: str
    description: str
    default: bool
    deleted: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class GroupMembership:
    id: int
    user_id: int
    group_id: int
    default: bool
    created_at: datetime
    updated_at: datetime

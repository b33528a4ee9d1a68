"""Ticket vocabulary and the status rules, as a transition table.

Pure: no database, no clock. `next_status` is the only place that decides a ticket's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from opsdesk.core.errors import InvalidTransition


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketType(StrEnum):
    QUESTION = "question"
    INCIDENT = "incident"
    PROBLEM = "problem"
    TASK = "task"


class Channel(StrEnum):
    """How a change arrived (Zendesk's `via.channel`)."""

    WEB = "web"
    EMAIL = "email"
    API = "api"
    MAIL_LIST = "mail_list"
    RULE = "rule"
    SYSTEM = "system"
    MERGE = "merge"
    FOLLOWUP = "follow_up"


class Mover(StrEnum):
    """Who is changing the ticket, as far as the status rules care."""

    AGENT = "agent"
    REQUESTER = "requester"
    SYSTEM = "system"


# What each mover may set a status to, by the status the ticket has now. `closed` is set only by
# the system (merges, automations); nothing leaves `closed`; nothing returns to `new`.
ALLOWED_MOVES: dict[tuple[Mover, Status], frozenset[Status]] = {
    **{
        (Mover.AGENT, current): frozenset({Status.OPEN, Status.PENDING, Status.HOLD, Status.SOLVED})
        for current in (Status.NEW, Status.OPEN, Status.PENDING, Status.HOLD, Status.SOLVED)
    },
    **{(Mover.REQUESTER, current): frozenset({Status.SOLVED}) for current in Status if current is not Status.CLOSED},
    **{
        (Mover.SYSTEM, current): frozenset({Status.OPEN, Status.PENDING, Status.HOLD, Status.SOLVED, Status.CLOSED})
        for current in Status
        if current is not Status.CLOSED
    },
}

# The status an update moves a ticket to when it does not ask for one, keyed by
# (status now, mover, whether the update carries a public comment). Missing keys: no change.
IMPLIED_MOVES: dict[tuple[Status, Mover, bool], Status] = {
    (Status.NEW, Mover.AGENT, False): Status.OPEN,
    (Status.NEW, Mover.AGENT, True): Status.OPEN,
    (Status.PENDING, Mover.REQUESTER, True): Status.OPEN,
    (Status.HOLD, Mover.REQUESTER, True): Status.OPEN,
    (Status.SOLVED, Mover.REQUESTER, True): Status.OPEN,
}


def next_status(current: Status, *, mover: Mover, requested: Status | None, public_comment: bool) -> Status:
    """The status a ticket has after an update; raises InvalidTransition for a forbidden move.

    An internal note is `public_comment=False` and so never reopens a ticket on its own.
    """
    if current is Status.CLOSED:
        raise InvalidTransition("Closed tickets cannot be updated", {"status": ["closed prevents ticket update"]})
    if requested is None or requested is current:
        return IMPLIED_MOVES.get((current, mover, public_comment), current)
    if requested not in ALLOWED_MOVES.get((mover, current), frozenset()):
        raise InvalidTransition(
            "Record validation errors",
            {"status": [f"cannot change from {current} to {requested}"]},
        )
    return requested


@dataclass(frozen=True, slots=True)
class StatusChange:
    previous: Status
    current: Status


MERGE_TAGS = ("closed_by_merge", "close_by_merge")

# The timer a status starts (tickets/tasks.py); how long after, the built-in settings say
# (rules/builtins.py: 5 days pending, 4 days solved).
STATUS_TIMERS: dict[Status, str] = {
    Status.PENDING: "ticket.pending_autosolve",
    Status.SOLVED: "ticket.solved_autoclose",
}


def normalize_tags(raw: list[str]) -> list[str]:
    """Zendesk tags: lower-case, spaces become underscores, no duplicates, order kept."""
    seen: dict[str, None] = {}
    for tag in raw:
        for word in tag.strip().lower().split():
            seen.setdefault(word, None)
    return list(seen)


@dataclass(frozen=True, slots=True)
class Ticket:
    id: int
    subject: str
    description: str
    requester_id: int
    submitter_id: int
    assignee_id: int | None
    group_id: int | None
    organization_id: int | None
    ticket_form_id: int | None
    status: Status
    priority: Priority | None
    type: TicketType | None
    via_channel: Channel
    external_id: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    collaborator_ids: list[int]
    followup_ids: list[int]
    followup_source_id: int | None
    problem_id: int | None
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    solved_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttachmentMeta:
    id: int
    file_name: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    ticket_id: int
    audit_id: int
    author_id: int
    body: str
    html_body: str
    public: bool
    via_channel: Channel
    created_at: datetime
    attachments: list[AttachmentMeta]


@dataclass(frozen=True, slots=True)
class Audit:
    """One immutable record of one create or update, with its typed events (Zendesk's shapes)."""

    id: int
    ticket_id: int
    author_id: int | None
    via_channel: Channel
    events: list[dict[str, Any]]
    metadata: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CommentDraft:
    """A comment to add: plain `body` or `html_body`; `public=False` is an internal note."""

    body: str | None = None
    html_body: str | None = None
    public: bool = True
    author_id: int | None = None
    uploads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RequesterDraft:
    email: str
    name: str | None = None


# Ticket attributes an update may change, by domain name. Values are already typed by the
# API layer; the service checks references and rules.
EDITABLE_FIELDS = frozenset(
    {
        "subject",
        "requester_id",
        "assignee_id",
        "group_id",
        "organization_id",
        "ticket_form_id",
        "status",
        "priority",
        "type",
        "external_id",
        "tags",
        "additional_tags",
        "remove_tags",
        "custom_fields",
        "collaborator_ids",
        "due_at",
        "problem_id",
    }
)

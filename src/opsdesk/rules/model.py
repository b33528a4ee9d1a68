"""Rules as typed data (pure): conditions, actions, and what the engine reads and returns.

Vocabulary is Zendesk's own (`update_type`, `status`, `current_tags`, `notification_webhook`, …),
so rules exported from a Zendesk account import unchanged. Times are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RuleKind(StrEnum):
    TRIGGER = "trigger"
    AUTOMATION = "automation"
    MACRO = "macro"


@dataclass(frozen=True, slots=True)
class Condition:
    """One `{"field": …, "operator": …, "value": …}` of a rule's `all` or `any` list."""

    field: str
    operator: str
    value: Any


@dataclass(frozen=True, slots=True)
class Conditions:
    """True when every `all` condition holds and, if `any` is not empty, at least one `any` does."""

    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True)
class Action:
    """One `{"field": …, "value": …}`; `value` is a string, a number or a list, as in Zendesk."""

    field: str
    value: Any


@dataclass(frozen=True, slots=True)
class Rule:
    """A trigger or an automation (macros have no conditions)."""

    id: int
    title: str
    position: int
    active: bool
    conditions: Conditions
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class TicketState:
    """The ticket fields rules read and write, by domain name (status values are `Status` values)."""

    id: int
    subject: str
    status: str
    priority: str | None
    type: str | None
    group_id: int | None
    assignee_id: int | None
    requester_id: int
    submitter_id: int
    organization_id: int | None
    ticket_form_id: int | None
    via_channel: str
    tags: tuple[str, ...]
    custom_fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Update:
    """The create or update that triggers look at.

    `previous` is the ticket before the update (None for a create). `actor_role` is `end-user`,
    `agent`, `admin` or None for the system; `comment_public` is None when the update has no comment.
    """

    is_create: bool
    via_channel: str
    actor_id: int | None
    actor_role: str | None
    previous: TicketState | None
    comment_public: bool | None = None
    comment_body: str = ""
    comment_author_is_requester: bool = False


@dataclass(frozen=True, slots=True)
class Clocks:
    """When things last happened to a ticket, for automations' hours-since conditions (UTC).

    `status_entered_at` maps a status value to the last time the ticket entered it.
    `next_sla_breach_at` is the earliest breach of an active SLA metric, None when none runs.
    """

    created_at: datetime
    updated_at: datetime
    status_entered_at: Mapping[str, datetime]
    assigned_at: datetime | None = None
    requester_updated_at: datetime | None = None
    assignee_updated_at: datetime | None = None
    due_at: datetime | None = None
    next_sla_breach_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """A message a rule asks for. `kind` is `user`, `group` or `webhook`; `target` is a user id,
    `requester_id`, `assignee_id`, `current_user`, a group id, `group_id`, or a webhook id.
    `subject` and `body` still hold placeholders (rendered by the caller with `placeholders.render`)."""

    kind: str
    target: str
    subject: str
    body: str
    rule_id: int
    rule_title: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What running rules did: the ticket after their actions, rules fired in order, messages asked for."""

    state: TicketState
    fired: tuple[int, ...]
    notifications: tuple[Notification, ...]
    comment: MacroComment | None = None


@dataclass(frozen=True, slots=True)
class MacroComment:
    body: str
    html: bool
    public: bool

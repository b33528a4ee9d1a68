"""What a rule's actions do to a ticket (pure): field changes, tag changes, messages, a macro comment.

Values are read in the canonical form `vocabulary.parse_actions` gives (numeric strings are
accepted too). `""` clears a field; `"current_user"` is the person making the update, and an
action naming them does nothing when there is none (automations run as the system). A closed
ticket keeps its fields: actions on it only ask for messages. Notifications keep their
placeholders; the caller renders them (`placeholders.render`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from opsdesk.rules import _values as v
from opsdesk.rules.model import Action, MacroComment, Notification, TicketState
from opsdesk.tickets.model import Status, normalize_tags

_NOTIFICATION_KINDS = {"notification_user": "user", "notification_group": "group", "notification_webhook": "webhook"}


def _optional_id(value: object) -> int | None:
    return None if value in (None, v.NONE) else int(str(value))


def _optional_text(value: object) -> str | None:
    return None if value in (None, v.NONE) else str(value)


# Plain field actions: the ticket attribute they set and how the value becomes it.
_FIELD_SETTERS: dict[str, Callable[[Any], Any]] = {
    "status": str,
    "priority": _optional_text,
    "type": _optional_text,
    "group_id": _optional_id,
    "ticket_form_id": _optional_id,
    "subject": str,
}


def _notification(action: Action, rule_id: int, rule_title: str) -> Notification:
    kind = _NOTIFICATION_KINDS[action.field]
    if kind == "webhook":
        webhook, body = action.value
        return Notification(kind, str(webhook), "", str(body), rule_id, rule_title)
    recipient, subject, body = action.value
    return Notification(kind, str(recipient), str(subject), str(body), rule_id, rule_title)


class _Draft:
    """The ticket's changing fields while actions run, turned into a new `TicketState` once.
    Tags and custom fields are copied only when an action changes them."""

    def __init__(self, state: TicketState) -> None:
        self.state = state
        self.changes: dict[str, Any] = {}
        self.tags: list[str] | None = None
        self.custom_fields: dict[str, Any] | None = None
        self.comment_body: str | None = None
        self.comment_html = False
        self.comment_public = True

    def change_tags(self, field: str, value: object) -> None:
        named = normalize_tags([str(value)])
        current = list(self.state.tags) if self.tags is None else self.tags
        if field == "set_tags":
            self.tags = named
        elif field == "current_tags":
            self.tags = normalize_tags([*current, *named])
        else:
            removed = set(named)
            self.tags = [tag for tag in current if tag not in removed]

    def set_field(self, field: str, value: object, actor_id: int | None) -> None:
        if field in _FIELD_SETTERS:
            self.changes[field] = _FIELD_SETTERS[field](value)
        elif field == "assignee_id":
            if value != v.CURRENT_USER:
                self.changes[field] = _optional_id(value)
            elif actor_id is not None:
                self.changes[field] = actor_id
        elif field in {"set_tags", "current_tags", "remove_tags"}:
            self.change_tags(field, value)
        elif (key := v.custom_field_id(field)) is not None:
            if self.custom_fields is None:
                self.custom_fields = dict(self.state.custom_fields)
            self.custom_fields[key] = value
        else:
            raise ValueError(f"unknown action field '{field}'")

    def comment(self, field: str, value: object) -> None:
        if field == "comment_mode_is_public":
            self.comment_public = str(value) == "true"
            return
        self.comment_body = str(value[-1] if isinstance(value, list) else value)
        self.comment_html = field == "comment_value_html"

    def ticket(self) -> TicketState:
        """The ticket with the changes; the same object when nothing really changed."""
        if self.tags is not None:
            self.changes["tags"] = tuple(self.tags)
        if self.custom_fields is not None:
            self.changes["custom_fields"] = self.custom_fields
        changed = {name: value for name, value in self.changes.items() if getattr(self.state, name) != value}
        return replace(self.state, **changed) if changed else self.state


def apply_actions(
    actions: Sequence[Action],
    state: TicketState,
    *,
    actor_id: int | None,
    rule_id: int = 0,
    rule_title: str = "",
) -> tuple[TicketState, list[Notification], MacroComment | None]:
    """The ticket after the actions, in order; the messages they ask for, labelled with the rule
    (`rule_id` 0 for a macro); and the comment a macro adds, if any."""
    draft = _Draft(state)
    notifications: list[Notification] = []
    frozen = state.status == Status.CLOSED
    for action in actions:
        field, value = action.field, action.value
        if field in _NOTIFICATION_KINDS:
            notifications.append(_notification(action, rule_id, rule_title))
        elif field.startswith("comment_"):
            draft.comment(field, value)
        elif not frozen:
            draft.set_field(field, value, actor_id)
    after = draft.ticket()
    comment = None
    if draft.comment_body is not None:
        comment = MacroComment(draft.comment_body, draft.comment_html, draft.comment_public)
    return after, notifications, comment

"""What rule values mean (pure): operator families, orders, channels, and value normalisers.

A normaliser takes a value as Zendesk sends it and returns the canonical form the engine reads,
or raises ValueError with a reason a person can act on. Canonical forms: ids and hours are ints,
`""` means none and `"current_user"` the person making the update (both kept as sent), tags are
one lower-case space-separated string, channels are `Channel` values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from opsdesk.tickets.model import Channel, Priority, Status, TicketType, normalize_tags

EQUALITY = frozenset({"is", "is_not"})
ORDERED = EQUALITY | {"less_than", "greater_than"}
CHANGE_OPERATORS = frozenset({"changed", "not_changed", "value", "value_previous", "not_value", "not_value_previous"})
TAG_OPERATORS = frozenset({"includes", "not_includes"})
TEXT_OPERATORS = TAG_OPERATORS | EQUALITY
BUSINESS = "_business_hours"
TIME_OPERATORS = frozenset(
    {"is", "less_than", "greater_than", f"is{BUSINESS}", f"less_than{BUSINESS}", f"greater_than{BUSINESS}"}
)

# Hours-since fields and the status each one needs the ticket to be in (None: any status).
# Zendesk names the "hours since created" field NEW.
SINCE_FIELDS: Mapping[str, str | None] = {
    "NEW": None,
    "OPEN": Status.OPEN.value,
    "PENDING": Status.PENDING.value,
    "HOLD": Status.HOLD.value,
    "SOLVED": Status.SOLVED.value,
    "CLOSED": Status.CLOSED.value,
    "assigned_at": None,
    "updated_at": None,
    "requester_updated_at": None,
    "assignee_updated_at": None,
    "due_date": None,
}
UNTIL_FIELDS = frozenset({"until_due_date", "until_sla_next_breach_at"})
TIME_FIELDS = frozenset(SINCE_FIELDS) | UNTIL_FIELDS

CURRENT_USER = "current_user"
NONE = ""

STATUS_RANK: Mapping[str, int] = {status.value: rank for rank, status in enumerate(Status)}
# No priority (`""`) ranks below low.
PRIORITY_RANK: Mapping[str, int] = {NONE: 0, **{p.value: rank for rank, p in enumerate(Priority, start=1)}}

# Zendesk's via ids (developer.zendesk.com, "Via types reference"). 0, 4, 5, 8 and 19 are from
# that table; 27 for follow-ups ("closed_ticket") is from memory and worth checking. `system`
# and `mail_list` have no Zendesk number and are matched by name only.
VIA_IDS: Mapping[int, Channel] = {
    0: Channel.WEB,
    4: Channel.EMAIL,
    5: Channel.API,
    8: Channel.RULE,
    19: Channel.MERGE,
    27: Channel.FOLLOWUP,
}
# Zendesk's via type names for the same channels, accepted as values too.
VIA_NAMES: Mapping[str, Channel] = {
    "web_form": Channel.WEB,
    "mail": Channel.EMAIL,
    "web_service": Channel.API,
    "closed_ticket": Channel.FOLLOWUP,
} | {channel.value: channel for channel in Channel}

_CUSTOM_FIELD = re.compile(r"custom_fields_([1-9]\d*)")
_WHOLE_NUMBER = re.compile(r"[0-9]+")
_ROLES = {"end_user": "end_user", "end-user": "end_user", "agent": "agent", "admin": "admin"}
_COMMENT_VISIBILITY = frozenset({"true", "false", "not_relevant", "requester_can_see_comment"})


def holds(field: str, operator: str, expected: object, actual: object) -> bool:
    """Whether a canonical `actual` value satisfies `field operator expected` (is, is_not, less_than,
    greater_than); the slow, general form of what the compiled conditions do."""
    if operator == "is":
        return actual == expected
    if operator == "is_not":
        return actual != expected
    ranks = STATUS_RANK if field == "status" else PRIORITY_RANK
    if operator == "less_than":
        return ranks[str(actual)] < ranks[str(expected)]
    return ranks[str(actual)] > ranks[str(expected)]


def custom_field_id(field: str) -> str | None:
    """`"360001"` for `custom_fields_360001`; None for any other field name."""
    found = _CUSTOM_FIELD.fullmatch(field)
    return found.group(1) if found else None


def as_text(value: object) -> str:
    """A custom field value as the text rules compare: None is `""`, booleans `true`/`false`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def tag_set(tags: str) -> frozenset[str]:
    return frozenset(normalize_tags([tags]))


def _whole_number(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def status(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in STATUS_RANK:
        return value.strip().lower()
    raise ValueError(f"{value!r} is not a ticket status ({', '.join(STATUS_RANK)})")


def settable_status(value: object) -> str:
    """A status an action may set: any but new (nothing returns a ticket to new)."""
    found = status(value)
    if found == Status.NEW:
        raise ValueError("a rule cannot set a ticket back to new")
    return found


def priority(value: object) -> str:
    if value in (None, NONE):
        return NONE
    if isinstance(value, str) and value.strip().lower() in {p.value for p in Priority}:
        return value.strip().lower()
    raise ValueError(f'{value!r} is not a priority (low, normal, high, urgent, or "" for none)')


def ticket_type(value: object) -> str:
    if value in (None, NONE):
        return NONE
    if isinstance(value, str) and value.strip().lower() in {t.value for t in TicketType}:
        return value.strip().lower()
    raise ValueError(f'{value!r} is not a ticket type (question, incident, problem, task, or "" for none)')


def reference(value: object) -> int | str:
    """An id, or `""` for none."""
    if value in (None, NONE):
        return NONE
    number = _whole_number(value)
    if number is None or number <= 0:
        raise ValueError(f'{value!r} is not an id (a positive whole number, or "" for none)')
    return number


def required_reference(value: object) -> int:
    number = _whole_number(value)
    if number is None or number <= 0:
        raise ValueError(f"{value!r} is not an id (a positive whole number)")
    return number


def person(value: object) -> int | str:
    """A user id, `""` for nobody, or `"current_user"` for whoever makes the update."""
    if value == CURRENT_USER:
        return CURRENT_USER
    try:
        return reference(value)
    except ValueError:
        raise ValueError(f'{value!r} is not a user id, "current_user", or "" for nobody') from None


def hours(value: object) -> int:
    number = _whole_number(value)
    if number is None:
        raise ValueError(f"{value!r} is not a number of whole hours")
    return number


def words(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("needs at least one word")
    return value.strip()


def tags(value: object) -> str:
    """Space-separated tags (a list of tags is accepted too), normalised as tickets keep them."""
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return " ".join(normalize_tags(value))
    if isinstance(value, str):
        return " ".join(normalize_tags([value]))
    raise ValueError("must be tags separated by spaces")


def text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")  # noqa: TRY004 - normalisers refuse with ValueError; parsing collects them
    return value


def update_type(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in {"create", "change"}:
        return value.strip().capitalize()
    raise ValueError(f"{value!r} is not an update type (Create or Change)")


def comment_visibility(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in _COMMENT_VISIBILITY:
        return value.strip().lower()
    raise ValueError(f"{value!r} is not one of {', '.join(sorted(_COMMENT_VISIBILITY))}")


def flag(value: object) -> str:
    """`"true"` or `"false"` (booleans accepted)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower()
    raise ValueError(f'{value!r} is not "true" or "false"')


def via(value: object) -> str | int:
    """A channel from a Zendesk via id or a channel name. A via id opsdesk has no channel for
    (chat, 29; twitter, 30; ...) is kept as the number: such a condition never sees it."""
    number = _whole_number(value)
    if number is not None:
        known = VIA_IDS.get(number)
        return known.value if known is not None else number
    if isinstance(value, str) and value.strip().lower() in VIA_NAMES:
        return VIA_NAMES[value.strip().lower()].value
    raise ValueError(f"{value!r} is not a via id or a channel ({', '.join(c.value for c in Channel)})")


def role(value: object) -> str:
    if isinstance(value, str) and value.strip().lower() in _ROLES:
        return _ROLES[value.strip().lower()]
    raise ValueError(f"{value!r} is not a role (end_user, agent, admin)")


def custom_value(value: object) -> str:
    """A condition's custom field value, compared as text."""
    if value is None or isinstance(value, str | int | float | bool):
        return as_text(value)
    raise ValueError("must be a single value")


def custom_setting(value: object) -> str | int | float | bool | None:
    """A custom field value an action sets, kept as sent."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("must be a single value")


def _recipient(value: object, keywords: frozenset[str], what: str) -> int | str:
    if isinstance(value, str) and value in keywords:
        return value
    number = _whole_number(value)
    if number is None or number <= 0:
        raise ValueError(f"the recipient {value!r} is not {what}")
    return number


def user_notification(value: object) -> list[Any]:
    """`[recipient, subject, body]`: a user id, `requester_id`, `assignee_id` or `current_user`."""
    if not (isinstance(value, list) and len(value) == 3):  # noqa: PLR2004 - Zendesk's [recipient, subject, body]
        raise ValueError("must be [recipient, subject, body]")
    keywords = frozenset({"requester_id", "assignee_id", CURRENT_USER})
    recipient = _recipient(value[0], keywords, "a user id, requester_id, assignee_id or current_user")
    return [recipient, text(value[1]), text(value[2])]


def group_notification(value: object) -> list[Any]:
    """`[group, subject, body]`: a group id, or `group_id` for the ticket's group."""
    if not (isinstance(value, list) and len(value) == 3):  # noqa: PLR2004 - Zendesk's [group, subject, body]
        raise ValueError("must be [group, subject, body]")
    recipient = _recipient(value[0], frozenset({"group_id"}), "a group id or group_id")
    return [recipient, text(value[1]), text(value[2])]


def webhook_notification(value: object) -> list[Any]:
    """`[webhook id, body]`; Zendesk's webhook ids are strings, opsdesk's may be numbers."""
    if not (isinstance(value, list) and len(value) == 2):  # noqa: PLR2004 - Zendesk's [webhook, body]
        raise ValueError("must be [webhook id, body]")
    webhook = value[0]
    if isinstance(webhook, bool) or not isinstance(webhook, str | int) or str(webhook).strip() == "":
        raise ValueError(f"{webhook!r} is not a webhook id")
    return [_whole_number(webhook) or str(webhook).strip(), text(value[1])]


def comment(value: object) -> str | list[str]:
    """A macro's comment: the text, or `[channel, text]` as Zendesk exports it."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [part for part in value if isinstance(part, str)]
        if len(parts) == len(value) == 2:  # noqa: PLR2004 - Zendesk's [channel, text]
            return parts
    raise ValueError("must be the comment text, or [channel, text]")

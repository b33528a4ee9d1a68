"""View conditions in Zendesk's rule vocabulary, checked when a view is saved (pure).

A condition is `{"field", "operator", "value"}`. The hours-since fields (`NEW` is hours since
created; `OPEN`, `PENDING`, `HOLD`, `SOLVED`, `CLOSED` hours since the ticket entered that status;
`updated_at`) compare whole hours against the request's `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from opsdesk.core.errors import InvalidInput
from opsdesk.tickets.model import Channel, Priority, Status, TicketType

ORDERED_OPERATORS = ("is", "is_not", "less_than", "greater_than")
EQUALITY_OPERATORS = ("is", "is_not")
HOURS_OPERATORS = ("is", "less_than", "greater_than")
HOURS_FIELDS = ("NEW", "OPEN", "PENDING", "HOLD", "SOLVED", "CLOSED", "updated_at")
REFERENCE_FIELDS = ("group_id", "assignee_id", "requester_id", "organization_id", "ticket_form_id", "submitter_id")

# field -> allowed operators
VOCABULARY: dict[str, tuple[str, ...]] = {
    "status": ORDERED_OPERATORS,
    "priority": ORDERED_OPERATORS,
    "type": EQUALITY_OPERATORS,
    "via_id": EQUALITY_OPERATORS,
    "current_tags": ("includes", "not_includes"),
    **dict.fromkeys(REFERENCE_FIELDS, EQUALITY_OPERATORS),
    **dict.fromkeys(HOURS_FIELDS, HOURS_OPERATORS),
}

# Zendesk's numeric via ids, for rules exported from an account.
VIA_IDS = {"0": Channel.WEB, "4": Channel.EMAIL, "5": Channel.API, "8": Channel.RULE, "27": Channel.SYSTEM}

SORTABLE = ("created_at", "updated_at", "priority", "status", "id", "subject", "type", "due_date")
COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "type",
    "requester",
    "assignee",
    "group",
    "organization",
    "created",
    "updated",
    "due_date",
    "description",
)


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    operator: str
    value: Any


@dataclass(frozen=True, slots=True)
class Execution:
    columns: list[str] = field(default_factory=lambda: ["status", "subject", "requester", "updated"])
    sort_by: str = "updated_at"
    sort_order: str = "desc"
    group_by: str | None = None


@dataclass(frozen=True, slots=True)
class View:
    id: int
    title: str
    description: str
    active: bool
    position: int
    restriction: dict[str, Any] | None
    all: list[Condition]
    any: list[Condition]
    execution: Execution
    created_at: datetime
    updated_at: datetime


def _check_value(item: Condition, where: str) -> str | None:  # noqa: PLR0911 - one rule per field kind
    value = item.value
    if item.field in ("status", "priority"):
        allowed = [s.value for s in (Status if item.field == "status" else Priority)]
        return None if value in allowed else f"{where}: {item.field} must be one of {', '.join(allowed)}"
    if item.field == "type":
        allowed = [t.value for t in TicketType]
        return None if value in allowed else f"{where}: type must be one of {', '.join(allowed)}"
    if item.field == "via_id":
        ok = str(value) in VIA_IDS or value in {c.value for c in Channel}
        return None if ok else f"{where}: via_id must be a channel name or Zendesk via id"
    if item.field == "current_tags":
        return None if isinstance(value, str) and value.strip() else f"{where}: current_tags needs tags"
    if item.field in REFERENCE_FIELDS:
        ok = value in (None, "", "current_user", "current_groups") or str(value).isdigit()
        return None if ok else f"{where}: {item.field} must be an id, current_user or empty"
    if item.field in HOURS_FIELDS:
        ok = str(value).isdigit()
        return None if ok else f"{where}: {item.field} is a number of hours"
    return None


def read_conditions(raw: object, where: str) -> list[Condition]:
    """Validate one `all`/`any` list; every problem is reported at once, naming the condition."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidInput.field(where, "must be a list of conditions")
    conditions: list[Condition] = []
    errors: list[str] = []
    for index, item in enumerate(raw):
        label = f"{where}[{index}]"
        if not isinstance(item, dict) or not {"field", "operator"} <= set(item):
            errors.append(f"{label}: needs field, operator and value")
            continue
        name, operator = str(item["field"]), str(item["operator"])
        if name not in VOCABULARY:
            errors.append(f"{label}: unknown field {name!r}")
            continue
        if operator not in VOCABULARY[name]:
            errors.append(f"{label}: {name} does not take operator {operator!r} ({', '.join(VOCABULARY[name])})")
            continue
        condition = Condition(field=name, operator=operator, value=item.get("value"))
        problem = _check_value(condition, label)
        if problem:
            errors.append(problem)
        else:
            conditions.append(condition)
    if errors:
        raise InvalidInput("Record validation errors", {where: errors})
    return conditions


def read_execution(raw: object) -> Execution:
    if raw is None:
        return Execution()
    if not isinstance(raw, dict):
        raise InvalidInput.field("output", "must be an object")
    columns = raw.get("columns") or Execution().columns
    names = [c if isinstance(c, str) else c.get("id") if isinstance(c, dict) else None for c in columns]
    unknown = [str(n) for n in names if n not in COLUMNS]
    if unknown:
        raise InvalidInput.field("output.columns", f"unknown columns {', '.join(unknown)}")
    sort_by = raw.get("sort_by") or "updated_at"
    if sort_by not in SORTABLE:
        raise InvalidInput.field("output.sort_by", f"must be one of {', '.join(SORTABLE)}")
    sort_order = raw.get("sort_order") or "desc"
    if sort_order not in ("asc", "desc"):
        raise InvalidInput.field("output.sort_order", "must be asc or desc")
    group_by = raw.get("group_by")
    return Execution(
        columns=[str(n) for n in names],
        sort_by=sort_by,
        sort_order=sort_order,
        group_by=group_by if isinstance(group_by, str) else None,
    )

"""View conditions as SQL over tickets, for one viewer at one moment."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from opsdesk.tickets.access import Viewer
from opsdesk.tickets.model import Priority, Status
from opsdesk.tickets.tables import tickets
from opsdesk.tickets.tag_match import has_any_tag
from opsdesk.views.model import VIA_IDS, Condition, View

_ORDER = {"status": [s.value for s in Status], "priority": [p.value for p in Priority]}
_REFERENCES = {
    "group_id": tickets.c.group_id,
    "assignee_id": tickets.c.assignee_id,
    "requester_id": tickets.c.requester_id,
    "organization_id": tickets.c.organization_id,
    "ticket_form_id": tickets.c.ticket_form_id,
    "submitter_id": tickets.c.submitter_id,
}


def _ordered(condition: Condition) -> ColumnElement[bool]:
    column = tickets.c.status if condition.field == "status" else tickets.c.priority
    order = _ORDER[condition.field]
    index = order.index(condition.value)
    chosen = {
        "is": [condition.value],
        "is_not": [v for v in order if v != condition.value],
        "less_than": order[:index],
        "greater_than": order[index + 1 :],
    }[condition.operator]
    return column.in_(chosen) if chosen else false()


def _reference(condition: Condition, viewer: Viewer) -> ColumnElement[bool]:
    column = _REFERENCES[condition.field]
    value = condition.value
    if value in (None, ""):
        clause: ColumnElement[bool] = column.is_(None)
    elif value == "current_user":
        clause = column == viewer.user_id
    elif value == "current_groups":
        clause = column.in_(sorted(viewer.group_ids)) if viewer.group_ids else false()
    else:
        clause = column == int(value)
    if condition.operator == "is_not":
        return or_(not_(clause), column.is_(None)) if value not in (None, "") else not_(clause)
    return clause


def _hours_since(condition: Condition, now: datetime) -> ColumnElement[bool]:
    hours = int(condition.value)
    scope: ColumnElement[bool]
    if condition.field == "NEW":
        column, scope = tickets.c.created_at, true()
    elif condition.field == "updated_at":
        column, scope = tickets.c.updated_at, true()
    else:
        column, scope = tickets.c.status_changed_at, tickets.c.status == condition.field.lower()
    boundary = now - timedelta(hours=hours)
    compare: ColumnElement[bool] = {
        "greater_than": column < boundary,
        "less_than": column > boundary,
        "is": and_(column <= boundary, column > boundary - timedelta(hours=1)),
    }[condition.operator]
    return and_(scope, compare)


def condition_clause(condition: Condition, viewer: Viewer, now: datetime) -> ColumnElement[bool]:
    field = condition.field
    if field in _ORDER:
        return _ordered(condition)
    if field == "type":
        clause: ColumnElement[bool] = tickets.c.type == condition.value
        return not_(clause) if condition.operator == "is_not" else clause
    if field == "via_id":
        channel = VIA_IDS.get(str(condition.value), condition.value)
        clause = tickets.c.via_channel == str(channel)
        return not_(clause) if condition.operator == "is_not" else clause
    if field == "current_tags":
        tags = str(condition.value).lower().split()
        has_any = has_any_tag(tags)
        return has_any if condition.operator == "includes" else not_(has_any)
    if field in _REFERENCES:
        return _reference(condition, viewer)
    return _hours_since(condition, now)


def view_conditions(view: View, viewer: Viewer, now: datetime) -> list[ColumnElement[bool]]:
    """`all` conditions must all hold and at least one `any` condition, as in Zendesk."""
    clauses = [condition_clause(c, viewer, now) for c in view.all]
    if view.any:
        clauses.append(or_(*(condition_clause(c, viewer, now) for c in view.any)))
    return clauses

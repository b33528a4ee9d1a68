"""What follows every ticket change, in its transaction: the ticket's clocks and SLA metrics are
brought up to date, and the timers that wait on them (automations, the premium breach notice,
the end-of-day acknowledgement, the open-too-long report) are moved to their exact due times.

Triggers run before this (tickets/service.py), so policies and automations see the ticket as the
triggers left it, as in Zendesk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from opsdesk.calendars.model import BusinessCalendar, add_business_time, end_of_business_day
from opsdesk.calendars.service import default_calendar
from opsdesk.core import versions
from opsdesk.rules import automations
from opsdesk.rules import service as rules_service
from opsdesk.rules.builtins import Builtins
from opsdesk.rules.model import Rule, TicketState
from opsdesk.sla import repo as sla_repo
from opsdesk.sla import service as sla_service
from opsdesk.sla.clocks import Change, TicketClocks, guess_clocks, record_change, start_clocks
from opsdesk.sla.model import HistoryKind
from opsdesk.tickets.model import Status, Ticket
from opsdesk.timers import repo as timers_repo
from opsdesk.timers.model import Schedule, cancellation

AUTOMATIONS = "ticket.automations"
PREMIUM_NOTICE = "sla.premium_notice"
NEW_UNACKNOWLEDGED = "ticket.new_unacknowledged"
OPEN_REPORT = "ticket.open_report"
AUTOMATION_UPDATE_CAP = 100
_SETTLED = (Status.SOLVED.value, Status.CLOSED.value)


def state_of(ticket: Ticket) -> TicketState:
    return TicketState(
        id=ticket.id,
        subject=ticket.subject,
        status=ticket.status.value,
        priority=ticket.priority.value if ticket.priority else None,
        type=ticket.type.value if ticket.type else None,
        group_id=ticket.group_id,
        assignee_id=ticket.assignee_id,
        requester_id=ticket.requester_id,
        submitter_id=ticket.submitter_id,
        organization_id=ticket.organization_id,
        ticket_form_id=ticket.ticket_form_id,
        via_channel=ticket.via_channel.value,
        tags=tuple(ticket.tags),
        custom_fields=ticket.custom_fields,
    )


def changed_values(before: TicketState, after: TicketState) -> dict[str, Any]:
    """The ticket update that turns `before` into `after` (what the triggers' actions did)."""
    values: dict[str, Any] = {}
    for name in ("subject", "status", "priority", "type", "group_id", "assignee_id", "ticket_form_id"):
        if getattr(after, name) != getattr(before, name):
            values[name] = getattr(after, name)
    if after.tags != before.tags:
        values["tags"] = list(after.tags)
    if dict(after.custom_fields) != dict(before.custom_fields):
        values["custom_fields"] = dict(after.custom_fields)
    return values


def clocks_of(conn: Connection, ticket: Ticket) -> TicketClocks:
    """The stored clocks, or what the ticket row tells for a ticket that has none yet."""
    stored = sla_repo.get_clocks(conn, ticket.id)
    if stored is not None:
        return stored
    guessed = guess_clocks(
        ticket_id=ticket.id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        status=ticket.status.value,
        status_changed_at=ticket.status_changed_at,
    )
    sla_repo.insert_clocks(conn, guessed)
    return guessed


def track_change(conn: Connection, *, before: Ticket | None, after: Ticket, change: Change) -> TicketClocks:
    """Move the ticket's clocks for one change, measure its SLA and re-plan its timers."""
    config = versions.current(conn)
    if before is None:
        clocks = start_clocks(after.id, change)
        sla_repo.insert_clocks(conn, clocks)
    else:
        clocks = record_change(clocks_of(conn, before), change)
    state = state_of(after)
    clocks = sla_service.measure_ticket(conn, clocks, state, config=config, now=change.at)
    sla_repo.save_clocks(conn, clocks)
    plan_timers(conn, state, clocks, due_at=after.due_at, config=config, now=change.at, created=before is None)
    return clocks


def plan_timers(
    conn: Connection,
    state: TicketState,
    clocks: TicketClocks,
    *,
    due_at: datetime | None,
    config: dict[str, int],
    now: datetime,
    created: bool = False,
) -> None:
    schedules = timer_schedules(conn, state, clocks, due_at=due_at, config=config, now=now, created=created)
    timers_repo.apply_schedules(conn, schedules, now)


def timer_schedules(
    conn: Connection,
    state: TicketState,
    clocks: TicketClocks,
    *,
    due_at: datetime | None,
    config: dict[str, int],
    now: datetime,
    created: bool = False,
) -> list[Schedule]:
    """Where the ticket's waiting timers should stand now; reads only cached settings and rules."""
    builtins = rules_service.get_builtins(conn, config)
    calendar = default_calendar(conn, config)
    rules = rules_service.active_automations(conn, config)
    schedules = [
        _automations_schedule(rules, state, clocks, due_at=due_at, calendar=calendar, now=now),
        _premium_notice_schedule(state, clocks, builtins, now),
        _open_report_schedule(state, clocks, builtins, calendar=calendar, now=now),
    ]
    if created and builtins.new_acknowledgement and state.status == Status.NEW.value:
        schedules.append(Schedule(NEW_UNACKNOWLEDGED, str(state.id), end_of_day(calendar, now), {}))
    return [schedule for schedule in schedules if schedule is not None]


def end_of_day(calendar: BusinessCalendar | None, moment: datetime) -> datetime:
    """The end of `moment`'s business day; without a schedule, 17:00 UTC (the next day's once past)."""
    if calendar is not None:
        return end_of_business_day(calendar, moment)
    closing = moment.replace(hour=17, minute=0, second=0, microsecond=0)
    return closing if closing > moment else closing + timedelta(days=1)


def _automations_schedule(
    rules: Sequence[Rule],
    state: TicketState,
    clocks: TicketClocks,
    *,
    due_at: datetime | None,
    calendar: BusinessCalendar | None,
    now: datetime,
) -> Schedule | None:
    if not rules:
        return None  # a timer left from before finds nothing due and does nothing
    due = None
    if clocks.automation_updates < AUTOMATION_UPDATE_CAP:
        due = automations.plan(rules, state, clocks.for_rules(due_at), now, clocks.automation_fired, calendar)
    if due is None:
        return cancellation(AUTOMATIONS, str(state.id))
    return Schedule(AUTOMATIONS, str(state.id), max(due, now), {})


def premium_notice_due(state: TicketState, clocks: TicketClocks, builtins: Builtins) -> datetime | None:
    """When the premium breach notice for the ticket's next breach is due, if it gets one (pure)."""
    if (
        builtins.premium_notice_hours is None
        or clocks.next_breach_at is None
        or state.status in _SETTLED
        or builtins.premium_tag not in state.tags
        or state.priority not in builtins.premium_priorities
    ):
        return None
    return clocks.next_breach_at - timedelta(hours=builtins.premium_notice_hours)


def _premium_notice_schedule(
    state: TicketState, clocks: TicketClocks, builtins: Builtins, now: datetime
) -> Schedule | None:
    due = premium_notice_due(state, clocks, builtins)
    if due is None or clocks.next_breach_at is None:
        return None  # a notice armed earlier re-checks the ticket when it falls due
    # One notice per breach instant: the key names it, so re-planning never sends it twice.
    return Schedule(
        PREMIUM_NOTICE,
        f"{state.id}@{clocks.next_breach_at.isoformat()}",
        max(due, now),
        {"ticket_id": state.id, "breach_at": clocks.next_breach_at.isoformat()},
        once=True,
    )


def last_agent_update(clocks: TicketClocks) -> datetime | None:
    replies = [e.at for e in clocks.history if e.kind is HistoryKind.PUBLIC_COMMENT and e.by_agent]
    moments = [m for m in (clocks.status_entered_at.get(Status.OPEN.value), clocks.assignee_updated_at) if m]
    return max([*replies, *moments], default=None)


def open_report_due(clocks: TicketClocks, builtins: Builtins, calendar: BusinessCalendar | None) -> datetime | None:
    """When an open ticket without an agent update since is reported (pure)."""
    anchor = last_agent_update(clocks)
    if builtins.open_report_business_hours is None or anchor is None:
        return None
    span = timedelta(hours=builtins.open_report_business_hours)
    return add_business_time(calendar, anchor, span) if calendar is not None else anchor + span


def _open_report_schedule(
    state: TicketState,
    clocks: TicketClocks,
    builtins: Builtins,
    *,
    calendar: BusinessCalendar | None,
    now: datetime,
) -> Schedule:
    due = open_report_due(clocks, builtins, calendar) if state.status == Status.OPEN.value else None
    if due is None:
        return cancellation(OPEN_REPORT, str(state.id))
    return Schedule(OPEN_REPORT, str(state.id), max(due, now), {})


def note_automation_fired(conn: Connection, ticket_id: int, rule_id: int, now: datetime) -> None:
    """Count an automation's update of the ticket (the cap stops loops) and remember when it fired."""
    stored = sla_repo.get_clocks(conn, ticket_id)
    if stored is None:
        return
    fired = {**stored.automation_fired, rule_id: now}
    sla_repo.save_clocks(
        conn, replace(stored, automation_updates=stored.automation_updates + 1, automation_fired=fired)
    )

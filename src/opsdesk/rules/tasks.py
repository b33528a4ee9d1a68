"""Duties that fire on a ticket's timers: its automations, the premium breach notice, the
end-of-day acknowledgement check and the open-too-long report. Each re-checks the ticket when it
fires, so a timer planned before a later change does nothing if its condition no longer holds.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from opsdesk.calendars.service import default_calendar
from opsdesk.core import versions
from opsdesk.core.clock import format_utc
from opsdesk.delivery import events
from opsdesk.rules import automations, engine
from opsdesk.rules import service as rules_service
from opsdesk.rules.model import Notification, TicketState
from opsdesk.sla.clocks import TicketClocks
from opsdesk.tickets import repo as tickets_repo
from opsdesk.tickets import workflow
from opsdesk.tickets.model import Channel, Status, Ticket
from opsdesk.tickets.service import event_detail, update_ticket
from opsdesk.timers.engine import Duty
from opsdesk.timers.model import Timer

# Built-in workflows notify as rules do; these ids never clash with stored rules (positive ids).
NEW_UNACKNOWLEDGED_RULE = -1
OPEN_REPORT_RULE = -2


def _open_ticket(conn: Connection, timer: Timer) -> Ticket | None:
    ticket = tickets_repo.get_ticket(conn, int(timer.key.split("@", 1)[0]))
    if ticket is None or ticket.status is Status.CLOSED:
        return None
    return ticket


def run_automations(conn: Connection, timer: Timer, now: datetime) -> None:
    """Apply, in position order, every automation whose conditions hold now and that has not fired
    in this episode; then plan the ticket's next automation time."""
    ticket = _open_ticket(conn, timer)
    if ticket is None:
        return
    config = versions.current(conn)
    rules = rules_service.active_automations(conn, config)
    calendar = default_calendar(conn, config)
    clocks = workflow.clocks_of(conn, ticket)
    for rule in automations.due_now(
        rules, workflow.state_of(ticket), clocks.for_rules(ticket.due_at), now, clocks.automation_fired, calendar
    ):
        if clocks.automation_updates >= workflow.AUTOMATION_UPDATE_CAP or ticket.status is Status.CLOSED:
            break
        state = workflow.state_of(ticket)
        outcome = engine.apply_rule(rule, state, actor_id=None)
        workflow.note_automation_fired(conn, ticket.id, rule.id, now)
        changes = workflow.changed_values(state, outcome.state)
        if changes:
            ticket = update_ticket(
                conn, actor=None, ticket_id=ticket.id, values=changes, comment=None, via=Channel.RULE, now=now
            ).ticket
        rules_service.queue_notifications(
            conn,
            outcome.notifications,
            state=workflow.state_of(ticket),
            actor_id=None,
            occasion=f"automation-{rule.id}@{now.isoformat()}",
            now=now,
        )
        clocks = workflow.clocks_of(conn, ticket)
    workflow.plan_timers(
        conn, workflow.state_of(ticket), clocks, due_at=ticket.due_at, config=versions.current(conn), now=now
    )


def _detail(ticket: Ticket, clocks: TicketClocks) -> dict[str, Any]:
    return {
        **event_detail(ticket),
        "sla": {
            "next_breach_at": format_utc(clocks.next_breach_at) if clocks.next_breach_at else None,
            "policy_id": clocks.policy_id,
        },
    }


def send_premium_notice(conn: Connection, timer: Timer, now: datetime) -> None:
    """Seed 003's "Premium Breach Notifications", at the exact moment rather than the next hourly run."""
    ticket = _open_ticket(conn, timer)
    if ticket is None:
        return
    clocks = workflow.clocks_of(conn, ticket)
    builtins = rules_service.get_builtins(conn)
    still_due = workflow.premium_notice_due(workflow.state_of(ticket), clocks, builtins)
    if (
        still_due is None
        or clocks.next_breach_at is None
        or clocks.next_breach_at.isoformat() != timer.payload.get("breach_at")
    ):
        return
    events.publish(
        conn,
        event_type=events.TICKET_SLA_BREACH_WARNING,
        subject_key=f"ticket-{ticket.id}@{clocks.next_breach_at.isoformat()}",
        detail=_detail(ticket, clocks),
        now=now,
    )


def _tell_group(conn: Connection, ticket: Ticket, *, rule_id: int, title: str, body: str, now: datetime) -> None:
    notification = Notification(
        kind="group", target="group_id", subject=title, body=body, rule_id=rule_id, rule_title=title
    )
    state: TicketState = workflow.state_of(ticket)
    rules_service.queue_notifications(
        conn, [notification], state=state, actor_id=None, occasion=f"{rule_id}@{now.isoformat()}", now=now
    )


def check_new_acknowledged(conn: Connection, timer: Timer, now: datetime) -> None:
    """Seed 004: every New ticket is acknowledged before the end of the day, or its group is told."""
    ticket = _open_ticket(conn, timer)
    if ticket is None or ticket.status is not Status.NEW or not rules_service.get_builtins(conn).new_acknowledgement:
        return
    _tell_group(
        conn,
        ticket,
        rule_id=NEW_UNACKNOWLEDGED_RULE,
        title="Not acknowledged today: #{{ticket.id}} {{ticket.title}}",
        body="Ticket #{{ticket.id}} from {{ticket.requester.name}} is still New at the end of the business day.",
        now=now,
    )
    events.publish(
        conn,
        event_type=events.TICKET_UNACKNOWLEDGED,
        subject_key=f"ticket-{ticket.id}@{now.isoformat()}",
        detail=_detail(ticket, workflow.clocks_of(conn, ticket)),
        now=now,
    )


def report_open_too_long(conn: Connection, timer: Timer, now: datetime) -> None:
    """Seed 004: "Open status should not last more than a day" without an agent update."""
    ticket = _open_ticket(conn, timer)
    if ticket is None or ticket.status is not Status.OPEN:
        return
    config = versions.current(conn)
    clocks = workflow.clocks_of(conn, ticket)
    due = workflow.open_report_due(clocks, rules_service.get_builtins(conn, config), default_calendar(conn, config))
    if due is None or due > now:
        return
    _tell_group(
        conn,
        ticket,
        rule_id=OPEN_REPORT_RULE,
        title="Open for more than a business day: #{{ticket.id}} {{ticket.title}}",
        body="Ticket #{{ticket.id}} has been Open without an agent update for more than a business day.",
        now=now,
    )
    events.publish(
        conn,
        event_type=events.TICKET_OPEN_TOO_LONG,
        subject_key=f"ticket-{ticket.id}@{now.isoformat()}",
        detail=_detail(ticket, clocks),
        now=now,
    )


DUTIES: dict[str, Duty] = {
    workflow.AUTOMATIONS: run_automations,
    workflow.PREMIUM_NOTICE: send_premium_notice,
    workflow.NEW_UNACKNOWLEDGED: check_new_acknowledged,
    workflow.OPEN_REPORT: report_open_too_long,
}

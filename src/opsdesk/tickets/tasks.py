"""Ticket duties that wait: pending tickets solved after 5 days without a requester reply
(seed 004), solved tickets closed after 4 days (Zendesk's default automation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from opsdesk.tickets import repo
from opsdesk.tickets.model import STATUS_TIMERS, Channel, Status
from opsdesk.tickets.service import update_ticket
from opsdesk.timers.engine import Duty
from opsdesk.timers.model import Timer

PENDING_AUTOSOLVE = STATUS_TIMERS[Status.PENDING]
SOLVED_AUTOCLOSE = STATUS_TIMERS[Status.SOLVED]


def _move_if_still(conn: Connection, timer: Timer, now: datetime, *, waiting: Status, to: Status) -> None:
    ticket = repo.get_ticket(conn, int(timer.key))
    if ticket is None or ticket.status is not waiting:
        return
    update_ticket(conn, actor=None, ticket_id=ticket.id, values={"status": to}, comment=None, via=Channel.RULE, now=now)


def solve_pending(conn: Connection, timer: Timer, now: datetime) -> None:
    _move_if_still(conn, timer, now, waiting=Status.PENDING, to=Status.SOLVED)


def close_solved(conn: Connection, timer: Timer, now: datetime) -> None:
    _move_if_still(conn, timer, now, waiting=Status.SOLVED, to=Status.CLOSED)


DUTIES: dict[str, Duty] = {PENDING_AUTOSOLVE: solve_pending, SOLVED_AUTOCLOSE: close_solved}

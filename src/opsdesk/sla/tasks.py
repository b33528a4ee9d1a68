"""Re-applying SLA policies to open tickets after a policy or schedule change (Zendesk does not;
its users complain).

Batches of `REAPPLY_BATCH` open tickets in id order: the first in the transaction that changed
the policy, so the API shows the new targets at once; each further batch is a timer that carries
its cursor, re-measures its tickets, re-plans their timers (a few statements for the whole batch)
and arms the next, in one transaction.
A million open tickets need no long transaction, and a worker that dies loses no ticket.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from opsdesk.calendars.service import default_calendar
from opsdesk.core import versions
from opsdesk.sla import repo, service
from opsdesk.tickets import repo as tickets_repo
from opsdesk.tickets import workflow
from opsdesk.timers import repo as timers_repo
from opsdesk.timers.engine import Duty
from opsdesk.timers.model import Schedule, Timer


def reapply_batch(conn: Connection, *, after: int, now: datetime, limit: int = service.REAPPLY_BATCH) -> int | None:
    """Re-measure up to `limit` open tickets with ids above `after`; the last id, None when done."""
    config = versions.current(conn)
    policies = service.active_policies(conn, config)
    calendar = default_calendar(conn, config)
    rows = repo.open_tickets_after(conn, after, limit)
    if not rows:
        return None
    changed = []
    schedules: list[Schedule] = []
    for row in rows:
        ticket = tickets_repo.to_ticket(row)
        state = workflow.state_of(ticket)
        clocks = repo.to_clocks(row) if row.ticket_id is not None else workflow.clocks_of(conn, ticket)
        measured = service.measure(clocks, state, policies=policies, calendar=calendar, now=now)
        if (measured.policy_id, measured.metrics, measured.next_breach_at) == (
            clocks.policy_id,
            clocks.metrics,
            clocks.next_breach_at,
        ):
            continue
        changed.append(measured)
        schedules += workflow.timer_schedules(conn, state, measured, due_at=ticket.due_at, config=config, now=now)
    repo.save_sla_many(conn, changed)
    timers_repo.apply_schedules(conn, schedules, now)
    return int(rows[-1].id) if len(rows) == limit else None


def _continue(conn: Connection, after: int, now: datetime) -> None:
    last = reapply_batch(conn, after=after, now=now)
    if last is not None:
        timers_repo.arm(
            conn,
            kind=service.REAPPLY,
            key=f"from-{last}@{now.isoformat()}",
            due_at=now,
            payload={"after": last},
            now=now,
        )


def reapply_now(conn: Connection, now: datetime) -> None:
    """After a policy or schedule change, in its transaction: the first batch now, the rest soon."""
    _continue(conn, 0, now)


def reapply(conn: Connection, timer: Timer, now: datetime) -> None:
    _continue(conn, int(timer.payload.get("after", 0)), now)


DUTIES: dict[str, Duty] = {service.REAPPLY: reapply}

"""Every kind of timer and the duty that fires it, composed in one place."""

from __future__ import annotations

from opsdesk.rules import tasks as rule_tasks
from opsdesk.sla import tasks as sla_tasks
from opsdesk.tickets import tasks as ticket_tasks
from opsdesk.timers.engine import Duty


def all_duties() -> dict[str, Duty]:
    return {**ticket_tasks.DUTIES, **rule_tasks.DUTIES, **sla_tasks.DUTIES}

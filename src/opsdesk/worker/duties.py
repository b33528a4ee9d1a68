"""Every kind of timer and the duty that fires it, composed in one place."""

from __future__ import annotations

from opsdesk.tickets import tasks as ticket_tasks
from opsdesk.timers.engine import Duty


def all_duties() -> dict[str, Duty]:
    return {**ticket_tasks.DUTIES}

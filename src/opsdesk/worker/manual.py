"""Driving the manual test clock: every timer and every message due on the way, in time order."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine

from opsdesk.core.clock import ManualClock
from opsdesk.core.db.uow import reading
from opsdesk.delivery.service import MailSettings, deliver_all_ready, next_ready_at
from opsdesk.timers import repo as timers_repo
from opsdesk.timers.engine import MAX_FIRINGS_PER_ADVANCE, Duty, fire_all_due


def advance(
    engine: Engine, duties: Mapping[str, Duty], mail: MailSettings, clock: ManualClock, target: datetime
) -> int:
    """Move the clock to `target`; at each due time on the way fire the timers, then deliver the
    messages they and earlier changes produced. Returns how many timers fired."""
    fired = 0
    steps = 0
    while steps < MAX_FIRINGS_PER_ADVANCE:
        steps += 1
        with reading(engine) as conn:
            next_timer = timers_repo.next_due_at(conn)
        next_message = next_ready_at(engine)
        candidates = [moment for moment in (next_timer, next_message) if moment is not None and moment <= target]
        if not candidates:
            break
        moment = clock.set(max(min(candidates), clock.now()))
        fired_now = fire_all_due(engine, duties, now=moment)
        delivered_now = deliver_all_ready(engine, now=moment, mail=mail)
        fired += fired_now
        if not fired_now and not delivered_now:
            break  # what is due is leased by another worker; it is not ours to wait for
    clock.set(target)
    deliver_all_ready(engine, now=target, mail=mail)
    return fired

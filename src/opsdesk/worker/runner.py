"""The worker loop: fire what is due, then sleep until the next due time or a short poll.

With the system clock a timer fires within `POLL_SECONDS` of its due time (plus the batch in
front of it). A timer that fell due while every worker was down fires on the first pass.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from opsdesk.core.clock import Clock
from opsdesk.core.db.uow import reading
from opsdesk.delivery import repo as delivery_repo
from opsdesk.delivery.service import MailSettings, deliver_all_ready
from opsdesk.timers import repo
from opsdesk.timers.engine import Duty, fire_all_due
from opsdesk.worker.duties import all_duties

log = logging.getLogger("opsdesk.worker")
POLL_SECONDS = 0.25
RETRY_AFTER_DATABASE_ERROR = 1.0


def run_worker(
    engine: Engine,
    clock: Clock,
    stop: threading.Event,
    duties: Mapping[str, Duty] | None = None,
    mail: MailSettings | None = None,
) -> None:
    """Fire timers and deliver messages until `stop` is set."""
    duties = all_duties() if duties is None else duties
    mail = mail or MailSettings(smtp_url=None, domain="opsdesk.local")
    while not stop.is_set():
        try:
            fired = fire_all_due(engine, duties, now=clock.now)
            delivered = deliver_all_ready(engine, now=clock.now(), mail=mail)
            if fired or delivered:
                continue
            with reading(engine) as conn:
                due_times = [repo.next_due_at(conn), delivery_repo.next_ready_at(conn)]
            next_due = min((t for t in due_times if t is not None), default=None)
        except SQLAlchemyError as exc:
            log.warning("worker cannot reach the database: %s", exc.__class__.__name__)
            stop.wait(RETRY_AFTER_DATABASE_ERROR)
            continue
        wait = POLL_SECONDS
        if next_due is not None:
            wait = min(wait, max((next_due - clock.now()).total_seconds(), 0.0))
        stop.wait(wait)


def start_in_thread(engine: Engine, clock: Clock, mail: MailSettings) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(engine, clock, stop, None, mail), name="opsdesk-worker", daemon=True
    )
    thread.start()
    return thread, stop

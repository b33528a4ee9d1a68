"""A worker process for the multi-worker test: the real runner, with a duty that records firings.

Run as `python -m tests.integration.timer_worker DATABASE_URL WORKER_NUMBER`; stops on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime

from sqlalchemy import Connection, text

from opsdesk.core.clock import SystemClock
from opsdesk.core.db.engine import make_engine
from opsdesk.timers.model import Timer
from opsdesk.worker.runner import run_worker

COUNTING_KIND = "test.count"


def main() -> None:
    url, number = sys.argv[1], int(sys.argv[2])
    engine = make_engine(url, pool_size=2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def record(conn: Connection, timer: Timer, now: datetime) -> None:
        conn.execute(
            text("INSERT INTO timer_firings (timer_id, worker, fired_at, due_at) VALUES (:t, :w, :f, :d)"),
            {"t": timer.id, "w": number, "f": now, "d": timer.due_at},
        )

    run_worker(engine, SystemClock(), stop, {COUNTING_KIND: record})
    engine.dispose()


if __name__ == "__main__":
    main()

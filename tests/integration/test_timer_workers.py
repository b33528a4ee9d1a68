"""Four worker processes on one PostgreSQL fire 10,000 timers exactly once, even when one of them
is killed with SIGKILL in the middle of its work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, text

from opsdesk.core.clock import SystemClock
from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.migrate import upgrade
from opsdesk.timers.tables import timers
from tests.conftest import create_postgres_database
from tests.integration.timer_worker import COUNTING_KIND

TIMERS = 10_000
WORKERS = 4
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgres_engine(postgres_admin_url: str) -> Iterator[tuple[str, Engine]]:
    url = create_postgres_database(postgres_admin_url, f"opsdesk_workers_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    engine = make_engine(url, pool_size=2)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE timer_firings (timer_id integer NOT NULL, worker integer NOT NULL, "
                "fired_at timestamptz NOT NULL, due_at timestamptz NOT NULL)"
            )
        )
    yield url, engine
    engine.dispose()


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _start(url: str, number: int, logs: Path) -> subprocess.Popen[bytes]:
    with (logs / f"worker-{number}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.integration.timer_worker", url, str(number)],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )


def test_each_timer_fires_exactly_once_across_workers_and_a_kill(
    postgres_engine: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = postgres_engine
    now = SystemClock().now()
    due = now + timedelta(seconds=2)
    with engine.begin() as conn:
        conn.execute(
            insert(timers),
            [
                {
                    "kind": COUNTING_KIND,
                    "key": str(n),
                    "payload": {},
                    "due_at": due + timedelta(microseconds=n * 100),
                    "state": "due",
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(TIMERS)
            ],
        )
    workers = [_start(url, n, tmp_path) for n in range(WORKERS)]
    try:
        deadline = time.monotonic() + 120
        while _count(engine, "SELECT count(*) FROM timer_firings") < TIMERS // 5:
            assert time.monotonic() < deadline, "the workers fired too few timers"
            time.sleep(0.05)
        os.kill(workers[0].pid, signal.SIGKILL)  # mid-run: its open batch must roll back, not be lost
        workers[0].wait()
        while _count(engine, "SELECT count(*) FROM timers WHERE state = 'due'"):
            assert time.monotonic() < deadline, "timers were left unfired"
            time.sleep(0.1)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    assert _count(engine, "SELECT count(*) FROM timer_firings") == TIMERS
    assert _count(engine, "SELECT count(DISTINCT timer_id) FROM timer_firings") == TIMERS
    assert _count(engine, "SELECT count(*) FROM timers WHERE state = 'done'") == TIMERS
    assert _count(engine, "SELECT count(DISTINCT worker) FROM timer_firings") >= 2, "the work was shared"
    logs = [(tmp_path / f"worker-{n}.log").read_text() for n in range(WORKERS)]
    assert all(w.returncode in (0, -signal.SIGKILL) for w in workers), logs

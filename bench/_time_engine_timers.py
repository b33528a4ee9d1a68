"""Timer figures: lateness of a burst of timers due at one instant, and timers fired per second.

opsdesk's side is the real worker loop (`opsdesk.worker.runner.run_worker`, system clock) in a
thread of this process or in worker processes (`python -m bench.time_engine --timer-worker`),
and `opsdesk.timers.engine.fire_all_due`; the duty does nothing. A timer counts as fired when the
transaction that fired it commits: the duty notes the timer on its connection and the engine's
commit event stamps it (wall clock, microseconds). The ceiling is `raw_fire_all_due`, opsdesk's
claim and mark-done statements on the plain driver.
"""

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, insert, select, text

from bench import _time_engine_data as data
from bench._time_engine_data import NOOP_KIND, RawConnection, Row
from bench._time_engine_figures import Lateness, Quantiles, Settings, TimerRate
from bench.databases import BenchDatabase
from opsdesk.core.clock import SystemClock
from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.uow import reading, writing
from opsdesk.timers import repo as timers_repo
from opsdesk.timers.engine import BATCH, Duty, fire_all_due
from opsdesk.timers.model import Timer
from opsdesk.timers.tables import timers
from opsdesk.worker.runner import run_worker

REPO_ROOT = Path(__file__).resolve().parent.parent
LEAD_S = 2.0
WAIT_LIMIT_S = 600.0
ARMING_SAMPLE = 500


def _noop(_conn: Connection, _timer: Timer, _now: datetime) -> None:
    """The trivial duty: firing is all there is to measure."""


DUTIES: dict[str, Duty] = {NOOP_KIND: _noop}


@contextmanager
def _commit_stamps(engine: Engine) -> Iterator[dict[int, float]]:
    """When each fired timer's transaction committed (epoch seconds), by timer id."""
    stamps: dict[int, float] = {}

    def note(conn: Connection, timer: Timer, _now: datetime) -> None:
        conn.info.setdefault("bench_fired", []).append(timer.id)

    def commit(conn: Connection) -> None:
        noted = conn.info.pop("bench_fired", None)
        if noted:
            stamps.update(dict.fromkeys(noted, data.utc_now().timestamp()))

    def rollback(conn: Connection) -> None:
        conn.info.pop("bench_fired", None)

    DUTIES[NOOP_KIND] = note
    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    try:
        yield stamps
    finally:
        event.remove(engine, "commit", commit)
        event.remove(engine, "rollback", rollback)
        DUTIES[NOOP_KIND] = _noop


def _clear_timers(engine: Engine) -> None:
    with writing(engine) as conn:
        conn.execute(text("DELETE FROM timers"))


def _gather_statistics(engine: Engine) -> None:
    """PostgreSQL: `ANALYZE timers`, statistics that know the timers just written."""
    if engine.dialect.name == "postgresql":
        with writing(engine) as conn:
            conn.exec_driver_sql("ANALYZE timers")


def load_due_timers(engine: Engine, count: int, due_at: datetime, prefix: str) -> None:
    """`count` timers due at `due_at`, written directly (no `arm`)."""
    now = SystemClock().now()
    rows: list[Row] = [
        {
            "kind": NOOP_KIND,
            "key": f"{prefix}-{number}",
            "payload": {},
            "due_at": due_at,
            "state": "due",
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for number in range(count)
    ]
    with writing(engine) as conn:
        conn.execute(insert(timers), rows)


def raw_fire_all_due(raw: RawConnection, now: Any, stamp: Callable[[], float]) -> list[tuple[int, float]]:  # noqa: ANN401 (an instant as the driver binds it)
    """opsdesk's claim and mark-done statements, no engine: `BATCH` due timers at a time claimed in
    due order and marked done by one UPDATE, a transaction per batch; no duty.
    Returns (timer id, `stamp()` once its batch committed) for each timer fired."""
    m = raw.marker
    lock = " FOR UPDATE SKIP LOCKED" if raw.kind == "postgresql" else ""
    claim = (
        "SELECT id, kind, key, payload, due_at, state, attempts, last_error, fired_at FROM timers"
        f" WHERE state = 'due' AND due_at <= {m} ORDER BY due_at, id LIMIT {BATCH}{lock}"
    )
    fired: list[tuple[int, float]] = []
    while True:
        raw.begin()
        batch = raw.execute(claim, (now,))
        if batch:
            ids = [row[0] for row in batch]
            done = (
                f"UPDATE timers SET state = 'done', fired_at = {m}, updated_at = {m}"
                f" WHERE id IN ({', '.join([m] * len(ids))})"
            )
            raw.execute(done, (now, now, *ids))
        raw.commit()
        at = stamp()
        fired.extend((row[0], at) for row in batch)
        if len(batch) < BATCH:
            return fired


def mark_done_plan(engine: Engine) -> str:
    """How the database runs opsdesk's mark-done UPDATE for the first batch of due timers: its scan."""
    with reading(engine) as conn:
        query = select(timers.c.id).where(timers.c.state == "due").order_by(timers.c.due_at, timers.c.id).limit(BATCH)
        ids = list(conn.execute(query).scalars())
        if not ids:
            return "no due timer"
        update = f"UPDATE timers SET state = 'done' WHERE id IN ({', '.join(map(str, ids))})"
        if engine.dialect.name == "sqlite":
            return "; ".join(str(line[3]) for line in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {update}"))
        lines = [str(line[0]).strip(" ->") for line in conn.exec_driver_sql(f"EXPLAIN {update}")]
        return next((line.split("  (")[0] for line in lines if " Scan " in line), "; ".join(lines))


# --- lateness ------------------------------------------------------------------------------------


def _arm(engine: Engine, count: int, due_at: datetime, prefix: str) -> None:
    """Arm `count` timers through `opsdesk.timers.repo.arm`, in one transaction."""
    now = SystemClock().now()
    with writing(engine) as conn:
        for number in range(count):
            timers_repo.arm(conn, kind=NOOP_KIND, key=f"{prefix}-{number}", due_at=due_at, payload={}, now=now)


def _arming_estimate_s(engine: Engine, count: int) -> float:
    """How long arming `count` timers will take, from `ARMING_SAMPLE` armed and rolled back."""
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.info["write"] = True  # BEGIN IMMEDIATE on SQLite, as `writing` would
        transaction = conn.begin()
        now = SystemClock().now()
        for number in range(ARMING_SAMPLE):
            timers_repo.arm(conn, kind=NOOP_KIND, key=f"probe-{number}", due_at=now, payload={}, now=now)
        transaction.rollback()
        conn.info["write"] = False
    return (time.perf_counter() - started) * count / ARMING_SAMPLE


@dataclass(frozen=True)
class _Armed:
    due_at: datetime
    arm_s: float
    lead_s: float  # seconds left before the due instant once armed (and analysed)
    plan: str


def _arm_burst(engine: Engine, count: int, *, statistics: bool) -> _Armed:
    """Arm `count` timers due at one instant about `LEAD_S` after arming ends; then, with
    `statistics`, gather statistics on PostgreSQL."""
    due_at = SystemClock().now() + timedelta(seconds=LEAD_S + 1.5 * _arming_estimate_s(engine, count) + 0.2)
    started = time.perf_counter()
    _arm(engine, count, due_at, "burst")
    arm_s = time.perf_counter() - started
    if statistics:
        _gather_statistics(engine)
    plan = mark_done_plan(engine)
    return _Armed(due_at, arm_s, (due_at - data.utc_now()).total_seconds(), plan)


@contextmanager
def _worker_thread(engine: Engine) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, args=(engine, SystemClock(), stop, DUTIES), name="bench-worker", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


@contextmanager
def _worker_processes(database: BenchDatabase, count: int, workdir: Path) -> Iterator[list[Path]]:
    """`count` worker processes (`serve_timers`), each ready before the block starts; yields the
    files their commit stamps are written to when they are stopped (SIGTERM, on the way out)."""
    paths = [workdir / f"stamps-{number}.json" for number in range(count)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for path in paths:
            command = [sys.executable, "-m", "bench.time_engine", "--timer-worker", database.sqlalchemy_url, str(path)]
            with path.with_suffix(".log").open("wb") as log:
                processes.append(subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 60
        while not all(path.with_suffix(".ready").exists() for path in paths):
            if time.monotonic() > deadline or any(process.poll() is not None for process in processes):
                log_text = paths[0].with_suffix(".log").read_text(encoding="utf-8", errors="replace")
                raise data.BenchError(f"the worker processes did not start:\n{log_text}")
            time.sleep(0.05)
        yield paths
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while not done():
        if time.monotonic() > deadline:
            raise data.BenchError(f"{what} did not finish within {WAIT_LIMIT_S:g} s")
        time.sleep(0.1)


def _done_count(engine: Engine) -> int:
    with reading(engine) as conn:
        return int(conn.execute(text("SELECT count(*) FROM timers WHERE state = 'done'")).scalar_one())


def _lateness(
    engine: Engine, armed: _Armed, stamps: Mapping[Any, float], *, processes: int, statistics: bool
) -> Lateness:
    with reading(engine) as conn:
        rows = conn.execute(select(timers.c.due_at, timers.c.fired_at).where(timers.c.kind == NOOP_KIND)).all()
    if len(stamps) != len(rows) or any(row.fired_at is None for row in rows):
        raise data.BenchError(f"{len(stamps):,} of {len(rows):,} timers fired")
    due = armed.due_at.timestamp()
    return Lateness(
        timers=len(rows),
        processes=processes,
        statistics=statistics,
        arm_s=armed.arm_s,
        lead_s=armed.lead_s,
        committed=Quantiles.of([at - due for at in stamps.values()]),
        fired_at=Quantiles.of([(row.fired_at - row.due_at).total_seconds() for row in rows]),
        plan=armed.plan,
    )


def lateness_in_thread(engine: Engine, count: int, *, statistics: bool) -> Lateness:
    """A burst of `count` timers fired by the worker loop in a thread of this process."""
    _clear_timers(engine)
    with _commit_stamps(engine) as stamps, _worker_thread(engine):
        armed = _arm_burst(engine, count, statistics=statistics)
        _wait_for(lambda: len(stamps) >= count, "the worker thread")
        fired = dict(stamps)
    return _lateness(engine, armed, fired, processes=1, statistics=statistics)


def lateness_in_processes(
    database: BenchDatabase, engine: Engine, count: int, processes: int, workdir: Path
) -> Lateness:
    """A burst of `count` timers (statistics gathered) fired by `processes` worker processes."""
    _clear_timers(engine)
    with _worker_processes(database, processes, workdir) as paths:
        armed = _arm_burst(engine, count, statistics=True)
        _wait_for(lambda: _done_count(engine) >= count, f"{processes} worker processes")
    stamps: dict[str, float] = {}
    for path in paths:
        stamps.update(json.loads(path.read_text(encoding="utf-8")))
    return _lateness(engine, armed, stamps, processes=processes, statistics=True)


def raw_lateness(database: BenchDatabase, engine: Engine, count: int) -> Quantiles:
    """The ceiling: as many timers (statistics gathered), the raw loop woken at their due instant."""
    _clear_timers(engine)
    due_at = SystemClock().now() + timedelta(seconds=1)
    load_due_timers(engine, count, due_at, "raw-burst")
    _gather_statistics(engine)
    with data.raw_connection(database) as raw:
        while (left := (due_at - data.utc_now()).total_seconds()) > 0:
            time.sleep(min(left, 0.01))
        now = data.bind_instant(engine)(SystemClock().now())
        fired = raw_fire_all_due(raw, now, lambda: data.utc_now().timestamp())
    if len(fired) != count:
        raise data.BenchError(f"the raw loop fired {len(fired):,} timers, not {count:,}")
    return Quantiles.of([at - due_at.timestamp() for _, at in fired])


def lateness_figures(
    database: BenchDatabase, engine: Engine, settings: Settings, workdir: Path
) -> tuple[tuple[Lateness, ...], Quantiles]:
    """One burst in a worker thread; on PostgreSQL also after ANALYZE, and in worker processes."""
    count = settings.lateness_timers
    runs: list[tuple[str, Callable[[], Lateness]]] = [
        ("worker thread", lambda: lateness_in_thread(engine, count, statistics=False))
    ]
    if database.kind == "postgresql":
        runs.append(("worker thread, ANALYZE once armed", lambda: lateness_in_thread(engine, count, statistics=True)))
        if settings.worker_processes > 1:
            processes = settings.worker_processes
            runs.append(
                (
                    f"{processes} worker processes, ANALYZE once armed",
                    lambda: lateness_in_processes(database, engine, count, processes, workdir),
                )
            )
    lateness = []
    for label, run in runs:
        data.say(f"  {database.label}: {count:,} timers due at one instant, {label} …")
        lateness.append(run())
        data.say(f"    p99 {lateness[-1].committed.p99:,.2f} s (mark-done plan: {lateness[-1].plan})")
    ceiling = raw_lateness(database, engine, count)
    data.say(f"    raw loop: p99 {ceiling.p99:,.2f} s")
    return tuple(lateness), ceiling


# --- timers per second ---------------------------------------------------------------------------


def _due_backlog(engine: Engine, count: int, prefix: str) -> None:
    _clear_timers(engine)
    load_due_timers(engine, count, SystemClock().now() - timedelta(seconds=1), prefix)
    _gather_statistics(engine)


def timer_rate(database: BenchDatabase, engine: Engine, count: int) -> TimerRate:
    """`fire_all_due` over `count` due timers, the raw loop over as many; the statements opsdesk
    sends a timer are counted over another 1,000."""
    clock = SystemClock()
    _due_backlog(engine, 1_000, "count")
    with data.counting_statements(engine) as statements:
        fire_all_due(engine, DUTIES, now=clock.now())

    _due_backlog(engine, count, "rate")
    started = time.perf_counter()
    fired = fire_all_due(engine, DUTIES, now=clock.now())
    seconds = time.perf_counter() - started
    if fired != count:
        raise data.BenchError(f"fire_all_due fired {fired:,} timers, not {count:,}")

    _due_backlog(engine, count, "raw-rate")
    with data.raw_connection(database) as raw:
        started = time.perf_counter()
        raw_fired = raw_fire_all_due(raw, data.bind_instant(engine)(clock.now()), time.perf_counter)
        raw_seconds = time.perf_counter() - started
    if len(raw_fired) != count:
        raise data.BenchError(f"the raw loop fired {len(raw_fired):,} timers, not {count:,}")
    _clear_timers(engine)
    return TimerRate(count, seconds, raw_seconds, data.per_unit(statements, 1_000))


def serve_timers(url: str, stamps_path: Path) -> int:
    """`--timer-worker URL PATH`: the worker loop until SIGTERM, then the commit stamps to PATH."""
    engine = make_engine(url, pool_size=2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _commit_stamps(engine) as stamps:
        with reading(engine) as conn:
            conn.execute(text("SELECT 1"))
        stamps_path.with_suffix(".ready").touch()
        run_worker(engine, SystemClock(), stop, DUTIES)
        stamps_path.write_text(json.dumps(stamps), encoding="utf-8")
    engine.dispose()
    return 0

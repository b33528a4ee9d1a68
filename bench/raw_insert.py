"""The ceiling: what the database itself does for the same work without opsdesk.

One connection of the plain driver, in this process, with nothing else running against the
database:
- inserts: `INSERT INTO bench_raw(subject, body, created_at) VALUES (...)`, each row committed
  on its own (the cost of a ticket create is dominated by its commit);
- selects: `SELECT * FROM bench_raw WHERE id = ?` over the inserted rows, the primary-key read
  behind a ticket show.
SQLite uses the pragmas the server uses (WAL, synchronous=NORMAL, foreign keys, busy timeout).
The table lives in the benchmark's own database and is dropped afterwards.
"""

import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)
SUBJECT = "Bench ticket %d"
BODY = "printer on fire %d"
# A fixed instant: the rows need a timestamp column, not the clock.
CREATED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Ceiling:
    """Single-connection raw rates, operations per second."""

    inserts_per_s: float
    selects_per_s: float


def _timed_loop(seconds: float, operation: Callable[[int], None]) -> float:
    """Call `operation(n)` for n = 0, 1, … until `seconds` have passed; return calls per second."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    now = started
    while now < deadline:
        operation(count)
        count += 1
        now = time.perf_counter()
    return count / (now - started)


def _select_order(row_count: int) -> list[int]:
    """Ids 1..row_count in a fixed shuffled order, so reads do not just walk the B-tree."""
    ids = list(range(1, row_count + 1))
    random.Random(2).shuffle(ids)
    return ids


def measure_sqlite(path: Path, seconds: float) -> Ceiling:
    """Raw rates of the SQLite file at `path` (the table is created and dropped here)."""
    connection = sqlite3.connect(path, isolation_level="DEFERRED")
    try:
        for pragma in SQLITE_PRAGMAS:
            connection.execute(pragma)
        connection.execute("DROP TABLE IF EXISTS bench_raw")
        connection.execute(
            "CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, subject TEXT NOT NULL,"
            " body TEXT NOT NULL, created_at TEXT NOT NULL)"
        )
        connection.commit()

        def insert(n: int) -> None:
            connection.execute(
                "INSERT INTO bench_raw(subject, body, created_at) VALUES (?, ?, ?)",
                (SUBJECT % n, BODY % n, CREATED_AT.isoformat()),
            )
            connection.commit()

        inserts_per_s = _timed_loop(seconds, insert)
        row_count = connection.execute("SELECT count(*) FROM bench_raw").fetchone()[0]
        order = _select_order(row_count)

        def select(n: int) -> None:
            row = connection.execute("SELECT * FROM bench_raw WHERE id = ?", (order[n % len(order)],)).fetchone()
            if row is None:
                raise RuntimeError("bench_raw lost a row")

        selects_per_s = _timed_loop(seconds, select)
        connection.execute("DROP TABLE bench_raw")
        connection.commit()
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return Ceiling(inserts_per_s=inserts_per_s, selects_per_s=selects_per_s)


def measure_postgres(conninfo: str, seconds: float) -> Ceiling:
    """Raw rates of the PostgreSQL database at `conninfo` (a libpq URI or key=value string)."""
    import psycopg  # noqa: PLC0415 (only needed when PostgreSQL is benchmarked)

    with psycopg.connect(conninfo) as connection:
        connection.execute("DROP TABLE IF EXISTS bench_raw")
        connection.execute(
            "CREATE TABLE bench_raw (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " subject text NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL)"
        )
        connection.commit()

        def insert(n: int) -> None:
            connection.execute(
                "INSERT INTO bench_raw(subject, body, created_at) VALUES (%s, %s, %s)",
                (SUBJECT % n, BODY % n, CREATED_AT),
            )
            connection.commit()

        inserts_per_s = _timed_loop(seconds, insert)
        # Reads run in autocommit, one statement per transaction, as a short request's would.
        connection.autocommit = True
        count_row = connection.execute("SELECT count(*) FROM bench_raw").fetchone()
        order = _select_order(count_row[0] if count_row else 0)

        def select(n: int) -> None:
            row = connection.execute("SELECT * FROM bench_raw WHERE id = %s", (order[n % len(order)],)).fetchone()
            if row is None:
                raise RuntimeError("bench_raw lost a row")

        selects_per_s = _timed_loop(seconds, select)
        connection.execute("DROP TABLE bench_raw")
    return Ceiling(inserts_per_s=inserts_per_s, selects_per_s=selects_per_s)

"""The finding-work ceilings: the same queries, raw, through the plain driver (sqlite3, psycopg).

The SQL of a search or a view count is the SQL opsdesk itself sends: `capture()` runs opsdesk's
own service function (`search.service.search`, `views.service.count_tickets`) in this process for
the demo admin and records every SELECT and its parameters as they reach the driver, without
running them: each is answered by a stand-in (a count by one row holding 1, anything else by no
rows), so the service goes on to its next statement as it would for a non-empty result, and a
query that would run for hours costs nothing here. `RawDatabase.run()` replays the recorded
statements on a plain connection: no SQLAlchemy, no HTTP, no serialization.

The export's ceiling is a hand-written keyset loop of the same shape as opsdesk's
(`exports.service.read_page`): pages of 1,000 over (updated_at, id), one row more fetched to see
whether another page follows, rows older than now - 1 s.

Every replay stops at the limit: SQLite through `Connection.interrupt()` from a timer,
PostgreSQL through `statement_timeout`; either raises `CutOff`.
"""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine

from bench.databases import BenchDatabase
from bench.finding_http import CutOff
from bench.raw_insert import SQLITE_PRAGMAS

if TYPE_CHECKING:
    from opsdesk.tickets.access import Viewer

Statement = tuple[str, Any]
"""SQL in the driver's own parameter style, with its parameters."""

Work = Callable[[Connection, "Viewer"], Callable[[], object]]
"""Given a connection and the caller: loads what the request needs before its query (the view),
and returns the query itself, the part to capture."""

EXPORT_PAGE = 1000
EXPORT_LAG = timedelta(seconds=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COUNT_PREFIX = "SELECT COUNT(*)"


def _stand_in(sql: str, parameters: Any) -> Statement:  # noqa: ANN401 (the driver's parameters)
    none: Any = {} if isinstance(parameters, dict) else ()
    if sql.lstrip().upper().startswith(_COUNT_PREFIX):
        return "SELECT 1", none
    return "SELECT 1 WHERE 1 = 0", none


def capture(database: BenchDatabase, admin_id: int, work: Work) -> list[Statement]:
    """The SELECTs of `work`'s query for the admin, in order, in the driver's terms, recorded
    but not run. Loading the admin and the view (the same for every request) is left out."""
    from opsdesk.core.db.engine import make_engine  # noqa: PLC0415 (opsdesk runs in this process only here)
    from opsdesk.core.db.uow import reading  # noqa: PLC0415 (as above)
    from opsdesk.users.service import load_viewer  # noqa: PLC0415 (as above)

    engine: Engine = make_engine(database.sqlalchemy_url, pool_size=1)
    captured: list[Statement] = []

    def record(_conn: object, _cursor: object, sql: str, parameters: Any, *_rest: object) -> Statement:  # noqa: ANN401 (the driver's parameters)
        if sql.lstrip()[:6].upper() != "SELECT":
            return sql, parameters
        captured.append((sql, parameters))
        return _stand_in(sql, parameters)

    try:
        with reading(engine) as conn:
            viewer = load_viewer(conn, admin_id)
            if viewer is None:
                raise RuntimeError(f"user {admin_id} cannot sign in")
            query = work(conn, viewer)
            event.listen(engine, "before_cursor_execute", record, retval=True)
            try:
                query()
            finally:
                event.remove(engine, "before_cursor_execute", record)
    finally:
        engine.dispose()
    return captured


def search_work(text: str, now: datetime, page_size: int) -> Work:
    """A first page of `GET /api/v2/search?query=…`, as the API runs it."""
    from opsdesk.search.service import search  # noqa: PLC0415 (see capture)

    def work(conn: Connection, viewer: "Viewer") -> Callable[[], object]:
        return lambda: search(conn, viewer=viewer, text=text, now=now, offset=0, limit=page_size)

    return work


def view_count_work(view_id: int, now: datetime) -> Work:
    """`GET /api/v2/views/{id}/count`, as the API runs it."""
    from opsdesk.views.repo import get_view  # noqa: PLC0415 (see capture)
    from opsdesk.views.service import count_tickets  # noqa: PLC0415 (as above)

    def work(conn: Connection, viewer: "Viewer") -> Callable[[], object]:
        view = get_view(conn, view_id)
        if view is None:
            raise RuntimeError(f"view {view_id} is missing")
        return lambda: count_tickets(conn, view, viewer, now)

    return work


@dataclass(frozen=True)
class ExportCeiling:
    tickets: int
    pages: int
    elapsed_s: float
    cut_off: bool = False

    @property
    def rate(self) -> float:
        return self.tickets / self.elapsed_s if self.elapsed_s else 0.0


class RawDatabase:
    """One plain-driver connection in autocommit mode: every statement its own transaction."""

    def __init__(self, database: BenchDatabase, connection: Any, limit_s: float | None) -> None:  # noqa: ANN401 (sqlite3 or psycopg)
        self.kind = database.kind
        self.limit_s = limit_s
        self._connection = connection

    def rows(self, sql: str, parameters: Any = ()) -> list[tuple[Any, ...]]:  # noqa: ANN401 (driver parameters)
        """`sql` with `?` placeholders on either database."""
        if self.kind == "postgresql":
            sql = sql.replace("?", "%s")
        return list(self._connection.execute(sql, parameters).fetchall())

    def execute(self, sql: str) -> None:
        """A statement that returns no rows (VACUUM, ALTER DATABASE)."""
        self._connection.execute(sql)

    def run(self, statements: list[Statement]) -> tuple[list[Any], int]:
        """Replay `statements` back to back, every row fetched: (the first row of each, or None;
        the time it took in ns). Raises CutOff past the limit."""
        with self._limited():
            started = time.perf_counter_ns()
            fetched = [self._connection.execute(sql, parameters).fetchall() for sql, parameters in statements]
            elapsed = time.perf_counter_ns() - started
        return [rows[0] if rows else None for rows in fetched], elapsed

    @contextmanager
    def _limited(self) -> Iterator[None]:
        """Statements inside stop at the limit with CutOff."""
        timer = None
        if self.kind == "sqlite" and self.limit_s is not None:
            # PostgreSQL has its statement_timeout (see raw_database); SQLite is interrupted.
            timer = threading.Timer(self.limit_s, self._connection.interrupt)
            timer.start()
        try:
            yield
        except Exception as exc:
            if _is_cut_off(self.kind, exc):
                raise CutOff(f"a raw query ran past {self.limit_s} s") from exc
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def plan(self, statement: Statement) -> list[str]:
        """The database's plan for `statement`, one line per step."""
        sql, parameters = statement
        if self.kind == "sqlite":
            rows = self._connection.execute(f"EXPLAIN QUERY PLAN {sql}", parameters).fetchall()
            depth: dict[int, int] = {}
            lines = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                lines.append("  " * depth[node] + str(detail))
            return lines
        rows = self._connection.execute(f"EXPLAIN (COSTS OFF) {sql}", parameters).fetchall()
        return [str(row[0]) for row in rows]

    def walk_export(self, now: datetime) -> ExportCeiling:
        """Every ticket older than `now` - 1 s, in keyset pages over (updated_at, id): the row-value
        comparison opsdesk's export uses, an index range on both databases (PostgreSQL cannot walk
        `t > x OR (t = x AND id > y)` as one: at a million it re-read the index for every page)."""
        mark = "?" if self.kind == "sqlite" else "%s"
        sql = (
            f"SELECT * FROM tickets WHERE (updated_at, id) > ({mark}, {mark})"
            f" AND updated_at <= {mark} ORDER BY updated_at, id LIMIT {EXPORT_PAGE + 1}"
        )
        moment: Any = self._stored(EPOCH)
        cutoff = self._stored(now - EXPORT_LAG)
        last_id = -1
        tickets = pages = 0
        started = time.perf_counter_ns()
        try:
            while True:
                with self._limited():
                    cursor = self._connection.execute(sql, (moment, last_id, cutoff))
                    rows = cursor.fetchall()
                pages += 1
                page = rows[:EXPORT_PAGE]
                tickets += len(page)
                if len(rows) <= EXPORT_PAGE:
                    break
                names = [column[0] for column in cursor.description]
                moment, last_id = page[-1][names.index("updated_at")], page[-1][names.index("id")]
        except CutOff:
            cut_off = True
        else:
            cut_off = False
        elapsed_s = (time.perf_counter_ns() - started) / 1e9
        return ExportCeiling(tickets=tickets, pages=pages, elapsed_s=elapsed_s, cut_off=cut_off)

    def _stored(self, moment: datetime) -> object:
        """`moment` as opsdesk stores it: naive UTC ISO text on SQLite, timestamptz on PostgreSQL."""
        if self.kind == "sqlite":
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return moment


def _is_cut_off(kind: str, exc: Exception) -> bool:
    if kind == "sqlite":
        return isinstance(exc, sqlite3.OperationalError) and "interrupted" in str(exc)
    from psycopg.errors import QueryCanceled  # noqa: PLC0415 (only needed when PostgreSQL is benchmarked)

    return isinstance(exc, QueryCanceled)


@contextmanager
def raw_database(database: BenchDatabase, limit_s: float | None = None) -> Iterator[RawDatabase]:
    """A plain connection; with `limit_s`, `RawDatabase.run` and `walk_export` stop there."""
    if database.sqlite_path is not None:
        connection = sqlite3.connect(database.sqlite_path, isolation_level=None, check_same_thread=False)
        try:
            for pragma in SQLITE_PRAGMAS:
                connection.execute(pragma)
            yield RawDatabase(database, connection, limit_s)
        finally:
            connection.close()
        return
    import psycopg  # noqa: PLC0415 (only needed when PostgreSQL is benchmarked)

    from opsdesk.core.db.engine import BITMAP_WORK_MEM  # noqa: PLC0415 (opsdesk's setting, as its searches and counts run)

    if database.postgres_conninfo is None:
        raise RuntimeError(f"{database.label}: no direct connection")
    with psycopg.connect(database.postgres_conninfo, autocommit=True) as pg_connection:
        if limit_s is not None:
            pg_connection.execute(f"SET statement_timeout = {int(limit_s * 1000)}")
        # opsdesk's searches and counts run with this (`allow_large_bitmaps`, a SET LOCAL the
        # capture of SELECTs does not record): without it the ceiling would pay for lossy bitmaps.
        pg_connection.execute(f"SET work_mem = '{BITMAP_WORK_MEM}'")
        yield RawDatabase(database, pg_connection, limit_s)

"""What the time-engine benchmark feeds opsdesk, and the plumbing its parts share.

- 500 triggers in Zendesk's JSON (routing, escalation, waiting, reply and VIP rules over
  `update_type`, `status`, `priority`, `group_id`, `current_tags` and `comment_is_public`): all but
  `MATCHING` of them miss the benchmark's update, an agent's public reply on a ticket tagged
  `bench`; those few add a tag each. The same conditions as plain Python closures, the triggers'
  ceiling.
- `bulk_insert`: rows written straight in SQL, COPY on PostgreSQL and INSERT … SELECT from a
  temporary table on SQLite, as `opsdesk.datagen` writes them.
- `raw_connection`: one plain-driver connection (sqlite3 with the server's pragmas, psycopg) for
  the raw ceilings; `capture_select`: a query as opsdesk sends it, to replay there.
- `counting_statements`: the statements opsdesk sends, by kind (`UPDATE timers`, `SAVEPOINT`).

Instants are timezone-aware UTC.
"""

import random
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, Table, event

from bench.databases import BenchDatabase, DatabaseKind, provision
from opsdesk.core.db.engine import make_engine
from opsdesk.core.db.migrate import upgrade
from opsdesk.rules.model import TicketState, Update
from opsdesk.timers.tables import timers

Row = dict[str, Any]
NOOP_KIND = "bench.noop"
BENCH_TAG = "bench"
MATCHING = 5
MATCHING_TITLE = "Mark public replies"
SEEN_PREFIX = "seen_"  # the tag each firing trigger adds: SEEN_PREFIX + its number
_RANK = {"new": 0, "open": 1, "pending": 2, "hold": 3, "solved": 4, "closed": 5}


class BenchError(RuntimeError):
    """A benchmark step failed in a way the console message fully explains."""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def utc_now() -> datetime:
    """The wall clock, to the microsecond (opsdesk's clock keeps milliseconds)."""
    return datetime.now(UTC)  # noqa: TID251 (the benchmark measures the wall clock itself)


def statement_kind(sql: str) -> str:
    """`UPDATE timers`, `SELECT tickets`, `SAVEPOINT`: a statement's verb and first table."""
    words = sql.replace("(", " ").split()
    verb = words[0].upper() if words else "?"
    if verb in {"SAVEPOINT", "RELEASE", "BEGIN", "ROLLBACK"}:
        return verb
    if verb == "UPDATE":
        return f"UPDATE {words[1].strip(chr(34))}"
    table = next((w for before, w in pairwise(words) if before.upper() in {"FROM", "INTO"}), "")
    return f"{verb} {table.strip(chr(34))}".strip()


@contextmanager
def counting_statements(engine: Engine) -> Iterator[Counter[str]]:
    """The statements sent to the driver, by `statement_kind` (an executemany counts once)."""
    sent: Counter[str] = Counter()

    def note(_conn: Connection, _cursor: object, sql: str, *_rest: object) -> None:
        sent[statement_kind(sql)] += 1

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def per_unit(sent: Counter[str], units: int) -> tuple[tuple[str, float], ...]:
    """Statements of each kind per unit (timer, ticket), most frequent first."""
    return tuple((kind, count / units) for kind, count in sent.most_common())


def bind_instant(engine: Engine) -> Callable[[datetime], Any]:
    """An instant as opsdesk binds it for this database (text on SQLite)."""
    process = timers.c.due_at.type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
    return (lambda moment: moment) if process is None else process


# --- triggers ---------------------------------------------------------------------------------


def _condition(field: str, operator: str, value: object) -> Row:
    return {"field": field, "operator": operator, "value": value}


def _trigger(number: int, rng: random.Random) -> Row:
    """One of five everyday kinds of trigger; none of them matches the benchmark's update."""
    group = rng.randint(11, 16)
    pick = rng.random()
    if pick < 0.30:  # routing on creation: the update is a change, so it is ruled out at once
        product = f"product_{rng.randint(1, 40)}"
        return _json(
            f"Route {product}",
            [_condition("update_type", "is", "Create"), _condition("current_tags", "includes", product)],
            [],
            [{"field": "group_id", "value": group}, {"field": "priority", "value": "normal"}],
        )
    if pick < 0.50:  # escalation of urgent changes in a group
        return _json(
            f"Escalate urgent in group {group} ({number})",
            [
                _condition("update_type", "is", "Change"),
                _condition("priority", "is", "urgent"),
                _condition("group_id", "is", group),
            ],
            [],
            [{"field": "current_tags", "value": f"escalated_{number}"}],
        )
    if pick < 0.70:  # waiting tickets of high priority
        return _json(
            f"Nudge waiting ({number})",
            [
                _condition("status", "is", rng.choice(["pending", "hold"])),
                _condition("current_tags", "not_includes", f"nudged_{number}"),
            ],
            [_condition("priority", "is", "high"), _condition("priority", "is", "urgent")],
            [{"field": "current_tags", "value": f"nudged_{number}"}],
        )
    if pick < 0.85:  # public replies in another group
        return _json(
            f"Public reply in group {group} ({number})",
            [
                _condition("comment_is_public", "is", "true"),
                _condition("group_id", "is", group),
                _condition("status", "less_than", "solved"),
            ],
            [],
            [{"field": "current_tags", "value": f"replied_{number}"}],
        )
    vip = f"vip_{rng.randint(1, 20)}"
    return _json(
        f"VIP {vip} ({number})",
        [_condition("current_tags", "includes", vip), _condition("status", "is_not", "solved")],
        [],
        [{"field": "priority", "value": "urgent"}],
    )


def _matching(number: int) -> Row:
    """A trigger that fires on the benchmark's update: a public comment on a ticket tagged `bench`."""
    return _json(
        f"{MATCHING_TITLE} ({number})",
        [
            _condition("update_type", "is", "Change"),
            _condition("comment_is_public", "is", "true"),
            _condition("current_tags", "includes", BENCH_TAG),
        ],
        [],
        [{"field": "current_tags", "value": f"{SEEN_PREFIX}{number}"}],
    )


def _json(title: str, all_: list[Row], any_: list[Row], actions: list[Row]) -> Row:
    return {"title": title, "conditions": {"all": all_, "any": any_}, "actions": actions}


def trigger_definitions(count: int, seed: int = 4) -> list[Row]:
    """`count` triggers as the API takes them, `MATCHING` of them (spread evenly) firing."""
    rng = random.Random(seed)
    every = max(count // MATCHING, 1)
    return [_matching(number) if number % every == every // 2 else _trigger(number, rng) for number in range(count)]


def ticket_state(ticket_id: int, *, status: str, priority: str | None, tags: tuple[str, ...]) -> TicketState:
    """A web ticket of requester 2 in no group, as `tickets.workflow.state_of` gives it."""
    return TicketState(
        id=ticket_id,
        subject=f"Bench ticket {ticket_id}",
        status=status,
        priority=priority,
        type=None,
        group_id=None,
        assignee_id=None,
        requester_id=2,
        submitter_id=1,
        organization_id=None,
        ticket_form_id=None,
        via_channel="web",
        tags=tags,
    )


def agent_reply() -> tuple[TicketState, Update]:
    """The update the benchmark runs triggers on: an agent's public reply that sets priority high
    on a new ticket (so it becomes open), as `update_ticket` hands it to the triggers."""
    before = ticket_state(1, status="new", priority=None, tags=(BENCH_TAG,))
    after = ticket_state(1, status="open", priority="high", tags=(BENCH_TAG,))
    update = Update(
        is_create=False,
        via_channel="web",
        actor_id=1,
        actor_role="admin",
        previous=before,
        comment_public=True,
        comment_body="Thanks, we are on it.",
    )
    return after, update


PlainTest = Callable[[TicketState, Update], bool]


def _plain(condition: Row) -> PlainTest:  # noqa: PLR0911 (one return per field)
    field, operator, value = condition["field"], condition["operator"], condition["value"]
    if field == "update_type":
        creating = value == "Create"
        return lambda _s, u: u.is_create is creating
    if field == "comment_is_public":
        return lambda _s, u: u.comment_public is True
    if field == "current_tags":
        wanted = frozenset(str(value).split())
        present = operator == "includes"
        return lambda s, _u: (not wanted.isdisjoint(s.tags)) is present
    if field == "status" and operator == "less_than":
        rank = _RANK[str(value)]
        return lambda s, _u: _RANK[s.status] < rank
    same = operator == "is"
    if field == "status":
        return lambda s, _u: (s.status == value) is same
    if field == "priority":
        return lambda s, _u: (s.priority == value) is same
    if field == "group_id":
        return lambda s, _u: (s.group_id == value) is same
    raise ValueError(f"the plain ceiling has no test for {field} {operator}")


PlainTrigger = tuple[tuple[PlainTest, ...], tuple[PlainTest, ...]]


def plain_triggers(definitions: Sequence[Row]) -> list[PlainTrigger]:
    return [
        (
            tuple(_plain(c) for c in definition["conditions"]["all"]),
            tuple(_plain(c) for c in definition["conditions"]["any"]),
        )
        for definition in definitions
    ]


def plain_pass(triggers: Sequence[PlainTrigger], state: TicketState, update: Update) -> list[int]:
    """One top-to-bottom pass of the same conditions in plain Python: which triggers match."""
    return [
        index
        for index, (every, some) in enumerate(triggers)
        if all(test(state, update) for test in every) and (not some or any(test(state, update) for test in some))
    ]


# --- the database -----------------------------------------------------------------------------


@contextmanager
def fresh_database(kind: DatabaseKind, folder: Path) -> Iterator[tuple[BenchDatabase, Engine]]:
    """A fresh database of `kind` in `folder` (made here), migrated, and an engine on it."""
    folder.mkdir()
    with provision(kind, folder) as database:
        upgrade(database.sqlalchemy_url)
        engine = make_engine(database.sqlalchemy_url)
        try:
            yield database, engine
        finally:
            engine.dispose()


def bulk_insert(conn: Connection, table: Table, rows: list[Row]) -> None:
    """Rows that all have the same keys, bound by each column type's own processor: one COPY on
    PostgreSQL, one INSERT … SELECT from a temporary table on SQLite (as `opsdesk.datagen`)."""
    if not rows:
        return
    dialect = conn.dialect
    names = list(rows[0])
    columns: list[list[Any]] = []
    for name in names:
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        values = [row[name] for row in rows]
        columns.append(values if process is None else [process(value) for value in values])
    records = list(zip(*columns, strict=True))
    quote = dialect.identifier_preparer.quote
    column_list, target = ", ".join(map(quote, names)), quote(table.name)
    if dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({column_list}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        return
    placeholders = ", ".join("?" * len(names))
    conn.exec_driver_sql(f"CREATE TEMP TABLE bench_rows AS SELECT {column_list} FROM main.{target} WHERE 0")
    conn.exec_driver_sql(f"INSERT INTO temp.bench_rows VALUES ({placeholders})", records)
    conn.exec_driver_sql(f"INSERT INTO main.{target} ({column_list}) SELECT {column_list} FROM temp.bench_rows")
    conn.exec_driver_sql("DROP TABLE temp.bench_rows")


Parameters = Sequence[Any] | Mapping[str, Any]


@dataclass(frozen=True)
class Statement:
    """A statement as opsdesk sent it to the driver: SQL text in the driver's paramstyle."""

    sql: str
    parameters: Parameters

    def with_value(self, old: object, new: object) -> "Statement":
        """The same statement with the parameter that was `old` bound to `new`."""
        if isinstance(self.parameters, Mapping):
            return Statement(self.sql, {k: new if v == old else v for k, v in self.parameters.items()})
        return Statement(self.sql, [new if v == old else v for v in self.parameters])


def capture_select(engine: Engine, work: Callable[[Connection], object]) -> Statement:
    """The first SELECT opsdesk sends while doing `work` (in a transaction rolled back)."""
    sent: list[Statement] = []

    def note(_conn: Connection, _cursor: object, sql: str, parameters: Parameters, *_rest: object) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            sent.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            work(conn)
            transaction.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    if not sent:
        raise BenchError("opsdesk sent no SELECT to capture")
    return sent[0]


@dataclass
class RawConnection:
    """One plain-driver connection: sqlite3 with the server's pragmas, or psycopg."""

    kind: str
    sqlite: sqlite3.Connection | None
    postgres: psycopg.Connection[Any] | None

    @property
    def marker(self) -> str:
        return "?" if self.kind == "sqlite" else "%s"

    def begin(self) -> None:
        if self.sqlite is not None:
            self.sqlite.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        if self.sqlite is not None:
            self.sqlite.execute("COMMIT")
        elif self.postgres is not None:
            self.postgres.commit()

    def execute(self, sql: str, parameters: Parameters = ()) -> list[tuple[Any, ...]]:
        return self.query(sql, parameters)[1]

    def query(self, sql: str, parameters: Parameters = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The column names and every row."""
        if self.sqlite is not None:
            found = self.sqlite.execute(sql, parameters)
            names = [column[0] for column in found.description or ()]
            return names, found.fetchall() if names else []
        assert self.postgres is not None
        cursor = self.postgres.execute(sql, parameters)
        names = [column.name for column in cursor.description or ()]
        return names, cursor.fetchall() if names else []

    def plan(self, sql: str, parameters: Parameters = ()) -> tuple[str, ...]:
        """The database's plan for the statement, one line per step."""
        if self.sqlite is not None:
            found = self.sqlite.execute(f"EXPLAIN QUERY PLAN {sql}", parameters).fetchall()
            return tuple(str(row[3]) for row in found)
        assert self.postgres is not None
        return tuple(str(row[0]) for row in self.postgres.execute(f"EXPLAIN (COSTS OFF) {sql}", parameters))

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self.sqlite is not None:
            self.sqlite.executemany(sql, rows)
        else:
            assert self.postgres is not None
            with self.postgres.cursor() as cursor:
                cursor.executemany(sql, rows)


@contextmanager
def raw_connection(database: BenchDatabase) -> Iterator[RawConnection]:
    if database.sqlite_path is not None:
        connection = sqlite3.connect(database.sqlite_path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA busy_timeout=5000")
        try:
            yield RawConnection("sqlite", connection, None)
        finally:
            connection.close()
        return
    assert database.postgres_conninfo is not None
    with psycopg.connect(database.postgres_conninfo) as postgres:
        yield RawConnection("postgresql", None, postgres)

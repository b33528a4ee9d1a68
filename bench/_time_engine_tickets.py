"""Ticket figures: the API update path with and without 500 stored triggers, and re-applying a
changed SLA policy to open tickets.

Everything opsdesk does here goes through its services (`users`, `tickets`, `rules`, `calendars`,
`sla`) inside `writing` transactions, as the API does; only the open tickets to re-apply a policy to
are written directly, with the rows opsdesk keeps for them (`ticket_clocks` as `sla.repo.clocks_row`
writes them).
"""

import random
import time
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, select, text

from bench import _time_engine_data as data
from bench._time_engine_data import BENCH_TAG, RawConnection, Row, bulk_insert
from bench._time_engine_figures import ApiUpdates, Quantiles, Reapply
from bench.databases import BenchDatabase, DatabaseKind
from opsdesk.calendars import service as calendars_service
from opsdesk.core.clock import SystemClock
from opsdesk.core.db.uow import reading, writing
from opsdesk.rules import service as rules_service
from opsdesk.rules.model import RuleKind
from opsdesk.sla import repo as sla_repo
from opsdesk.sla import service as sla_service
from opsdesk.sla.clocks import TicketClocks
from opsdesk.sla.model import HistoryEvent, HistoryKind, Metric, MetricState, Stage
from opsdesk.sla.tables import ticket_clocks
from opsdesk.sla.tasks import reapply_batch
from opsdesk.tickets import repo as tickets_repo
from opsdesk.tickets import service as tickets_service
from opsdesk.tickets import workflow
from opsdesk.tickets.access import Viewer
from opsdesk.tickets.model import Channel, CommentDraft
from opsdesk.tickets.tables import ticket_tags, tickets
from opsdesk.timers import repo as timers_repo
from opsdesk.users import service as users_service

TIME_ZONE = "America/New_York"
PRIORITIES = ("low", "normal", "high", "urgent")
# Minutes for low, normal, high and urgent tickets, per metric (all business hours), before and
# after the change that is re-applied.
POLICY_BEFORE = {
    "first_reply_time": (480, 240, 120, 60),
    "next_reply_time": (960, 480, 240, 120),
    "requester_wait_time": (9600, 4800, 2400, 1440),
}
POLICY_AFTER = {
    "first_reply_time": (420, 180, 90, 30),
    "next_reply_time": (720, 360, 180, 60),
    "requester_wait_time": (7200, 4800, 2400, 960),
}
_OPEN_STATUSES = (("new", 30), ("open", 40), ("pending", 20), ("hold", 10))
_PRIORITY_SHARES = (("low", 15), ("normal", 55), ("high", 20), ("urgent", 10))
PREMIUM_SHARE = 0.1
LOAD_CHUNK = 50_000


def people(engine: Engine) -> tuple[Viewer, int]:
    """An admin (as a viewer) and an end-user, created through the user service."""
    now = SystemClock().now()
    with writing(engine) as conn:
        admin = users_service.create_user(
            conn, actor=None, values={"name": "Bench Admin", "email": "admin@bench.test", "role": "admin"}, now=now
        )
        requester = users_service.create_user(
            conn, actor=None, values={"name": "Rita Requester", "email": "rita@bench.test"}, now=now
        )
        viewer = users_service.load_viewer(conn, admin.id)
    if viewer is None:
        raise data.BenchError("the admin cannot act")
    return viewer, requester.id


def _new_tickets(engine: Engine, admin: Viewer, requester_id: int, count: int) -> list[int]:
    ids = []
    for number in range(count):
        with writing(engine) as conn:
            result = tickets_service.create_ticket(
                conn,
                actor=admin,
                values={"subject": f"Printer {number} is on fire", "requester_id": requester_id, "tags": [BENCH_TAG]},
                comment=CommentDraft(body="It smells of toner."),
                requester=None,
                via=Channel.WEB,
                now=SystemClock().now(),
            )
        ids.append(result.ticket.id)
    return ids


def _reply(engine: Engine, admin: Viewer, ticket_id: int) -> float:
    """One agent reply that also raises the priority, in its own transaction; milliseconds."""
    started = time.perf_counter()
    with writing(engine) as conn:
        tickets_service.update_ticket(
            conn,
            actor=admin,
            ticket_id=ticket_id,
            values={"priority": "high"},
            comment=CommentDraft(body="Thanks, we are on it."),
            via=Channel.WEB,
            now=SystemClock().now(),
        )
    return (time.perf_counter() - started) * 1e3


def _store_triggers(engine: Engine, admin: Viewer, count: int) -> tuple[float, list[int]]:
    """POST-equivalent: each trigger through the rule service in its own transaction. Returns the
    seconds it took and the ids of the triggers that fire on the benchmark's reply."""
    firing: list[int] = []
    started = time.perf_counter()
    for definition in data.trigger_definitions(count):
        with writing(engine) as conn:
            record = rules_service.create_rule(
                conn, actor=admin, kind=RuleKind.TRIGGER, values=definition, now=SystemClock().now()
            )
        if definition["title"].startswith(data.MATCHING_TITLE):
            firing.append(record.rule.id)
    return time.perf_counter() - started, firing


def _seen_tags(engine: Engine, ticket_id: int) -> int:
    with reading(engine) as conn:
        ticket = tickets_repo.get_ticket(conn, ticket_id)
    return sum(tag.startswith(data.SEEN_PREFIX) for tag in ticket.tags) if ticket else -1


@dataclass(frozen=True)
class _Desk:
    """One of the API path's databases: its engine, the admin and the tickets to reply to."""

    engine: Engine
    admin: Viewer
    ticket_ids: list[int]


def _desk(engine: Engine, replies: int) -> _Desk:
    admin, requester_id = people(engine)
    return _Desk(engine, admin, _new_tickets(engine, admin, requester_id, replies + 1))


def api_updates(kind: DatabaseKind, workdir: Path, count: int, trigger_count: int) -> ApiUpdates:
    """The same reply to fresh tickets on three fresh databases: no trigger; `trigger_count`
    stored (a few firing); the same less the firing ones (deleted). The replies go round the three,
    so that all see the same machine; the first on each is a warm-up, its statements counted."""
    with ExitStack() as stack:
        desks = []
        for name in ("no-trigger", "triggers", "none-firing"):
            _database, engine = stack.enter_context(data.fresh_database(kind, workdir / f"api-{name}"))
            desks.append(_desk(engine, count))
        store_s, _ = _store_triggers(desks[1].engine, desks[1].admin, trigger_count)
        _, firing = _store_triggers(desks[2].engine, desks[2].admin, trigger_count)
        for rule_id in firing:
            with writing(desks[2].engine) as conn:
                rules_service.delete_rule(conn, actor=desks[2].admin, kind=RuleKind.TRIGGER, rule_id=rule_id)
        statements = []
        for desk in desks:
            with data.counting_statements(desk.engine) as sent:
                _reply(desk.engine, desk.admin, desk.ticket_ids[0])
            statements.append(sent.total())
        samples: list[list[float]] = [[], [], []]
        for number in range(1, count + 1):
            for desk, taken in zip(desks, samples, strict=True):
                taken.append(_reply(desk.engine, desk.admin, desk.ticket_ids[number]))
        fired = [_seen_tags(desk.engine, desk.ticket_ids[-1]) for desk in desks]
    if fired != [0, data.MATCHING, 0]:
        raise data.BenchError(f"triggers fired {fired} times on the last replies, not [0, {data.MATCHING}, 0]")
    without, with_triggers, none_firing = (Quantiles.of(taken) for taken in samples)
    return ApiUpdates(count, trigger_count, store_s, without, with_triggers, none_firing, statements[0], statements[1])


# --- re-applying a policy ------------------------------------------------------------------------


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in choices], [weight for _, weight in choices])[0]


def _open_ticket(ticket_id: int, rng: random.Random, requester_id: int, now: datetime) -> tuple[Row, TicketClocks]:
    """An open ticket created in the last two weeks, and its clocks as opsdesk would have kept them:
    new → (an agent's public reply, open) → pending or on hold; some open ones have a requester reply
    waiting."""
    status = _weighted(rng, _OPEN_STATUSES)
    created = now - timedelta(seconds=rng.randrange(3600, 14 * 86400))
    history = [HistoryEvent(created, HistoryKind.STATUS, "new")]
    entered = {"new": created}
    changed = created
    if status != "new":
        replied = created + (now - created) * rng.uniform(0.05, 0.5)
        history += [
            HistoryEvent(replied, HistoryKind.STATUS, "open"),
            HistoryEvent(replied, HistoryKind.PUBLIC_COMMENT, by_agent=True),
        ]
        entered["open"] = changed = replied
        later = replied + (now - replied) * rng.uniform(0.1, 0.9)
        if status in {"pending", "hold"}:
            history.append(HistoryEvent(later, HistoryKind.STATUS, status))
            entered[status] = changed = later
        elif rng.random() < 0.5:
            history.append(HistoryEvent(later, HistoryKind.PUBLIC_COMMENT, by_agent=False))
    tags = [BENCH_TAG, "premium"] if rng.random() < PREMIUM_SHARE else [BENCH_TAG]
    ticket = {
        "id": ticket_id,
        "subject": f"Open ticket {ticket_id}",
        "description": "",
        "requester_id": requester_id,
        "submitter_id": requester_id,
        "status": status,
        "priority": _weighted(rng, _PRIORITY_SHARES),
        "via_channel": "web",
        "tags": tags,
        "custom_fields": {},
        "collaborator_ids": [],
        "followup_ids": [],
        "created_at": created,
        "updated_at": changed,
        "status_changed_at": changed,
    }
    clocks = TicketClocks(
        ticket_id=ticket_id,
        created_at=created,
        updated_at=changed,
        status_entered_at=entered,
        assigned_at=None,
        requester_updated_at=None,
        assignee_updated_at=None,
        history=tuple(history),
        created_by_agent_publicly=False,
    )
    return ticket, clocks


def load_open_tickets(engine: Engine, count: int, *, requester_id: int, policy_id: int) -> None:
    """`count` open tickets with ids 1..count, their tags and clocks (filed under `policy_id`, not
    measured yet), `LOAD_CHUNK` tickets a transaction; then, on PostgreSQL, the sequence moved past
    them and `ANALYZE`, the statistics autovacuum gathers soon after such a load."""
    rng = random.Random(5)
    now = SystemClock().now()
    for first in range(1, count + 1, LOAD_CHUNK):
        ticket_rows: list[Row] = []
        tag_rows: list[Row] = []
        clock_rows: list[Row] = []
        for ticket_id in range(first, min(first + LOAD_CHUNK, count + 1)):
            ticket, clocks = _open_ticket(ticket_id, rng, requester_id, now)
            ticket_rows.append(ticket)
            tag_rows.extend({"ticket_id": ticket_id, "tag": tag} for tag in ticket["tags"])
            clock_rows.append({**sla_repo.clocks_row(clocks), "sla_policy_id": policy_id})
        with writing(engine) as conn:
            bulk_insert(conn, tickets, ticket_rows)
            bulk_insert(conn, ticket_tags, tag_rows)
            bulk_insert(conn, ticket_clocks, clock_rows)
        done = first - 1 + len(ticket_rows)
        if done % 250_000 == 0 and done < count:
            data.say(f"    {done:,} …")
    if engine.dialect.name == "postgresql":
        with writing(engine) as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('tickets', 'id'), (SELECT max(id) FROM tickets))"))
            conn.exec_driver_sql("ANALYZE")


_CURSOR_MARK = -424_242  # an `after` no ticket id is below, told apart from every other parameter


def raw_reapply(raw: RawConnection, read: data.Statement, write: tuple[int, Any, Any]) -> tuple[int, float]:
    """The ceiling: what re-applying reads and writes, nothing computed. `read` is the query
    opsdesk's `open_tickets_after` sends (captured with `after=_CURSOR_MARK`), replayed batch after
    batch with the cursor moved to the last ticket id; then the SLA columns of the batch's clocks
    rows are written (`write`: policy id, metrics JSON and next breach, bound for the driver) in
    one executemany, a transaction per batch. Returns (tickets, seconds)."""
    m = raw.marker
    update = (
        f"UPDATE ticket_clocks SET sla_policy_id = {m}, sla_metrics = {m}, next_breach_at = {m} WHERE ticket_id = {m}"
    )
    after, total = _CURSOR_MARK, 0
    started = time.perf_counter()
    while True:
        raw.begin()
        statement = read.with_value(_CURSOR_MARK, after)
        names, rows = raw.query(statement.sql, statement.parameters)
        ticket_id = names.index("id")
        raw.execute_many(update, [(*write, row[ticket_id]) for row in rows])
        raw.commit()
        total += len(rows)
        if len(rows) < sla_service.REAPPLY_BATCH:
            return total, time.perf_counter() - started
        after = rows[-1][ticket_id]


def _policy_metrics(minutes: Mapping[str, tuple[int, ...]]) -> list[dict[str, Any]]:
    return [
        {"priority": priority, "metric": metric, "target": targets[index], "business_hours": True}
        for metric, targets in minutes.items()
        for index, priority in enumerate(PRIORITIES)
    ]


def _change_targets(engine: Engine, admin: Viewer, policy_id: int, minutes: Mapping[str, tuple[int, ...]]) -> None:
    with writing(engine) as conn:
        values = {"policy_metrics": _policy_metrics(minutes)}
        sla_service.update_policy(conn, actor=admin, policy_id=policy_id, values=values, now=SystemClock().now())


def _typical_metrics_json(engine: Engine) -> Any:  # noqa: ANN401 (the JSON as the driver binds it)
    """An open ticket's three metrics as opsdesk stores them, bound for this database."""
    breach = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    metrics = sla_repo.metrics_json(
        MetricState(Metric(metric), Stage.ACTIVE, breach, targets[1], business_hours=True)
        for metric, targets in POLICY_BEFORE.items()
    )
    column = ticket_clocks.c.sla_metrics
    process = column.type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
    return metrics if process is None else process(metrics)


def _reapply_all(engine: Engine) -> tuple[float, int]:
    """`reapply_batch` from the first open ticket until it returns None; (seconds, batches)."""
    after: int | None = 0
    batches = 0
    started = time.perf_counter()
    while after is not None:
        with writing(engine) as conn:
            after = reapply_batch(conn, after=after, now=SystemClock().now())
        batches += 1
    return time.perf_counter() - started, batches


# The calls `reapply_batch` makes, by module and name, timed one by one in `_steps`.
_STEPS = (
    ("read the open tickets with their clocks", sla_repo, "open_tickets_after"),
    ("measure", sla_service, "measure"),
    ("plan the timers", workflow, "timer_schedules"),
    ("write the timers", timers_repo, "apply_schedules"),
    ("write the SLA columns", sla_repo, "save_sla_many"),
)


def _steps(engine: Engine, after: int, tickets_in_batch: int) -> tuple[tuple[str, float], ...]:
    """One `reapply_batch` from ticket `after`, every ticket changed, in a transaction rolled
    back, with the calls of `_STEPS` timed (each wrapped for the call): µs a ticket for each, and
    for the rest (rows made tickets, clocks and states; comparisons)."""
    spent = {name: 0.0 for name, _, _ in _STEPS}
    restore: list[tuple[ModuleType, str, object]] = []
    for name, module, attribute in _STEPS:
        original = getattr(module, attribute, None)
        if original is None:  # renamed in opsdesk: that step goes into the rest
            continue

        def timed(*args: Any, _call: Any = original, _name: str = name, **kwargs: Any) -> Any:  # noqa: ANN401 (a wrapper)
            started = time.perf_counter()
            try:
                return _call(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - started

        setattr(module, attribute, timed)
        restore.append((module, attribute, original))
    try:
        with engine.connect() as conn:
            conn.info["write"] = True  # BEGIN IMMEDIATE on SQLite, as `writing` would
            with conn.begin() as transaction:
                started = time.perf_counter()
                reapply_batch(conn, after=after, now=SystemClock().now())
                total = time.perf_counter() - started
                transaction.rollback()
            conn.info["write"] = False
    finally:
        for module, attribute, original in restore:
            setattr(module, attribute, original)
    steps = [(name, seconds) for name, seconds in spent.items() if seconds]
    steps.append(("the rest (rows made tickets, clocks and states)", total - sum(spent.values())))
    return tuple((name, seconds / tickets_in_batch * 1e6) for name, seconds in steps)


def _new_policy(engine: Engine, admin: Viewer) -> int:
    """A business schedule and one policy for every ticket, through the services."""
    now = SystemClock().now()
    with writing(engine) as conn:
        calendars_service.create_schedule(
            conn, actor=admin, values={"name": "Business hours", "time_zone": TIME_ZONE}, now=now
        )
        values = {
            "title": "Everyone",
            "filter": {"all": [], "any": []},
            "policy_metrics": _policy_metrics(POLICY_BEFORE),
        }
        return sla_service.create_policy(conn, actor=admin, values=values, now=now).id


def _vacuum_clocks(engine: Engine) -> None:
    """PostgreSQL: `VACUUM (ANALYZE) ticket_clocks` after the raw pass rewrote every row, the state
    autovacuum reaches soon after, so that opsdesk does not pay for the ceiling's dead rows."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM (ANALYZE) ticket_clocks")


def reapply(database: BenchDatabase, engine: Engine, count: int) -> Reapply:
    """`count` open tickets, the raw ceiling over them, then a change of targets re-applied."""
    admin, requester_id = people(engine)
    policy_id = _new_policy(engine, admin)
    data.say(f"  {database.label}: loading {count:,} open tickets with their clocks …")
    started = time.perf_counter()
    load_open_tickets(engine, count, requester_id=requester_id, policy_id=policy_id)
    load_s = time.perf_counter() - started
    data.say(f"    {load_s:,.1f} s; the raw read + write of their clocks …")
    sentinel = datetime(2000, 1, 1, tzinfo=UTC)  # no ticket re-applied by opsdesk keeps it
    read = data.capture_select(
        engine, lambda conn: sla_repo.open_tickets_after(conn, _CURSOR_MARK, sla_service.REAPPLY_BATCH)
    )
    middle = max(count // 2 - sla_service.REAPPLY_BATCH, 0)  # a batch from the middle of the walk
    with data.raw_connection(database) as raw:
        plan = raw.plan(read.sql, read.with_value(_CURSOR_MARK, middle).parameters)
        write = (policy_id, _typical_metrics_json(engine), data.bind_instant(engine)(sentinel))
        raw_count, raw_s = raw_reapply(raw, read, write)
    _vacuum_clocks(engine)
    data.say(f"    {raw_count / raw_s:,.0f} tickets/s; reapply_batch until done …")
    _change_targets(engine, admin, policy_id, POLICY_AFTER)
    seconds, batches = _reapply_all(engine)
    with reading(engine) as conn:
        query = select(ticket_clocks.c.ticket_id).where(ticket_clocks.c.next_breach_at == sentinel).limit(1)
        left = conn.execute(query).scalar()
    if left is not None or raw_count != count:
        raise data.BenchError(f"ticket {left} was not re-applied (the raw walk read {raw_count:,} of {count:,})")
    data.say(f"    {count / seconds:,.0f} tickets/s, {seconds:,.1f} s")
    _change_targets(engine, admin, policy_id, POLICY_BEFORE)  # every ticket changes again, for the split
    in_batch = min(count - middle, sla_service.REAPPLY_BATCH)
    steps = _steps(engine, middle, in_batch)
    with data.counting_statements(engine) as statements, writing(engine) as conn:
        reapply_batch(conn, after=middle, now=SystemClock().now())
    statements_per_ticket = data.per_unit(statements, in_batch)
    return Reapply(count, load_s, seconds, batches, raw_s, statements_per_ticket, steps, plan)

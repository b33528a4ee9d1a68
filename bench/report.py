"""The ticket benchmark's section of BENCHMARKS.md: machine, method, one table per database
(a row per operation and server process count), goal.

The section sits between `SECTION_START` and `SECTION_END`; rewriting it leaves every other
section of the file as it was.
"""

import os
import platform
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from bench.databases import BenchDatabase
from bench.loadgen import LoadResult
from bench.raw_insert import Ceiling

SECTION_START = "<!-- bench:tickets:start -->"
SECTION_END = "<!-- bench:tickets:end -->"
FILE_HEADER = (
    "# Benchmarks\n\n"
    "Figures written by the benchmarks in `bench/`; each section is rewritten by its own"
    " benchmark, with the machine and the date it ran on.\n"
)
GOAL = "Goal (issue 2): ≥ 1,000 creates/s and ≥ 3,000 shows/s on SQLite with p99 ≤ 50 ms"
GOAL_CREATES_PER_S = 1_000.0
GOAL_SHOWS_PER_S = 3_000.0
GOAL_P99_MS = 50.0


@dataclass(frozen=True)
class BenchSettings:
    """How hard and how long the benchmark drives the server; durations in seconds."""

    clients: int = 8
    loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    workers: tuple[int, ...] = (1, 2)
    """The server process counts (`opsdesk serve --workers N`) each database is measured under."""
    warmup_s: float = 1.0
    duration_s: float = 10.0
    ceiling_s: float = 3.0


@dataclass(frozen=True)
class DatabaseFigures:
    """One configuration: a database (fresh for it) under `processes` server processes."""

    database: BenchDatabase
    processes: int
    ceiling: Ceiling
    create: LoadResult
    show: LoadResult

    @property
    def configuration(self) -> str:
        return f"{self.database.label}, {processes_text(self.processes)}"


def processes_text(count: int) -> str:
    return f"{count} process" if count == 1 else f"{count} processes"


def _counts_text(counts: list[int]) -> str:
    """`[1]` → "1", `[1, 2]` → "1 and 2", `[1, 2, 4]` → "1, 2 and 4"."""
    words = [str(count) for count in counts]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


@dataclass(frozen=True)
class Machine:
    processor: str
    cpu_count: int | None
    memory: str
    system: str
    python: str

    @classmethod
    def describe(cls) -> "Machine":
        return cls(
            processor=_processor(),
            cpu_count=os.cpu_count(),
            memory=_total_memory(),
            system=platform.platform(),
            python=platform.python_version(),
        )


def _processor() -> str:
    name = platform.processor()
    if name:
        return name
    try:  # platform.processor() is empty on most Linux systems
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine() or "unknown"


def _total_memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def source_revision(repo: Path) -> str:
    """The commit being measured, and whether the working tree differs from it."""

    def git(*args: str) -> str | None:
        try:
            completed = subprocess.run(
                ["git", *args], cwd=repo, capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return completed.stdout.strip() if completed.returncode == 0 else None

    commit = git("rev-parse", "--short", "HEAD")
    if commit is None:
        return "no commit yet"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{commit} with uncommitted changes" if dirty else commit


def _rate(value: float) -> str:
    return f"{value:,.0f}"


def _ms(value: float) -> str:
    return f"{value:,.2f}"


def _table(configurations: list[DatabaseFigures]) -> list[str]:
    """One database's table: per operation, a row for each process count."""
    lines = [
        "| operation | processes | req/s | p50 ms | p99 ms | errors | ceiling | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [_row("ticket create", f, f.create, f.ceiling.inserts_per_s, "raw inserts/s") for f in configurations]
    lines += [_row("ticket show", f, f.show, f.ceiling.selects_per_s, "raw selects/s") for f in configurations]
    return lines


def _row(name: str, figures: DatabaseFigures, result: LoadResult, ceiling: float, unit: str) -> str:
    ratio = result.rate / ceiling if ceiling else 0.0
    return (
        f"| {name} | {figures.processes} | {_rate(result.rate)} | {_ms(result.p50_ms)} | {_ms(result.p99_ms)}"
        f" | {result.errors:,} | {_rate(ceiling)} {unit} | {ratio:.3f} |"
    )


def _spread(connections: list[int] | None) -> str:
    return "+".join(str(count) for count in connections) if connections else "?"


def _cpu_line(figures: DatabaseFigures) -> str:
    """Where one configuration's CPU went: the server's processes, the load generator, the machine
    as a whole; with several server processes, how the connections were spread over them."""
    parts: list[str] = []
    server = [figures.create.server_us_per_request, figures.show.server_us_per_request]
    if server[0] is not None and server[1] is not None:
        whose = "opsdesk server process" if figures.processes == 1 else "opsdesk server, all its processes,"
        parts.append(f"{whose} {server[0]:,.0f} / {server[1]:,.0f} µs")
    parts.append(
        f"load generator {figures.create.generator_us_per_request:,.0f}"
        f" / {figures.show.generator_us_per_request:,.0f} µs"
        f" ({figures.create.generator_core_share:.0%} / {figures.show.generator_core_share:.0%} of one core)"
    )
    line = f"- {processes_text(figures.processes)}: " + "; ".join(parts) + "."
    busy = [figures.create.machine_busy, figures.show.machine_busy]
    if busy[0] is not None and busy[1] is not None:
        line += f" All cores busy {busy[0]:.0%} / {busy[1]:.0%} of the time."
    if figures.processes > 1:
        line += (
            f" Connections per worker {_spread(figures.create.server_connections)}"
            f" / {_spread(figures.show.server_connections)}."
        )
    return line


def _verdict(result: LoadResult, target_per_s: float) -> str:
    shortfalls: list[str] = []
    if result.rate < target_per_s:
        shortfalls.append(f"below {_rate(target_per_s)} req/s")
    if result.p99_ms > GOAL_P99_MS:
        shortfalls.append(f"p99 above {GOAL_P99_MS:.0f} ms")
    if result.errors:
        shortfalls.append("failed requests")
    measured = f"{_rate(result.rate)} req/s, p99 {_ms(result.p99_ms)} ms, {result.errors:,} errors"
    if shortfalls:
        return f"**not met** ({measured}: {', '.join(shortfalls)})"
    return f"**met** ({measured})"


def _meets(result: LoadResult, target_per_s: float) -> bool:
    return result.rate >= target_per_s and result.p99_ms <= GOAL_P99_MS and not result.errors


def _best(
    configurations: list[DatabaseFigures], target_per_s: float, pick: Callable[[DatabaseFigures], LoadResult]
) -> DatabaseFigures:
    """The configuration an operation is judged on: the fastest that meets the goal, else the fastest."""
    return max(configurations, key=lambda f: (_meets(pick(f), target_per_s), pick(f).rate))


def _goal_lines(results: list[DatabaseFigures]) -> list[str]:
    sqlite = [f for f in results if f.database.kind == "sqlite"]
    lines = [GOAL, ""]
    if not sqlite:
        lines.append("- not measured: this run did not include SQLite")
        return lines
    measured = _counts_text(sorted(f.processes for f in sqlite))
    operations: list[tuple[str, float, Callable[[DatabaseFigures], LoadResult]]] = [
        ("creates", GOAL_CREATES_PER_S, lambda f: f.create),
        ("shows", GOAL_SHOWS_PER_S, lambda f: f.show),
    ]
    for name, target, pick in operations:
        best = _best(sqlite, target, pick)
        lines.append(f"- {name}, best with {processes_text(best.processes)}: {_verdict(pick(best), target)}")
    lines.append("")
    lines.append(
        f"Each operation is judged on its best SQLite configuration (of {measured} server processes):"
        " the fastest that meets the goal, else the fastest. A goal counts as met only with no errors in the run."
    )
    return lines


def _by_database(results: list[DatabaseFigures]) -> list[list[DatabaseFigures]]:
    """The configurations grouped by database, databases in the order first measured, process
    counts ascending."""
    groups: dict[str, list[DatabaseFigures]] = {}
    for figures in results:
        groups.setdefault(figures.database.kind, []).append(figures)
    return [sorted(group, key=lambda f: f.processes) for group in groups.values()]


def render_section(
    results: list[DatabaseFigures],
    settings: BenchSettings,
    machine: Machine,
    measured_at: datetime,
    revision: str,
) -> str:
    """The whole section, markers included, in Markdown."""
    postgres = next((f.database for f in results if f.database.kind == "postgresql"), None)
    sqlite_version = next((f.database.server_version for f in results if f.database.kind == "sqlite"), None)
    loops = sorted({f.create.loop for f in results} | {f.show.loop for f in results})
    counts = _counts_text(sorted(settings.workers))
    measured = f"Measured {measured_at:%Y-%m-%d %H:%M} UTC by `python -m bench.run` (revision: {revision})."
    machine_line = (
        f"Machine: {machine.processor}, {machine.cpu_count} CPUs, {machine.memory} memory,"
        f" {machine.system}; Python {machine.python},"
        f" SQLite {sqlite_version or _sqlite_library()},"
        f" PostgreSQL {postgres.server_version if postgres else 'not measured'}."
    )
    method = (
        "Method: the real server (`opsdesk serve --no-worker`) on 127.0.0.1 with"
        f" {counts} API {'process' if settings.workers == (1,) else 'processes'}"
        " (`--workers N` for N > 1: N uvicorn worker processes sharing one listening socket under"
        " a supervisor process). Each database is measured once per process count, each time on a"
        " fresh database, its own raw ceiling and its own server. The server is driven by"
        f" {settings.clients} closed-loop clients over HTTP/1.1 keep-alive from a separate"
        f" load-generator process (raw asyncio streams on {', '.join(loops) or 'asyncio'}):"
        f" {settings.warmup_s:g} s warm-up, then {settings.duration_s:g} s per operation;"
        " with several processes, the load starts only once every worker accepts connections, and"
        " the load generator first reopens connections until every worker holds equally many"
        " (an idle server's workers share one listening socket and one of them would otherwise"
        " take nearly all)."
        " `POST /api/v2/tickets.json` creates tickets for one end-user;"
        " `GET /api/v2/tickets/{id}.json` cycles through the tickets created (the show run uses"
        " the create run's server)."
        " Latency runs from writing the request to reading the whole answer, over successful"
        " requests. The ceiling is the same database's raw rate in the same configuration, with the"
        " server stopped: one connection of the plain driver in a loop for"
        f" {settings.ceiling_s:g} s, each `INSERT` committed on its own (SQLite with the"
        " server's pragmas: WAL, synchronous=NORMAL), and primary-key `SELECT`s."
        " Ratio = req/s ÷ ceiling. The ceiling uses one connection while the server has"
        f" {settings.clients} clients, so where the database can group commits (PostgreSQL)"
        " a ratio above 1 is possible. Server CPU is that of its whole process tree (supervisor"
        " and workers, from /proc); the connections each worker held as the window opened are"
        " given with the CPU figures."
    )
    lines = [
        SECTION_START,
        "## Ticket API: creates and shows",
        "",
        measured,
        "",
        machine_line,
        "",
        method,
    ]
    for configurations in _by_database(results):
        database = configurations[0].database
        lines += [
            "",
            f"### {database.label} {database.server_version} ({database.origin})",
            "",
            *_table(configurations),
            "",
            "CPU per request (create / show):",
            "",
            *(_cpu_line(figures) for figures in configurations),
        ]
    lines += ["", "### Goal", "", *_goal_lines(results), SECTION_END]
    return "\n".join(lines) + "\n"


def _sqlite_library() -> str:
    import sqlite3  # noqa: PLC0415 (only for the machine line of a run without SQLite)

    return sqlite3.sqlite_version


def error_report(results: list[DatabaseFigures]) -> str:
    """The first few failed requests of each run, for the person reading the console."""
    return "\n".join(
        f"{figures.configuration} {result.operation}: {sample}"
        for figures in results
        for result in (figures.create, figures.show)
        for sample in result.error_samples
    )


def write_section(path: Path, section: str, start_marker: str = SECTION_START, end_marker: str = SECTION_END) -> None:
    """Replace the section between `start_marker` and `end_marker` (this benchmark's, unless told
    otherwise) of the file at `path`, or add it at the end, keeping the rest."""
    text = path.read_text(encoding="utf-8") if path.exists() else FILE_HEADER
    start = text.find(start_marker)
    end = text.find(end_marker, start)
    if start >= 0 and end >= 0:
        rest = text[end + len(end_marker) :]
        text = text[:start] + section + rest.removeprefix("\n")  # the section ends in one
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")

"""The ticket benchmark's section of BENCHMARKS.md: machine, method, one table per database, goal.

The section sits between `SECTION_START` and `SECTION_END`; rewriting it leaves every other
section of the file as it was.
"""

import os
import platform
import subprocess
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
    warmup_s: float = 1.0
    duration_s: float = 10.0
    ceiling_s: float = 3.0


@dataclass(frozen=True)
class DatabaseFigures:
    database: BenchDatabase
    ceiling: Ceiling
    create: LoadResult
    show: LoadResult


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


def _table(figures: DatabaseFigures) -> list[str]:
    rows = [
        ("ticket create", figures.create, figures.ceiling.inserts_per_s, "raw inserts/s"),
        ("ticket show", figures.show, figures.ceiling.selects_per_s, "raw selects/s"),
    ]
    lines = [
        "| operation | req/s | p50 ms | p99 ms | errors | ceiling | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, result, ceiling, unit in rows:
        ratio = result.rate / ceiling if ceiling else 0.0
        lines.append(
            f"| {name} | {_rate(result.rate)} | {_ms(result.p50_ms)} | {_ms(result.p99_ms)}"
            f" | {result.errors:,} | {_rate(ceiling)} {unit} | {ratio:.3f} |"
        )
    return lines


def _cpu_line(figures: DatabaseFigures) -> str:
    """Where the CPU went: the server process, the load generator, and the machine as a whole."""
    parts: list[str] = []
    server = [figures.create.server_us_per_request, figures.show.server_us_per_request]
    if server[0] is not None and server[1] is not None:
        parts.append(f"opsdesk server process {server[0]:,.0f} / {server[1]:,.0f} µs")
    parts.append(
        f"load generator {figures.create.generator_us_per_request:,.0f}"
        f" / {figures.show.generator_us_per_request:,.0f} µs"
        f" ({figures.create.generator_core_share:.0%} / {figures.show.generator_core_share:.0%} of one core)"
    )
    busy = [figures.create.machine_busy, figures.show.machine_busy]
    line = "CPU per request (create / show): " + "; ".join(parts) + "."
    if busy[0] is not None and busy[1] is not None:
        line += f" All cores busy {busy[0]:.0%} / {busy[1]:.0%} of the time."
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


def _goal_lines(results: list[DatabaseFigures]) -> list[str]:
    sqlite = next((f for f in results if f.database.kind == "sqlite"), None)
    lines = [GOAL, ""]
    if sqlite is None:
        lines.append("- not measured: this run did not include SQLite")
        return lines
    lines.append(f"- creates: {_verdict(sqlite.create, GOAL_CREATES_PER_S)}")
    lines.append(f"- shows: {_verdict(sqlite.show, GOAL_SHOWS_PER_S)}")
    lines.append("")
    lines.append("A goal counts as met only with no errors in the run.")
    return lines


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
    measured = f"Measured {measured_at:%Y-%m-%d %H:%M} UTC by `python -m bench.run` (revision: {revision})."
    machine_line = (
        f"Machine: {machine.processor}, {machine.cpu_count} CPUs, {machine.memory} memory,"
        f" {machine.system}; Python {machine.python},"
        f" SQLite {sqlite_version or _sqlite_library()},"
        f" PostgreSQL {postgres.server_version if postgres else 'not measured'}."
    )
    method = (
        f"Method: the real server (`opsdesk serve --no-worker`) on 127.0.0.1, driven by"
        f" {settings.clients} closed-loop clients over HTTP/1.1 keep-alive from a separate"
        f" load-generator process (raw asyncio streams on {', '.join(loops) or 'asyncio'}):"
        f" {settings.warmup_s:g} s warm-up, then {settings.duration_s:g} s per operation."
        " `POST /api/v2/tickets.json` creates tickets for one end-user;"
        " `GET /api/v2/tickets/{id}.json` cycles through the tickets created."
        " Latency runs from writing the request to reading the whole answer, over successful"
        " requests. The ceiling is the same database's raw rate in the same run, with the"
        " server stopped: one connection of the plain driver in a loop for"
        f" {settings.ceiling_s:g} s, each `INSERT` committed on its own (SQLite with the"
        " server's pragmas: WAL, synchronous=NORMAL), and primary-key `SELECT`s."
        " Ratio = req/s ÷ ceiling. The ceiling uses one connection while the server has"
        f" {settings.clients} clients, so where the database can group commits (PostgreSQL)"
        " a ratio above 1 is possible."
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
    for figures in results:
        database = figures.database
        lines += [
            "",
            f"### {database.label} {database.server_version} ({database.origin})",
            "",
            *_table(figures),
            "",
            _cpu_line(figures),
        ]
    lines += ["", "### Goal", "", *_goal_lines(results), SECTION_END]
    return "\n".join(lines) + "\n"


def _sqlite_library() -> str:
    import sqlite3  # noqa: PLC0415 (only for the machine line of a run without SQLite)

    return sqlite3.sqlite_version


def error_report(results: list[DatabaseFigures]) -> str:
    """The first few failed requests of each run, for the person reading the console."""
    return "\n".join(
        f"{figures.database.label} {result.operation}: {sample}"
        for figures in results
        for result in (figures.create, figures.show)
        for sample in result.error_samples
    )


def write_section(path: Path, section: str) -> None:
    """Replace this benchmark's section of the file at `path`, or add it, keeping the rest."""
    text = path.read_text(encoding="utf-8") if path.exists() else FILE_HEADER
    start = text.find(SECTION_START)
    end = text.find(SECTION_END, start)
    if start >= 0 and end >= 0:
        rest = text[end + len(SECTION_END) :]
        text = text[:start] + section + rest.removeprefix("\n")  # the section ends in one
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")

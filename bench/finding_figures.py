"""What one database's run of the finding-work benchmark measured; the report reads only these."""

from dataclasses import dataclass

from bench.databases import BenchDatabase
from bench.finding_http import ExportFigures, Timings
from bench.finding_measure import Repetitions
from bench.finding_raw import ExportCeiling

# The goals of issue 3, on the 2-core machine.
GOAL_SEARCH_P95_MS = 50.0
GOAL_VIEW_COUNT_MS = 20.0
GOAL_COUNT_MANY_MS = 100.0
GOAL_EXPORT_PER_S = 20_000.0
GOAL_RSS_BYTES = 300 * 10**6


@dataclass(frozen=True)
class Measured:
    """One request (a search, a view count, `count_many`) against its ceiling, the same SQL raw."""

    label: str
    query: str
    """The search query; empty for a view count."""
    value: int | None
    """The count the API gave; None when every request was cut off."""
    api: Timings
    raw: Timings
    raw_value: int | None
    """The count the raw statements gave, to hold against the API's."""
    plan: tuple[str, ...]
    """The database's plan for the main statement (the count)."""


@dataclass(frozen=True)
class Memory:
    """The server's resident set, KiB: right after it started, and its peak after each phase
    (the highest of every server process, when a cut-off request had it restarted)."""

    started_kib: int
    peak_after_kib: tuple[tuple[str, int], ...]
    restarts: int = 0

    @property
    def peak_kib(self) -> int:
        return max((peak for _, peak in self.peak_after_kib), default=self.started_kib)

    @property
    def peak_bytes(self) -> int:
        return self.peak_kib * 1024


@dataclass(frozen=True)
class FindingFigures:
    database: BenchDatabase
    tickets_asked: int
    tickets_stored: int
    generation_s: float
    settle_s: float | None
    """PostgreSQL: the `VACUUM (ANALYZE)` after loading; None on SQLite."""
    database_bytes: int
    repetitions: Repetitions
    """How often each request ran, and the most one run was given before it was cut off."""
    searches: tuple[Measured, ...]
    views: tuple[Measured, ...]
    count_many: Measured
    export: ExportFigures
    export_ceiling: ExportCeiling
    memory: Memory

    @property
    def limit_s(self) -> float:
        return self.repetitions.limit_s

    @property
    def generation_rate(self) -> float:
        return self.tickets_asked / self.generation_s if self.generation_s else 0.0

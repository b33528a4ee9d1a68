"""What the time-engine benchmark is asked to measure, and the figures it gets: seconds unless a
name says otherwise (`_ms`, `_us`, `per_s`)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """How much work each figure measures (counts)."""

    lateness_timers: int
    worker_processes: int
    rate_timers: int
    sla_samples: int
    trigger_count: int
    trigger_runs: int
    api_updates: int
    reapply_tickets: int


FULL = Settings(10_000, 4, 50_000, 200_000, 500, 2_000, 200, 1_000_000)
QUICK = Settings(2_000, 4, 10_000, 50_000, 500, 300, 40, 20_000)
FIGURES = ("lateness", "rate", "sla", "triggers", "reapply")


@dataclass(frozen=True)
class Quantiles:
    """A sample's median, 99th percentile (nearest rank), largest value and mean, in its unit."""

    count: int
    p50: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "Quantiles":
        if not values:
            raise ValueError("no values to summarise")
        ordered = sorted(values)

        def rank(fraction: float) -> float:
            return ordered[min(len(ordered) - 1, max(math.ceil(fraction * len(ordered)) - 1, 0))]

        return cls(len(ordered), rank(0.5), rank(0.99), ordered[-1], sum(ordered) / len(ordered))


@dataclass(frozen=True)
class Lateness:
    """Timers due at one instant, fired by `processes` workers; lateness in seconds."""

    timers: int
    processes: int
    statistics: bool  # PostgreSQL: `ANALYZE timers` ran once they were armed
    arm_s: float  # arming them all through `timers.repo.arm`, one transaction
    lead_s: float  # how long before their due instant they were armed (and analysed)
    committed: Quantiles  # when the transaction that fired each one committed
    fired_at: Quantiles  # what the timers table says (`fired_at - due_at`)
    plan: str  # how the database runs the mark-done UPDATE


@dataclass(frozen=True)
class TimerRate:
    """`fire_all_due` over `timers` due timers, and the raw loop over as many."""

    timers: int
    seconds: float
    raw_seconds: float
    statements: tuple[tuple[str, float], ...]  # what opsdesk sends a timer, by kind

    @property
    def statements_per_timer(self) -> float:
        return sum(count for _, count in self.statements)

    @property
    def per_s(self) -> float:
        return self.timers / self.seconds

    @property
    def raw_per_s(self) -> float:
        return self.timers / self.raw_seconds


@dataclass(frozen=True)
class SlaFigures:
    """Deadlines computed per second: `deadlines.measure`, `add_business_time`, plain addition."""

    samples: int
    measure_per_s: float
    add_per_s: float
    plain_per_s: float


@dataclass(frozen=True)
class TriggerFigures:
    """`run_triggers` per update (µs), against one plain pass over the same conditions."""

    triggers: int
    fired: int
    runs: int
    compile_ms: float
    engine_us: Quantiles
    plain_us: Quantiles


@dataclass(frozen=True)
class ApiUpdates:
    """Agent replies through `update_ticket`, each in its own transaction; milliseconds."""

    updates: int
    triggers: int
    store_s: float  # creating the triggers through the rule service, a transaction each
    without: Quantiles
    with_triggers: Quantiles
    none_firing: Quantiles  # the same triggers less the firing ones (deleted)
    statements_without: int
    statements_with: int


@dataclass(frozen=True)
class Reapply:
    """Re-applying a changed policy to `tickets` open tickets, and the raw read + write of them."""

    tickets: int
    load_s: float
    seconds: float
    batches: int
    raw_seconds: float
    statements: tuple[tuple[str, float], ...]  # what one batch sends a ticket, by kind
    steps_us: tuple[tuple[str, float], ...]  # `reapply_batch`'s steps, µs a ticket, from one batch
    read_plan: tuple[str, ...]  # how the database runs the query that reads a batch

    @property
    def per_s(self) -> float:
        return self.tickets / self.seconds

    @property
    def statements_per_ticket(self) -> float:
        return sum(count for _, count in self.statements)

    @property
    def raw_per_s(self) -> float:
        return self.tickets / self.raw_seconds


@dataclass(frozen=True)
class DatabaseFigures:
    """Everything measured on one database; a figure not asked for stays empty."""

    kind: str
    label: str = ""
    version: str = ""
    origin: str = ""
    lateness: tuple[Lateness, ...] = ()
    lateness_ceiling: Quantiles | None = None
    rate: TimerRate | None = None
    updates: ApiUpdates | None = None
    reapply: Reapply | None = None

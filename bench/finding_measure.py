"""How the finding-work benchmark times a request against its ceiling, and keeps a server to time.

`paired()` alternates one API request with one raw replay of the same SQL, so both see the same
machine: on a 2-core box whatever else runs shifts both alike, and the ratio stays honest.
Every run is bounded: a request or replay past the limit is cut off (`CutOff`) and not repeated,
and repetitions stop once a time budget is spent (each side keeping at least one measured run).

`ServerSlot` holds the one server process and restarts it after a cut-off request (a query the
server still runs would otherwise take a core away from every later measurement), keeping the
highest resident-set peak of all its processes.
"""

import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.finding_http import Call, CutOff, Timings
from bench.proc import memory_kib
from bench.server import RunningServer, running_server


@dataclass(frozen=True)
class Repetitions:
    """Measured runs of each request after `warmup` unmeasured ones, within `budget_s` seconds
    per request (API and raw together); `limit_s`: the most one run may take."""

    search: int
    view_count: int
    count_many: int
    warmup: int
    budget_s: float
    limit_s: float


@dataclass(frozen=True)
class Paired:
    api_answer: Any
    """The last answer the API gave; None when every request was cut off."""
    api: Timings
    raw_answer: Any
    raw: Timings


class _Side:
    """One side of a pairing (the API or the raw replay): its answers, samples and cut-off."""

    def __init__(self, call: Call) -> None:
        self._call = call
        self.answer: Any = None
        self.samples: list[int] = []
        self.cut_off = False

    def step(self, measured: bool) -> bool:
        """Run once unless cut off already; whether this run was cut off."""
        if self.cut_off:
            return False
        try:
            self.answer, elapsed = self._call()
        except CutOff:
            self.cut_off = True
            return True
        if measured:
            self.samples.append(elapsed)
        return False

    @property
    def settled(self) -> bool:
        """Measured at least once, or cut off."""
        return self.cut_off or bool(self.samples)

    def timings(self) -> Timings:
        return Timings(tuple(self.samples), cut_off=self.cut_off)


def paired(api: Call, raw: Call, runs: int, repetitions: Repetitions, on_api_cut_off: Callable[[], None]) -> Paired:
    """`repetitions.warmup` + `runs` rounds of one API request then one raw replay."""
    api_side, raw_side = _Side(api), _Side(raw)
    started = time.monotonic()
    for index in range(repetitions.warmup + runs):
        measured = index >= repetitions.warmup
        if api_side.step(measured):
            on_api_cut_off()
        raw_side.step(measured)
        if api_side.cut_off and raw_side.cut_off:
            break
        if api_side.settled and raw_side.settled and time.monotonic() - started > repetitions.budget_s:
            break
    return Paired(
        api_answer=api_side.answer, api=api_side.timings(), raw_answer=raw_side.answer, raw=raw_side.timings()
    )


class ServerSlot:
    """`opsdesk serve` (one process) on a database, restartable; stopped by `close()`."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self._database_url = database_url
        self._workdir = workdir
        self._stack = ExitStack()
        self._earlier_peak_kib = 0
        self.restarts = 0
        self.started_kib: int | None = None
        self.server: RunningServer = self._start()

    def _start(self) -> RunningServer:
        server = self._stack.enter_context(running_server(self._database_url, self._workdir))
        if self.started_kib is None:
            reading = memory_kib(server.pid)
            self.started_kib = reading[0] if reading else 0
        return server

    def peak_kib(self) -> int:
        """The highest resident set any of this slot's server processes reached so far."""
        reading = memory_kib(self.server.pid)
        return max(self._earlier_peak_kib, reading[1] if reading else 0)

    def restart(self) -> RunningServer:
        self._earlier_peak_kib = self.peak_kib()
        self._stack.close()
        self.restarts += 1
        self.server = self._start()
        return self.server

    def close(self) -> None:
        self._stack.close()

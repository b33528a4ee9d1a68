"""Closed-loop HTTP/1.1 load generator for the ticket API.

`plan.concurrency` clients each hold one keep-alive connection to the server on 127.0.0.1 and send
hand-built requests back to back (closed loop: a client sends its next request only after the
previous answer arrived). Hand-built requests over raw asyncio streams keep the generator cheap:
on a 2-core machine every microsecond it spends is taken from the server it measures, so it
reports its own CPU time per request alongside the figures. Against a server of several worker
processes it first reopens connections until each worker holds equally many (`_spread_evenly`),
and it reads the server's CPU time over the server's whole process tree (`bench.proc`).

It runs in its own process (`python -m bench.loadgen PLAN.json RESULT.json`); `spawn()` is the
orchestrator's side. Invariants of a result:
- only requests *started* after the warm-up count; the figures cover them alone;
- `ok` counts answers with the expected status, everything else (another status, a broken
  connection, a request still unanswered when the run is cut off) is an error;
- latencies are wall-clock milliseconds from writing the request to reading the whole answer,
  over successful requests only; throughput is `ok / elapsed_s`.
"""

import asyncio
import base64
import dataclasses
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench.proc import connection_owners, connections_per_process, tree_cpu_s

Operation = Literal["create", "show"]

EXPECTED_STATUS: dict[Operation, int] = {"create": 201, "show": 200}
MAX_ERROR_SAMPLES = 5
# Reconnections allowed for spreading the connections evenly over several server workers.
SPREAD_TRIES = 400
ACCEPT_WAIT_S = 1.0
# A stuck server must not hang the benchmark: requests still unanswered this long after the
# measured window ends are cancelled and counted as errors.
GRACE_S = 30.0
REPO_ROOT = Path(__file__).resolve().parent.parent


def basic_auth_header(email: str, token: str) -> str:
    """The Zendesk API-token form of HTTP Basic: `EMAIL/token:TOKEN`."""
    credentials = f"{email}/token:{token}".encode()
    return "Basic " + base64.b64encode(credentials).decode("ascii")


@dataclass(frozen=True)
class LoadPlan:
    """What one generator run does. `ticket_ids` are the tickets a `show` run cycles through."""

    port: int
    operation: Operation
    concurrency: int
    warmup_s: float
    duration_s: float
    authorization: str
    requester_id: int | None = None
    ticket_ids: list[int] = field(default_factory=list)
    server_pid: int | None = None
    loop: Literal["auto", "asyncio", "uvloop"] = "auto"


@dataclass(frozen=True)
class LoadResult:
    """Figures of one generator run; times in seconds unless the name says ms."""

    operation: Operation
    concurrency: int
    ok: int
    errors: int
    elapsed_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    loop: str
    generator_cpu_s: float
    server_cpu_s: float | None
    """CPU time of the server's whole process tree (supervisor and workers) in the window."""
    machine_busy: float | None
    """Share of all cores busy during the measured window (0..1), from /proc/stat."""
    created_ids: list[int]
    error_samples: list[str]
    server_connections: list[int] | None = None
    """Open connections held by each accepting server process when the window opened, most first."""

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def generator_us_per_request(self) -> float:
        requests = self.ok + self.errors
        return self.generator_cpu_s / requests * 1e6 if requests else 0.0

    @property
    def generator_core_share(self) -> float:
        """The generator's CPU time as a share of one core over the measured window."""
        return self.generator_cpu_s / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def server_us_per_request(self) -> float | None:
        requests = self.ok + self.errors
        if self.server_cpu_s is None or not requests:
            return None
        return self.server_cpu_s / requests * 1e6


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending list (0 for an empty list)."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


# --- the orchestrator's side -------------------------------------------------------------------


class LoadGeneratorError(RuntimeError):
    """The generator process failed or produced no result."""


def spawn(plan: LoadPlan, workdir: Path) -> LoadResult:
    """Run the generator in a child process of the current interpreter and return its result."""
    plan_path = workdir / f"loadgen-{plan.operation}.plan.json"
    result_path = workdir / f"loadgen-{plan.operation}.result.json"
    plan_path.write_text(json.dumps(dataclasses.asdict(plan)), encoding="utf-8")
    command = [sys.executable, "-m", "bench.loadgen", str(plan_path), str(result_path)]
    limit_s = plan.warmup_s + plan.duration_s + GRACE_S + 30.0
    try:
        completed = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=limit_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LoadGeneratorError(f"load generator ran past {limit_s:.0f} s") from exc
    if completed.returncode != 0 or not result_path.exists():
        tail = "\n".join(completed.stderr.splitlines()[-20:])
        raise LoadGeneratorError(f"load generator exited with {completed.returncode}:\n{tail}")
    return _result_from_json(json.loads(result_path.read_text(encoding="utf-8")))


def _result_from_json(data: dict[str, Any]) -> LoadResult:
    return LoadResult(**data)


# --- the generator process ---------------------------------------------------------------------


class _ResponseError(Exception):
    """An answer the generator cannot read as HTTP/1.1."""


# What a broken connection or a garbled answer raises; the client counts it and reconnects.
_CONNECTION_ERRORS = (OSError, EOFError, ValueError, asyncio.LimitOverrunError, _ResponseError)


@dataclass
class _Tally:
    measure_start_ns: int
    end_ns: int
    expected_status: int
    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    last_finish_ns: int = 0
    created_ids: list[int] = field(default_factory=list)

    def error(self, started_ns: int, description: str) -> None:
        if started_ns < self.measure_start_ns:
            return
        self.errors += 1
        if len(self.error_samples) < MAX_ERROR_SAMPLES:
            self.error_samples.append(description)


def _request_builder(plan: LoadPlan) -> Callable[[], bytes]:
    common = f"Host: 127.0.0.1:{plan.port}\r\nAuthorization: {plan.authorization}\r\nAccept: application/json\r\n"
    if plan.operation == "create":
        if plan.requester_id is None:
            raise ValueError("a create run needs requester_id")
        head = f"POST /api/v2/tickets.json HTTP/1.1\r\n{common}Content-Type: application/json\r\n"
        template = (
            '{"ticket": {"subject": "Bench ticket %d", "comment": {"body": "printer on fire %d"}, '
            f'"priority": "normal", "requester_id": {plan.requester_id}}}}}'
        )
        counter = iter(range(1, sys.maxsize))

        def create_request() -> bytes:
            number = next(counter)
            body = (template % (number, number)).encode()
            return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body

        return create_request

    if not plan.ticket_ids:
        raise ValueError("a show run needs ticket_ids")
    requests = [
        f"GET /api/v2/tickets/{ticket_id}.json HTTP/1.1\r\n{common}\r\n".encode() for ticket_id in plan.ticket_ids
    ]
    position = iter(range(sys.maxsize))

    def show_request() -> bytes:
        return requests[next(position) % len(requests)]

    return show_request


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one answer: (status, body, whether the connection stays open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1."):
        raise _ResponseError(f"not an HTTP/1.x answer: {head[:40]!r}")
    status = int(head[9:12])
    lower = head.lower()
    keep_alive = b"\r\nconnection: close" not in lower
    length_at = lower.find(b"\r\ncontent-length:")
    if length_at >= 0:
        value_end = lower.index(b"\r\n", length_at + 17)
        length = int(lower[length_at + 17 : value_end])
        body = await reader.readexactly(length) if length else b""
    elif b"\r\ntransfer-encoding: chunked" in lower:
        body = await _read_chunked(reader)
    elif status in (204, 304) or status < 200:
        body = b""
    else:
        body = await reader.read()
        keep_alive = False
    return status, body, keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers expected: the final empty line
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _created_id(body: bytes) -> int:
    ticket_id = json.loads(body)["ticket"]["id"]
    if not isinstance(ticket_id, int):
        raise _ResponseError(f"ticket id is not an integer: {ticket_id!r}")
    return ticket_id


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        writer.close()


async def _client(
    plan: LoadPlan,
    tally: _Tally,
    next_request: Callable[[], bytes],
    connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None,
) -> None:
    reader, writer = connection if connection is not None else (None, None)
    is_create = plan.operation == "create"
    expected = tally.expected_status
    try:
        while True:
            started = time.perf_counter_ns()
            if started >= tally.end_ns:
                return
            try:
                if reader is None or writer is None:
                    reader, writer = await _connect(plan.port)
                writer.write(next_request())
                status, body, keep_alive = await _read_response(reader)
            except _CONNECTION_ERRORS as exc:
                tally.error(started, f"{type(exc).__name__}: {exc}")
                _close(writer)
                reader, writer = None, None
                await asyncio.sleep(0.01)  # a refused connection must not turn into a busy loop
                continue
            finished = time.perf_counter_ns()
            succeeded = status == expected
            if not succeeded:
                tally.error(started, f"HTTP {status}: {body[:300]!r}")
            elif is_create:
                try:
                    tally.created_ids.append(_created_id(body))
                except (ValueError, KeyError, TypeError, _ResponseError) as exc:
                    tally.error(started, f"unreadable create answer ({exc}): {body[:300]!r}")
                    succeeded = False
            if succeeded and started >= tally.measure_start_ns:
                tally.latencies_ns.append(finished - started)
                tally.last_finish_ns = max(tally.last_finish_ns, finished)
            if not keep_alive:
                _close(writer)
                reader, writer = None, None
    finally:
        _close(writer)


def _machine_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU jiffies of the whole machine, or None where /proc/stat is unreadable."""
    try:
        first = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0]
    except OSError:
        return None
    values = [int(value) for value in first.split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


@dataclass
class _Snapshot:
    generator_cpu_s: float
    server_cpu_s: float | None
    jiffies: tuple[int, int] | None


def _snapshot(server_pid: int | None) -> _Snapshot:
    server_cpu = tree_cpu_s(server_pid) if server_pid is not None else None
    return _Snapshot(time.process_time(), server_cpu, _machine_jiffies())


async def _snapshot_at(deadline_ns: int, plan: LoadPlan) -> tuple[_Snapshot, list[int] | None]:
    """The opening snapshot, and how the connections are spread over the server's processes as
    the window opens (after the warm-up, so every connection has been accepted). The spread is
    read first, so that its cost (a millisecond or two) falls before the measured window."""
    await asyncio.sleep(max(0.0, (deadline_ns - time.perf_counter_ns()) / 1e9))
    spread = connections_per_process(plan.server_pid, plan.port) if plan.server_pid is not None else None
    return _snapshot(plan.server_pid), spread


_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _client_port(connection: _Connection) -> int:
    sockname = connection[1].get_extra_info("sockname")
    return int(sockname[1])


async def _owners(server_pid: int, port: int, connections: list[_Connection | None]) -> tuple[list[int], list[int]]:
    """The server's accepting processes, and which one holds each open connection (0: not yet
    accepted, or closed), waiting up to ACCEPT_WAIT_S for every connection to be accepted."""
    deadline = time.monotonic() + ACCEPT_WAIT_S
    while True:
        workers, by_client_port = connection_owners(server_pid, port)
        owners = [by_client_port.get(_client_port(c), 0) if c is not None else 0 for c in connections]
        if all(owners[i] for i, c in enumerate(connections) if c is not None) or time.monotonic() > deadline:
            return workers, owners
        await asyncio.sleep(0.002)


async def _spread_evenly(server_pid: int, port: int, connections: list[_Connection | None]) -> None:
    """Reopen connections until the server's workers hold equally many (±1), or SPREAD_TRIES ran out.

    Workers of `opsdesk serve --workers N` accept from one shared listening socket, and an idle
    server's new connections nearly all go to the same worker; kept alive for the whole run, they
    would leave the other workers idle. A no-op for a single-process server.
    """
    for _ in range(SPREAD_TRIES):
        workers, owners = await _owners(server_pid, port, connections)
        if len(workers) < 2:
            return
        held = {pid: [i for i, owner in enumerate(owners) if owner == pid] for pid in workers}
        most = max(held.values(), key=len)
        if len(most) - min(len(indexes) for indexes in held.values()) <= 1:
            return
        index = most[-1]
        connection = connections[index]
        _close(connection[1] if connection is not None else None)
        try:
            connections[index] = await _connect(port)
        except OSError:
            connections[index] = None


async def generate(plan: LoadPlan, loop_name: str) -> LoadResult:
    """Drive the server as the plan says and measure it."""
    next_request = _request_builder(plan)
    connections: list[_Connection | None] = []
    for _ in range(plan.concurrency):
        try:
            connections.append(await _connect(plan.port))
        except OSError:
            connections.append(None)  # the client retries, and counts the failure once measured
    if plan.server_pid is not None:
        await _spread_evenly(plan.server_pid, plan.port, connections)
    start_ns = time.perf_counter_ns()
    measure_start_ns = start_ns + int(plan.warmup_s * 1e9)
    tally = _Tally(
        measure_start_ns=measure_start_ns,
        end_ns=measure_start_ns + int(plan.duration_s * 1e9),
        expected_status=EXPECTED_STATUS[plan.operation],
    )
    before_task = asyncio.create_task(_snapshot_at(measure_start_ns, plan))
    clients = [asyncio.create_task(_client(plan, tally, next_request, connection)) for connection in connections]
    _, unfinished = await asyncio.wait(clients, timeout=plan.warmup_s + plan.duration_s + GRACE_S)
    for task in unfinished:
        task.cancel()
        tally.error(measure_start_ns, "request unanswered when the run was cut off")
    await asyncio.gather(*unfinished, return_exceptions=True)
    after = _snapshot(plan.server_pid)
    before, spread = await before_task

    latencies = sorted(tally.latencies_ns)
    finish_ns = tally.last_finish_ns or tally.end_ns
    elapsed_s = max(finish_ns - measure_start_ns, 1) / 1e9
    server_cpu_s = (
        after.server_cpu_s - before.server_cpu_s
        if after.server_cpu_s is not None and before.server_cpu_s is not None
        else None
    )
    machine_busy = None
    if after.jiffies is not None and before.jiffies is not None:
        total = after.jiffies[1] - before.jiffies[1]
        machine_busy = (after.jiffies[0] - before.jiffies[0]) / total if total else None
    return LoadResult(
        operation=plan.operation,
        concurrency=plan.concurrency,
        ok=len(latencies),
        errors=tally.errors,
        elapsed_s=elapsed_s,
        p50_ms=percentile(latencies, 0.50) / 1e6,
        p99_ms=percentile(latencies, 0.99) / 1e6,
        max_ms=(latencies[-1] if latencies else 0) / 1e6,
        loop=loop_name,
        generator_cpu_s=after.generator_cpu_s - before.generator_cpu_s,
        server_cpu_s=server_cpu_s,
        machine_busy=machine_busy,
        created_ids=tally.created_ids,
        error_samples=tally.error_samples,
        server_connections=spread,
    )


def _run(plan: LoadPlan) -> LoadResult:
    if plan.loop != "asyncio":
        try:
            import uvloop  # noqa: PLC0415 (optional: installed with uvicorn[standard])
        except ImportError:
            if plan.loop == "uvloop":
                raise
        else:
            return uvloop.run(generate(plan, "uvloop"))
    return asyncio.run(generate(plan, "asyncio"))


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m bench.loadgen PLAN.json RESULT.json", file=sys.stderr)
        return 2
    plan_path, result_path = Path(argv[0]), Path(argv[1])
    plan = LoadPlan(**json.loads(plan_path.read_text(encoding="utf-8")))
    result = _run(plan)
    result_path.write_text(json.dumps(dataclasses.asdict(result)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The finding-work benchmark's side of the HTTP API: one sequential client, one request at a time.

These are single-request latencies, not throughput: one keep-alive connection (`http.client`),
each request sent only after the previous answer was read in full. A latency runs from sending
the request to reading the last byte of the answer; decoding the JSON comes after and is not
counted. A request still unanswered after the limit (or answered with an error only after it,
when the database cancelled the statement) is cut off (`CutOff`); any other unexpected answer
stops the benchmark (`ApiError`).
"""

import http.client
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from bench.loadgen import percentile


class ApiError(RuntimeError):
    """The server answered a request with an unexpected status or body."""


class CutOff(Exception):
    """A request or a raw query ran past the benchmark's limit and was abandoned."""


KEEP_ALIVE_S = 3.0  # uvicorn closes a connection idle for 5 s; reopen before that

Call = Callable[[], tuple[Any, int]]
"""One request or raw query: (its answer, its latency in ns); raises CutOff past the limit."""


@dataclass(frozen=True)
class Timings:
    """Latencies of repeated runs of one request, in ns, in the order they were made.

    `cut_off`: a run passed the limit; the samples are those that finished before it. With no
    sample at all, every quantile is infinite."""

    samples_ns: tuple[int, ...]
    cut_off: bool = False

    def quantile_ms(self, fraction: float) -> float:
        if not self.samples_ns:
            return math.inf
        return percentile(sorted(self.samples_ns), fraction) / 1e6

    @property
    def p50_ms(self) -> float:
        return self.quantile_ms(0.50)

    @property
    def p95_ms(self) -> float:
        return self.quantile_ms(0.95)


class ApiClient:
    """One keep-alive connection to the server on 127.0.0.1, reopened after an error and before
    the server would close it for idling (a raw replay may take longer than its keep-alive)."""

    def __init__(self, port: int, authorization: str, limit_s: float) -> None:
        self.port = port
        self.limit_s = limit_s
        self._headers = {"Authorization": authorization, "Accept": "application/json"}
        self._connection: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def retarget(self, port: int) -> None:
        """Talk to a restarted server from now on."""
        self.close()
        self.port = port

    def _connected(self) -> http.client.HTTPConnection:
        """An open connection, opened here so that no request's latency includes connecting."""
        if self._connection is not None and time.monotonic() - self._last_used > KEEP_ALIVE_S:
            self.close()
        if self._connection is None:
            self._connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.limit_s)
            self._connection.connect()
        return self._connection

    def timed(self, method: str, path: str, body: object | None = None, expect: int = 200) -> tuple[Any, int]:
        """(decoded JSON answer, latency in ns) of one request."""
        payload = json.dumps(body).encode() if body is not None else None
        headers = dict(self._headers)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        connection = self._connected()
        started = time.perf_counter_ns()
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except TimeoutError as exc:
            self.close()
            raise CutOff(f"{method} {path}: no answer within {self.limit_s:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise ApiError(f"{method} {path}: {exc!r}") from exc
        elapsed = time.perf_counter_ns() - started
        self._last_used = time.monotonic()
        if response.status != expect:
            if elapsed >= self.limit_s * 1e9 * 0.9:  # the database's statement_timeout, a little earlier
                raise CutOff(f"{method} {path} answered {response.status} after the limit")
            raise ApiError(f"{method} {path} answered {response.status}: {raw[:500].decode(errors='replace')}")
        try:
            return json.loads(raw), elapsed
        except ValueError as exc:
            raise ApiError(f"{method} {path} answered something other than JSON: {raw[:200]!r}") from exc

    def get(self, path: str) -> Any:  # noqa: ANN401 (a decoded JSON answer)
        return self.timed("GET", path)[0]


def search_call(client: ApiClient, query: str) -> Call:
    """`GET /api/v2/search.json?query=…`: the first page (100 results) and the exact count."""
    return lambda: client.timed("GET", f"/api/v2/search.json?query={quote(query)}")


def search_count(answer: Any) -> int:  # noqa: ANN401 (a decoded JSON answer)
    return int(answer["count"])


@dataclass(frozen=True)
class ViewRef:
    view_id: int
    title: str


def list_views(client: ApiClient) -> list[ViewRef]:
    answer = client.get("/api/v2/views/active.json")
    return [ViewRef(int(view["id"]), str(view["title"])) for view in answer["views"]]


def create_view(client: ApiClient, definition: dict[str, Any]) -> ViewRef:
    answer, _ = client.timed("POST", "/api/v2/views.json", {"view": definition}, expect=201)
    return ViewRef(int(answer["view"]["id"]), str(answer["view"]["title"]))


def view_count_call(client: ApiClient, view: ViewRef) -> Call:
    """`GET /api/v2/views/{id}/count.json`."""
    return lambda: client.timed("GET", f"/api/v2/views/{view.view_id}/count.json")


def view_count(answer: Any) -> int:  # noqa: ANN401 (a decoded JSON answer)
    count = answer["view_count"]
    if count.get("fresh") is not True:
        raise ApiError(f"view {count.get('view_id')}: the count is not fresh: {count}")
    return int(count["value"])


def count_many_call(client: ApiClient, views: list[ViewRef]) -> Call:
    """`GET /api/v2/views/count_many.json?ids=…` of all `views`."""
    ids = ",".join(str(view.view_id) for view in views)
    return lambda: client.timed("GET", f"/api/v2/views/count_many.json?ids={ids}")


def count_many_values(answer: Any) -> list[int]:  # noqa: ANN401 (a decoded JSON answer)
    return [int(count["value"]) for count in answer["view_counts"]]


@dataclass(frozen=True)
class ExportFigures:
    tickets: int
    pages: int
    elapsed_s: float
    """Wall-clock time of the whole walk, the client's decoding of each page included."""
    waiting_s: float
    """The part of `elapsed_s` spent waiting for answers."""
    cut_off: bool = False
    """A page passed the limit: the walk stopped there."""

    @property
    def rate(self) -> float:
        return self.tickets / self.elapsed_s if self.elapsed_s else 0.0


def walk_export(client: ApiClient) -> ExportFigures:
    """Every ticket through `GET /api/v2/incremental/tickets/cursor.json?start_time=0`, following
    `after_url` until `end_of_stream`."""
    path = "/api/v2/incremental/tickets/cursor.json?start_time=0"
    tickets = pages = waiting = 0
    cut_off = False
    started = time.perf_counter_ns()
    while True:
        try:
            answer, elapsed = client.timed("GET", path)
        except CutOff:
            cut_off = True
            break
        waiting += elapsed
        pages += 1
        tickets += len(answer["tickets"])
        if answer["end_of_stream"]:
            break
        after = urlsplit(answer["after_url"])
        path = f"{after.path}?{after.query}"
    elapsed_s = (time.perf_counter_ns() - started) / 1e9
    return ExportFigures(tickets=tickets, pages=pages, elapsed_s=elapsed_s, waiting_s=waiting / 1e9, cut_off=cut_off)

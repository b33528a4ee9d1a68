"""API rate limits: so many requests per minute for each credential, by role (Zendesk's 429).

Who is counted: a caller whose Authorization header verifies is counted per credential (a
SHA-256 of the header) and role, at that role's limit (`OPSDESK_RATE_LIMITS`). Everyone else, with
no header or one that does not verify, is counted per client IP as `anonymous`, so password
guessing is limited too; a wrong credential within that limit still gets the route's own 401, and
one caller's traffic never spends another credential's requests. A verified header is remembered
for a few seconds (`web.auth`), so most requests cost the limiter no database query.

`RateLimiter` is a token bucket per key: `limit` requests at once, refilled evenly at `limit` per
window (60 s unless `OPSDESK_RATE_WINDOW_SECONDS` says otherwise). It keeps one float per key, the
monotonic time at which the bucket is full again, so a request costs O(1) under one lock.
Every answer under `/api/v2/` and `/api/opsdesk/` carries `X-Rate-Limit` (the limit) and
`X-Rate-Limit-Remaining`; a refused request gets 429 with `Retry-After`, whole seconds (≥ 1)
until the next request is allowed (zenpy sleeps that long and retries by itself). A kind whose
limit is 0 is not limited and gets no such headers.

The buckets live in this process: `opsdesk serve --workers N` lets a caller make up to N times
the limit, one share per process, and a restart forgets them.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsdesk.compat.zendesk._http import json_response
from opsdesk.web.auth import peek_viewer, remembered_viewer
from opsdesk.web.context import AppContext

LIMITED_PATH_PREFIXES = ("/api/v2/", "/api/opsdesk/")
ANONYMOUS = "anonymous"
# Float slack, so that a request made exactly when a slot frees is not refused by rounding.
_SLACK_S = 1e-9
_PRUNE_AT_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Decision:
    """One request's verdict; `retry_after` is whole seconds until a retry succeeds (0 if allowed)."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int


class RateLimiter:
    """Token buckets keyed by (kind, who); thread-safe; `now` is a monotonic time in seconds."""

    def __init__(self, limits: Mapping[str, int], *, window_seconds: float = 60.0) -> None:
        self._limits = dict(limits)
        self._window = window_seconds
        self._full_at: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._prune_at = _PRUNE_AT_KEYS

    def limit_of(self, kind: str) -> int:
        """Requests per window for this kind of caller; 0 (also for an unknown kind) = unlimited."""
        return self._limits.get(kind, 0)

    def take(self, kind: str, who: str, now: float) -> Decision | None:
        """Spends one request of `who`'s bucket if it holds one (a refusal spends nothing).

        None when `kind` is unlimited.
        """
        limit = self.limit_of(kind)
        if limit <= 0:
            return None
        interval = self._window / limit
        key = (kind, who)
        with self._lock:
            full_at = max(self._full_at.get(key, now), now) + interval
            backlog = full_at - now
            if backlog > self._window + _SLACK_S:
                wait = backlog - self._window
                return Decision(allowed=False, limit=limit, remaining=0, retry_after=max(1, math.ceil(wait - _SLACK_S)))
            self._full_at[key] = full_at
            if len(self._full_at) >= self._prune_at:
                self._prune(now)
        remaining = math.floor((self._window - backlog) / interval + _SLACK_S)
        return Decision(allowed=True, limit=limit, remaining=remaining, retry_after=0)

    def _prune(self, now: float) -> None:
        """Forgets full buckets (a missing key is a full bucket); amortised O(1) per request."""
        self._full_at = {key: full_at for key, full_at in self._full_at.items() if full_at > now}
        self._prune_at = max(_PRUNE_AT_KEYS, 2 * len(self._full_at))


def credential_digest(authorization: str) -> str:
    return hashlib.sha256(authorization.encode()).hexdigest()


class RateLimitMiddleware:
    """Counts each API request against its caller's bucket; answers 429 itself when it is empty."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        context: AppContext,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.context = context
        self.monotonic = monotonic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(LIMITED_PATH_PREFIXES):
            await self.app(scope, receive, send)
            return
        kind, who = await self._bucket(scope)
        decision = self.limiter.take(kind, who, self.monotonic())
        if decision is None:
            await self.app(scope, receive, send)
            return
        headers = [
            (b"x-rate-limit", str(decision.limit).encode()),
            (b"x-rate-limit-remaining", str(decision.remaining).encode()),
        ]
        if not decision.allowed:
            await _too_many_requests(decision, headers)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _bucket(self, scope: Scope) -> tuple[str, str]:
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        authorization = Headers(scope=scope).get("authorization")
        if not authorization:
            return ANONYMOUS, address
        viewer = remembered_viewer(authorization)
        if viewer is None:
            # A lookup queries the database and may hash a password: keep it off the event loop.
            viewer = await run_in_threadpool(peek_viewer, self.context, authorization)
        if viewer is None:
            return ANONYMOUS, address
        return viewer.role.value, credential_digest(authorization)


def _too_many_requests(decision: Decision, headers: list[tuple[bytes, bytes]]) -> ASGIApp:
    body = {
        "error": "TooManyRequests",
        "description": f"Rate limit exceeded; retry after {decision.retry_after} seconds",
    }
    response = json_response(body, 429)
    response.headers["Retry-After"] = str(decision.retry_after)
    for name, value in headers:
        response.headers[name.decode()] = value.decode()
    return response

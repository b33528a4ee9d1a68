"""The composition root: settings, engine and clock are built here and handed to the routes."""

from __future__ import annotations

import html

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine, text
from starlette.types import ASGIApp, Receive, Scope, Send

from opsdesk import __version__
from opsdesk.compat.opsdesk import builtins, tokens
from opsdesk.compat.zendesk import (
    attachments,
    business_hours,
    forms,
    groups,
    incremental,
    jobs,
    organizations,
    requests,
    rules,
    search,
    slas,
    tickets,
    users,
    views,
    webhooks,
)
from opsdesk.compat.zendesk import errors as zendesk_errors
from opsdesk.compat.zendesk._http import json_response
from opsdesk.core.clock import Clock
from opsdesk.core.db.engine import make_engine
from opsdesk.core.settings import Settings
from opsdesk.web import testclock
from opsdesk.web.context import AppContext
from opsdesk.web.ratelimit import RateLimiter, RateLimitMiddleware

DEMO_LOGINS = (
    ("admin", "admin@opsdesk.test", "opsdesk-demo"),
    ("agent, Tier 1", "tina.tier1@opsdesk.test", "opsdesk-demo"),
    ("agent, Platform experts", "pete.platform@opsdesk.test", "opsdesk-demo"),
    ("end-user, Globex (shared organization)", "gina@globex.example", "opsdesk-demo"),
)


class JsonSuffixMiddleware:
    """Zendesk paths end in `.json` or not, as the client likes; routes are declared without it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.endswith(".json") and path != "/openapi.json":
                scope = {**scope, "path": path.removesuffix(".json"), "raw_path": None}
        await self.app(scope, receive, send)


def create_app(settings: Settings, *, engine: Engine | None = None, clock: Clock | None = None) -> FastAPI:
    app = FastAPI(
        title="opsdesk",
        version=__version__,
        description="Support operations: a Zendesk-compatible helpdesk API (`/api/v2`).",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.context = AppContext(
        engine=engine or make_engine(settings.database_url),
        clock=clock or settings.make_clock(),
        settings=settings,
    )
    zendesk_errors.install(app)
    for module in (
        tickets,
        requests,
        users,
        organizations,
        groups,
        forms,
        jobs,
        search,
        views,
        incremental,
        attachments,
        webhooks,
        business_hours,
        slas,
        rules,
        builtins,
        tokens,
    ):
        app.include_router(module.router)
    if settings.clock_mode == "manual":
        app.include_router(testclock.router)
    app.add_api_route("/healthz", healthz, methods=["GET"], summary="Database reachable", tags=["service"])
    app.add_api_route("/", home, methods=["GET"], include_in_schema=False)
    limiter = RateLimiter(settings.rate_limits, window_seconds=settings.rate_window_seconds)
    app.add_middleware(RateLimitMiddleware, limiter=limiter, context=app.state.context)
    app.add_middleware(JsonSuffixMiddleware)
    return app


def healthz(request: Request) -> Response:
    context: AppContext = request.app.state.context
    try:
        with context.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return json_response({"status": "unavailable"}, 503)
    return json_response({"status": "ok"})


def home() -> HTMLResponse:
    rows = "".join(
        f"<tr><td>{html.escape(role)}</td><td><code>{html.escape(email)}</code></td>"
        f"<td><code>{html.escape(password)}</code></td></tr>"
        for role, email, password in DEMO_LOGINS
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>opsdesk</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:46rem;margin:3rem auto;line-height:1.5;color:#1d232a}}
table{{border-collapse:collapse}} td{{padding:.25rem .75rem;border-bottom:1px solid #dde}}
code{{background:#f3f4f6;padding:0 .25rem}}
</style>
</head><body>
<h1>opsdesk {html.escape(__version__)}</h1>
<p>Self-hosted support operations. The helpdesk speaks the Zendesk API at <code>/api/v2</code>:
point zenpy or any Zendesk script at this server.</p>
<p><a href="/docs">Interactive API documentation</a> · <a href="/openapi.json">OpenAPI description</a></p>
<h2>Demo logins</h2>
<table><tr><th>who</th><th>email</th><th>password</th></tr>{rows}</table>
<p>API tokens: use HTTP Basic <code>EMAIL/token:TOKEN</code>;
the demo admin's token is <code>opsdesk-demo-token</code>.</p>
</body></html>"""
    return HTMLResponse(page)

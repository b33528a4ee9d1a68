"""What every request handler needs: the engine, the clock and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine

from opsdesk.core.clock import Clock
from opsdesk.core.settings import Settings


@dataclass(frozen=True, slots=True)
class AppContext:
    engine: Engine
    clock: Clock
    settings: Settings


async def app_context(request: Request) -> AppContext:
    return context_of(request)


def context_of(request: Request) -> AppContext:
    context = request.app.state.context
    assert isinstance(context, AppContext)
    return context

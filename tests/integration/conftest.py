"""An in-process app over a real database, and API clients that authenticate as real users."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from opsdesk.core.clock import ManualClock
from opsdesk.core.db.uow import writing
from opsdesk.core.settings import Settings
from opsdesk.users import service as users_service
from opsdesk.web.app import create_app

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Api:
    """A TestClient that speaks as one user (Basic `email/token:TOKEN`)."""

    def __init__(self, client: TestClient, email: str, token: str, user_id: int = 0) -> None:
        self.client = client
        self.user_id = user_id
        raw = base64.b64encode(f"{email}/token:{token}".encode()).decode()
        self.headers = {"Authorization": f"Basic {raw}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(path, json=body, headers=self.headers)

    def put(self, path: str, body: Any = None) -> Any:
        return self.client.put(path, json=body, headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers=self.headers)


class Desk:
    """Creates people through the services and hands out API clients for them."""

    def __init__(self, engine: Engine, client: TestClient, clock: ManualClock) -> None:
        self.engine = engine
        self.client = client
        self.clock = clock
        self.admin = self.user("Ada Admin", "admin@desk.test", role="admin")

    def user(self, name: str, email: str, **values: Any) -> Api:
        with writing(self.engine) as conn:
            user = users_service.create_user(
                conn, actor=None, values={"name": name, "email": email, **values}, now=self.clock.now()
            )
            token = users_service.issue_token(conn, user_id=user.id, now=self.clock.now())
        return Api(self.client, email, token, user.id)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def client(engine: Engine, database_url: str, clock: ManualClock) -> Iterator[TestClient]:
    settings = Settings.from_env({"OPSDESK_DATABASE_URL": database_url, "OPSDESK_CLOCK": "manual"})
    app = create_app(settings, engine=engine, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def desk(engine: Engine, client: TestClient, clock: ManualClock) -> Desk:
    return Desk(engine, client, clock)

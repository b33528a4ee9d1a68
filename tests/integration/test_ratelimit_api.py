"""Rate limits as an API client sees them: Zendesk's headers, 429 and Retry-After."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from opsdesk.core.clock import ManualClock
from opsdesk.core.settings import Settings
from opsdesk.web.app import create_app
from tests.integration.conftest import Api, Desk

LIMITS = "end-user=3,agent=5,admin=5"
TOO_MANY = {"error": "TooManyRequests"}

DeskFactory = Callable[[str], Desk]


@pytest.fixture
def limited_desk(engine: Engine, database_url: str, clock: ManualClock) -> Iterator[DeskFactory]:
    """`limited_desk("agent=5,...")`: a desk whose app enforces those per-minute limits."""
    clients: list[TestClient] = []

    def build(limits: str) -> Desk:
        settings = Settings.from_env(
            {"OPSDESK_DATABASE_URL": database_url, "OPSDESK_CLOCK": "manual", "OPSDESK_RATE_LIMITS": limits}
        )
        client = TestClient(create_app(settings, engine=engine, clock=clock), raise_server_exceptions=False)
        clients.append(client.__enter__())
        return Desk(engine, client, clock)

    yield build
    for client in clients:
        client.__exit__(None, None, None)


def rate_headers(response: httpx2.Response) -> tuple[str | None, str | None]:
    return response.headers.get("X-Rate-Limit"), response.headers.get("X-Rate-Limit-Remaining")


def test_an_agent_sees_the_count_go_down_then_gets_429_with_retry_after(limited_desk: DeskFactory) -> None:
    desk = limited_desk(LIMITS)
    agent = desk.user("Alex Agent", "alex@desk.test", role="agent")

    answers = [agent.get("/api/v2/users/me.json") for _ in range(5)]
    assert [r.status_code for r in answers] == [200] * 5
    assert [rate_headers(r) for r in answers] == [("5", str(n)) for n in (4, 3, 2, 1, 0)]

    sixth = agent.get("/api/v2/users/me")
    assert sixth.status_code == 429
    retry_after = sixth.headers["Retry-After"]
    assert retry_after.isdigit()
    assert 1 <= int(retry_after) <= 12  # 5 a minute: a slot frees every 12 s
    assert sixth.json() == {
        **TOO_MANY,
        "description": f"Rate limit exceeded; retry after {retry_after} seconds",
    }
    assert rate_headers(sixth) == ("5", "0")


def test_another_token_and_another_role_keep_their_own_allowance(limited_desk: DeskFactory) -> None:
    desk = limited_desk(LIMITS)
    agent = desk.user("Alex Agent", "alex@desk.test", role="agent")
    other_agent = desk.user("Bea Agent", "bea@desk.test", role="agent")
    requester = desk.user("Carl Customer", "carl@example.com")
    for _ in range(5):
        agent.get("/api/v2/users/me")
    assert agent.get("/api/v2/users/me").status_code == 429

    assert rate_headers(other_agent.get("/api/v2/users/me")) == ("5", "4")
    assert rate_headers(desk.admin.get("/api/v2/users/me")) == ("5", "4")
    answers = [requester.get("/api/v2/users/me") for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert rate_headers(answers[0]) == ("3", "2")


def test_a_wrong_token_still_gets_the_routes_401(limited_desk: DeskFactory) -> None:
    desk = limited_desk(LIMITS)
    agent = desk.user("Alex Agent", "alex@desk.test", role="agent")
    for _ in range(6):
        agent.get("/api/v2/users/me")
    wrong = Api(desk.client, "alex@desk.test", "not-the-token")

    answer = wrong.get("/api/v2/users/me")
    assert answer.status_code == 401
    assert answer.json()["error"] == "Couldn't authenticate you"
    assert rate_headers(answer) == ("600", "599")  # counted per client address, as anonymous
    garbage = desk.client.get("/api/v2/users/me", headers={"Authorization": "Basic !!not-base64!!"})
    assert garbage.status_code == 401


def test_callers_without_valid_credentials_are_limited_per_address(limited_desk: DeskFactory) -> None:
    desk = limited_desk("anonymous=2")
    bad = base64.b64encode(b"nobody@desk.test:guess").decode()
    answers = [
        desk.client.get("/api/v2/tickets"),
        desk.client.get("/api/v2/tickets", headers={"Authorization": f"Basic {bad}"}),
        desk.client.get("/api/v2/tickets", headers={"Authorization": "Bearer guess"}),
    ]
    assert [r.status_code for r in answers] == [401, 401, 429]
    assert answers[2].json()["error"] == "TooManyRequests"
    # A valid credential from the same address has its own bucket.
    assert desk.admin.get("/api/v2/users/me").status_code == 200


def test_opsdesk_paths_are_limited_and_service_paths_are_not(limited_desk: DeskFactory) -> None:
    desk = limited_desk(LIMITS)
    assert rate_headers(desk.admin.get(f"/api/opsdesk/users/{desk.admin.user_id}/tokens")) == ("5", "4")
    for path in ("/healthz", "/api/test/clock", "/openapi.json"):
        answers = [desk.admin.get(path) for _ in range(7)]
        assert [r.status_code for r in answers] == [200] * 7, path
        assert rate_headers(answers[-1]) == (None, None), path


def test_zero_lifts_a_roles_limit(limited_desk: DeskFactory) -> None:
    desk = limited_desk("admin=0")
    answers = [desk.admin.get("/api/v2/users/me") for _ in range(20)]
    assert {r.status_code for r in answers} == {200}
    assert rate_headers(answers[-1]) == (None, None)

"""Pending tickets solve themselves after 5 days and solved ones close after 4, on the test clock."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api, Desk

DAY = 24 * 3600


def _advance(desk: Desk, seconds: int) -> dict[str, Any]:
    response = desk.admin.post("/api/test/clock", {"advance_seconds": seconds})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _status(desk: Desk, ticket_id: int) -> str:
    status: str = desk.admin.get(f"/api/v2/tickets/{ticket_id}.json").json()["ticket"]["status"]
    return status


def _pending_ticket(desk: Desk, requester: Api) -> int:
    created = desk.admin.post(
        "/api/v2/tickets.json",
        {"ticket": {"subject": "s", "comment": {"body": "b"}, "requester_id": requester.user_id}},
    )
    ticket_id: int = created.json()["ticket"]["id"]
    desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"status": "pending", "comment": {"body": "?"}}})
    return ticket_id


def test_pending_is_solved_after_five_days_then_closed_after_four(desk: Desk) -> None:
    requester = desk.user("Rita", "rita@example.com")
    ticket_id = _pending_ticket(desk, requester)
    assert _advance(desk, 5 * DAY - 1) == {"now": "2026-03-07T08:59:59Z", "fired": 0}
    assert _status(desk, ticket_id) == "pending"
    assert _advance(desk, 1)["fired"] == 1
    assert _status(desk, ticket_id) == "solved"
    audits = desk.admin.get(f"/api/v2/tickets/{ticket_id}/audits.json").json()["audits"]
    assert audits[-1]["via"]["channel"] == "rule"
    assert audits[-1]["created_at"] == "2026-03-07T09:00:00Z", "the duty ran at its own due time"
    assert _advance(desk, 4 * DAY)["fired"] == 1
    assert _status(desk, ticket_id) == "closed"


def test_one_advance_fires_everything_due_on_the_way_in_order(desk: Desk) -> None:
    requester = desk.user("Rita", "rita@example.com")
    ticket_id = _pending_ticket(desk, requester)
    result = _advance(desk, 30 * DAY)
    assert result["fired"] == 2, "solved on day 5, closed on day 9"
    assert _status(desk, ticket_id) == "closed"
    closing = desk.admin.get(f"/api/v2/tickets/{ticket_id}/audits.json").json()["audits"][-1]
    assert closing["created_at"] == "2026-03-11T09:00:00Z"


def test_a_requester_reply_stops_the_pending_clock(desk: Desk) -> None:
    requester = desk.user("Rita", "rita@example.com")
    ticket_id = _pending_ticket(desk, requester)
    _advance(desk, 3 * DAY)
    requester.put(f"/api/v2/requests/{ticket_id}.json", {"request": {"comment": {"body": "still broken"}}})
    assert _status(desk, ticket_id) == "open"
    assert _advance(desk, 10 * DAY)["fired"] == 0
    assert _status(desk, ticket_id) == "open"
    desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"status": "pending"}})
    _advance(desk, 5 * DAY)
    assert _status(desk, ticket_id) == "solved", "pending again starts a fresh 5 days"


def test_the_clock_only_moves_forward(desk: Desk) -> None:
    assert desk.admin.post("/api/test/clock", {"now": "2026-03-01T00:00:00Z"}).status_code == 409
    assert desk.admin.post("/api/test/clock", {"advance_seconds": -5}).status_code == 400
    assert desk.admin.post("/api/test/clock", {"now": "2026-03-03T00:00:00Z"}).json()["now"] == "2026-03-03T00:00:00Z"
    agent = desk.user("Tina", "tina@desk.test", role="agent")
    assert agent.post("/api/test/clock", {"advance_seconds": 5}).status_code == 403

"""Incremental exports: every change exactly once, in order, across pages, on both databases."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import START, Desk

START_UNIX = int(START.timestamp())


def _ticket(desk: Desk, subject: str) -> int:
    response = desk.admin.post("/api/v2/tickets.json", {"ticket": {"subject": subject, "comment": {"body": "b"}}})
    assert response.status_code == 201
    ticket_id: int = response.json()["ticket"]["id"]
    return ticket_id


def _walk(desk: Desk, first: dict[str, Any], key: str, next_key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = first
    while True:
        items += page[key]
        if page["end_of_stream"]:
            return items
        page = desk.client.get(page[next_key], headers=desk.admin.headers).json()


def test_cursor_export_pages_through_every_ticket_once(desk: Desk) -> None:
    ids = [_ticket(desk, f"t{i}") for i in range(7)]
    desk.clock.advance(2)
    first = desk.admin.get("/api/v2/incremental/tickets/cursor.json", start_time=START_UNIX, per_page=3).json()
    assert len(first["tickets"]) == 3
    assert first["end_of_stream"] is False
    exported = _walk(desk, first, "tickets", "after_url")
    assert [t["id"] for t in exported] == ids


def test_only_changes_since_the_cursor_come_next(desk: Desk) -> None:
    a, b = _ticket(desk, "a"), _ticket(desk, "b")
    desk.clock.advance(2)
    page = desk.admin.get("/api/v2/incremental/tickets/cursor.json", start_time=START_UNIX).json()
    assert [t["id"] for t in page["tickets"]] == [a, b]
    assert page["end_of_stream"] is True
    desk.clock.advance(60)
    desk.admin.put(f"/api/v2/tickets/{a}.json", {"ticket": {"priority": "high"}})
    c = _ticket(desk, "c")
    following = desk.client.get(page["after_url"], headers=desk.admin.headers).json()
    assert following["tickets"] == [], "changes from the last second wait for the next call"
    desk.clock.advance(2)
    following = desk.client.get(page["after_url"], headers=desk.admin.headers).json()
    assert [t["id"] for t in following["tickets"]] == [a, c]
    assert following["tickets"][0]["priority"] == "high"


def test_time_style_and_ticket_events(desk: Desk) -> None:
    ticket_id = _ticket(desk, "x")
    desk.admin.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"status": "pending", "comment": {"body": "hi"}}})
    desk.clock.advance(2)
    tickets = desk.admin.get("/api/v2/incremental/tickets.json", start_time=START_UNIX).json()
    assert [t["id"] for t in tickets["tickets"]] == [ticket_id]
    assert tickets["end_of_stream"] is True
    assert tickets["end_time"] == START_UNIX
    events = desk.admin.get("/api/v2/incremental/ticket_events.json", start_time=START_UNIX).json()
    assert [e["ticket_id"] for e in events["ticket_events"]] == [ticket_id, ticket_id]
    changes = [c for c in events["ticket_events"][1]["child_events"] if c["type"] == "Change"]
    assert {"field_name": "status", "value": "pending", "previous_value": "new"}.items() <= changes[0].items()


def test_users_and_organizations_exports(desk: Desk) -> None:
    desk.admin.post("/api/v2/organizations.json", {"organization": {"name": "Acme"}})
    desk.user("Wile", "wile@acme.example")
    desk.clock.advance(2)
    users = _walk(
        desk,
        desk.admin.get("/api/v2/incremental/users/cursor.json", start_time=START_UNIX).json(),
        "users",
        "after_url",
    )
    assert [u["email"] for u in users] == ["admin@desk.test", "wile@acme.example"]
    orgs = desk.admin.get("/api/v2/incremental/organizations.json", start_time=START_UNIX).json()
    assert [o["name"] for o in orgs["organizations"]] == ["Acme"]


def test_exports_are_for_admins_and_check_their_input(desk: Desk) -> None:
    agent = desk.user("Tina", "tina@desk.test", role="agent")
    assert agent.get("/api/v2/incremental/tickets/cursor.json", start_time=0).status_code == 403
    assert desk.admin.get("/api/v2/incremental/tickets/cursor.json").status_code == 400
    assert desk.admin.get("/api/v2/incremental/tickets/cursor.json", start_time="soon").status_code == 400
    assert desk.admin.get("/api/v2/incremental/tickets/cursor.json", cursor="not-a-cursor").status_code in (400, 422)
    assert desk.admin.get("/api/v2/incremental/tickets/cursor.json", start_time=0, per_page=5000).status_code == 400


def test_a_deleted_ticket_comes_again_with_status_deleted(desk: Desk) -> None:
    kept, gone = _ticket(desk, "kept"), _ticket(desk, "gone")
    desk.clock.advance(60)
    assert desk.admin.delete(f"/api/v2/tickets/{gone}.json").status_code == 204
    desk.clock.advance(2)
    page = desk.admin.get("/api/v2/incremental/tickets/cursor.json", start_time=START_UNIX).json()
    assert [(t["id"], t["status"]) for t in page["tickets"]] == [(kept, "new"), (gone, "deleted")]

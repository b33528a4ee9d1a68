"""The seed-004 built-ins: a New ticket not acknowledged by the end of the business day, and a ticket
Open for a business day without an agent update, are reported to its group at that exact moment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from opsdesk.core.db.uow import reading
from opsdesk.delivery.tables import outbox
from tests.integration.conftest import Api, Desk


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _set_clock(desk: Desk, now: str) -> None:
    _ok(desk.admin.post("/api/test/clock", {"now": now}))


def _mail_subjects(desk: Desk, to: str) -> list[str]:
    with reading(desk.engine) as conn:
        rows = conn.execute(select(outbox.c.payload).where(outbox.c.destination == to).order_by(outbox.c.id))
        return [payload["subject"] for payload in rows.scalars()]


def _events(desk: Desk, event_type: str) -> list[dict[str, Any]]:
    with reading(desk.engine) as conn:
        rows = conn.execute(select(outbox.c.payload).where(outbox.c.channel == "webhook").order_by(outbox.c.id))
        return [payload for payload in rows.scalars() if payload.get("type") == event_type]


def _setup(desk: Desk, **builtins: Any) -> tuple[Api, int]:
    admin = desk.admin
    _ok(admin.post("/api/v2/business_hours/schedules", {"schedule": {"name": "Support", "time_zone": "UTC"}}), 201)
    _ok(admin.put("/api/opsdesk/builtins", {"builtins": builtins}))
    group = _ok(admin.post("/api/v2/groups", {"group": {"name": "Tier 1"}}), 201)["group"]["id"]
    agent = desk.user("Tia Tier", "tia@desk.test", role="agent")
    _ok(
        admin.post("/api/v2/group_memberships", {"group_membership": {"user_id": agent.user_id, "group_id": group}}),
        201,
    )
    hook = {
        "name": "Support feed",
        "endpoint": "http://127.0.0.1:9/never-called",
        "subscriptions": ["opsdesk:event-type:ticket.unacknowledged", "opsdesk:event-type:ticket.open_too_long"],
    }
    _ok(admin.post("/api/v2/webhooks", {"webhook": hook}), 201)
    return agent, group


def _ticket(agent: Api, group: int, subject: str, **values: Any) -> int:
    requester = {"email": "casey@customer.test", "name": "Casey Customer"}
    body = {
        "ticket": {"subject": subject, "comment": {"body": "Help"}, "group_id": group, "requester": requester, **values}
    }
    ticket_id: int = _ok(agent.post("/api/v2/tickets", body), 201)["ticket"]["id"]
    return ticket_id


def test_a_new_ticket_still_new_at_closing_time_is_reported_to_its_group(desk: Desk) -> None:
    agent, group = _setup(desk, new_acknowledgement=True)
    _set_clock(desk, "2026-03-02T10:00:00Z")
    forgotten = _ticket(agent, group, "Forgotten")
    seen = _ticket(agent, group, "Seen")
    _set_clock(desk, "2026-03-02T12:00:00Z")
    _ok(agent.put(f"/api/v2/tickets/{seen}", {"ticket": {"status": "open"}}))
    _set_clock(desk, "2026-03-02T16:59:59Z")
    assert _mail_subjects(desk, "tia@desk.test") == []
    _set_clock(desk, "2026-03-02T17:00:00Z")
    assert _mail_subjects(desk, "tia@desk.test") == [f"Not acknowledged today: #{forgotten} Forgotten"]
    assert [e["detail"]["id"] for e in _events(desk, "opsdesk:event-type:ticket.unacknowledged")] == [forgotten]


def test_a_ticket_created_after_hours_is_due_by_the_next_business_day_close(desk: Desk) -> None:
    agent, group = _setup(desk, new_acknowledgement=True)
    _set_clock(desk, "2026-03-06T18:30:00Z")  # Friday evening
    late = _ticket(agent, group, "Late")
    _set_clock(desk, "2026-03-09T16:59:59Z")
    assert _mail_subjects(desk, "tia@desk.test") == []
    _set_clock(desk, "2026-03-09T17:00:00Z")
    assert _mail_subjects(desk, "tia@desk.test") == [f"Not acknowledged today: #{late} Late"]


def test_open_for_a_business_day_without_an_agent_update_is_reported(desk: Desk) -> None:
    agent, group = _setup(desk, open_report_business_hours=8)
    _set_clock(desk, "2026-03-02T10:00:00Z")
    stale = _ticket(agent, group, "Stale", status="open")
    tended = _ticket(agent, group, "Tended", status="open")
    _set_clock(desk, "2026-03-02T15:00:00Z")
    _ok(agent.put(f"/api/v2/tickets/{tended}", {"ticket": {"comment": {"body": "On it.", "public": True}}}))
    _set_clock(desk, "2026-03-03T09:59:59Z")  # 7 business hours on Monday, 59:59 on Tuesday
    assert _mail_subjects(desk, "tia@desk.test") == []
    _set_clock(desk, "2026-03-03T10:00:00Z")
    assert _mail_subjects(desk, "tia@desk.test") == [f"Open for more than a business day: #{stale} Stale"]
    _set_clock(desk, "2026-03-03T15:00:00Z")
    assert _mail_subjects(desk, "tia@desk.test")[-1] == f"Open for more than a business day: #{tended} Tended"
    reported = [e["detail"]["id"] for e in _events(desk, "opsdesk:event-type:ticket.open_too_long")]
    assert reported == [stale, tended]


def test_the_reports_are_off_until_turned_on(desk: Desk) -> None:
    agent, group = _setup(desk)
    _ticket(agent, group, "Quiet")
    _ticket(agent, group, "Open and quiet", status="open")
    _set_clock(desk, "2026-03-10T09:00:00Z")
    assert _mail_subjects(desk, "tia@desk.test") == []

"""The time engine end to end, with the manual clock, a real SMTP server and a real webhook receiver:
a premium ticket created on Friday at 16:00 under a 4-business-hour first-reply target."""

from __future__ import annotations

from typing import Any

import orjson

from tests.integration.conftest import Api, Desk
from tests.integration.test_email import Inbox, inbox, mail_desk
from tests.integration.test_webhooks import Receiver, receiver

__all__ = ["inbox", "mail_desk", "receiver"]  # fixtures used below
BREACH_WARNING = "opsdesk:event-type:ticket.sla_breach_warning"


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _set_clock(desk: Desk, now: str) -> None:
    _ok(desk.admin.post("/api/test/clock", {"now": now}))


def _warnings() -> list[tuple[dict[str, str], dict[str, Any]]]:
    bodies = [(headers, orjson.loads(body)) for headers, body in Receiver.received]
    return [(headers, body) for headers, body in bodies if body["type"] == BREACH_WARNING]


def _slas(agent: Api, ticket_id: int) -> dict[str, Any]:
    ticket = _ok(agent.get(f"/api/v2/tickets/{ticket_id}.json", include="slas"))["ticket"]
    return {m["metric"]: m for m in ticket["slas"]["policy_metrics"]}


def _setup(desk: Desk, endpoint: str) -> tuple[Api, Api, int]:
    """Business hours Mon-Fri 09:00-17:00 UTC, a first-reply policy, Tier 1, an organization whose
    tickets are premium and high, routing triggers, and a webhook that hears breach warnings."""
    admin = desk.admin
    _ok(admin.post("/api/v2/business_hours/schedules", {"schedule": {"name": "Support", "time_zone": "UTC"}}), 201)
    targets = [
        {"priority": priority, "metric": "first_reply_time", "target": 240, "business_hours": True}
        for priority in ("low", "normal", "high", "urgent")
    ]
    _ok(admin.post("/api/v2/slas/policies", {"sla_policy": {"title": "Everyone", "policy_metrics": targets}}), 201)
    tier1 = _ok(admin.post("/api/v2/groups", {"group": {"name": "Tier 1"}}), 201)["group"]["id"]
    acme = _ok(admin.post("/api/v2/organizations", {"organization": {"name": "Acme"}}), 201)["organization"]["id"]
    agent = desk.user("Tia Tier", "tia@desk.test", role="agent")
    membership = {"group_membership": {"user_id": agent.user_id, "group_id": tier1}}
    _ok(admin.post("/api/v2/group_memberships", membership), 201)
    requester = desk.user("Rui Requester", "rui@acme.test", role="end-user", organization_id=acme)
    route = {
        "title": "New tickets go to Tier 1",
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
        "actions": [{"field": "group_id", "value": str(tier1)}],
    }
    premium = {
        "title": "Acme is premium",
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "organization_id", "operator": "is", "value": str(acme)},
            ]
        },
        "actions": [{"field": "current_tags", "value": "premium"}, {"field": "priority", "value": "high"}],
    }
    for trigger in (route, premium):
        _ok(admin.post("/api/v2/triggers", {"trigger": trigger}), 201)
    hook = {
        "name": "Premium breach feed",
        "endpoint": endpoint,
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": [BREACH_WARNING],
    }
    _ok(admin.post("/api/v2/webhooks", {"webhook": hook}), 201)
    return agent, requester, tier1


def test_friday_ticket_breaches_monday_noon_warned_at_ten_then_solved_five_days_after_pending(
    mail_desk: Desk, inbox: tuple[Inbox, int], receiver: str
) -> None:
    desk = mail_desk
    agent, requester, tier1 = _setup(desk, receiver)
    _set_clock(desk, "2026-03-06T16:00:00Z")  # Friday
    request = {"request": {"subject": "Deploys fail", "comment": {"body": "Our deploys fail since noon."}}}
    ticket_id = _ok(requester.post("/api/v2/requests", request), 201)["request"]["id"]

    ticket = _ok(agent.get(f"/api/v2/tickets/{ticket_id}.json"))["ticket"]
    assert ticket["group_id"] == tier1
    assert "premium" in ticket["tags"]
    assert ticket["priority"] == "high"
    first_reply = _slas(agent, ticket_id)["first_reply_time"]
    assert first_reply["stage"] == "active"
    assert first_reply["breach_at"] == "2026-03-09T12:00:00Z"  # 1 h on Friday + 3 h on Monday

    _set_clock(desk, "2026-03-09T09:59:59Z")
    assert _warnings() == []
    _set_clock(desk, "2026-03-09T10:00:00Z")
    warnings = _warnings()
    assert len(warnings) == 1
    headers, body = warnings[0]
    assert headers["x-zendesk-webhook-signature-timestamp"] == "2026-03-09T10:00:00Z"
    assert body["detail"]["id"] == ticket_id
    assert body["detail"]["sla"]["next_breach_at"] == "2026-03-09T12:00:00Z"

    _set_clock(desk, "2026-03-09T10:15:00Z")
    note = {"ticket": {"comment": {"body": "Looking at the deploy logs.", "public": False}}}
    _ok(agent.put(f"/api/v2/tickets/{ticket_id}.json", note))
    assert _slas(agent, ticket_id)["first_reply_time"]["stage"] == "active"  # a note fulfils nothing

    _set_clock(desk, "2026-03-09T10:30:00Z")
    reply = {"ticket": {"status": "pending", "comment": {"body": "Fixed on our side: please retry.", "public": True}}}
    _ok(agent.put(f"/api/v2/tickets/{ticket_id}.json", reply))
    assert _slas(agent, ticket_id)["first_reply_time"] == {
        "breach_at": None,
        "stage": "achieved",
        "metric": "first_reply_time",
    }

    _set_clock(desk, "2026-03-14T10:29:59Z")
    assert _ok(agent.get(f"/api/v2/tickets/{ticket_id}.json"))["ticket"]["status"] == "pending"
    _set_clock(desk, "2026-03-14T10:30:00Z")
    assert _ok(agent.get(f"/api/v2/tickets/{ticket_id}.json"))["ticket"]["status"] == "solved"
    assert len(_warnings()) == 1  # once per breach, however often the ticket changed

    messages = inbox[0].messages
    to_requester = [m for m in messages if m["To"] == "rui@acme.test"]
    assert [m["Subject"] for m in to_requester] == [f"[#{ticket_id}] Deploys fail"] * 2
    assert "Fixed on our side" in to_requester[1].get_payload()
    assert to_requester[1]["In-Reply-To"] == to_requester[0]["Message-ID"]

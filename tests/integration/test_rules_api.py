"""Triggers, automations and macros through `/api/v2`: Zendesk's vocabulary, refused input, and
what they do to tickets (in the update's transaction for triggers, at the exact time for automations)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from opsdesk.core.db.uow import reading
from opsdesk.delivery.tables import outbox
from opsdesk.rules.tables import business_rules
from opsdesk.sla.tables import ticket_clocks
from tests.integration.conftest import Api, Desk

DAY = 86_400


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _rule_count(desk: Desk) -> int:
    with reading(desk.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(business_rules)).scalar_one())


def _ticket(agent: Api, **values: Any) -> dict[str, Any]:
    body = {"ticket": {"subject": "Help", "comment": {"body": "It broke."}, **values}}
    ticket: dict[str, Any] = _ok(agent.post("/api/v2/tickets.json", body), 201)["ticket"]
    return ticket


def _advance(desk: Desk, seconds: int) -> int:
    fired: int = _ok(desk.admin.post("/api/test/clock", {"advance_seconds": seconds}))["fired"]
    return fired


def test_triggers_run_in_position_order_and_rerun_after_one_fires(desk: Desk) -> None:
    admin = desk.admin
    # Listed first, but it only matches once the second trigger has tagged the ticket.
    escalate = {
        "title": "Urgent outages are escalated",
        "conditions": {"all": [{"field": "current_tags", "operator": "includes", "value": "outage"}]},
        "actions": [{"field": "priority", "value": "urgent"}, {"field": "current_tags", "value": "escalated"}],
    }
    tag = {
        "title": "Outage words tag the ticket",
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "subject_includes_word", "operator": "includes", "value": "down outage"},
            ]
        },
        "actions": [{"field": "current_tags", "value": "outage"}],
    }
    for trigger in (escalate, tag):
        _ok(admin.post("/api/v2/triggers.json", {"trigger": trigger}), 201)
    listed = _ok(admin.get("/api/v2/triggers.json"))["triggers"]
    assert [t["title"] for t in listed] == [escalate["title"], tag["title"]]

    ticket = _ticket(admin, subject="Everything is down")
    shown = _ok(admin.get(f"/api/v2/tickets/{ticket['id']}.json"))["ticket"]
    assert shown["priority"] == "urgent"
    assert set(shown["tags"]) == {"outage", "escalated"}
    quiet = _ticket(admin, subject="A question about billing")
    assert _ok(admin.get(f"/api/v2/tickets/{quiet['id']}.json"))["ticket"]["tags"] == []


def test_a_trigger_only_on_updates_and_its_email_to_the_group(desk: Desk) -> None:
    admin = desk.admin
    group = _ok(admin.post("/api/v2/groups.json", {"group": {"name": "Platform experts"}}), 201)["group"]["id"]
    expert = desk.user("Pat Expert", "pat@desk.test", role="agent")
    _ok(
        admin.post(
            "/api/v2/group_memberships.json", {"group_membership": {"user_id": expert.user_id, "group_id": group}}
        ),
        201,
    )
    trigger = {
        "title": "Tell experts about escalations",
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Change"},
                {"field": "group_id", "operator": "changed", "value": None},
                {"field": "group_id", "operator": "is", "value": str(group)},
            ]
        },
        "actions": [
            {
                "field": "notification_group",
                "value": ["group_id", "Escalated: {{ticket.title}}", "#{{ticket.id}} needs you"],
            }
        ],
    }
    _ok(admin.post("/api/v2/triggers.json", {"trigger": trigger}), 201)
    ticket = _ticket(admin, subject="Cannot push")
    _ok(admin.put(f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"group_id": group}}))
    with reading(desk.engine) as conn:
        mails = [row.payload for row in conn.execute(select(outbox).where(outbox.c.destination == "pat@desk.test"))]
    assert mails == [
        {
            "to": "pat@desk.test",
            "ticket_id": ticket["id"],
            "subject": "Escalated: Cannot push",
            "body": f"#{ticket['id']} needs you",
            "message_key": mails[0]["message_key"],
        }
    ]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (
            {
                "title": "x",
                "conditions": {"all": [{"field": "mood", "operator": "is", "value": "bad"}]},
                "actions": [{"field": "status", "value": "open"}],
            },
            "conditions.all[0].field",
        ),
        (
            {
                "title": "x",
                "conditions": {"all": [{"field": "status", "operator": "bigger", "value": "open"}]},
                "actions": [{"field": "status", "value": "open"}],
            },
            "conditions.all[0].operator",
        ),
        (
            {
                "title": "x",
                "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}]},
                "actions": [{"field": "launch_rocket", "value": "1"}],
            },
            "actions[0].field",
        ),
        (
            {
                "title": "x",
                "conditions": {"all": [{"field": "status", "operator": "is", "value": "weird"}]},
                "actions": [{"field": "status", "value": "open"}],
            },
            "conditions.all[0].value",
        ),
    ],
)
def test_a_rule_with_unknown_vocabulary_is_refused_and_nothing_saved(
    desk: Desk, body: dict[str, Any], where: str
) -> None:
    response = desk.admin.post("/api/v2/triggers.json", {"trigger": body})
    assert response.status_code == 422, response.text
    assert where in response.json()["details"]
    assert _rule_count(desk) == 0


def test_an_automation_that_does_not_nullify_itself_is_refused(desk: Desk) -> None:
    looping = {
        "title": "Nag about pending tickets",
        "conditions": {
            "all": [
                {"field": "status", "operator": "is", "value": "pending"},
                {"field": "PENDING", "operator": "greater_than", "value": "24"},
            ]
        },
        "actions": [{"field": "priority", "value": "high"}],
    }
    response = desk.admin.post("/api/v2/automations.json", {"automation": looping})
    assert response.status_code == 422
    assert "nullif" in str(response.json()["details"]["actions"])
    assert _rule_count(desk) == 0


def test_an_automation_fires_at_the_exact_hour(desk: Desk) -> None:
    admin = desk.admin
    automation = {
        "title": "Bump tickets pending for two days",
        "conditions": {
            "all": [
                {"field": "status", "operator": "is", "value": "pending"},
                {"field": "PENDING", "operator": "greater_than", "value": "48"},
                {"field": "current_tags", "operator": "not_includes", "value": "bumped"},
            ]
        },
        "actions": [{"field": "current_tags", "value": "bumped"}],
    }
    _ok(admin.post("/api/v2/automations.json", {"automation": automation}), 201)
    ticket = _ticket(admin, status="pending")
    _advance(desk, 2 * DAY - 1)
    assert _ok(admin.get(f"/api/v2/tickets/{ticket['id']}.json"))["ticket"]["tags"] == []
    _advance(desk, 1)
    shown = _ok(admin.get(f"/api/v2/tickets/{ticket['id']}.json"))["ticket"]
    assert shown["tags"] == ["bumped"]
    assert shown["updated_at"] == "2026-03-04T09:00:00Z"


def test_automation_updates_of_one_ticket_stop_at_one_hundred(desk: Desk) -> None:
    admin = desk.admin
    # Each rule nullifies itself but re-arms the other: an hourly ping-pong that never ends alone.
    ping = {
        "title": "ping",
        "conditions": {
            "all": [
                {"field": "current_tags", "operator": "includes", "value": "pong"},
                {"field": "updated_at", "operator": "greater_than", "value": "1"},
            ]
        },
        "actions": [{"field": "remove_tags", "value": "pong"}, {"field": "current_tags", "value": "ping"}],
    }
    pong = {
        "title": "pong",
        "conditions": {
            "all": [
                {"field": "current_tags", "operator": "includes", "value": "ping"},
                {"field": "updated_at", "operator": "greater_than", "value": "1"},
            ]
        },
        "actions": [{"field": "remove_tags", "value": "ping"}, {"field": "current_tags", "value": "pong"}],
    }
    for automation in (ping, pong):
        _ok(admin.post("/api/v2/automations.json", {"automation": automation}), 201)
    ticket = _ticket(admin, tags=["ping"])
    _advance(desk, 300 * 3600)
    with reading(desk.engine) as conn:
        updates = conn.execute(
            select(ticket_clocks.c.automation_updates).where(ticket_clocks.c.ticket_id == ticket["id"])
        ).scalar_one()
    assert updates == 100
    audits = _ok(admin.get(f"/api/v2/tickets/{ticket['id']}/audits.json"))
    assert audits["count"] == 101  # the create, then exactly 100 automation updates


def test_macros_apply_without_saving_and_personal_macros_stay_personal(desk: Desk) -> None:
    admin = desk.admin
    agent = desk.user("Ann Agent", "ann@desk.test", role="agent")
    other = desk.user("Oz Other", "oz@desk.test", role="agent")
    macro = {
        "title": "Support::Ask for logs",
        "actions": [
            {"field": "status", "value": "pending"},
            {"field": "current_tags", "value": "needs_logs"},
            {
                "field": "comment_value",
                "value": "Hi {{ticket.requester.first_name}}, could you send the logs for #{{ticket.id}}?",
            },
            {"field": "comment_mode_is_public", "value": "true"},
        ],
        "restriction": {"type": "User", "id": agent.user_id},
    }
    macro_id = _ok(agent.post("/api/v2/macros.json", {"macro": macro}), 201)["macro"]["id"]
    assert [m["id"] for m in _ok(other.get("/api/v2/macros.json"))["macros"]] == []
    assert other.get(f"/api/v2/macros/{macro_id}.json").status_code == 404
    shared = {**macro, "restriction": None, "title": "Shared"}
    assert agent.post("/api/v2/macros.json", {"macro": shared}).status_code == 403

    ticket = _ticket(admin, requester={"email": "sam@customer.test", "name": "Sam Jones"})
    result = _ok(agent.get(f"/api/v2/tickets/{ticket['id']}/macros/{macro_id}/apply.json"))["result"]
    assert result["ticket"]["status"] == "pending"
    assert result["ticket"]["tags"] == ["needs_logs"]
    assert result["comment"]["body"] == f"Hi Sam, could you send the logs for #{ticket['id']}?"
    assert result["comment"]["public"] is True
    assert _ok(admin.get(f"/api/v2/tickets/{ticket['id']}.json"))["ticket"]["status"] == "new"  # nothing saved
    changes = _ok(agent.get(f"/api/v2/macros/{macro_id}/apply.json"))["result"]["ticket"]
    assert changes == {"status": "pending", "tags": ["needs_logs"]}


def test_builtins_are_configurable_and_checked(desk: Desk) -> None:
    admin = desk.admin
    shown = _ok(admin.get("/api/opsdesk/builtins"))["builtins"]
    assert shown["pending_autosolve_hours"] == 120
    assert shown["solved_autoclose_hours"] == 96
    bad = admin.put("/api/opsdesk/builtins", {"builtins": {"solved_autoclose_hours": None, "colour": "red"}})
    assert bad.status_code == 422
    assert set(bad.json()["details"]) == {"solved_autoclose_hours", "colour"}
    _ok(admin.put("/api/opsdesk/builtins", {"builtins": {"pending_autosolve_hours": 24}}))
    ticket = _ticket(admin, status="pending")
    _advance(desk, DAY)
    assert _ok(admin.get(f"/api/v2/tickets/{ticket['id']}.json"))["ticket"]["status"] == "solved"


def test_group_macros_are_seen_by_the_group_only(desk: Desk) -> None:
    admin = desk.admin
    group = _ok(admin.post("/api/v2/groups.json", {"group": {"name": "Platform experts"}}), 201)["group"]["id"]
    member = desk.user("Mo Member", "mo@desk.test", role="agent")
    outsider = desk.user("Ola Outsider", "ola@desk.test", role="agent")
    membership = {"group_membership": {"user_id": member.user_id, "group_id": group}}
    _ok(admin.post("/api/v2/group_memberships.json", membership), 201)
    macro = {
        "title": "Experts::Take it",
        "actions": [{"field": "assignee_id", "value": "current_user"}],
        "restriction": {"type": "Group", "ids": [group]},
    }
    macro_id = _ok(admin.post("/api/v2/macros.json", {"macro": macro}), 201)["macro"]["id"]
    assert [m["id"] for m in _ok(member.get("/api/v2/macros.json"))["macros"]] == [macro_id]
    assert _ok(outsider.get("/api/v2/macros.json"))["macros"] == []
    ticket = _ticket(admin)
    applied = _ok(member.get(f"/api/v2/tickets/{ticket['id']}/macros/{macro_id}/apply.json"))["result"]["ticket"]
    assert applied["assignee_id"] == member.user_id


def test_an_automation_notifies_a_webhook_exactly_two_hours_before_the_sla_breach(desk: Desk) -> None:
    """Seed 003's "Premium important ticket slack notification", written as the Zendesk automation."""
    admin = desk.admin
    targets = [
        {"priority": p, "metric": "first_reply_time", "target": 240} for p in ("low", "normal", "high", "urgent")
    ]
    _ok(admin.post("/api/v2/slas/policies.json", {"sla_policy": {"title": "All", "policy_metrics": targets}}), 201)
    hook = {"name": "Slack", "endpoint": "http://127.0.0.1:9/hook", "subscriptions": ["conditional_ticket_events"]}
    webhook_id = _ok(admin.post("/api/v2/webhooks.json", {"webhook": hook}), 201)["webhook"]["id"]
    automation = {
        "title": "Premium important ticket slack notification",
        "conditions": {
            "all": [
                {"field": "current_tags", "operator": "includes", "value": "premium"},
                {"field": "current_tags", "operator": "not_includes", "value": "breach_warned"},
                {"field": "until_sla_next_breach_at", "operator": "less_than", "value": "2"},
            ]
        },
        "actions": [
            {"field": "notification_webhook", "value": [webhook_id, '{"text": "#{{ticket.id}} breaches in 2 hours"}']},
            {"field": "current_tags", "value": "breach_warned"},
        ],
    }
    _ok(admin.post("/api/v2/automations.json", {"automation": automation}), 201)
    ticket = _ticket(admin, tags=["premium"])  # 09:00: the first reply is due at 13:00

    def sent() -> list[Any]:
        with reading(desk.engine) as conn:
            query = select(outbox.c.payload).where(outbox.c.channel == "webhook", outbox.c.destination == webhook_id)
            return list(conn.execute(query).scalars())

    _advance(desk, 2 * 3600 - 1)
    assert sent() == []
    _advance(desk, 1)
    assert sent() == [{"text": f"#{ticket['id']} breaches in 2 hours"}]
    _advance(desk, 3 * 3600)
    assert len(sent()) == 1


def test_a_deactivated_trigger_stops_firing(desk: Desk) -> None:
    admin = desk.admin
    trigger = {
        "title": "Tag everything",
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
        "actions": [{"field": "current_tags", "value": "seen"}],
    }
    trigger_id = _ok(admin.post("/api/v2/triggers.json", {"trigger": trigger}), 201)["trigger"]["id"]
    assert _ticket(admin)["tags"] == ["seen"]
    assert (
        _ok(admin.put(f"/api/v2/triggers/{trigger_id}.json", {"trigger": {"active": False}}))["trigger"]["active"]
        is False
    )
    assert _ticket(admin)["tags"] == []
    assert [t["id"] for t in _ok(admin.get("/api/v2/triggers/active.json"))["triggers"]] == []
    assert admin.put(f"/api/v2/triggers/{trigger_id}.json", {"trigger": {"active": "no"}}).status_code == 422

"""SLA policies through `/api/v2/slas/policies`: first match wins, targets per priority, metrics on
`include=slas`, and open tickets re-measured when a policy or the schedule changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, func, select

from opsdesk.core.db.uow import reading, writing
from opsdesk.sla.tables import sla_policies, ticket_clocks
from tests.integration.conftest import Api, Desk


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _policy(title: str, minutes: int, *, business: bool = False, **extra: Any) -> dict[str, Any]:
    metrics = [
        {"priority": p, "metric": m, "target": minutes, "business_hours": business}
        for p in ("low", "normal", "high", "urgent")
        for m in ("first_reply_time", "requester_wait_time")
    ]
    return {"sla_policy": {"title": title, "policy_metrics": metrics, **extra}}


def _metrics(agent: Api, ticket_id: int) -> dict[str, dict[str, Any]]:
    ticket = _ok(agent.get(f"/api/v2/tickets/{ticket_id}", include="slas"))["ticket"]
    return {m["metric"]: m for m in ticket["slas"]["policy_metrics"]}


def _ticket(agent: Api, **values: Any) -> int:
    body = {"ticket": {"subject": "Slow", "comment": {"body": "It is slow."}, **values}}
    ticket_id: int = _ok(agent.post("/api/v2/tickets", body), 201)["ticket"]["id"]
    return ticket_id


def test_first_matching_policy_by_position_sets_breach_times(desk: Desk) -> None:
    admin = desk.admin
    vip = _policy(
        "VIP",
        30,
        filter={"all": [{"field": "current_tags", "operator": "includes", "value": "vip"}], "any": []},
    )
    _ok(admin.post("/api/v2/slas/policies", vip), 201)
    _ok(admin.post("/api/v2/slas/policies", _policy("Everyone", 480)), 201)
    listed = _ok(admin.get("/api/v2/slas/policies"))["sla_policies"]
    assert [p["title"] for p in listed] == ["VIP", "Everyone"]

    vip_ticket = _ticket(admin, tags=["vip"])
    plain_ticket = _ticket(admin)
    assert _metrics(admin, vip_ticket)["first_reply_time"]["breach_at"] == "2026-03-02T09:30:00Z"
    assert _metrics(admin, plain_ticket)["first_reply_time"]["breach_at"] == "2026-03-02T17:00:00Z"
    assert _metrics(admin, plain_ticket)["first_reply_time"]["minutes"] == 0
    assert _metrics(admin, plain_ticket)["first_reply_time"]["hours"] == 8


def test_pending_pauses_requester_wait_and_a_public_reply_achieves_first_reply(desk: Desk) -> None:
    admin = desk.admin
    _ok(admin.post("/api/v2/slas/policies", _policy("Everyone", 120)), 201)
    requester = desk.user("Rita", "rita@customer.test", role="end-user")
    ticket_id = _ok(
        requester.post("/api/v2/requests", {"request": {"subject": "Down", "comment": {"body": "Down!"}}}), 201
    )["request"]["id"]
    _ok(admin.post("/api/test/clock", {"advance_seconds": 1800}))
    reply = {"ticket": {"status": "pending", "comment": {"body": "Can you retry?", "public": True}}}
    _ok(admin.put(f"/api/v2/tickets/{ticket_id}", reply))
    metrics = _metrics(admin, ticket_id)
    assert metrics["first_reply_time"]["stage"] == "achieved"
    assert metrics["requester_wait_time"] == {"breach_at": None, "stage": "paused", "metric": "requester_wait_time"}
    _ok(admin.post("/api/test/clock", {"advance_seconds": 3600}))
    _ok(requester.put(f"/api/v2/requests/{ticket_id}", {"request": {"comment": {"body": "Still down."}}}))
    # 30 minutes counted before the pause, 90 left from 10:30.
    assert _metrics(admin, ticket_id)["requester_wait_time"]["breach_at"] == "2026-03-02T12:00:00Z"


def test_changing_a_policy_re_measures_open_tickets(desk: Desk) -> None:
    admin = desk.admin
    policy_id = _ok(admin.post("/api/v2/slas/policies", _policy("Everyone", 60)), 201)["sla_policy"]["id"]
    open_ids = [_ticket(admin) for _ in range(3)]
    solved = _ticket(admin, status="solved")
    _ok(admin.put(f"/api/v2/slas/policies/{policy_id}", _policy("Everyone", 240)))
    for ticket_id in open_ids:
        assert _metrics(admin, ticket_id)["first_reply_time"]["breach_at"] == "2026-03-02T13:00:00Z"
    assert _metrics(admin, solved)["first_reply_time"]["breach_at"] is None


def test_changing_the_schedule_re_measures_business_hour_targets(desk: Desk) -> None:
    admin = desk.admin
    schedule = _ok(
        admin.post("/api/v2/business_hours/schedules", {"schedule": {"name": "Support", "time_zone": "UTC"}}), 201
    )["schedule"]
    _ok(admin.post("/api/v2/slas/policies", _policy("Everyone", 480, business=True)), 201)
    ticket_id = _ticket(admin)
    assert _metrics(admin, ticket_id)["first_reply_time"]["breach_at"] == "2026-03-02T17:00:00Z"
    # Mondays now open 09:00-13:00 only: 4 h on Monday, 4 h on Tuesday.
    intervals = [{"start_time": 1980, "end_time": 2220}] + [
        {"start_time": day * 1440 + 540, "end_time": day * 1440 + 1020} for day in range(2, 6)
    ]
    _ok(
        admin.put(f"/api/v2/business_hours/schedules/{schedule['id']}/workweek", {"workweek": {"intervals": intervals}})
    )
    assert _metrics(admin, ticket_id)["first_reply_time"]["breach_at"] == "2026-03-03T13:00:00Z"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"sla_policy": {"title": "x", "policy_metrics": [{"priority": "normal", "metric": "speed", "target": 5}]}},
            "policy_metrics[0]",
        ),
        (
            {
                "sla_policy": {
                    "title": "x",
                    "policy_metrics": [{"priority": "normal", "metric": "first_reply_time", "target": 0}],
                }
            },
            "policy_metrics[0]",
        ),
        (
            {
                "sla_policy": {
                    "title": "",
                    "policy_metrics": [{"priority": "normal", "metric": "first_reply_time", "target": 5}],
                }
            },
            "title",
        ),
        (
            {
                "sla_policy": {
                    "title": "x",
                    "filter": {"all": [{"field": "planet", "operator": "is", "value": "mars"}]},
                    "policy_metrics": [{"priority": "normal", "metric": "first_reply_time", "target": 5}],
                }
            },
            "filter.all[0].field",
        ),
    ],
)
def test_bad_policies_are_refused_and_nothing_saved(desk: Desk, body: dict[str, Any], field: str) -> None:
    response = desk.admin.post("/api/v2/slas/policies", body)
    assert response.status_code == 422, response.text
    assert field in response.json()["details"]
    with reading(desk.engine) as conn:
        assert conn.execute(select(func.count()).select_from(sla_policies)).scalar_one() == 0


def test_only_admins_change_policies(desk: Desk) -> None:
    agent = desk.user("Ann", "ann@desk.test", role="agent")
    assert agent.post("/api/v2/slas/policies", _policy("Mine", 5)).status_code == 403
    assert agent.get("/api/v2/slas/policies").status_code == 200


def test_tickets_without_clocks_get_the_policy_when_it_changes(desk: Desk) -> None:
    """Bulk-loaded tickets (and tickets from before SLAs) have no clocks row until a policy reaches them."""
    admin = desk.admin
    ticket_id = _ticket(admin)
    with writing(desk.engine) as conn:
        conn.execute(delete(ticket_clocks).where(ticket_clocks.c.ticket_id == ticket_id))
    _ok(admin.post("/api/v2/slas/policies", _policy("Everyone", 90)), 201)
    assert _metrics(admin, ticket_id)["first_reply_time"]["breach_at"] == "2026-03-02T10:30:00Z"


def test_definitions_list_what_a_policy_filter_may_use(desk: Desk) -> None:
    definitions = _ok(desk.admin.get("/api/v2/slas/policies/definitions"))["definitions"]
    by_subject = {d["subject"]: d for d in definitions["all"]}
    assert [o["value"] for o in by_subject["status"]["operators"]] == ["is", "is_not", "less_than", "greater_than"]
    assert [v["value"] for v in by_subject["priority"]["values"]] == ["low", "normal", "high", "urgent"]
    assert "update_type" not in by_subject  # about an update, not a ticket

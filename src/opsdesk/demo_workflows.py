"""The demo's business hours, SLA policies, triggers, automations, macros and built-ins: the
seeds' workflows (GitLab's premium SLAs and breach notices, cloud.gov's Tier 1 routing and
end-of-day acknowledgement), set up the way an admin would through the API."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from opsdesk.calendars import service as calendars_service
from opsdesk.rules import repo as rules_repo
from opsdesk.rules import service as rules_service
from opsdesk.rules.builtins import DEMO_BUILTINS, builtins_json
from opsdesk.rules.model import RuleKind
from opsdesk.sla import service as sla_service
from opsdesk.tickets.access import Viewer

PRIORITIES = ("low", "normal", "high", "urgent")
REMINDER = (
    "Hi {{ticket.requester.first_name}}, we are waiting for your reply on"
    ' "{{ticket.title}}". Without one, the ticket is solved in 4 days.'
)


def _targets(metric: str, minutes: Sequence[int]) -> list[dict[str, Any]]:
    return [
        {"priority": p, "metric": metric, "target": m, "business_hours": True}
        for p, m in zip(PRIORITIES, minutes, strict=True)
    ]


def _is(field: str, value: object) -> dict[str, Any]:
    return {"field": field, "operator": "is", "value": value}


def create_workflows(
    conn: Connection, admin: Viewer, *, group_ids: dict[str, int], premium_org_ids: Sequence[int], now: datetime
) -> None:
    calendars_service.create_schedule(
        conn, actor=admin, values={"name": "Support hours", "time_zone": "America/New_York"}, now=now
    )
    premium = {"all": [{"field": "current_tags", "operator": "includes", "value": "premium"}], "any": []}
    for title, filter_, first, later in (
        ("Premium", premium, (240, 120, 60, 30), (480, 240, 120, 60)),
        ("Standard", {"all": [], "any": []}, (960, 480, 240, 60), (1440, 960, 480, 120)),
    ):
        sla_service.create_policy(
            conn,
            actor=admin,
            values={
                "title": title,
                "filter": filter_,
                "policy_metrics": _targets("first_reply_time", first) + _targets("next_reply_time", later),
            },
            now=now,
        )
    triggers: list[dict[str, Any]] = [
        {
            "title": "Route new tickets to Tier 1",
            "conditions": {"all": [_is("update_type", "Create"), _is("group_id", "")], "any": []},
            "actions": [{"field": "group_id", "value": str(group_ids["Tier 1"])}],
        },
        {
            "title": "Premium organizations' tickets are premium",
            "conditions": {
                "all": [_is("update_type", "Create")],
                "any": [_is("organization_id", str(org_id)) for org_id in premium_org_ids],
            },
            "actions": [{"field": "current_tags", "value": "premium"}],
        },
    ]
    automations: list[dict[str, Any]] = [
        {
            "title": "Remind the requester after a day in pending",
            "conditions": {"all": [_is("status", "pending"), _is("PENDING", 24)], "any": []},
            "actions": [
                {
                    "field": "notification_user",
                    "value": [
                        "requester_id",
                        "[#{{ticket.id}}] Waiting for your reply",
                        REMINDER,
                    ],
                }
            ],
        }
    ]
    macros: list[dict[str, Any]] = [
        {
            "title": "Support::Ask for logs",
            "actions": [
                {"field": "status", "value": "pending"},
                {
                    "field": "comment_value",
                    "value": "Hi {{ticket.requester.first_name}}, could you send us the logs of the failing job?",
                },
            ],
        },
        {
            "title": "Support::Escalate to Platform experts",
            "actions": [
                {"field": "group_id", "value": str(group_ids["Platform experts"])},
                {"field": "comment_value", "value": "Escalating: needs a technical diagnosis."},
                {"field": "comment_mode_is_public", "value": "false"},
            ],
        },
        {
            "title": "Support::Solved, no further action",
            "actions": [
                {"field": "status", "value": "solved"},
                {"field": "comment_value", "value": "Glad this is sorted, {{ticket.requester.first_name}}!"},
            ],
        },
    ]
    for kind, rules in ((RuleKind.TRIGGER, triggers), (RuleKind.AUTOMATION, automations), (RuleKind.MACRO, macros)):
        for values in rules:
            rules_service.create_rule(conn, actor=admin, kind=kind, values=values, now=now)
    rules_repo.put_setting(conn, rules_service.BUILTINS, builtins_json(DEMO_BUILTINS), now)

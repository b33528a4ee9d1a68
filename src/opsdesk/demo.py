"""The demo data set: a small, realistic support desk built from the seeds, through the services.

Organizations cover all five sharing options of seed 003; the groups are cloud.gov's "Tier 1" and
"Platform experts"; the forms are GitLab's "Support" and "Support Ops". Tickets span the last
30 days in every status, with public replies and internal notes. Seeded, so every load is the same.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from opsdesk.core.db.uow import writing
from opsdesk.demo_workflows import create_workflows
from opsdesk.forms import service as forms_service
from opsdesk.groups import service as groups_service
from opsdesk.organizations import service as orgs_service
from opsdesk.tickets import service as tickets_service
from opsdesk.tickets.access import Viewer
from opsdesk.tickets.model import Channel, CommentDraft, Status
from opsdesk.users import repo as users_repo
from opsdesk.users import service as users_service
from opsdesk.views import service as views_service

DEMO_PASSWORD = "opsdesk-demo"  # noqa: S105 - published demo login
DEMO_ADMIN_TOKEN = "opsdesk-demo-token"  # noqa: S105 - published demo token
ADMIN_EMAIL = "admin@opsdesk.test"
SHARE_OF_EXPERT_TICKETS = 0.25
SHARE_OF_PREMIUM_TICKETS = 0.2

# (name, domain, shared_tickets, shared_comments, the sharing option of seed 003 it shows)
ORGANIZATIONS = (
    ("Initech", "initech.example", False, False, "Users can view and edit their own tickets only"),
    ("Globex", "globex.example", True, False, "All users can view all tickets but not add comments"),
    ("Umbrella", "umbrella.example", True, True, "All users can view all tickets and add comments"),
    ("Hooli", "hooli.example", False, False, "Only selected users can view all org's tickets"),
    (
        "Stark Industries",
        "stark.example",
        False,
        False,
        "Only selected users can view and comment on all org's tickets",
    ),
)

# (name, email, ticket_restriction, shared_comments): None follows the organization
END_USERS: tuple[tuple[str, str, str | None, bool | None], ...] = (
    ("Ian Initech", "ian@initech.example", None, None),
    ("Irene Initech", "irene@initech.example", None, None),
    ("Gina Globex", "gina@globex.example", None, None),
    ("Gus Globex", "gus@globex.example", None, None),
    ("Uma Umbrella", "uma@umbrella.example", None, None),
    ("Ulf Umbrella", "ulf@umbrella.example", None, None),
    ("Hank Hooli", "hank@hooli.example", "organization", False),
    ("Hazel Hooli", "hazel@hooli.example", None, None),
    ("Pepper Stark", "pepper@stark.example", "organization", True),
    ("Tony Stark", "tony@stark.example", None, None),
    ("Fay Freelancer", "fay@freelance.example", None, None),
)

AGENTS = (
    ("Tina Tier1", "tina.tier1@opsdesk.test", "Tier 1", None),
    ("Tom Tier1", "tom.tier1@opsdesk.test", "Tier 1", None),
    ("Rhea Restricted", "rhea.restricted@opsdesk.test", "Tier 1", "groups"),
    ("Pete Platform", "pete.platform@opsdesk.test", "Platform experts", None),
    ("Priya Platform", "priya.platform@opsdesk.test", "Platform experts", None),
)

SUBJECTS = (
    "Cannot push to repository: pre-receive hook declined",
    "CI pipeline stuck in pending",
    "SAML SSO login loops back to sign-in page",
    "Request to change support portal contact",
    "Runner registration token expired",
    "Upgrade from 16.x failed with migration error",
    "Billing seat count looks wrong",
    "Container registry cleanup policy not running",
    "Route to app returns 502 after deploy",
    "Need a larger memory quota for our org",
    "Service broker provision request stuck",
    "Compliance: request for our FedRAMP package",
    "Emergency: production instance down",
    "Webhook deliveries failing with timeout",
    "How do I rotate my deploy keys?",
)

REPLIES = (
    "Thanks for reaching out. Could you share the exact error message and a timestamp?",
    "We have reproduced this and are looking into it.",
    "This is fixed on our side; please try again and let us know.",
    "Can you send us the output of the diagnostics command?",
    "We have escalated this to our platform experts.",
)

NOTES = (
    "Checked the logs: the request hits a rate limit upstream.",
    "Escalating to Platform experts; looks like a quota problem.",
    "Customer is on the premium plan, watch the SLA.",
    "Possible duplicate of an earlier ticket from the same org.",
)

CUSTOMER_FOLLOWUPS = (
    "Here is the error: 'remote: GitLab: pre-receive hook declined'.",
    "Still failing for us, sadly.",
    "That worked, thank you!",
    "Attached the output you asked for.",
)


PREMIUM_ORGANIZATIONS = frozenset({"Umbrella", "Stark Industries"})


def load_demo(engine: Engine, now: datetime, *, tickets: int = 200) -> bool:
    """Load the demo once; returns False when the database already holds it."""
    with writing(engine) as conn:
        if users_repo.get_user_by_email(conn, ADMIN_EMAIL) is not None:
            return False
        _build(conn, now, tickets)
    return True


def _viewer(conn: Connection, user_id: int) -> Viewer:
    viewer = users_service.load_viewer(conn, user_id)
    assert viewer is not None
    return viewer


def _build(conn: Connection, now: datetime, ticket_count: int) -> None:  # noqa: C901, PLR0915 - one linear script
    rng = random.Random(20260302)  # noqa: S311 - demo data, not security
    start = now - timedelta(days=30)
    admin = users_service.create_user(
        conn,
        actor=None,
        values={
            "name": "Ada Admin",
            "email": ADMIN_EMAIL,
            "role": "admin",
            "password": DEMO_PASSWORD,
            "verified": True,
        },
        now=start,
    )
    users_service.issue_token(conn, user_id=admin.id, token=DEMO_ADMIN_TOKEN, now=start, description="demo")
    admin_viewer = _viewer(conn, admin.id)
    group_ids = {
        name: groups_service.create_group(
            conn, actor=admin_viewer, values={"name": name, "description": text}, now=start
        ).id
        for name, text in (
            ("Tier 1", "First responders for every new ticket"),
            ("Platform experts", "Second tier: technical diagnoses and advice"),
        )
    }
    agent_ids: dict[str, list[int]] = {name: [] for name in group_ids}
    for name, email, group, restriction in AGENTS:
        agent_user = users_service.create_user(
            conn,
            actor=None,
            values={
                "name": name,
                "email": email,
                "role": "agent",
                "password": DEMO_PASSWORD,
                "ticket_restriction": restriction,
                "verified": True,
            },
            now=start,
        )
        groups_service.add_agent_to_group(conn, user_id=agent_user.id, group_id=group_ids[group], now=start)
        if restriction is None:  # a restricted agent cannot pick up unassigned tickets
            agent_ids[group].append(agent_user.id)
    premium_org_ids = []
    for name, domain, shared_tickets, shared_comments, option in ORGANIZATIONS:
        organization = orgs_service.create_organization(
            conn,
            actor=admin_viewer,
            values={
                "name": name,
                "domain_names": [domain],
                "shared_tickets": shared_tickets,
                "shared_comments": shared_comments,
                "notes": option,
                "external_id": f"sfdc-{domain.split('.')[0]}",
                "tags": ["premium"] if name in PREMIUM_ORGANIZATIONS else ["standard"],
            },
            now=start,
        )
        if name in PREMIUM_ORGANIZATIONS:
            premium_org_ids.append(organization.id)
    requester_ids = []
    for name, email, restriction, user_shared_comments in END_USERS:
        user = users_service.create_user(
            conn,
            actor=None,
            values={
                "name": name,
                "email": email,
                "password": DEMO_PASSWORD,
                "ticket_restriction": restriction,
                "shared_comments": user_shared_comments,
                "verified": True,
            },
            now=start,
        )
        requester_ids.append(user.id)
    _create_views(conn, admin_viewer, group_ids, start)
    create_workflows(conn, admin_viewer, group_ids=group_ids, premium_org_ids=premium_org_ids, now=start)
    problem = forms_service.create_field(
        conn,
        actor=admin_viewer,
        values={
            "type": "tagger",
            "title": "Problem type",
            "custom_field_options": [
                {"name": "Bug", "value": "problem_bug"},
                {"name": "How-to", "value": "problem_howto"},
                {"name": "Outage", "value": "problem_outage"},
                {"name": "Account", "value": "problem_account"},
            ],
        },
        now=start,
    )
    criticality = forms_service.create_field(
        conn,
        actor=admin_viewer,
        values={
            "type": "tagger",
            "title": "System criticality",
            "custom_field_options": [
                {"name": "Mission Critical", "value": "mission_critical"},
                {"name": "Business Critical", "value": "business_critical"},
                {"name": "Business Operational", "value": "business_operational"},
                {"name": "Administrative", "value": "administrative"},
            ],
        },
        now=start,
    )
    seats = forms_service.create_field(
        conn, actor=admin_viewer, values={"type": "integer", "title": "Number of seats"}, now=start
    )
    reference = forms_service.create_field(
        conn,
        actor=admin_viewer,
        values={"type": "regexp", "title": "Customer reference", "regexp_for_validation": r"[A-Z]{3}-\d{4}"},
        now=start,
    )
    support_form = forms_service.create_form(
        conn,
        actor=admin_viewer,
        values={"name": "Support", "default": True, "ticket_field_ids": [problem.id, seats.id, reference.id]},
        now=start,
    )
    ops_form = forms_service.create_form(
        conn,
        actor=admin_viewer,
        values={"name": "Support Ops", "ticket_field_ids": [criticality.id], "position": 1},
        now=start,
    )
    for index in range(ticket_count):
        created = start + timedelta(minutes=rng.randint(0, 29 * 24 * 60))
        requester_id = rng.choice(requester_ids)
        requester = _viewer(conn, requester_id)
        ops = index % 9 == 0
        values: dict[str, Any] = {
            "subject": rng.choice(SUBJECTS),
            "priority": rng.choice(("low", "normal", "normal", "normal", "high", "urgent")),
            "type": rng.choice(("question", "question", "incident", "problem", "task")),
            "ticket_form_id": ops_form.id if ops else support_form.id,
        }
        result = tickets_service.create_ticket(
            conn,
            actor=requester,
            values=values,
            comment=CommentDraft(body=f"{values['subject']}.\n\nWe need help with this, thanks."),
            requester=None,
            via=rng.choice((Channel.EMAIL, Channel.EMAIL, Channel.WEB, Channel.API)),
            now=created,
        )
        ticket_id = result.ticket.id
        final = rng.choice(
            (
                Status.NEW,
                Status.OPEN,
                Status.OPEN,
                Status.PENDING,
                Status.HOLD,
                Status.SOLVED,
                Status.SOLVED,
                Status.CLOSED,
            )
        )
        if final is Status.NEW:
            continue
        group = "Platform experts" if ops or rng.random() < SHARE_OF_EXPERT_TICKETS else "Tier 1"
        agent_id = rng.choice(agent_ids[group])
        agent = _viewer(conn, agent_id)
        moment = min(created + timedelta(minutes=rng.randint(5, 600)), now)
        custom = (
            {
                str(criticality.id): rng.choice(
                    ["mission_critical", "business_critical", "business_operational", "administrative"]
                )
            }
            if ops
            else {str(problem.id): rng.choice(["problem_bug", "problem_howto", "problem_outage", "problem_account"])}
        )
        tickets_service.update_ticket(
            conn,
            actor=agent,
            ticket_id=ticket_id,
            values={
                "group_id": group_ids[group],
                "assignee_id": agent_id,
                "custom_fields": {int(k): v for k, v in custom.items()},
                "additional_tags": ["premium"] if rng.random() < SHARE_OF_PREMIUM_TICKETS else [],
            },
            comment=CommentDraft(body=rng.choice(NOTES), public=False),
            via=Channel.WEB,
            now=moment,
        )
        moment = min(moment + timedelta(minutes=rng.randint(5, 240)), now)
        tickets_service.update_ticket(
            conn,
            actor=agent,
            ticket_id=ticket_id,
            values={"status": Status.PENDING},
            comment=CommentDraft(body=rng.choice(REPLIES)),
            via=Channel.WEB,
            now=moment,
        )
        if final is Status.PENDING:
            continue
        moment = min(moment + timedelta(hours=rng.randint(1, 48)), now)
        tickets_service.update_ticket(
            conn,
            actor=requester,
            ticket_id=ticket_id,
            values={},
            comment=CommentDraft(body=rng.choice(CUSTOMER_FOLLOWUPS)),
            via=Channel.EMAIL,
            now=moment,
        )
        if final is Status.OPEN:
            continue
        moment = min(moment + timedelta(minutes=rng.randint(10, 300)), now)
        target = Status.HOLD if final is Status.HOLD else Status.SOLVED
        tickets_service.update_ticket(
            conn,
            actor=agent,
            ticket_id=ticket_id,
            values={"status": target},
            comment=CommentDraft(body="Solved: " + rng.choice(REPLIES)),
            via=Channel.WEB,
            now=moment,
        )
        if final is Status.CLOSED:
            tickets_service.update_ticket(
                conn,
                actor=None,
                ticket_id=ticket_id,
                values={"status": Status.CLOSED},
                comment=None,
                via=Channel.RULE,
                now=min(moment + timedelta(days=4), now),
            )


def _create_views(conn: Connection, admin: Viewer, group_ids: dict[str, int], now: datetime) -> None:
    unsolved = {"field": "status", "operator": "less_than", "value": "solved"}
    tier1, experts = group_ids["Tier 1"], group_ids["Platform experts"]
    definitions: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]] = [
        ("Your unsolved tickets", [{"field": "assignee_id", "operator": "is", "value": "current_user"}, unsolved], []),
        ("Unassigned tickets", [{"field": "assignee_id", "operator": "is", "value": ""}, unsolved], []),
        (
            "Unassigned Tier 1",
            [
                {"field": "group_id", "operator": "is", "value": str(tier1)},
                {"field": "assignee_id", "operator": "is", "value": ""},
                unsolved,
            ],
            [],
        ),
        (
            "New tickets in your groups",
            [
                {"field": "status", "operator": "is", "value": "new"},
                {"field": "group_id", "operator": "is", "value": "current_groups"},
            ],
            [],
        ),
        (
            "Premium, high priority",
            [
                {"field": "current_tags", "operator": "includes", "value": "premium"},
                {"field": "priority", "operator": "greater_than", "value": "normal"},
                unsolved,
            ],
            [],
        ),
        ("Platform experts queue", [{"field": "group_id", "operator": "is", "value": str(experts)}, unsolved], []),
        ("Pending tickets", [{"field": "status", "operator": "is", "value": "pending"}], []),
        ("Open for more than a day", [{"field": "OPEN", "operator": "greater_than", "value": "24"}], []),
        (
            "Urgent and high",
            [unsolved],
            [
                {"field": "priority", "operator": "is", "value": "urgent"},
                {"field": "priority", "operator": "is", "value": "high"},
            ],
        ),
        ("Recently solved", [{"field": "status", "operator": "is", "value": "solved"}], []),
        ("All unsolved tickets", [unsolved], []),
    ]
    for position, (title, every, some) in enumerate(definitions):
        views_service.create_view(
            conn,
            actor=admin,
            values={
                "title": title,
                "all": every,
                "any": some,
                "position": position,
                "output": {
                    "columns": ["status", "subject", "requester", "assignee", "updated"],
                    "sort_by": "updated_at",
                    "sort_order": "desc",
                },
            },
            now=now,
        )

"""What the finding-work benchmark asks of a desk loaded by `opsdesk demo --tickets N`: who asks,
the two searches, and the views beyond the demo's own that make 20.

The demo's people and groups are fixed (`opsdesk.demo`); their ids are read from the database.
"""

from dataclasses import dataclass
from typing import Any

from bench.finding_raw import RawDatabase

DEMO_ADMIN_EMAIL = "admin@opsdesk.test"
DEMO_ADMIN_TOKEN = "opsdesk-demo-token"  # noqa: S105 (the demo's published token)
AGENT_EMAIL = "tina.tier1@opsdesk.test"
VIEW_COUNT = 20  # count_many takes at most 20 ids
SEARCH_PAGE_SIZE = 100  # the API's default page of search results

# (label, query): free text narrowed by status, and two structured terms. "pipeline" is in one
# of the demo's 15 subjects ("CI pipeline stuck in pending") and in that ticket's first comment.
SEARCHES = (
    ("free text + status<solved", "pipeline status<solved"),
    ("tag + assignee", f"tags:premium assignee:{AGENT_EMAIL}"),
)


class WorkloadError(RuntimeError):
    """The database does not hold the demo this benchmark expects."""


@dataclass(frozen=True)
class DemoIds:
    admin: int
    agent: int
    tier1: int
    experts: int
    organization: int


def demo_ids(raw: RawDatabase) -> DemoIds:
    def one(sql: str, key: str) -> int:
        rows = raw.rows(sql, (key,))
        if len(rows) != 1:
            raise WorkloadError(f"the demo has no single {key!r} ({len(rows)} found): was it loaded?")
        return int(rows[0][0])

    return DemoIds(
        admin=one("SELECT id FROM users WHERE email = ?", DEMO_ADMIN_EMAIL),
        agent=one("SELECT id FROM users WHERE email = ?", AGENT_EMAIL),
        tier1=one("SELECT id FROM groups WHERE name = ?", "Tier 1"),
        experts=one("SELECT id FROM groups WHERE name = ?", "Platform experts"),
        organization=one("SELECT id FROM organizations WHERE name = ?", "Umbrella"),
    )


def _is(field: str, value: str, operator: str = "is") -> dict[str, str]:
    return {"field": field, "operator": operator, "value": value}


def extra_views(ids: DemoIds) -> list[dict[str, Any]]:
    """Views beyond the demo's, each with a different mix of the view vocabulary (`views.model`)."""
    unsolved = _is("status", "solved", "less_than")
    definitions: list[tuple[str, list[dict[str, str]], list[dict[str, str]]]] = [
        ("Tina's unsolved tickets", [_is("assignee_id", str(ids.agent)), unsolved], []),
        (
            "Tier 1, open, normal priority",
            [_is("group_id", str(ids.tier1)), _is("status", "open"), _is("priority", "normal")],
            [],
        ),
        (
            "Premium, below high priority",
            [_is("current_tags", "premium", "includes"), _is("priority", "high", "less_than"), unsolved],
            [],
        ),
        ("Standard customers, unsolved", [_is("current_tags", "premium", "not_includes"), unsolved], []),
        ("Incidents and problems", [unsolved], [_is("type", "incident"), _is("type", "problem")]),
        ("New by email", [_is("status", "new"), _is("via_id", "4")], []),
        ("Pending for over two days", [_is("PENDING", "48", "greater_than")], []),
        ("Updated in the last day", [_is("updated_at", "24", "less_than")], []),
        ("Umbrella, unsolved", [_is("organization_id", str(ids.organization)), unsolved], []),
        ("On hold outside Tier 1", [_is("status", "hold"), _is("group_id", str(ids.tier1), "is_not")], []),
    ]  # fmt: skip
    return [
        {
            "title": title,
            "all": every,
            "any": some,
            "output": {"columns": ["status", "subject", "requester", "updated"], "sort_by": "updated_at"},
        }
        for title, every, some in definitions
    ]

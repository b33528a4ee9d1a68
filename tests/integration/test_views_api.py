"""Views through the API: conditions, exact counts, access, and Zendesk's endpoints."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, Desk

UNSOLVED = {"field": "status", "operator": "less_than", "value": "solved"}


def _ticket(api: Api, **fields: Any) -> int:
    response = api.post("/api/v2/tickets.json", {"ticket": {"subject": "s", "comment": {"body": "b"}, **fields}})
    assert response.status_code == 201, response.text
    ticket_id: int = response.json()["ticket"]["id"]
    return ticket_id


def _view(
    api: Api, title: str, every: list[dict[str, Any]], some: list[dict[str, Any]] | None = None, **extra: Any
) -> int:
    response = api.post("/api/v2/views.json", {"view": {"title": title, "all": every, "any": some or [], **extra}})
    assert response.status_code == 201, response.text
    view_id: int = response.json()["view"]["id"]
    return view_id


@pytest.fixture
def queue(desk: Desk) -> dict[str, Any]:
    group = desk.admin.post("/api/v2/groups.json", {"group": {"name": "Tier 1"}}).json()["group"]["id"]
    agent = desk.user("Tina", "tina@desk.test", role="agent")
    desk.admin.post(
        "/api/v2/group_memberships.json", {"group_membership": {"user_id": agent.user_id, "group_id": group}}
    )
    mine = _ticket(desk.admin, assignee_id=agent.user_id, priority="urgent", tags=["premium"])
    unassigned = _ticket(desk.admin, group_id=group, priority="low")
    other = _ticket(desk.admin, priority="high")
    desk.admin.put(f"/api/v2/tickets/{other}.json", {"ticket": {"status": "solved"}})
    return {"group": group, "agent": agent, "mine": mine, "unassigned": unassigned, "other": other}


def _tickets(api: Api, view_id: int) -> list[int]:
    return [t["id"] for t in api.get(f"/api/v2/views/{view_id}/tickets.json").json()["tickets"]]


def _count(api: Api, view_id: int) -> int:
    body = api.get(f"/api/v2/views/{view_id}/count.json").json()["view_count"]
    assert body["fresh"] is True
    assert body["view_id"] == view_id
    value: int = body["value"]
    return value


def test_conditions_select_the_right_tickets(desk: Desk, queue: dict[str, Any]) -> None:
    agent: Api = queue["agent"]
    yours = _view(
        desk.admin, "Your unsolved", [{"field": "assignee_id", "operator": "is", "value": "current_user"}, UNSOLVED]
    )
    unassigned = _view(
        desk.admin,
        "Unassigned Tier 1",
        [
            {"field": "group_id", "operator": "is", "value": str(queue["group"])},
            {"field": "assignee_id", "operator": "is", "value": ""},
            UNSOLVED,
        ],
    )
    premium = _view(
        desk.admin,
        "Premium high",
        [
            {"field": "current_tags", "operator": "includes", "value": "premium"},
            {"field": "priority", "operator": "greater_than", "value": "normal"},
        ],
    )
    urgent_or_high = _view(
        desk.admin,
        "Urgent or high",
        [],
        [
            {"field": "priority", "operator": "is", "value": "urgent"},
            {"field": "priority", "operator": "is", "value": "high"},
        ],
    )
    assert _tickets(agent, yours) == [queue["mine"]]
    assert _tickets(desk.admin, yours) == []
    assert _tickets(agent, unassigned) == [queue["unassigned"]]
    assert _tickets(agent, premium) == [queue["mine"]]
    assert sorted(_tickets(agent, urgent_or_high)) == sorted([queue["mine"], queue["other"]])
    for view_id in (yours, unassigned, premium, urgent_or_high):
        assert _count(agent, view_id) == len(_tickets(agent, view_id))


def test_counts_are_current_not_cached(desk: Desk, queue: dict[str, Any]) -> None:
    view_id = _view(desk.admin, "All unsolved", [UNSOLVED])
    assert _count(desk.admin, view_id) == 2
    _ticket(desk.admin)
    assert _count(desk.admin, view_id) == 3
    desk.admin.put(f"/api/v2/tickets/{queue['mine']}.json", {"ticket": {"status": "solved"}})
    assert _count(desk.admin, view_id) == 2


def test_count_many_accepts_both_parameter_names(desk: Desk, queue: dict[str, Any]) -> None:
    a = _view(desk.admin, "A", [UNSOLVED])
    b = _view(desk.admin, "B", [{"field": "status", "operator": "is", "value": "solved"}])
    for name in ("ids", "count_many"):
        counts = desk.admin.get("/api/v2/views/count_many.json", **{name: f"{a},{b}"}).json()["view_counts"]
        assert [(c["view_id"], c["value"], c["fresh"]) for c in counts] == [(a, 2, True), (b, 1, True)]


def test_hours_since_conditions_follow_the_clock(desk: Desk, queue: dict[str, Any]) -> None:
    stale = _view(desk.admin, "Open over a day", [{"field": "OPEN", "operator": "greater_than", "value": "24"}])
    desk.admin.put(f"/api/v2/tickets/{queue['unassigned']}.json", {"ticket": {"status": "open"}})
    assert _count(desk.admin, stale) == 0
    desk.clock.advance(23 * 3600)
    assert _count(desk.admin, stale) == 0
    desk.clock.advance(2 * 3600)
    assert sorted(_tickets(desk.admin, stale)) == [queue["mine"], queue["unassigned"]], "both open for 25 hours"
    desk.admin.put(f"/api/v2/tickets/{queue['mine']}.json", {"ticket": {"status": "pending"}})
    assert _tickets(desk.admin, stale) == [queue["unassigned"]], "hours since open count only while open"


def test_restricted_agents_count_only_what_they_may_read(desk: Desk, queue: dict[str, Any]) -> None:
    rhea = desk.user("Rhea", "rhea@desk.test", role="agent", ticket_restriction="groups")
    desk.admin.post(
        "/api/v2/group_memberships.json", {"group_membership": {"user_id": rhea.user_id, "group_id": queue["group"]}}
    )
    everything = _view(desk.admin, "Everything", [{"field": "status", "operator": "less_than", "value": "closed"}])
    # "mine" joined Tier 1 with its assignee; "other" has no group, so Rhea may not read it.
    assert sorted(_tickets(rhea, everything)) == [queue["mine"], queue["unassigned"]]
    assert _count(rhea, everything) == 2
    assert _count(desk.admin, everything) == 3


def test_end_users_cannot_use_views(desk: Desk, queue: dict[str, Any]) -> None:
    view_id = _view(desk.admin, "All unsolved", [UNSOLVED])
    customer = desk.user("Cy", "cy@example.com")
    for path in (
        "/api/v2/views.json",
        f"/api/v2/views/{view_id}/tickets.json",
        f"/api/v2/views/{view_id}/count.json",
        f"/api/v2/views/count_many.json?ids={view_id}",
        f"/api/v2/views/{view_id}/execute.json",
    ):
        assert customer.get(path).status_code == 403, path


def test_personal_views_are_personal(desk: Desk, queue: dict[str, Any]) -> None:
    agent: Api = queue["agent"]
    mine = _view(agent, "Mine", [UNSOLVED], restriction={"type": "User", "id": agent.user_id})
    other = desk.user("Tom", "tom@desk.test", role="agent")
    assert other.get(f"/api/v2/views/{mine}.json").status_code == 404
    assert [v["id"] for v in agent.get("/api/v2/views.json").json()["views"]] == [mine]
    shared = agent.post("/api/v2/views.json", {"view": {"title": "Shared", "all": [UNSOLVED]}})
    assert shared.status_code == 403, "only admins share views with everyone"


@pytest.mark.parametrize(
    ("condition", "names"),
    [
        ({"field": "colour", "operator": "is", "value": "red"}, "colour"),
        ({"field": "status", "operator": "includes", "value": "open"}, "includes"),
        ({"field": "status", "operator": "is", "value": "bogus"}, "status"),
        ({"field": "OPEN", "operator": "greater_than", "value": "soon"}, "hours"),
        ({"field": "status"}, "operator"),
    ],
)
def test_bad_conditions_are_422_and_nothing_saved(desk: Desk, condition: dict[str, Any], names: str) -> None:
    response = desk.admin.post("/api/v2/views.json", {"view": {"title": "Bad", "all": [condition]}})
    assert response.status_code == 422
    assert names in str(response.json()["details"])
    assert desk.admin.get("/api/v2/views.json").json()["views"] == []


def test_execute_and_preview(desk: Desk, queue: dict[str, Any]) -> None:
    view_id = _view(
        desk.admin,
        "All unsolved",
        [UNSOLVED],
        output={"columns": ["subject", "status"], "sort_by": "created_at", "sort_order": "asc"},
    )
    executed = desk.admin.get(f"/api/v2/views/{view_id}/execute.json").json()
    assert [r["ticket_id"] for r in executed["rows"]] == [queue["mine"], queue["unassigned"]]
    assert [c["id"] for c in executed["columns"]] == ["subject", "status"]
    assert executed["count"] == 2
    preview = desk.admin.post(
        "/api/v2/views/preview.json", {"view": {"all": [{"field": "priority", "operator": "is", "value": "low"}]}}
    ).json()
    assert [r["ticket_id"] for r in preview["rows"]] == [queue["unassigned"]]
    counted = desk.admin.post("/api/v2/views/preview/count.json", {"view": {"all": [UNSOLVED]}}).json()
    assert counted["view_count"]["value"] == 2


def test_view_tickets_page_in_both_styles(desk: Desk) -> None:
    ids = [_ticket(desk.admin) for _ in range(5)]
    view_id = _view(desk.admin, "All", [UNSOLVED], output={"sort_by": "id", "sort_order": "asc"})
    seen: list[int] = []
    page = desk.admin.get(f"/api/v2/views/{view_id}/tickets.json", **{"page[size]": 2}).json()
    while True:
        seen += [t["id"] for t in page["tickets"]]
        if not page["meta"]["has_more"]:
            break
        page = desk.client.get(page["links"]["next"], headers=desk.admin.headers).json()
    assert seen == ids
    offset = desk.admin.get(f"/api/v2/views/{view_id}/tickets.json", per_page=2, page=3).json()
    assert [t["id"] for t in offset["tickets"]] == ids[4:]
    assert offset["count"] == 5


TRICKY_TAGS = [",", "a,b", 'say"hi"', "back\\slash", "[x]", "ünï", "premium_support", "50%", "a", "b"]


def test_tag_conditions_match_whole_tags_only(desk: Desk) -> None:
    """SQLite answers tag conditions from the JSON tag list; it must agree with whole-tag matching."""
    tagged = {
        "commas": _ticket(desk.admin, tags=["a,b"]),
        "quotes": _ticket(desk.admin, tags=['say"hi"', "other"]),
        "backslash": _ticket(desk.admin, tags=["x", "back\\slash"]),
        "brackets": _ticket(desk.admin, tags=["[x]"]),
        "unicode": _ticket(desk.admin, tags=["first", "ünï", "last"]),
        "underscore": _ticket(desk.admin, tags=["premiumxsupport"]),
        "percent": _ticket(desk.admin, tags=["50x"]),
        "plain": _ticket(desk.admin, tags=["a", "b"]),
        "none": _ticket(desk.admin),
    }
    for tag in TRICKY_TAGS:
        expected = {
            ticket_id
            for ticket_id in tagged.values()
            if tag in desk.admin.get(f"/api/v2/tickets/{ticket_id}.json").json()["ticket"]["tags"]
        }
        includes = _view(desk.admin, f"has {tag}", [{"field": "current_tags", "operator": "includes", "value": tag}])
        excludes = _view(
            desk.admin, f"lacks {tag}", [{"field": "current_tags", "operator": "not_includes", "value": tag}]
        )
        assert set(_tickets(desk.admin, includes)) == expected, tag
        assert _count(desk.admin, includes) == len(expected), tag
        assert set(_tickets(desk.admin, excludes)) == set(tagged.values()) - expected, tag
    assert {"a", "b", "ünï", "[x]"} <= {
        tag
        for ticket_id in tagged.values()
        for tag in desk.admin.get(f"/api/v2/tickets/{ticket_id}.json").json()["ticket"]["tags"]
    }, "the set-up holds the tags it means to"

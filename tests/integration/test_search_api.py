"""Search through the API: the query language on real data, and the access check, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import Api, Desk


def _ticket(api: Api, subject: str, body: str, **fields: Any) -> int:
    response = api.post("/api/v2/tickets.json", {"ticket": {"subject": subject, "comment": {"body": body}, **fields}})
    assert response.status_code == 201, response.text
    ticket_id: int = response.json()["ticket"]["id"]
    return ticket_id


def _ids(api: Api, query: str) -> set[int]:
    response = api.get("/api/v2/search.json", query=query)
    assert response.status_code == 200, response.text
    return {r["id"] for r in response.json()["results"] if r["result_type"] == "ticket"}


@pytest.fixture
def helpdesk(desk: Desk) -> dict[str, Any]:
    org = desk.admin.post(
        "/api/v2/organizations.json", {"organization": {"name": "Globex", "domain_names": ["globex.example"]}}
    )
    org_id = org.json()["organization"]["id"]
    gina = desk.user("Gina", "gina@globex.example")
    gus = desk.user("Gus", "gus@globex.example")
    fay = desk.user("Fay", "fay@freelance.example")
    agent = desk.user("Pete", "pete@desk.test", role="agent")
    printer = _ticket(
        desk.admin,
        "Printer on fire",
        "The printer is on fire",
        requester_id=gina.user_id,
        priority="urgent",
        tags=["premium"],
    )
    pipeline = _ticket(
        desk.admin, "CI pipeline stuck", "Pipeline stuck in pending", requester_id=gus.user_id, priority="low"
    )
    secret = _ticket(desk.admin, "Billing question", "How much is it", requester_id=fay.user_id, priority="normal")
    desk.admin.put(
        f"/api/v2/tickets/{pipeline}.json",
        {"ticket": {"assignee_id": agent.user_id, "comment": {"body": "zebra internal", "public": False}}},
    )
    desk.admin.put(f"/api/v2/tickets/{secret}.json", {"ticket": {"status": "solved", "comment": {"body": "done"}}})
    return {
        "org_id": org_id,
        "gina": gina,
        "gus": gus,
        "fay": fay,
        "agent": agent,
        "printer": printer,
        "pipeline": pipeline,
        "secret": secret,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("printer", {"printer"}),
        ("print*", {"printer"}),
        ('"stuck in pending"', {"pipeline"}),
        ('"pending stuck"', set()),
        ("zebra", {"pipeline"}),
        ("status<solved", {"printer", "pipeline"}),
        ("status:solved", {"secret"}),
        ("status:new status:solved", {"printer", "secret"}),
        ("priority>normal", {"printer"}),
        ("priority<=normal", {"pipeline", "secret"}),
        ("tags:premium", {"printer"}),
        ("tags:premium tags:nosuchtag", {"printer"}),
        ("-tags:premium", {"pipeline", "secret"}),
        ("assignee:pete@desk.test", {"pipeline"}),
        ("assignee:none", {"printer", "secret"}),
        ("requester:gina@globex.example", {"printer"}),
        ("organization:Globex", {"printer", "pipeline"}),
        ("organization:none", {"secret"}),
        ("created>2026-01-01", {"printer", "pipeline", "secret"}),
        ("created<2026-01-01", set()),
        ("updated<3days", set()),
        ("-printer status<closed", {"pipeline", "secret"}),
        ("type:ticket fire", {"printer"}),
    ],
)
def test_query_language(desk: Desk, helpdesk: dict[str, Any], query: str, expected: set[str]) -> None:
    assert _ids(desk.admin, query) == {helpdesk[name] for name in expected}


def test_count_matches_results(desk: Desk, helpdesk: dict[str, Any]) -> None:
    count = desk.admin.get("/api/v2/search/count.json", query="status<solved").json()
    assert count == {"count": 2}
    assert desk.admin.get("/api/v2/search.json", query="status<solved").json()["count"] == 2


def test_users_and_organizations_are_found_by_agents(desk: Desk, helpdesk: dict[str, Any]) -> None:
    results = desk.admin.get("/api/v2/search.json", query="type:user gina").json()["results"]
    assert [(r["result_type"], r["id"]) for r in results] == [("user", helpdesk["gina"].user_id)]
    orgs = desk.admin.get("/api/v2/search.json", query="type:organization glob").json()["results"]
    assert [(r["result_type"], r["id"]) for r in orgs] == [("organization", helpdesk["org_id"])]


def test_end_user_search_returns_only_what_they_may_read(desk: Desk, helpdesk: dict[str, Any]) -> None:
    gina: Api = helpdesk["gina"]
    assert _ids(gina, "status<closed") == {helpdesk["printer"]}
    assert _ids(gina, "pipeline") == set(), "Globex does not share tickets"
    assert gina.get("/api/v2/search/count.json", query="billing").json() == {"count": 0}
    assert gina.get("/api/v2/search.json", query="type:user fay").json()["results"] == []
    desk.admin.put(f"/api/v2/organizations/{helpdesk['org_id']}.json", {"organization": {"shared_tickets": True}})
    assert _ids(gina, "pipeline") == {helpdesk["pipeline"]}, "now Globex shares its tickets"
    assert _ids(gina, "zebra") == set(), "an internal note never matches an end-user's search"
    assert _ids(helpdesk["gus"], "zebra") == set(), "not even the requester's"


def test_restricted_agent_search(desk: Desk, helpdesk: dict[str, Any]) -> None:
    rhea = desk.user("Rhea", "rhea@desk.test", role="agent", ticket_restriction="assigned")
    assert _ids(rhea, "status<closed") == set()
    desk.admin.put(f"/api/v2/tickets/{helpdesk['printer']}.json", {"ticket": {"assignee_id": rhea.user_id}})
    assert _ids(rhea, "status<closed") == {helpdesk["printer"]}


@pytest.mark.parametrize(
    ("query", "position", "names"),
    [
        ("status:bogus", 7, "bogus"),
        ("colour:red", 0, "colour"),
        ('subject:"unclosed', 8, "quote"),
        ("assignee<me", 8, "<"),
    ],
)
def test_malformed_queries_are_400_with_position(desk: Desk, query: str, position: int, names: str) -> None:
    response = desk.admin.get("/api/v2/search.json", query=query)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "InvalidQuery"
    assert body["details"]["query"][0]["position"] == position
    assert names in body["description"]
    assert desk.admin.get("/api/v2/search/count.json", query=query).status_code == 400


def test_paging_is_offset_style_and_capped(desk: Desk, helpdesk: dict[str, Any]) -> None:
    first = desk.admin.get("/api/v2/search.json", query="status<closed", per_page=2).json()
    assert len(first["results"]) == 2
    assert first["count"] == 3
    second = desk.client.get(first["next_page"], headers=desk.admin.headers).json()
    assert len(second["results"]) == 1
    assert second["next_page"] is None
    assert desk.admin.get("/api/v2/search.json", query="x", page=11, per_page=100).status_code == 422

"""The sharing matrix: who may read and answer which ticket, on every path they can reach.

Seed 003 lists five ways an organization shares tickets; a user's own `ticket_restriction` and
`shared_comments` override the organization's. Each row of SHARING is one of them (or an override),
seen by "the viewer", an end-user of the home organization, looking at a ticket requested by "the
colleague". The admin has added a public reply and an internal note to it. `show` is what
`GET /requests/{id}` answers (its comments and both request lists follow it); `reply` is what
`PUT /requests/{id}` with a comment answers: 200 allowed, 403 may view but not comment, 404 may
not even learn that the ticket exists.

Restricted agents (ticket_restriction "groups") read their groups' tickets and those assigned to
them, and nothing else: AGENT_MATRIX, with the lists and counts that must agree with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .conftest import Api, Desk

HOME, ELSEWHERE, NOWHERE = "home.test", "elsewhere.test", "nowhere.test"
DESCRIPTION, PUBLIC_REPLY, INTERNAL_NOTE = "The export fails.", "We are on it.", "Customer is on the old plan."
Settings = tuple[str | None, bool | None]  # a user's own (ticket_restriction, shared_comments); None follows the org


@dataclass(frozen=True, slots=True)
class Sharing:
    org: tuple[bool, bool]  # the home organization's (shared_tickets, shared_comments)
    show: int
    reply: int
    viewer: Settings = (None, None)
    colleague: Settings = (None, None)
    colleague_domain: str = HOME  # ELSEWHERE: another organization; NOWHERE: no organization


SHARING = [
    pytest.param(Sharing(org=(False, False), show=404, reply=404), id="1-own-tickets-only"),
    pytest.param(Sharing(org=(True, False), show=200, reply=403), id="2-all-view-no-comment"),
    pytest.param(Sharing(org=(True, True), show=200, reply=200), id="3-all-view-and-comment"),
    pytest.param(
        Sharing(org=(False, False), viewer=("organization", False), show=200, reply=403), id="4-selected-views"
    ),
    pytest.param(
        Sharing(org=(False, False), colleague=("organization", False), show=404, reply=404), id="4-unselected-peer"
    ),
    pytest.param(
        Sharing(org=(False, False), viewer=("organization", True), show=200, reply=200), id="5-selected-views-comments"
    ),
    pytest.param(
        Sharing(org=(False, False), colleague=("organization", True), show=404, reply=404), id="5-unselected-peer"
    ),
    pytest.param(
        Sharing(org=(True, True), viewer=("requested", True), show=404, reply=404), id="user-requested-beats-org"
    ),
    pytest.param(Sharing(org=(True, True), viewer=(None, False), show=200, reply=403), id="user-no-comments-beats-org"),
    pytest.param(Sharing(org=(True, False), viewer=(None, True), show=200, reply=200), id="user-comments-beats-org"),
    pytest.param(Sharing(org=(False, False), viewer=(None, True), show=404, reply=404), id="comments-need-view"),
    pytest.param(
        Sharing(org=(True, True), viewer=("organization", True), colleague_domain=ELSEWHERE, show=404, reply=404),
        id="other-orgs-ticket",
    ),
    pytest.param(
        Sharing(org=(True, True), viewer=("organization", True), colleague_domain=NOWHERE, show=404, reply=404),
        id="orgless-requesters-ticket",
    ),
]
FULL_SHARING = Sharing(org=(True, True), viewer=("organization", True), show=200, reply=200)


def created_id(response: Any, key: str) -> int:
    assert response.status_code == 201, response.text
    return int(response.json()[key]["id"])


def make_org(admin: Api, domain: str, shared: tuple[bool, bool]) -> int:
    body = {"name": domain, "domain_names": [domain], "shared_tickets": shared[0], "shared_comments": shared[1]}
    return created_id(admin.post("/api/v2/organizations.json", {"organization": body}), "organization")


def end_user(desk: Desk, email: str, settings: Settings) -> Api:
    restriction, comments = settings
    own = {"ticket_restriction": restriction, "shared_comments": comments}
    return desk.user(email.partition("@")[0].title(), email, **{k: v for k, v in own.items() if v is not None})


def open_ticket(admin: Api, requester: Api, *, replies: bool = False, **fields: int) -> dict[str, Any]:
    """A ticket opened by the admin; with `replies`, the admin adds a public reply and an internal note."""
    body = {"subject": "Export fails", "comment": {"body": DESCRIPTION}, "requester_id": requester.user_id, **fields}
    created = admin.post("/api/v2/tickets.json", {"ticket": body})
    assert created.status_code == 201, created.text
    ticket: dict[str, Any] = created.json()["ticket"]
    for text, public in ((PUBLIC_REPLY, True), (INTERNAL_NOTE, False)) if replies else ():
        answer = admin.put(
            f"/api/v2/tickets/{ticket['id']}.json", {"ticket": {"comment": {"body": text, "public": public}}}
        )
        assert answer.status_code == 200, answer.text
    return ticket


@dataclass(frozen=True, slots=True)
class Scene:
    viewer: Api
    colleague: Api
    ticket_id: int  # requested by the colleague
    own_ticket_id: int  # requested by the viewer
    orgs: dict[str, int]


def build(desk: Desk, row: Sharing) -> Scene:
    orgs = {HOME: make_org(desk.admin, HOME, row.org), ELSEWHERE: make_org(desk.admin, ELSEWHERE, (True, True))}
    viewer = end_user(desk, f"vera@{HOME}", row.viewer)
    colleague = end_user(desk, f"colin@{row.colleague_domain}", row.colleague)
    ticket, own = open_ticket(desk.admin, colleague, replies=True), open_ticket(desk.admin, viewer)
    # Both joined by email domain and a ticket takes its requester's organization. Checked, because a
    # deny that holds only because nobody joined would prove nothing.
    assert (ticket["organization_id"], own["organization_id"]) == (orgs.get(row.colleague_domain), orgs[HOME])
    return Scene(viewer, colleague, ticket["id"], own["id"], orgs)


def all_comments(admin: Api, ticket_id: int) -> list[tuple[int, str, bool]]:
    response = admin.get(f"/api/v2/tickets/{ticket_id}/comments.json")
    assert response.status_code == 200, response.text
    return [(c["author_id"], c["body"], c["public"]) for c in response.json()["comments"]]


def audit_count(admin: Api, ticket_id: int) -> int:
    return len(admin.get(f"/api/v2/tickets/{ticket_id}/audits.json").json()["audits"])


# --- End-users: one test per path, one parametrized case per row of SHARING ---------------------------------------


@pytest.mark.parametrize("row", SHARING)
def test_show_request(desk: Desk, row: Sharing) -> None:
    scene = build(desk, row)

    response = scene.viewer.get(f"/api/v2/requests/{scene.ticket_id}.json")

    assert response.status_code == row.show
    if row.show == 200:
        assert response.json()["request"]["id"] == scene.ticket_id


@pytest.mark.parametrize("row", SHARING)
def test_request_lists(desk: Desk, row: Sharing) -> None:
    scene = build(desk, row)

    lists = {
        path: scene.viewer.get(f"/api/v2{path}").json()["requests"]
        for path in ("/requests.json", "/requests/open.json")
    }

    listed = {path: {r["id"] for r in items} for path, items in lists.items()}
    own_and_colleagues = {path: (scene.own_ticket_id in ids, scene.ticket_id in ids) for path, ids in listed.items()}
    assert own_and_colleagues == dict.fromkeys(lists, (True, row.show == 200))


@pytest.mark.parametrize("row", SHARING)
def test_request_comments_are_public_only(desk: Desk, row: Sharing) -> None:
    scene = build(desk, row)

    response = scene.viewer.get(f"/api/v2/requests/{scene.ticket_id}/comments.json")

    assert response.status_code == row.show
    if row.show == 200:
        assert [c["body"] for c in response.json()["comments"]] == [DESCRIPTION, PUBLIC_REPLY]


@pytest.mark.parametrize("row", SHARING)
def test_reply_to_request(desk: Desk, row: Sharing) -> None:
    scene = build(desk, row)
    comments_before = all_comments(desk.admin, scene.ticket_id)
    audits_before = audit_count(desk.admin, scene.ticket_id)

    response = scene.viewer.put(f"/api/v2/requests/{scene.ticket_id}.json", {"request": {"comment": {"body": "+1"}}})

    assert response.status_code == row.reply
    comments_after = all_comments(desk.admin, scene.ticket_id)
    if row.reply == 200:
        assert comments_after == [*comments_before, (scene.viewer.user_id, "+1", True)]
    else:  # refused: nothing half-written
        assert comments_after == comments_before
        assert audit_count(desk.admin, scene.ticket_id) == audits_before


def test_requester_never_sees_the_internal_note(desk: Desk) -> None:
    scene = build(desk, FULL_SHARING)
    note_id = next(
        c["id"]
        for c in desk.admin.get(f"/api/v2/tickets/{scene.ticket_id}/comments.json").json()["comments"]
        if c["body"] == INTERNAL_NOTE
    )

    listed = scene.colleague.get(f"/api/v2/requests/{scene.ticket_id}/comments.json")
    single = scene.colleague.get(f"/api/v2/requests/{scene.ticket_id}/comments/{note_id}.json")

    assert [c["body"] for c in listed.json()["comments"]] == [DESCRIPTION, PUBLIC_REPLY]
    assert single.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/tickets/{id}.json",
        "/api/v2/tickets.json",
        "/api/v2/tickets/{id}/comments.json",
        "/api/v2/tickets/{id}/audits.json",
        "/api/v2/tickets/count.json",
    ],
)
def test_agent_paths_refuse_end_users(desk: Desk, path: str) -> None:
    scene = build(desk, FULL_SHARING)
    callers = {"requester": scene.colleague, "org-viewer": scene.viewer}

    answers = {who: api.get(path.format(id=scene.ticket_id)).status_code for who, api in callers.items()}

    assert answers == dict.fromkeys(callers, 403)


@pytest.mark.parametrize(
    ("who", "org", "expected"),
    [("member", HOME, 200), ("member", ELSEWHERE, 404), ("orgless", HOME, 404)],
)
def test_show_organization(desk: Desk, who: str, org: str, expected: int) -> None:
    scene = build(desk, FULL_SHARING)
    caller = scene.viewer if who == "member" else end_user(desk, f"olga@{NOWHERE}", (None, None))

    response = caller.get(f"/api/v2/organizations/{scene.orgs[org]}.json")

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["organization"]["id"] == scene.orgs[org]


# --- Agents ---------------------------------------------------------------------------------------------------------


def build_agent(desk: Desk, *, restricted: bool) -> tuple[Api, dict[str, int]]:
    """An agent in group "tier-1"; tickets of tier-1, of tier-2, and one assigned to them with no group."""
    admin = desk.admin
    groups = {
        name: created_id(admin.post("/api/v2/groups.json", {"group": {"name": name}}), "group")
        for name in ("tier-1", "tier-2")
    }
    agent = desk.user(
        "Rita", "rita@desk.test", role="agent", **({"ticket_restriction": "groups"} if restricted else {})
    )
    requester = end_user(desk, f"carl@{NOWHERE}", (None, None))
    assigned = open_ticket(admin, requester, assignee_id=agent.user_id)  # before she joins a group: it gets none
    assert assigned["group_id"] is None
    membership = {"group_membership": {"user_id": agent.user_id, "group_id": groups["tier-1"]}}
    created_id(admin.post("/api/v2/group_memberships.json", membership), "group_membership")
    tickets = {
        "own-group": open_ticket(admin, requester, group_id=groups["tier-1"])["id"],
        "assigned": assigned["id"],
        "other-group": open_ticket(admin, requester, group_id=groups["tier-2"])["id"],
    }
    return agent, tickets


AGENT_MATRIX = [
    pytest.param(True, "own-group", 200, id="restricted-own-group"),
    pytest.param(True, "assigned", 200, id="restricted-assigned"),
    pytest.param(True, "other-group", 404, id="restricted-other-group"),
    pytest.param(False, "other-group", 200, id="unrestricted-other-group"),
]


@pytest.mark.parametrize("path", ["", "/comments", "/audits", "/tags"])
@pytest.mark.parametrize(("restricted", "ticket", "expected"), AGENT_MATRIX)
def test_agent_reads(desk: Desk, restricted: bool, ticket: str, expected: int, path: str) -> None:
    agent, tickets = build_agent(desk, restricted=restricted)

    response = agent.get(f"/api/v2/tickets/{tickets[ticket]}{path}.json")

    assert response.status_code == expected
    if path == "/comments" and expected == 200:
        assert [c["body"] for c in response.json()["comments"]] == [DESCRIPTION]


@pytest.mark.parametrize(("restricted", "ticket", "expected"), AGENT_MATRIX)
def test_agent_updates(desk: Desk, restricted: bool, ticket: str, expected: int) -> None:
    agent, tickets = build_agent(desk, restricted=restricted)
    ticket_id = tickets[ticket]

    response = agent.put(f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"priority": "urgent"}})

    assert response.status_code == expected
    priority = desk.admin.get(f"/api/v2/tickets/{ticket_id}.json").json()["ticket"]["priority"]
    assert priority == ("urgent" if expected == 200 else None)


@pytest.mark.parametrize(
    ("restricted", "readable"),
    [
        pytest.param(True, {"own-group", "assigned"}, id="restricted"),
        pytest.param(False, {"own-group", "assigned", "other-group"}, id="unrestricted"),
    ],
)
def test_agent_lists_hold_only_readable_tickets(desk: Desk, restricted: bool, readable: set[str]) -> None:
    agent, tickets = build_agent(desk, restricted=restricted)
    expected = {tickets[name] for name in readable}
    every_id = ",".join(str(i) for i in sorted(tickets.values()))

    listed = {t["id"] for t in agent.get("/api/v2/tickets.json").json()["tickets"]}
    counted = agent.get("/api/v2/tickets/count.json").json()["count"]["value"]
    shown = {t["id"] for t in agent.get("/api/v2/tickets/show_many.json", ids=every_id).json()["tickets"]}

    assert (listed, counted, shown) == (expected, len(expected), expected)

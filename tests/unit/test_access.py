"""The pure access check: the five sharing options of seed 003, and agent restrictions."""

from __future__ import annotations

import pytest

from opsdesk.tickets.access import (
    OrgAccess,
    Role,
    TicketFacts,
    Viewer,
    can_comment_on_ticket,
    can_read_ticket,
    org_access,
)

ORG = 7
VIEWER_ID = 1
COLLEAGUE_ID = 2
colleague_ticket = TicketFacts(
    requester_id=COLLEAGUE_ID, submitter_id=COLLEAGUE_ID, assignee_id=None, group_id=None, organization_id=ORG
)
own_ticket = TicketFacts(
    requester_id=VIEWER_ID, submitter_id=VIEWER_ID, assignee_id=None, group_id=None, organization_id=ORG
)


@pytest.mark.parametrize(
    ("option", "org_tickets", "org_comments", "user_restriction", "user_comments", "view", "comment"),
    [
        ("1 own tickets only", False, False, None, None, False, False),
        ("2 all view, no comments", True, False, None, None, True, False),
        ("3 all view and comment", True, True, None, None, True, True),
        ("4 selected user views", False, False, "organization", False, True, False),
        ("4 a user not selected", False, False, None, None, False, False),
        ("5 selected user views and comments", False, False, "organization", True, True, True),
        ("user's own setting overrides a sharing org", True, True, "requested", None, False, False),
        ("user may view but the org forbids comments", True, False, None, True, True, True),
    ],
)
def test_sharing_options(  # noqa: PLR0917 - one column per setting of the matrix
    option: str,
    org_tickets: bool,
    org_comments: bool,
    user_restriction: str | None,
    user_comments: bool | None,
    view: bool,
    comment: bool,
) -> None:
    access = org_access(
        org_shared_tickets=org_tickets,
        org_shared_comments=org_comments,
        user_ticket_restriction=user_restriction,
        user_shared_comments=user_comments,
    )
    viewer = Viewer(user_id=VIEWER_ID, role=Role.END_USER, organizations={ORG: access})
    assert can_read_ticket(viewer, colleague_ticket) is view, option
    assert can_comment_on_ticket(viewer, colleague_ticket) is comment, option
    assert can_read_ticket(viewer, own_ticket), "a requester always reads their own ticket"
    assert can_comment_on_ticket(viewer, own_ticket)


def test_other_organizations_tickets_stay_hidden() -> None:
    viewer = Viewer(user_id=VIEWER_ID, role=Role.END_USER, organizations={ORG: OrgAccess(view=True, comment=True)})
    elsewhere = TicketFacts(
        requester_id=COLLEAGUE_ID, submitter_id=COLLEAGUE_ID, assignee_id=None, group_id=None, organization_id=ORG + 1
    )
    assert not can_read_ticket(viewer, elsewhere)
    assert not can_comment_on_ticket(viewer, elsewhere)


def test_a_cc_reads_and_comments() -> None:
    viewer = Viewer(user_id=VIEWER_ID, role=Role.END_USER)
    copied = TicketFacts(
        requester_id=COLLEAGUE_ID,
        submitter_id=COLLEAGUE_ID,
        assignee_id=None,
        group_id=None,
        organization_id=None,
        collaborator_ids=frozenset({VIEWER_ID}),
    )
    assert can_read_ticket(viewer, copied)
    assert can_comment_on_ticket(viewer, copied)


@pytest.mark.parametrize(
    ("restriction", "group_id", "assignee_id", "expected"),
    [
        (None, 99, None, True),
        ("groups", 5, None, True),
        ("groups", 99, None, False),
        ("groups", 99, VIEWER_ID, True),
        ("assigned", 5, None, False),
        ("assigned", 5, VIEWER_ID, True),
    ],
)
def test_restricted_agents(restriction: str | None, group_id: int, assignee_id: int | None, expected: bool) -> None:
    agent = Viewer(user_id=VIEWER_ID, role=Role.AGENT, group_ids=frozenset({5}), agent_restriction=restriction)
    ticket = TicketFacts(
        requester_id=COLLEAGUE_ID,
        submitter_id=COLLEAGUE_ID,
        assignee_id=assignee_id,
        group_id=group_id,
        organization_id=None,
    )
    assert can_read_ticket(agent, ticket) is expected
    assert can_comment_on_ticket(agent, ticket) is expected


def test_admins_see_everything() -> None:
    admin = Viewer(user_id=VIEWER_ID, role=Role.ADMIN, agent_restriction="assigned")
    assert can_read_ticket(admin, colleague_ticket)

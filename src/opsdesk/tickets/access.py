"""Who may read and comment on which ticket: the one access check.

`TicketAccess` answers for a single ticket; `tickets.repo.readable_clause` states the same rule in
SQL for lists, counts and exports. The permission-matrix tests hold the two to each other.

Sharing (seed 003): an organization's `shared_tickets` lets its end-users view each other's
tickets and `shared_comments` lets them comment too. A user's own `ticket_restriction`
(`requested` or `organization`) and `shared_comments`, when set, override the organization's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    END_USER = "end-user"
    AGENT = "agent"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class OrgAccess:
    view: bool
    comment: bool


def org_access(
    *,
    org_shared_tickets: bool,
    org_shared_comments: bool,
    user_ticket_restriction: str | None,
    user_shared_comments: bool | None,
) -> OrgAccess:
    """What an end-user may do with their organization's tickets (their own are always theirs)."""
    view = org_shared_tickets if user_ticket_restriction is None else user_ticket_restriction == "organization"
    comment = org_shared_comments if user_shared_comments is None else user_shared_comments
    return OrgAccess(view=view, comment=view and comment)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The caller of a request, with what access checks need to know about them."""

    user_id: int
    role: Role
    email: str | None = None
    group_ids: frozenset[int] = frozenset()
    # Agents only: "groups" or "assigned" limit them; None sees every ticket.
    agent_restriction: str | None = None
    organizations: Mapping[int, OrgAccess] = field(default_factory=dict)

    @property
    def is_agent(self) -> bool:
        return self.role in (Role.AGENT, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """The fields of a ticket that access depends on."""

    requester_id: int
    submitter_id: int
    assignee_id: int | None
    group_id: int | None
    organization_id: int | None
    collaborator_ids: frozenset[int] = frozenset()


def can_read_ticket(viewer: Viewer, ticket: TicketFacts) -> bool:
    if viewer.is_agent:
        return _agent_may_touch(viewer, ticket)
    if viewer.user_id in (ticket.requester_id, ticket.submitter_id) or viewer.user_id in ticket.collaborator_ids:
        return True
    access = viewer.organizations.get(ticket.organization_id) if ticket.organization_id is not None else None
    return access is not None and access.view


def can_comment_on_ticket(viewer: Viewer, ticket: TicketFacts) -> bool:
    if viewer.is_agent:
        return _agent_may_touch(viewer, ticket)
    if viewer.user_id in (ticket.requester_id, ticket.submitter_id) or viewer.user_id in ticket.collaborator_ids:
        return True
    access = viewer.organizations.get(ticket.organization_id) if ticket.organization_id is not None else None
    return access is not None and access.comment


def _agent_may_touch(viewer: Viewer, ticket: TicketFacts) -> bool:
    if viewer.is_admin or viewer.agent_restriction is None:
        return True
    if viewer.user_id in (ticket.assignee_id, ticket.requester_id):
        return True
    if viewer.agent_restriction == "groups":
        return ticket.group_id is not None and ticket.group_id in viewer.group_ids
    return False

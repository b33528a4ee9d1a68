"""A ticket's clocks (pure): when it entered each status, when requester and assignee last
updated it, its SLA history and metrics, and its automation bookkeeping.

`record_change` is the one place that moves them, once per ticket create or update. Instants are UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from opsdesk.rules.model import Clocks
from opsdesk.sla.model import HistoryEvent, HistoryKind, MetricState, SlaHistory


@dataclass(frozen=True, slots=True)
class Change:
    """What one create or update did, as far as clocks care."""

    at: datetime
    created: bool
    status_before: str | None
    status_after: str
    assignee_before: int | None
    assignee_after: int | None
    actor_id: int | None
    actor_is_agent: bool
    requester_id: int
    comment_public: bool | None  # None: no comment; False: an internal note


@dataclass(frozen=True, slots=True)
class TicketClocks:
    ticket_id: int
    created_at: datetime
    updated_at: datetime
    status_entered_at: dict[str, datetime]
    assigned_at: datetime | None
    requester_updated_at: datetime | None
    assignee_updated_at: datetime | None
    history: tuple[HistoryEvent, ...]
    created_by_agent_publicly: bool
    policy_id: int | None = None
    metrics: tuple[MetricState, ...] = ()
    next_breach_at: datetime | None = None
    automation_updates: int = 0
    automation_fired: dict[int, datetime] = field(default_factory=dict)

    def sla_history(self) -> SlaHistory:
        return SlaHistory(
            created_at=self.created_at, created_by_agent_publicly=self.created_by_agent_publicly, events=self.history
        )

    def for_rules(self, due_at: datetime | None) -> Clocks:
        return Clocks(
            created_at=self.created_at,
            updated_at=self.updated_at,
            status_entered_at=self.status_entered_at,
            assigned_at=self.assigned_at,
            requester_updated_at=self.requester_updated_at,
            assignee_updated_at=self.assignee_updated_at,
            due_at=due_at,
            next_sla_breach_at=self.next_breach_at,
        )


def start_clocks(ticket_id: int, change: Change) -> TicketClocks:
    """The clocks of a ticket just created by `change`."""
    public_by_agent = bool(change.comment_public) and change.actor_is_agent and change.actor_id != change.requester_id
    return TicketClocks(
        ticket_id=ticket_id,
        created_at=change.at,
        updated_at=change.at,
        status_entered_at={change.status_after: change.at},
        assigned_at=change.at if change.assignee_after is not None else None,
        requester_updated_at=change.at if change.actor_id == change.requester_id else None,
        assignee_updated_at=None,
        history=(HistoryEvent(at=change.at, kind=HistoryKind.STATUS, status=change.status_after),),
        created_by_agent_publicly=public_by_agent,
    )


def record_change(clocks: TicketClocks, change: Change) -> TicketClocks:
    """The clocks after an update. Internal notes never enter the SLA history."""
    history = list(clocks.history)
    entered = dict(clocks.status_entered_at)
    if change.status_after != change.status_before:
        entered[change.status_after] = change.at
        history.append(HistoryEvent(at=change.at, kind=HistoryKind.STATUS, status=change.status_after))
    if change.comment_public:
        by_agent = change.actor_is_agent and change.actor_id != change.requester_id
        history.append(HistoryEvent(at=change.at, kind=HistoryKind.PUBLIC_COMMENT, by_agent=by_agent))
    assigned_at = clocks.assigned_at
    if change.assignee_after != change.assignee_before and change.assignee_after is not None:
        assigned_at = change.at
    by_requester = change.actor_id is not None and change.actor_id == change.requester_id
    by_assignee = change.actor_id is not None and change.actor_id == change.assignee_after
    return replace(
        clocks,
        updated_at=change.at,
        status_entered_at=entered,
        assigned_at=assigned_at,
        requester_updated_at=change.at if by_requester else clocks.requester_updated_at,
        assignee_updated_at=change.at if by_assignee else clocks.assignee_updated_at,
        history=tuple(history),
    )


def guess_clocks(
    *, ticket_id: int, created_at: datetime, updated_at: datetime, status: str, status_changed_at: datetime
) -> TicketClocks:
    """Clocks for a ticket written before clocks were kept (or bulk-loaded): what its row tells."""
    history = [HistoryEvent(at=created_at, kind=HistoryKind.STATUS, status="new")]
    if status != "new":
        history.append(HistoryEvent(at=status_changed_at, kind=HistoryKind.STATUS, status=status))
    return TicketClocks(
        ticket_id=ticket_id,
        created_at=created_at,
        updated_at=updated_at,
        status_entered_at={"new": created_at, status: status_changed_at},
        assigned_at=None,
        requester_updated_at=None,
        assignee_updated_at=None,
        history=tuple(history),
        created_by_agent_publicly=False,
    )

"""Queries for SLA policies and ticket clocks. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update

from opsdesk.core.clock import parse_utc
from opsdesk.rules.repo import conditions_from_json
from opsdesk.sla.clocks import TicketClocks
from opsdesk.sla.model import HistoryEvent, HistoryKind, Metric, MetricState, Policy, Stage, Target
from opsdesk.sla.tables import sla_policies, ticket_clocks
from opsdesk.tickets.tables import tickets


def _iso(moment: datetime) -> str:
    """Stored instants keep the clock's millisecond precision (the wire form keeps seconds)."""
    return moment.astimezone(UTC).isoformat()


def to_policy(row: Row[Any]) -> Policy:
    return Policy(
        id=row.id,
        title=row.title,
        description=row.description,
        position=row.position,
        filter=conditions_from_json(dict(row.filter)),
        targets=tuple(
            Target(
                priority=t["priority"],
                metric=Metric(t["metric"]),
                target=int(t["target"]),
                business_hours=bool(t["business_hours"]),
            )
            for t in row.policy_metrics
        ),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_policies(conn: Connection) -> list[Policy]:
    query = select(sla_policies).order_by(sla_policies.c.position, sla_policies.c.id)
    return [to_policy(row) for row in conn.execute(query)]


def get_policy(conn: Connection, policy_id: int) -> Policy | None:
    row = conn.execute(select(sla_policies).where(sla_policies.c.id == policy_id)).first()
    return to_policy(row) if row else None


def next_policy_position(conn: Connection) -> int:
    highest = conn.execute(select(func.max(sla_policies.c.position))).scalar()
    return 0 if highest is None else int(highest) + 1


def add_policy(conn: Connection, values: dict[str, Any]) -> int:
    return int(conn.execute(insert(sla_policies).values(**values).returning(sla_policies.c.id)).scalar_one())


def change_policy(conn: Connection, policy_id: int, values: dict[str, Any]) -> None:
    conn.execute(update(sla_policies).where(sla_policies.c.id == policy_id).values(**values))


def remove_policy(conn: Connection, policy_id: int) -> None:
    conn.execute(delete(sla_policies).where(sla_policies.c.id == policy_id))


# --- ticket clocks ---------------------------------------------------------------------------


def _history_json(events: Iterable[HistoryEvent]) -> list[list[Any]]:
    return [[_iso(e.at), e.kind.value, e.status, e.by_agent] for e in events]


def _history(raw: Iterable[Sequence[Any]]) -> tuple[HistoryEvent, ...]:
    return tuple(
        HistoryEvent(at=parse_utc(at), kind=HistoryKind(kind), status=status, by_agent=bool(by_agent))
        for at, kind, status, by_agent in raw
    )


def metrics_json(metrics: Iterable[MetricState]) -> list[dict[str, Any]]:
    return [
        {
            "metric": m.metric.value,
            "stage": m.stage.value,
            "breach_at": _iso(m.breach_at) if m.breach_at else None,
            "target": m.target,
            "business_hours": m.business_hours,
        }
        for m in metrics
    ]


def _metrics(raw: Iterable[dict[str, Any]]) -> tuple[MetricState, ...]:
    return tuple(
        MetricState(
            metric=Metric(m["metric"]),
            stage=Stage(m["stage"]),
            breach_at=parse_utc(m["breach_at"]) if m["breach_at"] else None,
            target=int(m["target"]),
            business_hours=bool(m["business_hours"]),
        )
        for m in raw
    )


def _entered_json(entered: dict[str, datetime]) -> dict[str, str]:
    return {status: _iso(at) for status, at in entered.items()}


def clocks_row(clocks: TicketClocks) -> dict[str, Any]:
    return {
        "ticket_id": clocks.ticket_id,
        "status_entered_at": _entered_json(clocks.status_entered_at),
        "assigned_at": clocks.assigned_at,
        "requester_updated_at": clocks.requester_updated_at,
        "assignee_updated_at": clocks.assignee_updated_at,
        "sla_history": _history_json(clocks.history),
        "created_by_agent_publicly": clocks.created_by_agent_publicly,
        "sla_policy_id": clocks.policy_id,
        "sla_metrics": metrics_json(clocks.metrics),
        "next_breach_at": clocks.next_breach_at,
        "automation_updates": clocks.automation_updates,
        "automation_fired": {str(rule_id): _iso(at) for rule_id, at in clocks.automation_fired.items()},
    }


_CLOCK_QUERY = select(ticket_clocks, tickets.c.created_at, tickets.c.updated_at).join(
    tickets, tickets.c.id == ticket_clocks.c.ticket_id
)


def to_clocks(row: Row[Any]) -> TicketClocks:
    return TicketClocks(
        ticket_id=row.ticket_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status_entered_at={status: parse_utc(at) for status, at in row.status_entered_at.items()},
        assigned_at=row.assigned_at,
        requester_updated_at=row.requester_updated_at,
        assignee_updated_at=row.assignee_updated_at,
        history=_history(row.sla_history),
        created_by_agent_publicly=row.created_by_agent_publicly,
        policy_id=row.sla_policy_id,
        metrics=_metrics(row.sla_metrics),
        next_breach_at=row.next_breach_at,
        automation_updates=row.automation_updates,
        automation_fired={int(rule_id): parse_utc(at) for rule_id, at in row.automation_fired.items()},
    )


def get_clocks(conn: Connection, ticket_id: int) -> TicketClocks | None:
    row = conn.execute(_CLOCK_QUERY.where(ticket_clocks.c.ticket_id == ticket_id)).first()
    return to_clocks(row) if row else None


def open_tickets_after(conn: Connection, ticket_id: int, limit: int) -> list[Row[Any]]:
    """Up to `limit` live unsolved tickets with ids above `ticket_id`, in id order, each with its
    clocks' columns (all None for a ticket that has no clocks yet: bulk-loaded or older).

    The walk follows the primary key: `status || ''` keeps the planner off the status indexes,
    which would read every open ticket and sort them again for each batch (quadratic in the open
    tickets); along the key a whole walk reads each ticket once."""
    query = (
        select(tickets, ticket_clocks)
        .select_from(tickets.outerjoin(ticket_clocks, ticket_clocks.c.ticket_id == tickets.c.id))
        .where(
            tickets.c.id > ticket_id,
            (tickets.c.status + "").in_(("new", "open", "pending", "hold")),
            tickets.c.deleted_at.is_(None),
        )
        .order_by(tickets.c.id)
        .limit(limit)
    )
    return list(conn.execute(query))


def insert_clocks(conn: Connection, clocks: TicketClocks) -> None:
    conn.execute(insert(ticket_clocks).values(**clocks_row(clocks)))


def save_clocks(conn: Connection, clocks: TicketClocks) -> None:
    row = clocks_row(clocks)
    row.pop("ticket_id")
    conn.execute(update(ticket_clocks).where(ticket_clocks.c.ticket_id == clocks.ticket_id).values(**row))


_SLA_UPDATE = (
    update(ticket_clocks)
    .where(ticket_clocks.c.ticket_id == bindparam("b_ticket_id"))
    .values(
        sla_policy_id=bindparam("b_policy_id"),
        sla_metrics=bindparam("b_metrics", type_=ticket_clocks.c.sla_metrics.type),
        next_breach_at=bindparam("b_next_breach_at", type_=ticket_clocks.c.next_breach_at.type),
    )
)


def save_sla_many(conn: Connection, many: Sequence[TicketClocks]) -> None:
    """Write the SLA part of many clocks in one executemany (re-applying a policy)."""
    if many:
        conn.execute(
            _SLA_UPDATE,
            [
                {
                    "b_ticket_id": c.ticket_id,
                    "b_policy_id": c.policy_id,
                    "b_metrics": metrics_json(c.metrics),
                    "b_next_breach_at": c.next_breach_at,
                }
                for c in many
            ],
        )
